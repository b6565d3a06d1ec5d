import { MAX_RECEIVE_PAIRS, Publisher } from '../../client/sdk/Publisher';
import { layersFor } from '../../client/sdk/roomBeforeJoin';
import { msidTrackId } from '../../client/sdk/RoomState';

/** Records the transceivers a join offer is made of (kind or track kind, direction, codecs kept). */
function fakePeerConnection() {
  const added: Array<{ kind: string; direction: string; codecs?: string[] }> = [];
  const pc = {
    addTransceiver(trackOrKind: string | { kind: string }, init: { direction: string }) {
      const entry: (typeof added)[number] = {
        kind: typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind,
        direction: init.direction,
      };
      added.push(entry);
      return {
        setCodecPreferences: (codecs: Array<{ mimeType: string }>) =>
          (entry.codecs = codecs.map((codec) => codec.mimeType)),
      };
    },
  };
  return { pc: pc as unknown as RTCPeerConnection, added };
}

const stream = (...kinds: string[]) =>
  ({ getTracks: () => kinds.map((kind) => ({ kind, id: `${kind}-1` })) }) as unknown as MediaStream;

describe('the join offer', () => {
  const capabilities = {
    audio: [{ mimeType: 'audio/opus' }, { mimeType: 'audio/PCMU' }],
    video: [{ mimeType: 'video/VP8' }, { mimeType: 'video/rtx' }, { mimeType: 'video/VP9' }],
  };
  beforeAll(() => {
    (globalThis as { RTCRtpReceiver?: unknown }).RTCRtpReceiver = {
      getCapabilities: (kind: 'audio' | 'video') => ({ codecs: capabilities[kind] }),
    };
  });
  afterAll(() => delete (globalThis as { RTCRtpReceiver?: unknown }).RTCRtpReceiver);

  test('has its own tracks, then a receive-only audio + video pair per stream in the room, with the room codecs only', () => {
    const { pc, added } = fakePeerConnection();
    new Publisher().addLocalStream(pc, stream('audio', 'video'), undefined, 'none', 3, 'VP8');
    expect(added.map((entry) => `${entry.kind} ${entry.direction}`)).toEqual([
      'audio sendonly',
      'video sendonly',
      ...Array.from({ length: 3 }, () => ['audio recvonly', 'video recvonly']).flat(),
    ]);
    expect(added[2]!.codecs).toEqual(['audio/opus']);
    expect(added[3]!.codecs).toEqual(['video/VP8', 'video/rtx']);
  });

  test('caps the pairs, and keeps one receive-only section per kind not sent when the room is empty', () => {
    const many = fakePeerConnection();
    new Publisher().addLocalStream(many.pc, stream('audio', 'video'), undefined, 'none', 50, 'VP8');
    expect(many.added.filter((entry) => entry.direction === 'recvonly')).toHaveLength(2 * MAX_RECEIVE_PAIRS);

    const empty = fakePeerConnection();
    new Publisher().addLocalStream(empty.pc, null, undefined, 'none', 0);
    expect(empty.added.map((entry) => `${entry.kind} ${entry.direction}`)).toEqual([
      'audio recvonly',
      'video recvonly',
    ]);
  });

  test('layers follow the room read before the join', () => {
    expect(layersFor({ settings: { simulcast: true, videoCodec: 'VP8' }, streams: 0 }, 'auto')).toBe(
      'simulcast',
    );
    expect(layersFor({ settings: { simulcast: true, videoCodec: 'VP9' }, streams: 0 }, 'auto')).toBe('svc');
    expect(layersFor({ settings: 'defaults', streams: 0 }, 'auto')).toBe('simulcast');
    expect(layersFor({ settings: null, streams: 0 }, 'auto')).toBe('none');
    expect(layersFor({ settings: null, streams: 0 }, true)).toBe('simulcast');
  });
});

test('a received track is known by the msid of its media section', () => {
  const sdp = [
    'v=0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=mid:0',
    'a=recvonly',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'a=mid:3',
    'a=sendonly',
    'a=msid:stream-1 camera-of-ada',
    '',
  ].join('\r\n');
  expect(msidTrackId(sdp, '3')).toBe('camera-of-ada');
  expect(msidTrackId(sdp, '0')).toBeUndefined();
  expect(msidTrackId(sdp, '30')).toBeUndefined();
  expect(msidTrackId(undefined, '3')).toBeUndefined();
});
