import type { Participant } from '../../conference/Participant';
import type { PublishedStream } from '../../conference/ports';
import { GrantsType, ParticipantType, StreamType, TrackKind, TrackType } from './participant.type';

/** Maps a live participant to its GraphQL shape (streams point back at their participant). */
export function toParticipantType(participant: Participant, streams: PublishedStream[]): ParticipantType {
  const type = Object.assign(new ParticipantType(), {
    id: participant.id,
    name: participant.name,
    roomId: participant.roomId,
    joinedAt: participant.joinedAt,
    identity: participant.identity,
    reconnecting: participant.reconnecting,
    grants: Object.assign(new GrantsType(), participant.grants),
    attributes: { ...participant.attributes },
  });
  type.streams = streams.map((stream) =>
    Object.assign(new StreamType(), {
      id: stream.id,
      participant: type,
      tracks: stream.tracks.map((track) =>
        Object.assign(new TrackType(), {
          id: track.id,
          kind: track.kind === 'audio' ? TrackKind.AUDIO : TrackKind.VIDEO,
          muted: participant.isMuted(track.id),
        }),
      ),
    }),
  );
  return type;
}
