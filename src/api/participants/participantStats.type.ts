import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { TrackKind } from './participant.type';
import { DateTimeISO } from '../dateTimeISO';

@ObjectType('TrackStats', {
  description: 'One track as the server sees it; bitrates are averages over the last second.',
})
export class TrackStatsType {
  @Field(() => ID)
  trackId!: string;

  @Field(() => ID, { description: "The stream's id (for outbound tracks: the publisher's stream)." })
  streamId!: string;

  @Field(() => TrackKind)
  kind!: TrackKind;

  @Field(() => Float, { description: 'bits per second' })
  bitrate!: number;

  @Field(() => Float)
  packets!: number;

  @Field(() => Float, {
    description:
      'Packets lost on the way to the server (inbound tracks), or as the subscriber last reported (outbound).',
  })
  packetsLost!: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'Interarrival jitter in ms as the subscriber reports it (outbound tracks); null where not measured.',
  })
  jitter?: number | null;

  @Field(() => Float, { description: 'Round-trip time in ms (0 until measured).' })
  rtt!: number;

  @Field(() => Float)
  frames!: number;

  @Field(() => Int, { nullable: true })
  width?: number;

  @Field(() => Int, { nullable: true })
  height?: number;
}

@ObjectType('ParticipantStats', { description: "A participant's media, from medooze's statistics." })
export class ParticipantStatsType {
  @Field(() => Float, { description: 'What the server receives from it, bits per second.' })
  bitrateIn!: number;

  @Field(() => Float, { description: 'What the server forwards to it, bits per second.' })
  bitrateOut!: number;

  @Field(() => [TrackStatsType], { description: 'The tracks it publishes.' })
  inbound!: TrackStatsType[];

  @Field(() => [TrackStatsType], { description: "The other participants' tracks forwarded to it." })
  outbound!: TrackStatsType[];
}

@ObjectType('QualitySample', {
  description:
    "A participant's call quality over one sampling interval (QUALITY_SAMPLE_INTERVAL_MS), as stored.",
})
export class QualitySampleType {
  @Field(() => DateTimeISO)
  at!: Date;

  @Field(() => Float, { description: 'bits per second received from it' })
  bitrateIn!: number;

  @Field(() => Float, { description: 'bits per second forwarded to it' })
  bitrateOut!: number;

  @Field(() => Float, {
    description: 'Share of its packets lost on the way to the server in the interval, 0 to 1.',
  })
  lossIn!: number;

  @Field(() => Float, { description: 'ms, the worst of its tracks' })
  rtt!: number;

  @Field(() => Float, { description: 'ms, the worst jitter its receivers reported' })
  jitter!: number;
}
