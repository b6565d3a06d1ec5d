import type { RoomEvent, RoomSnapshot } from '../../client/sdk/RoomState';
import { RoomState } from '../../client/sdk/RoomState';

/** RoomState with its emitted events recorded as `event:participant-id:detail`. */
function roomState() {
  const said: string[] = [];
  const state = new RoomState(
    (event, ...args) => {
      const [first, second] = args as unknown[];
      const id = (first as { id?: string } | null)?.id ?? '-';
      said.push(`${event}:${id}${second === undefined ? '' : `:${String(second)}`}`);
    },
    () => undefined,
  );
  state.selfId = 'me';
  return { state, said };
}

let sequence = 0;
const event = (type: string, participantId: string, participantName: string | null = null): RoomEvent =>
  ({
    sequence: ++sequence,
    type,
    at: new Date().toISOString(),
    participantId,
    participantName,
    streamId: null,
    trackId: null,
    reason: null,
    attributes: null,
    recordingId: null,
    message: null,
  }) as RoomEvent;

const snapshot = (participants: Array<{ id: string; reconnecting: boolean }>): RoomSnapshot =>
  ({
    id: 'r',
    name: 'r',
    open: true,
    maxParticipants: 16,
    videoCodec: 'VP8',
    recordings: [],
    participants: participants.map((p) => ({ ...p, name: p.id, attributes: {}, streams: [] })),
  }) as RoomSnapshot;

test('PARTICIPANT_RECONNECTING / RECONNECTED set ParticipantInfo.reconnecting and say participantReconnecting once each', () => {
  const { state, said } = roomState();
  state.apply(event('PARTICIPANT_JOINED', 'bob', 'Bob'));
  expect(state.participants[0]!.reconnecting).toBe(false);
  state.apply(event('PARTICIPANT_RECONNECTING', 'bob'));
  state.apply(event('PARTICIPANT_RECONNECTING', 'bob')); // replayed: no second notice
  expect(state.participants[0]!.reconnecting).toBe(true);
  state.apply(event('PARTICIPANT_RECONNECTED', 'bob'));
  expect(state.participants[0]!.reconnecting).toBe(false);
  expect(said).toEqual([
    'participantJoined:bob',
    'participantReconnecting:bob:true',
    'participantReconnecting:bob:false',
  ]);
});

test('never about yourself, nor about someone not (or no longer) in the room', () => {
  const { state, said } = roomState();
  state.apply(event('PARTICIPANT_RECONNECTING', 'me'));
  state.apply(event('PARTICIPANT_RECONNECTING', 'ghost'));
  state.apply(event('PARTICIPANT_JOINED', 'bob', 'Bob'));
  state.apply(event('PARTICIPANT_RECONNECTING', 'bob'));
  state.apply(event('PARTICIPANT_LEFT', 'bob'));
  state.apply(event('PARTICIPANT_RECONNECTED', 'bob'));
  expect(said).toEqual([
    'participantJoined:bob',
    'participantReconnecting:bob:true',
    'participantLeft:bob:null',
  ]);
});

test('the room query says who is reconnecting (arriving, or back after a dropped socket)', () => {
  const { state, said } = roomState();
  state.applySnapshot(
    snapshot([
      { id: 'me', reconnecting: true },
      { id: 'bob', reconnecting: true },
      { id: 'cy', reconnecting: false },
    ]),
  );
  expect(state.participants.map((p) => [p.id, p.reconnecting])).toEqual([
    ['bob', true],
    ['cy', false],
  ]);
  // Bob came back while our socket was down: the next snapshot clears it.
  state.applySnapshot(
    snapshot([
      { id: 'bob', reconnecting: false },
      { id: 'cy', reconnecting: false },
    ]),
  );
  expect(said).toEqual([
    'participantJoined:bob',
    'participantReconnecting:bob:true',
    'participantJoined:cy',
    'participantReconnecting:bob:false',
  ]);
});
