import { clusterPrefix } from '../helpers/clusterNodes';
import { RedisLink } from '../../src/cluster/RedisLink';
import { RoomLeases } from '../../src/cluster/RoomLeases';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Room leases on a real Redis (under a prefix of this file's own). A drained node hands its rooms
 * over and must not take one back: an operation another node forwarded to it just before the hand-
 * over would otherwise load the room it asks for there, on a node about to exit (seen in
 * e2e/cluster.drain: both pages rejoined on the drained node and were dropped when it exited).
 */
describe('room leases', () => {
  let links: RedisLink[];
  let a: RoomLeases;
  let b: RoomLeases;

  beforeEach(async () => {
    const prefix = clusterPrefix();
    links = [new RedisLink(REDIS_URL, prefix), new RedisLink(REDIS_URL, prefix)];
    await Promise.all(links.map((link) => link.connect()));
    a = new RoomLeases(links[0]!, 'a');
    b = new RoomLeases(links[1]!, 'b');
  });

  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
    for (const link of links) link.close();
  });

  test('one holder at a time; a released room is free for the next', async () => {
    expect(await a.claim('r')).toBe(true);
    expect(await b.claim('r')).toBe(false);
    expect(await b.owner('r')).toBe('a');
    await a.release('r');
    expect(await b.owner('r')).toBeNull();
    expect(await b.claim('r')).toBe(true);
    expect(await a.owner('r')).toBe('b');
  });

  test('a draining node takes no room, not even one it just let go, and keeps the ones it holds', async () => {
    expect(await a.claim('held')).toBe(true);
    expect(await a.claim('moving')).toBe(true);
    a.refuseNewClaims();
    await a.release('moving');
    // Free in Redis, but not for the draining node.
    expect(await a.owner('moving')).toBeNull();
    expect(await a.claim('moving')).toBe(false);
    expect(await a.claim('never-held')).toBe(false);
    expect(await a.owner('moving')).toBeNull();
    // What it still holds stays its own until it hands it over.
    expect(await a.claim('held')).toBe(true);
    expect(await b.claim('held')).toBe(false);
    expect(await b.claim('moving')).toBe(true);
  });
});
