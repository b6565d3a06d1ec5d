import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { TrackStats } from '../../conference/ports';
import type { ApiContext } from '../context';
import { ParticipantType, TrackKind } from './participant.type';
import { ParticipantStatsType, TrackStatsType } from './participantStats.type';

const toTrackStats = (stats: TrackStats): TrackStatsType =>
  Object.assign(new TrackStatsType(), stats, {
    kind: stats.kind === 'audio' ? TrackKind.AUDIO : TrackKind.VIDEO,
  });

@Resolver(() => ParticipantType)
export class ParticipantResolver {
  @FieldResolver(() => ParticipantStatsType, {
    nullable: true,
    description: 'Bitrate, packets, loss, RTT and frames of its tracks, both ways; null once it has left.',
  })
  stats(
    @Ctx() { conference }: ApiContext,
    @Root() participant: ParticipantType,
  ): ParticipantStatsType | null {
    const stats = conference.participantStats(participant.id);
    if (!stats) return null;
    const sum = (tracks: TrackStats[]) => tracks.reduce((total, track) => total + track.bitrate, 0);
    return {
      bitrateIn: sum(stats.inbound),
      bitrateOut: sum(stats.outbound),
      inbound: stats.inbound.map(toTrackStats),
      outbound: stats.outbound.map(toTrackStats),
    };
  }
}
