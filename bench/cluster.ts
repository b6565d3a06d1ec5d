/**
 * The cluster scenario: two nodes of ours on Redis and PostgreSQL (there is no cluster baseline).
 * It compares join -> answer through the node holding the room with the same through the other node
 * (forwarded: the ratio is the cost of forwarding), and measures, after a SIGKILL of the holder, how
 * long until a join through the survivor works again and its participant receives media.
 */
import { randomBytes } from 'node:crypto';
import { type Target, targetFor } from './lib/clients';
import { sleep, summarize, type Summary, until } from './lib/measure';
import { startServer } from './lib/servers';
import type { Log } from './scenarios';

export interface ClusterOptions {
  /** Sequential joins through each node (each followed by a leave). */
  joins: number;
  databaseUrl: string;
  redisUrl: string;
}

export interface ClusterResult {
  /** join -> answer with the holder answering itself. */
  ownerJoinMs: Summary;
  /** join -> answer through the other node (forwarded to the holder). */
  forwardedJoinMs: Summary;
  /** SIGKILL of the holder -> the first join through the survivor answered. */
  deathToJoinMs: number | null;
  /** SIGKILL of the holder -> that participant's first packet from another one who joined after. */
  deathToMediaMs: number | null;
  errors: number;
}

export async function clusterScenario(options: ClusterOptions, log: Log): Promise<ClusterResult> {
  const prefix = `bench-${randomBytes(4).toString('hex')}:`;
  const env = (id: string) => ({
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: prefix,
    // A schema of its own: other runs' open rooms would be taken over by these nodes.
    DATABASE_URL: `${options.databaseUrl}${options.databaseUrl.includes('?') ? '&' : '?'}schema=${prefix.slice(0, -1).replace('-', '_')}`,
    NODE_ID: id,
    MUTATIONS_PER_SECOND_PER_PARTICIPANT: '0',
  });
  const holderNode = await startServer('ours', { env: env('bench-a') });
  const otherNode = await startServer('ours', { env: env('bench-b') });
  const holder = targetFor(holderNode);
  const other = targetFor(otherNode);
  let errors = 0;
  try {
    const roomId = `bench-cluster-${prefix.slice(6, 14)}`;
    await holder.createRoom(roomId);
    // A resident, so the room stays live and every join is a join into a live room.
    const resident = await holder.join(roomId, 'resident');
    const owner: number[] = [];
    const forwarded: number[] = [];
    for (let n = 0; n < options.joins; n++) {
      for (const [target, samples] of [
        [holder, owner],
        [other, forwarded],
      ] as Array<[Target, number[]]>) {
        try {
          const participant = await target.join(roomId, `p${n}`);
          samples.push(participant.answerAt - participant.joinSentAt);
          await participant.leave();
        } catch (error) {
          errors++;
          log(`cluster: join failed: ${String(error)}`);
        }
      }
    }
    log(`cluster: ${owner.length} + ${forwarded.length} joins measured`);
    await resident.close();

    const killedAt = performance.now();
    process.kill(holderNode.pid, 'SIGKILL');
    let deathToJoinMs: number | null = null;
    let deathToMediaMs: number | null = null;
    let first: Awaited<ReturnType<Target['join']>> | undefined;
    while (performance.now() - killedAt < 20_000 && !first) {
      try {
        first = await other.join(roomId, 'after-death');
        deathToJoinMs = Math.round(first.answerAt - killedAt);
      } catch {
        await sleep(100);
      }
    }
    if (first) {
      const second = await other.join(roomId, 'after-death-2');
      if (await until(() => first!.probe.firstPacketAt(second.streamId) > 0, 15_000)) {
        deathToMediaMs = Math.round(first.probe.firstPacketAt(second.streamId) - killedAt);
      }
      await second.close();
      await first.close();
    }
    log(`cluster: death -> join ${deathToJoinMs} ms, -> media ${deathToMediaMs} ms`);
    return {
      ownerJoinMs: summarize(owner),
      forwardedJoinMs: summarize(forwarded),
      deathToJoinMs,
      deathToMediaMs,
      errors,
    };
  } finally {
    await holder.closeAll();
    await other.closeAll();
    await otherNode.stop();
    await holderNode.stop().catch(() => undefined);
  }
}
