/** What the scenarios share: joining and leaving werift participants, settling, fresh room ids. */
import { TestPeer } from '../../test/helpers/weriftPeer';
import type { BenchParticipant, Target } from '../lib/clients';
import { sleep } from '../lib/measure';

export type Log = (line: string) => void;

export const RECEIVE_ONLY = { publish: { audio: false, video: false } };

/** Waits until every participant has answered every offer it got and none came for `quietMs`. */
export async function settle(
  participants: BenchParticipant[],
  timeoutMs = 15_000,
  quietMs = 300,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastOffers = -1;
  let quietSince = performance.now();
  while (performance.now() < deadline) {
    const offers = participants.reduce((sum, p) => sum + p.offersAt.length, 0);
    const answered = participants.reduce((sum, p) => sum + p.answered(), 0);
    if (offers !== lastOffers) {
      lastOffers = offers;
      quietSince = performance.now();
    } else if (answered >= offers && performance.now() - quietSince >= quietMs) {
      return;
    }
    await sleep(20);
  }
}

/** Leaves everyone; resolves with how many leaves failed (timed out or were refused). */
export async function leaveAll(participants: BenchParticipant[]): Promise<number> {
  const outcomes = await Promise.allSettled(participants.map((p) => p.leave()));
  return outcomes.filter((outcome) => outcome.status === 'rejected').length;
}

export async function joinMany(
  target: Target,
  roomId: string,
  count: number,
  options: ConstructorParameters<typeof TestPeer>[0],
  batch = 5,
): Promise<BenchParticipant[]> {
  const joined: BenchParticipant[] = [];
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    joined.push(
      ...(await Promise.all(
        Array.from({ length: size }, (_, k) => target.join(roomId, `p${i + k}`, options)),
      )),
    );
  }
  return joined;
}

export function errorCount(participants: BenchParticipant[]): number {
  return participants.reduce((sum, p) => sum + p.errors.length, 0);
}

/**
 * A tag that makes a scenario's room ids new to the database. On PostgreSQL the rooms of earlier
 * passes and runs are still there, left open by a server that was stopped: a join into one of them
 * loads it (three reads) where a join into a new room inserts it, and the baseline, holding
 * nothing, always creates. Every pass and run must therefore use ids never used before.
 */
export function runTag(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
