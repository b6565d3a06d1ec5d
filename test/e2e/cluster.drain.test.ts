/**
 * A drained node's room moves under a Chromium participant using the page (issue 16): SIGTERM on
 * the node holding the room, the page gets ROOM_MOVED with the other node's URL on its negotiation
 * subscription, joins the room again there by itself, and decodes video again, without a click.
 * As in a rolling restart, the node the room moves to starts after Ada's page loaded: the page's
 * content security policy, fixed at load, must let it reach a node it was not told about.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, until } from '../helpers/browser';
import { type ClusterNode, clusterDatabase, clusterPrefix, startNode } from '../helpers/clusterNodes';
import { joinRoom, screenshot } from '../helpers/page';
import { POSTGRES_URL } from '../helpers/server';

jest.setTimeout(150_000);

interface StreamStats {
  participantId: string;
  framesDecoded: number;
}
type Sfu = { sfu: { streamStats(): Promise<StreamStats[]>; client: { participantId: string | null } } };

const run = POSTGRES_URL ? describe : describe.skip;

run('draining a cluster node under the page', () => {
  let browser: Browser;
  const database = clusterDatabase(POSTGRES_URL ?? '');
  let a: ClusterNode | undefined;
  let b: ClusterNode | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 120_000);

  /** Nodes of the test's own, under a fresh prefix. */
  async function freshNodes(): Promise<{ a: ClusterNode; options: { databaseUrl: string; prefix: string } }> {
    for (const node of [a, b]) {
      await node?.disconnect();
      await node?.kill();
    }
    b = undefined;
    const options = { databaseUrl: database.url, prefix: clusterPrefix() };
    a = await startNode('drain-a', options);
    return { a, options };
  }

  afterAll(async () => {
    await browser?.close();
    for (const node of [a, b]) {
      await node?.disconnect();
      await node?.kill();
    }
    await database.drop();
  }, 60_000);

  const framesFrom = async (page: Page, participantId: string) =>
    (await page.evaluate(() => (window as unknown as Sfu).sfu.streamStats()))
      .filter((stream) => stream.participantId === participantId)
      .reduce((sum, stream) => sum + stream.framesDecoded, 0);
  const selfId = (page: Page) => page.evaluate(() => (window as unknown as Sfu).sfu.client.participantId);

  it('moves the call to the other node, and the page follows by itself', async () => {
    const { a, options } = await freshNodes();
    const roomId = `drain-${randomUUID().slice(0, 8)}`;
    const created = await a.gql(`mutation ($id: ID!) { createRoom(input: { id: $id }) { node { id } } }`, {
      id: roomId,
    });
    expect(created.data).toEqual({ createRoom: { node: { id: 'drain-a' } } });
    const page = await joinRoom(browser, a.url, roomId, 'Ada');
    const other = await startNode('drain-b', options);
    b = other;
    // Bob's page is served by the other node: his calls cross nodes from the start.
    const bobPage = await joinRoom(browser, other.url, roomId, 'Bob');
    const [ada, bob] = [await selfId(page), await selfId(bobPage)];
    await until(
      'Ada decodes Bob',
      () => framesFrom(page, bob!),
      (frames) => frames > 10,
    );
    await until(
      'Bob decodes Ada',
      () => framesFrom(bobPage, ada!),
      (frames) => frames > 10,
    );

    expect(await a.terminate()).toBe(0);
    const [ada2, bob2] = await Promise.all(
      [page, bobPage].map((joined, index) =>
        until(
          `${index ? 'Bob' : 'Ada'} joined again`,
          () => selfId(joined),
          (id) => !!id && id !== [ada, bob][index],
          20_000,
        ),
      ),
    );
    await until(
      'Ada decodes Bob on the other node',
      () => framesFrom(page, bob2!),
      (frames) => frames > 10,
      20_000,
    );
    await until(
      'Bob decodes Ada on the other node',
      () => framesFrom(bobPage, ada2!),
      (frames) => frames > 10,
      20_000,
    );
    const room = await other.gql<{
      room: { node: { id: string }; participants: Array<{ id: string; name: string }> };
    }>(`query ($id: ID!) { room(id: $id) { node { id } participants { id name } } }`, { id: roomId });
    expect(room.data?.room.node.id).toBe('drain-b');
    expect(room.data?.room.participants.map((participant) => participant.id).sort()).toEqual(
      [ada2, bob2].sort(),
    );
    // The drained node never took the room back. It did, about once in 15 runs: a rejoin that B
    // had routed to A just before A let the room go loaded it on A again, and both pages were
    // dropped when A exited (now A refuses it, ROOM_ELSEWHERE, and B routes the join again).
    expect(
      a
        .log()
        .split('\n')
        .filter((line) => line.includes('"room.opened"')),
    ).toHaveLength(1);
    expect(await page.isVisible('#room-view')).toBe(true);
    await screenshot(page, 'cluster-after-drain');
  });
});
