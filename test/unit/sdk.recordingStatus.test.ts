import { RecordingStatus } from '../../client/sdk/RecordingStatus';
import type { RoomEvent, RoomSnapshot } from '../../client/sdk/RoomState';
import type { RecordingInfo } from '../../client/sdk/types';

/** The SDK's recording state: known at join from the room, then from events; said once per change. */
function status() {
  const said: Array<RecordingInfo | null> = [];
  const recording = new RecordingStatus((_event, info) => said.push(info));
  return { recording, said };
}

const event = (type: string, recordingId: string): RoomEvent =>
  ({ sequence: 1, type, at: '2026-12-01T10:00:00.000Z', recordingId }) as unknown as RoomEvent;
const snapshot = (recordings: Array<{ id: string; state: string }>): Pick<RoomSnapshot, 'recordings'> =>
  ({ recordings: recordings.map((r) => ({ ...r, startedAt: '2026-12-01T09:00:00.000Z' })) }) as never;

test('a late joiner learns from the room that it is being recorded; events then start and stop it', () => {
  const { recording, said } = status();
  recording.applySnapshot(
    snapshot([
      { id: 'old', state: 'STOPPED' },
      { id: 'r1', state: 'RECORDING' },
    ]),
  );
  expect(recording.current).toEqual({ id: 'r1', startedAt: '2026-12-01T09:00:00.000Z' });
  // The same recording again (a snapshot after a reconnect, or the replayed event): nothing new said.
  recording.applySnapshot(snapshot([{ id: 'r1', state: 'RECORDING' }]));
  recording.apply(event('RECORDING_STARTED', 'r1'));
  // A stop of another recording does not hide this one.
  recording.apply(event('RECORDING_STOPPED', 'other'));
  expect(recording.current?.id).toBe('r1');
  recording.apply(event('RECORDING_STOPPED', 'r1'));
  expect(recording.current).toBeNull();
  recording.apply(event('RECORDING_STARTED', 'r2'));
  expect(recording.current).toEqual({ id: 'r2', startedAt: '2026-12-01T10:00:00.000Z' });
  // Stopped while the socket was down: the next snapshot says so.
  recording.applySnapshot(snapshot([{ id: 'r2', state: 'STOPPED' }]));
  recording.clear();
  expect(said.map((info) => info?.id ?? null)).toEqual(['r1', null, 'r2', null]);
});
