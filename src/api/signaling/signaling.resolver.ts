import { Arg, Ctx, ID, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import type { Offer } from '../../conference/Participant';
import { UNWATCHED_LINK } from '../../conference/Presence';
import { logger } from '../../shared/logger';
import { tokenDigest } from '../../access/ParticipantTokens';
import type { ApiContext } from '../context';
import { toParticipantType } from '../participants/participant.mapper';
import {
  AnswerInput,
  JoinInput,
  JoinPayload,
  OfferType,
  RenegotiateInput,
  RenegotiatePayload,
  SetPreferredLayerInput,
  SetTrackMutedInput,
} from './signaling.types';

/**
 * Offer/answer over GraphQL. The glare rule (the server's offer wins; a client offer made while
 * one is pending fails with NEGOTIATION_CONFLICT) is in docs/signaling.md.
 */
@Resolver()
export class SignalingResolver {
  @Mutation(() => JoinPayload, {
    description:
      'Joins a room with an SDP offer. In secured mode the bearer is a join token for that room. Fails with ' +
      'ROOM_FULL, ROOM_CLOSED, ROOM_NOT_FOUND, INVALID_SDP, BAD_USER_INPUT, RATE_LIMITED (too many joins from one ' +
      'address), TOO_MANY_ROOMS, TOO_MANY_TRACKS, BANNED, FORBIDDEN (wrong room, or sending tracks without canPublish), ' +
      'UNAUTHENTICATED, INVALID_TOKEN and TOKEN_EXPIRED.',
  })
  async join(
    @Ctx()
    {
      conference,
      joinLimiter,
      clientAddress,
      access,
      participantTokens,
      cluster,
      joinedOnSocket,
    }: ApiContext,
    @Arg('input', () => JoinInput) input: JoinInput,
  ): Promise<JoinPayload> {
    await joinLimiter.take(clientAddress);
    const permit = access.joinPermit(input.roomId);
    const { participant, answer } = await conference.join(input, permit);
    const token = participantTokens.mint(participant.id);
    // Cluster: every node can now route this participant's operations here and read its token.
    await cluster
      ?.participantJoined(
        { participantId: participant.id, roomId: participant.roomId, identity: participant.identity },
        tokenDigest(token),
      )
      .catch((error: unknown) =>
        logger.warn(
          { err: error, participantId: participant.id },
          'participant not published to the cluster',
        ),
      );
    joinedOnSocket?.(token);
    return { participant: toParticipantType(participant, conference.streamsOf(participant)), answer, token };
  }

  @Mutation(() => Boolean, {
    description: 'Answers server offer `revision`. Fails with STALE_OFFER, NO_PENDING_OFFER, INVALID_SDP.',
  })
  answer(
    @Ctx() { conference, access }: ApiContext,
    @Arg('input', () => AnswerInput) input: AnswerInput,
  ): boolean {
    conference.answer(access.participant(input.participantId), input.revision, input.sdp);
    return true;
  }

  @Mutation(() => RenegotiatePayload, {
    description:
      'A client-made offer, to add or remove its own tracks. Fails with NEGOTIATION_CONFLICT while a server offer ' +
      'waits for an answer: answer it, then offer again; TOO_MANY_TRACKS and RATE_LIMITED.',
  })
  renegotiate(
    @Ctx() { conference, access, participantLimiter }: ApiContext,
    @Arg('input', () => RenegotiateInput) input: RenegotiateInput,
  ): RenegotiatePayload {
    const participant = access.participant(input.participantId);
    participantLimiter.take(participant.id);
    return conference.renegotiate(participant, input.offer);
  }

  @Mutation(() => Boolean, {
    description:
      'Reports that the participant muted or unmuted one of its own tracks (others see Track.muted and ' +
      'TRACK_MUTED / TRACK_UNMUTED events). Fails with TRACK_NOT_FOUND and RATE_LIMITED.',
  })
  setTrackMuted(
    @Ctx() { conference, access, participantLimiter }: ApiContext,
    @Arg('input', () => SetTrackMutedInput) input: SetTrackMutedInput,
  ): boolean {
    const participant = access.participant(input.participantId);
    participantLimiter.take(participant.id);
    conference.setTrackMuted(participant, input.trackId, input.muted);
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      'Chooses which layer of a received video the server forwards: for simulcast, `spatial` indexes the ' +
      "publisher's encodings, lowest resolution first (0: smallest); for VP9 SVC it is the spatial layer; " +
      '`temporal` is the temporal layer (frame rate). Null for both: chosen by your bandwidth again (the ' +
      'default). Kept for that stream id until changed. Fails with STREAM_NOT_FOUND (a stream you do not ' +
      'receive) and BAD_USER_INPUT (a layer outside 0-15).',
  })
  setPreferredLayer(
    @Ctx() { conference, access, participantLimiter }: ApiContext,
    @Arg('input', () => SetPreferredLayerInput) input: SetPreferredLayerInput,
  ): boolean {
    const participant = access.participant(input.participantId);
    participantLimiter.take(participant.id);
    conference.setPreferredLayer(participant, input.streamId, input.spatial ?? null, input.temporal ?? null);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Leaves the room; its streams stop reaching the others.' })
  async leave(
    @Ctx() { conference, access }: ApiContext,
    @Arg('participantId', () => ID) participantId: string,
  ): Promise<boolean> {
    await conference.leave(access.participant(participantId));
    return true;
  }

  @Subscription(() => OfferType, {
    description:
      'Server-made offers for this participant, starting with the one waiting for an answer, if any. ' +
      'Keep it open (over graphql-ws, answering pings): a participant silent for PARTICIPANT_TIMEOUT_MS, or ' +
      'without it that long, counts as gone. After a dropped connection, subscribe again with the same ' +
      'participant token within that time to resume: the pending offer comes first.',
    subscribe: async ({ args, context }) => {
      const { conference, access, subscriptions, signalingLink, cluster, token } = context as ApiContext;
      const participantId = String(args.participantId);
      if (cluster && token && !conference.registry.participant(participantId)) {
        // Held by another node: its offers come from there, this socket's liveness goes there.
        const remote = await cluster.participant(participantId);
        const holder = remote ? await cluster.holderOf(remote.roomId) : null;
        if (holder && holder !== cluster.nodeId) {
          const offers = await cluster.relayOffers(
            holder,
            participantId,
            token,
            signalingLink ?? UNWATCHED_LINK,
          );
          return subscriptions.track(offers, { participantId });
        }
      }
      const participant = access.participant(participantId);
      return subscriptions.track(
        conference.negotiation(participant, signalingLink),
        access.subscriptionOwner(),
      );
    },
  })
  negotiation(@Root() offer: Offer, @Arg('participantId', () => ID) _participantId: string): OfferType {
    return offer;
  }
}
