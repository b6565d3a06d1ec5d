import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { TrackStats } from '../../conference/ports';
import type { ApiContext } from '../context';
import { ParticipantType, TrackKind } from './participant.type';
import { ParticipantStatsType, QualitySampleType, TrackStatsType } from './participantStats.type';

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

  @FieldResolver(() => [QualitySampleType], {
    description: 'Its stored call quality samples, oldest first (the latest `last`); kept after it leaves.',
  })
  qualityHistory(
    @Ctx() { qualityLoader }: ApiContext,
    @Root() participant: ParticipantType,
    @Arg('last', () => Int, { defaultValue: 360, description: 'How many of the latest samples, 1 to 10000.' })
    last: number,
  ): Promise<QualitySampleType[]> {
    return qualityLoader.load({ participantId: participant.id, last });
  }
}
