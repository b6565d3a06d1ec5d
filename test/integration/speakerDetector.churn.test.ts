/**
 * Removing a speaker while its audio flows must not hang the server. medooze 1.156's
 * ActiveSpeakerDetectorFacade::RemoveIncomingSourceGroup held the facade's mutex while it waited
 * for the event loop to drop its RTP listener, and that loop could be in the facade's onRTP
 * waiting for the same mutex: the whole process hung (seen in benchmarks and join/leave cycles).
 * scripts/medooze-patches/active-speaker-remove-without-lock.patch fixes it.
 *
 * The media server runs in a child process (test/helpers/speakerChurnMain.ts) so that a deadlock
 * stalls it, not jest: the child reports every batch of remove/add cycles, and a stall of
 * STALL_MS fails the test and kills it. The werift peers sending audio (with the audio level
 * extension, which is what makes onRTP take the mutex) run here, so they keep sending while the
 * child's main thread is busy removing and adding speakers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { bundleMain } from '../helpers/bundleMain';
import { root } from '../helpers/process';
import { TestPeer } from '../helpers/weriftPeer';

const PEERS = 4;
const CYCLES = 3000;
const BATCH = 50;
/** Measured: a batch takes well under a second (4 removes + 4 adds per cycle, 2 busy cores). */
const STALL_MS = 10_000;

type Reply = { answer?: string; tracks?: number; cycles?: number; done?: boolean };

describe('the active speaker detector under remove/add churn with audio flowing', () => {
  let dir: string;
  let child: ChildProcess;
  const peers: TestPeer[] = [];
  const replies: Reply[] = [];
  let waiting: ((reply: Reply) => void) | undefined;

  const send = (message: object) => child.stdin?.write(`${JSON.stringify(message)}\n`);
  const next = (timeoutMs: number) =>
    new Promise<Reply | undefined>((resolve) => {
      const queued = replies.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(() => {
        waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      waiting = (reply) => {
        clearTimeout(timer);
        waiting = undefined;
        resolve(reply);
      };
    });

  beforeAll(() => {
    const bundle = bundleMain('speakerChurnMain.ts');
    dir = path.dirname(bundle);
    child = spawn(process.execPath, [bundle], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        // SPEAKER_CHURN_NODE_PATH: another medooze build first (how the fix was measured against the old one).
        NODE_PATH: [process.env.SPEAKER_CHURN_NODE_PATH, path.join(root, 'node_modules')]
          .filter(Boolean)
          .join(path.delimiter),
        LOG_LEVEL: 'warn',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return; // medooze's own log lines
      const reply = JSON.parse(line) as Reply;
      if (waiting) waiting(reply);
      else replies.push(reply);
    });
  });

  afterAll(async () => {
    child.kill('SIGKILL');
    await Promise.all(peers.map((peer) => peer.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${CYCLES} cycles of removing and adding back ${PEERS} talking speakers finish, none stalls ${STALL_MS / 1000} s`, async () => {
    for (let i = 0; i < PEERS; i++) {
      const peer = new TestPeer({ publish: { audio: true, video: false } });
      peer.audioLevel = i % 2 ? 20 : 60; // talking, two louder: the detector has changes to make
      peers.push(peer);
      send({ offer: await peer.createOffer() });
      const reply = await next(10_000);
      expect(reply?.tracks).toBe(1);
      await peer.acceptAnswer(reply!.answer!);
    }
    await Promise.all(
      peers.map((peer) => peer.waitFor(() => peer.connectionState === 'connected', 10_000, 'connected')),
    );

    send({ churn: CYCLES, batch: BATCH });
    let cycles = 0;
    for (;;) {
      const reply = await next(STALL_MS);
      if (!reply) break;
      if (reply.done) break;
      cycles = reply.cycles ?? cycles;
    }
    // A stall is medooze's lock-order deadlock (the child is killed in afterAll).
    expect({ cycles, stalled: cycles < CYCLES }).toEqual({ cycles: CYCLES, stalled: false });
  }, 120_000);
});
