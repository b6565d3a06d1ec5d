/**
 * Live cues on the tiles: an audio-level ring (remote levels from the receivers' RTP audio levels,
 * yours from a meter), "you are muted" when you talk while muted, and connection-quality bars from
 * the quality samples the server stores.
 */
import type { QualitySample } from '../sdk';
import { startMeter } from './meter';
import { clearNotice, showNotice } from './notices';
import { current, layout } from './session';

let localMeter: { track: MediaStreamTrack; stop: () => void } | null = null;
let hintShownAt = 0;

function localLevels(): void {
  const track = current.session?.local?.getAudioTracks()[0];
  if (localMeter?.track === track) return;
  localMeter?.stop();
  localMeter = null;
  if (!track) return;
  // A clone stays enabled while the sent track is muted: talking while muted is noticed.
  const probe = track.clone();
  probe.enabled = true;
  const stopMeter = startMeter(new MediaStream([probe]), (level) => {
    const muted = !track.enabled;
    layout.tiles.get('local')?.setLevel(muted ? 0 : level);
    if (muted && level > 0.35 && Date.now() - hintShownAt > 10_000) {
      hintShownAt = Date.now();
      showNotice('muted-hint', 'You are muted: press M (or the microphone button) to speak.', {
        timeoutMs: 5000,
      });
    }
  });
  localMeter = {
    track,
    stop: () => {
      stopMeter();
      probe.stop();
      clearNotice('muted-hint');
    },
  };
}

function remoteLevels(): void {
  const pc = current.session?.client.peerConnection;
  if (!pc) return;
  const levels = new Map<string, number>();
  for (const receiver of pc.getReceivers()) {
    if (receiver.track.kind !== 'audio') continue;
    const level = receiver.getSynchronizationSources?.()[0]?.audioLevel ?? 0;
    levels.set(receiver.track.id, level);
  }
  for (const tile of layout.tiles.values()) {
    if (tile.local) continue;
    const audio = tile.stream?.getAudioTracks()[0];
    // RTP audio levels are linear 0-1 where speech is around 0.05-0.3.
    tile.setLevel(Math.min(1, Math.sqrt(audio ? (levels.get(audio.id) ?? 0) : 0) * 1.5));
  }
}

/** 3 bars: loss under 2 % and RTT under 150 ms; 2: loss under 8 % and RTT under 400 ms; else 1. */
export function barsFor(sample: QualitySample | undefined): number {
  if (!sample) return 0;
  if (sample.lossIn < 0.02 && sample.rtt < 150) return 3;
  if (sample.lossIn < 0.08 && sample.rtt < 400) return 2;
  return 1;
}

async function qualityBars(): Promise<void> {
  const s = current.session;
  if (!s || document.hidden) return;
  const histories = await s.client.qualityHistories(1).catch(() => null);
  if (!histories || current.session !== s) return;
  for (const tile of layout.tiles.values()) {
    if (tile.kind !== 'camera') continue;
    const id = tile.local ? s.client.participantId : tile.participantId;
    tile.setQuality(barsFor(histories.get(id ?? '')?.at(-1)));
  }
}

export function startCues(): void {
  setInterval(() => {
    if (!current.session) {
      localMeter?.stop();
      localMeter = null;
      return;
    }
    localLevels();
    remoteLevels();
  }, 150);
  setInterval(() => void qualityBars(), 10_000);
}
