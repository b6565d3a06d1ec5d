/**
 * `window.sfu`, for the browser tests and the curious: the client, the peer connection, per stream
 * decode statistics, hand-picked simulcast layers, the connection states seen. Bundled only in test
 * builds (`node scripts/build-client.mjs --test-hooks`, as test/helpers/browser.ts does).
 */
import { current, layers } from './session';

interface StreamStats {
  streamId: string;
  participantId: string;
  participantName: string;
  framesDecoded: number;
  audioPacketsReceived: number;
  /** Size of the last decoded video frame (0 before the first). */
  frameWidth: number;
  frameHeight: number;
}

interface InboundStats {
  framesDecoded?: number;
  packetsReceived?: number;
  frameWidth?: number;
  frameHeight?: number;
}

/** Per remote stream: video frames decoded and their size, audio packets received (from getStats()). */
async function streamStats(): Promise<StreamStats[]> {
  const client = current.session?.client;
  if (!client?.peerConnection) return [];
  // Per receiver, not by track id: a stream published anew reuses its track ids, and the old
  // receiver's statistics stay in the report next to the new one's.
  const pc = client.peerConnection;
  const byTrack = new Map<MediaStreamTrack, InboundStats>();
  await Promise.all(
    pc.getReceivers().map(async (receiver) => {
      (await receiver.getStats()).forEach((report: InboundStats & { type: string }) => {
        if (report.type === 'inbound-rtp') byTrack.set(receiver.track, report);
      });
    }),
  );
  return client.remoteStreams.map((remote) => {
    let framesDecoded = 0;
    let audioPacketsReceived = 0;
    let frameWidth = 0;
    let frameHeight = 0;
    for (const track of remote.stream.getTracks()) {
      const stats = byTrack.get(track);
      if (!stats) continue;
      if (track.kind === 'video') {
        framesDecoded += stats.framesDecoded ?? 0;
        frameWidth = Math.max(frameWidth, stats.frameWidth ?? 0);
        frameHeight = Math.max(frameHeight, stats.frameHeight ?? 0);
      } else audioPacketsReceived += stats.packetsReceived ?? 0;
    }
    return {
      streamId: remote.id,
      participantId: remote.participant.id,
      participantName: remote.participant.name,
      framesDecoded,
      audioPacketsReceived,
      frameWidth,
      frameHeight,
    };
  });
}

export function installTestHooks(): void {
  Object.assign(window, {
    sfu: {
      get client() {
        return current.session?.client;
      },
      get pc() {
        return current.session?.client.peerConnection;
      },
      streamStats,
      setPreferredLayer: (streamId: string, spatial: number | null, temporal: number | null = null) =>
        layers.setPreferred(streamId, spatial, temporal),
      /** State changes seen so far. */
      states: current.states,
    },
  });
}
