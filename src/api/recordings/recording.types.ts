import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { RecordingFileRecord, RecordingRecord } from '../../conference/records';
import { RoomReader } from '../authorization';
import { DateTimeISO } from '../dateTimeISO';

export const RecordingState = {
  RECORDING: 'RECORDING',
  STOPPED: 'STOPPED',
  FAILED: 'FAILED',
} as const;
export type RecordingState = (typeof RecordingState)[keyof typeof RecordingState];

registerEnumType(RecordingState, {
  name: 'RecordingState',
  valuesConfig: {
    RECORDING: { description: 'Files are being written.' },
    STOPPED: {
      description:
        'Stopped (by stopRecording, the room closing or a server shutdown): every file is finalized.',
    },
    FAILED: {
      description:
        'The server process died while recording: files were not finalized and may not play (MP4 needs its index, written at the end).',
    },
  },
});

/** The download route of a file (on this server; in secured mode it needs a token, see the README). */
export const recordingFileUrl = (file: Pick<RecordingFileRecord, 'recordingId' | 'id'>): string =>
  `/recordings/${encodeURIComponent(file.recordingId)}/${encodeURIComponent(file.id)}.mp4`;

@ObjectType('RecordedParticipant', { description: 'Who a recording file is of (they may have left since).' })
export class RecordedParticipantType {
  @Field(() => ID, { description: 'The participant id it had in the room.' })
  id!: string;

  @Field()
  name!: string;
}

@ObjectType('RecordingFile', { description: "One participant stream's audio and video, in one MP4 file." })
export class RecordingFileType {
  @Field(() => ID)
  id!: string;

  @Field(() => RecordedParticipantType)
  participant!: RecordedParticipantType;

  @Field(() => ID, { description: 'The stream (msid) recorded.' })
  streamId!: string;

  @Field(() => Float, { description: 'Size in bytes (growing while recorded, final once finalized).' })
  bytes!: number;

  @Field({
    description:
      'Where to download it: a path on this server (GET, `video/mp4`). In secured mode it needs an admin token or ' +
      'a roomAdmin token of the room, as `Authorization: Bearer` or `?access_token=`.',
  })
  url!: string;

  @Field(() => DateTimeISO)
  startedAt!: Date;

  @Field(() => DateTimeISO, {
    nullable: true,
    description: 'When it was finalized; null while written.',
  })
  endedAt!: Date | null;

  static from(file: RecordingFileRecord): RecordingFileType {
    return Object.assign(new RecordingFileType(), {
      id: file.id,
      participant: { id: file.participantId, name: file.participantName },
      streamId: file.streamId,
      bytes: file.bytes,
      url: recordingFileUrl(file),
      startedAt: file.startedAt,
      endedAt: file.endedAt,
    });
  }
}

@RoomReader('Recording')
@ObjectType('Recording', {
  description: 'A recording of a room: one MP4 file per participant stream (no transcoding).',
})
export class RecordingType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  roomId!: string;

  @Field(() => RecordingState)
  state!: RecordingState;

  @Field(() => DateTimeISO)
  startedAt!: Date;

  @Field(() => DateTimeISO, { nullable: true, description: 'Null while recording.' })
  endedAt!: Date | null;

  @Field(() => [RecordingFileType], {
    description: 'Oldest first; people who joined later have later files.',
  })
  files!: RecordingFileType[];

  static from(recording: RecordingRecord): RecordingType {
    return Object.assign(new RecordingType(), {
      id: recording.id,
      roomId: recording.roomId,
      state: recording.state,
      startedAt: recording.startedAt,
      endedAt: recording.endedAt,
      files: recording.files.map(RecordingFileType.from),
    });
  }
}
