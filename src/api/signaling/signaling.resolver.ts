import { Arg, Ctx, ID, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import type { Offer } from '../../conference/Participant';
import type { ApiContext } from '../context';
import { toParticipantType } from '../participants/participant.mapper';
import {
  AnswerInput,
  JoinInput,
  JoinPayload,
  OfferType,
  RenegotiateInput,
  RenegotiatePayload,
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
      'Joins a room with an SDP offer. Fails with ROOM_FULL, ROOM_CLOSED, ROOM_NOT_FOUND, INVALID_SDP, BAD_USER_INPUT, ' +
      'RATE_LIMITED (too many joins from one address) and TOO_MANY_ROOMS.',
  })
  async join(
    @Ctx() { conference, joinLimiter, clientAddress }: ApiContext,
    @Arg('input', () => JoinInput) input: JoinInput,
  ): Promise<JoinPayload> {
    joinLimiter.take(clientAddress);
    const { participant, answer, token } = await conference.join(input);
    return { participant: toParticipantType(participant), answer, token };
  }

  @Mutation(() => Boolean, {
    description: 'Answers server offer `revision`. Fails with STALE_OFFER, NO_PENDING_OFFER, INVALID_SDP.',
  })
  answer(
    @Ctx() { conference, token }: ApiContext,
    @Arg('input', () => AnswerInput) input: AnswerInput,
  ): boolean {
    conference.answer(conference.authorize(input.participantId, token), input.revision, input.sdp);
    return true;
  }

  @Mutation(() => RenegotiatePayload, {
    description:
      'A client-made offer, to add or remove its own tracks. Fails with NEGOTIATION_CONFLICT while a server offer ' +
      'waits for an answer: answer it, then offer again.',
  })
  renegotiate(
    @Ctx() { conference, token }: ApiContext,
    @Arg('input', () => RenegotiateInput) input: RenegotiateInput,
  ): RenegotiatePayload {
    return conference.renegotiate(conference.authorize(input.participantId, token), input.offer);
  }

  @Mutation(() => Boolean, {
    description:
      'Reports that the participant muted or unmuted one of its own tracks (others see Track.muted and ' +
      'TRACK_MUTED / TRACK_UNMUTED events). Fails with TRACK_NOT_FOUND.',
  })
  setTrackMuted(
    @Ctx() { conference, token }: ApiContext,
    @Arg('input', () => SetTrackMutedInput) input: SetTrackMutedInput,
  ): boolean {
    conference.setTrackMuted(conference.authorize(input.participantId, token), input.trackId, input.muted);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Leaves the room; its streams stop reaching the others.' })
  async leave(
    @Ctx() { conference, token }: ApiContext,
    @Arg('participantId', () => ID) participantId: string,
  ): Promise<boolean> {
    await conference.leave(conference.authorize(participantId, token));
    return true;
  }

  @Subscription(() => OfferType, {
    description:
      'Server-made offers for this participant, starting with the one waiting for an answer, if any. ' +
      'Keep it open: a participant without it for longer than the grace period counts as gone.',
    subscribe: ({ args, context }) => {
      const { conference, token } = context as ApiContext;
      return conference.negotiation(conference.authorize(String(args.participantId), token));
    },
  })
  negotiation(@Root() offer: Offer, @Arg('participantId', () => ID) _participantId: string): OfferType {
    return offer;
  }
}
