import { ChildParticipant } from '../helpers/childParticipant';
import { TestParticipant } from '../helpers/participant';
import { recordRoomEvents } from '../helpers/roomEvents';
import { startTestServer, type TestServer } from '../helpers/server';

/** How many freezes and blips to measure (the issue's closing numbers use FREEZES=10 BLIPS=20). */
const FREEZES = Number(process.env.FREEZES ?? 3);
const BLIPS = Number(process.env.BLIPS ?? 3);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

describe('presence: frozen participants and blips (child processes, SIGSTOP)', () => {
  let server: TestServer;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    server = await startTestServer({ env: { PARTICIPANT_TIMEOUT_MS: '4000' } });
  }, 120_000);
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await server?.dispose();
  }, 60_000);

  test('a frozen participant: PARTICIPANT_RECONNECTING, then PARTICIPANT_LEFT with CONNECTION_LOST within 5 s', async () => {
    const watcher = await TestParticipant.join(server, 'freeze', 'watcher');
    cleanup.push(() => watcher.close());
    const { seen, ready } = recordRoomEvents(server, 'freeze');
    await ready;
    const detection: number[] = [];
    for (let n = 0; n < FREEZES; n++) {
      const frozen = await ChildParticipant.join(server.url, 'freeze', `frozen-${n}`);
      cleanup.push(() => frozen.stop());
      await watcher.peer
        .waitFor(
          () => watcher.peer.received(frozen.streamId).video > 5,
          15_000,
          `watcher receiving frozen-${n}`,
        )
        .catch((error: unknown) => {
          const room = server.app.conference.participantsOf('freeze');
          throw new Error(
            `${String(error)}; errors ${JSON.stringify(watcher.errors)}; offers ${watcher.offers}; ` +
              `room ${room.map((p) => `${p.name}:${p.reconnecting}:${p.pendingOffer?.revision}`)}; ` +
              `received ${JSON.stringify(watcher.peer.received(frozen.streamId))} ${watcher.peer.remoteStreamIds()}`,
          );
        });
      const frozenAt = Date.now();
      frozen.freeze();
      await until(
        () => seen.some((event) => event.type === 'PARTICIPANT_LEFT' && event.participantId === frozen.id),
        10_000,
        `frozen-${n} to be removed`,
      );
      const mine = seen.filter((event) => event.participantId === frozen.id && event.at >= frozenAt);
      const left = mine.find((event) => event.type === 'PARTICIPANT_LEFT')!;
      expect(left.reason).toBe('CONNECTION_LOST');
      expect(mine.map((event) => event.type).filter((type) => type.startsWith('PARTICIPANT_'))).toEqual([
        'PARTICIPANT_RECONNECTING',
        'PARTICIPANT_LEFT',
      ]);
      detection.push(left.at - frozenAt);
      await frozen.stop();
    }
    console.info(
      `freeze -> PARTICIPANT_LEFT over ${FREEZES}: p50 ${percentile(detection, 50)} ms, max ${Math.max(...detection)} ms (${detection.join(', ')})`,
    );
    expect(Math.max(...detection)).toBeLessThanOrEqual(5_000);
    // The watcher was never affected.
    expect(server.app.conference.participantsOf('freeze').map((p) => p.name)).toEqual(['watcher']);
  }, 120_000);

  test('a 2 s freeze then SIGCONT: PARTICIPANT_RECONNECTED, nobody leaves, media resumes', async () => {
    const watcher = await TestParticipant.join(server, 'blip', 'watcher');
    cleanup.push(() => watcher.close());
    const blipping = await ChildParticipant.join(server.url, 'blip', 'blipping');
    cleanup.push(() => blipping.stop());
    await watcher.peer.waitFor(
      () => watcher.peer.received(blipping.streamId).video > 5,
      15_000,
      'watcher receiving blipping',
    );
    const { seen, ready } = recordRoomEvents(server, 'blip');
    await ready;
    let reconnected = 0;
    const stalls: string[] = [];
    for (let n = 0; n < BLIPS; n++) {
      const frozenAt = Date.now();
      blipping.freeze();
      await sleep(2_000);
      blipping.thaw();
      await until(
        () => seen.some((event) => event.type === 'PARTICIPANT_RECONNECTED' && event.at >= frozenAt),
        3_000,
        `PARTICIPANT_RECONNECTED after blip ${n}`,
      );
      reconnected++;
      const before = watcher.peer.received(blipping.streamId);
      const resumed = await watcher.peer
        .waitFor(
          () => {
            const now = watcher.peer.received(blipping.streamId);
            return now.audio > before.audio + 10 && now.video > before.video + 5;
          },
          5_000,
          `media from blipping after blip ${n}`,
        )
        .then(
          () => true,
          () => false,
        );
      if (!resumed) {
        const present = server.app.conference.participantsOf('blip').find((p) => p.id === blipping.id);
        stalls.push(
          `blip ${n}: ${JSON.stringify(before)} -> ${JSON.stringify(watcher.peer.received(blipping.streamId))}, ` +
            `present ${!!present}, inbound ${JSON.stringify(present?.peer.stats().inbound.map((t) => t.packets))}`,
        );
      }
      await sleep(1_000);
    }
    // Nobody was removed by any blip; the reconnecting state came and went each time.
    await sleep(1_000);
    expect(seen.filter((event) => event.type === 'PARTICIPANT_LEFT')).toEqual([]);
    expect(seen.filter((event) => event.type === 'PARTICIPANT_RECONNECTING')).toHaveLength(BLIPS);
    expect(seen.filter((event) => event.type === 'PARTICIPANT_RECONNECTED')).toHaveLength(BLIPS);
    expect(server.app.conference.participant(blipping.id).reconnecting).toBe(false);
    expect(server.app.conference.participantsOf('blip')).toHaveLength(2);
    console.info(
      `blips of 2 s: ${BLIPS}, reconnected ${reconnected}, false removals 0, media stalls ${stalls.length}`,
    );
    // Media resumed after every blip (within 5 s, on a loaded machine).
    expect(stalls).toEqual([]);
  }, 180_000);

  test('resume: a dropped signaling connection comes back within the timeout, gets the pending offer, nobody leaves', async () => {
    const ann = await TestParticipant.join(server, 'resume', 'ann');
    const ben = await TestParticipant.join(server, 'resume', 'ben');
    cleanup.push(
      () => ann.close(),
      () => ben.close(),
    );
    await ann.waitForMediaFrom([ben]);
    const { seen, ready } = recordRoomEvents(server, 'resume');
    await ready;
    await ann.dropSignaling();
    // While ann is away, carol joins: ann's offer for her waits as the pending offer.
    const carol = await TestParticipant.join(server, 'resume', 'carol');
    cleanup.push(() => carol.close());
    await until(
      () => server.app.conference.participant(ann.id).pendingOffer !== null,
      5_000,
      'an offer for ann',
    );
    await sleep(2_500);
    expect(server.app.conference.participant(ann.id).reconnecting).toBe(true);
    ann.subscribe();
    await ann.waitForMediaFrom([ben, carol]);
    await sleep(500);
    const annEvents = seen.filter((event) => event.participantId === ann.id).map((event) => event.type);
    expect(annEvents).toEqual(['PARTICIPANT_RECONNECTING', 'PARTICIPANT_RECONNECTED']);
    expect(seen.filter((event) => event.type === 'PARTICIPANT_LEFT')).toEqual([]);
    expect(server.app.conference.participant(ann.id).reconnecting).toBe(false);
    expect(ann.errors).toEqual([]);
  }, 60_000);
});
