import { JSONObjectResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { type ChatMessage, RoomEventType } from '../../conference/events';
import { DateTimeISO } from '../dateTimeISO';

registerEnumType(RoomEventType, {
  name: 'RoomEventType',
  valuesConfig: {
    PARTICIPANT_JOINED: { description: 'A participant joined; `participantId` names it.' },
    PARTICIPANT_LEFT: {
      description:
        'A participant left, was removed or timed out; `reason` says which (CONNECTION_LOST: silent past ' +
        'PARTICIPANT_TIMEOUT_MS).',
    },
    PARTICIPANT_RECONNECTING: {
      description:
        'A participant went silent (no keep-alive answers, no media): it keeps its place until PARTICIPANT_TIMEOUT_MS, ' +
        'then PARTICIPANT_LEFT (CONNECTION_LOST) follows unless PARTICIPANT_RECONNECTED does.',
    },
    PARTICIPANT_RECONNECTED: { description: 'A reconnecting participant was heard from again.' },
    STREAM_PUBLISHED: { description: 'A participant started sending a stream; `streamId` names it.' },
    STREAM_UNPUBLISHED: { description: 'A stream stopped.' },
    ACTIVE_SPEAKER_CHANGED: { description: 'Someone else is speaking now; `participantId` names them.' },
    TRACK_MUTED: { description: 'A publisher muted one of its tracks; `trackId` names it.' },
    TRACK_UNMUTED: { description: 'A publisher unmuted one of its tracks.' },
    MESSAGE: {
      description: 'A chat message (`message`); a private one reaches only its sender and recipients.',
    },
    PARTICIPANT_ATTRIBUTES_CHANGED: {
      description: "A participant's attributes changed; `attributes` holds the whole new set.",
    },
    RECORDING_STARTED: {
      description:
        'A recording of the room started (`recordingId`): everyone in the room is recorded from now on.',
    },
    RECORDING_STOPPED: {
      description:
        'The recording `recordingId` stopped; its files are finalized and can be downloaded. Reason FAILED: the node ' +
        'that recorded it died (cluster take-over), its files were not finalized.',
    },
    ROOM_CLOSED: { description: 'The room closed. It is the last event of the room.' },
  },
});

@ObjectType('RoomEvent', { description: 'Something that happened in a room. Delivered in `sequence` order.' })
export class RoomEventObject {
  @Field(() => Int, { description: 'Starts at 1 in each room, without gaps.' })
  sequence!: number;

  @Field(() => RoomEventType)
  type!: RoomEventType;

  @Field(() => ID)
  roomId!: string;

  @Field(() => DateTimeISO)
  at!: Date;

  @Field(() => ID, { nullable: true })
  participantId?: string;

  @Field(() => String, { nullable: true })
  participantName?: string;

  @Field(() => ID, { nullable: true })
  streamId?: string;

  @Field(() => String, { nullable: true })
  reason?: string;

  @Field(() => ID, { nullable: true })
  trackId?: string;

  @Field(() => JSONObjectResolver, {
    nullable: true,
    description: "For PARTICIPANT_ATTRIBUTES_CHANGED: the participant's attributes after the change.",
  })
  attributes?: Record<string, unknown>;

  @Field(() => ID, {
    nullable: true,
    description: 'For RECORDING_STARTED and RECORDING_STOPPED: the recording.',
  })
  recordingId?: string;

  /** For MESSAGE (served by a field resolver as `message`). */
  message?: ChatMessage;
}
