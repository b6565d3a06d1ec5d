/**
 * A media server in a process of its own for test/integration/speakerDetector.churn.test.ts: our
 * MediaEngine and one room's SpeakerDetector, whose speakers it removes and adds back as fast as
 * it can while their audio flows, so a deadlock in medooze hangs this process, not jest.
 *
 * stdin/stdout, one JSON line each:
 *   in  { offer }                        -> out { answer }  (a peer; its tracks published)
 *   in  { churn: cycles, batch }         -> out { cycles: done } after every batch, then { done }
 * A cycle forgets every peer (removeSpeaker on each audio track) and follows it again (addSpeaker).
 * Between batches it yields to the event loop (setImmediate): medooze's callbacks to JavaScript
 * (active speaker changes) queue up otherwise.
 */
import { createInterface } from 'node:readline';
import type { MediaPeerListener } from '../../src/conference/ports';
import type { MediaPeer } from '../../src/media/MediaPeer';
import { MediaEngine } from '../../src/media/MediaEngine';

const engine = new MediaEngine({ announcedIp: '127.0.0.1' });
engine.start();
const peers: MediaPeer[] = [];
const listener: MediaPeerListener = {
  onPublishedChanged: () => undefined,
  onRenegotiationNeeded: () => undefined,
  onLost: () => undefined,
};
let changes = 0;
const detector = engine.createSpeakerDetector(() => changes++);

const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

function churn(cycles: number, batch: number, done = 0): void {
  const end = Math.min(cycles, done + batch);
  for (; done < end; done++) {
    for (const peer of peers) detector.forget(peer);
    for (const peer of peers) detector.follow(peer);
  }
  say({ cycles: done, changes });
  if (done < cycles) setImmediate(() => churn(cycles, batch, done));
  else say({ done: true });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line) as { offer?: string; churn?: number; batch?: number };
  if (message.offer !== undefined) {
    const peer = engine.create(engine.parseDescription(message.offer), { videoCodec: 'VP8', listener });
    peers.push(peer);
    const answer = peer.createAnswer();
    detector.follow(peer);
    say({ answer, tracks: engine.publicationsOf(peer.id).flatMap((p) => p.audioTracks()).length });
  } else if (message.churn !== undefined) {
    churn(message.churn, message.batch ?? 50);
  }
});
