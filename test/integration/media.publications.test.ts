import type { MediaPeer } from '../../src/media/MediaPeer';
import type { Publication } from '../../src/media/Publication';
import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The publication/subscription model against real medooze and werift peers: a publisher's streams
 * are Publications, each forwarded stream a Subscription owned by the subscriber's peer. When the
 * publisher goes, nothing of it may stay on the subscribers' transports.
 */
describe('publications and their subscriptions', () => {
  let server: TestServer;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await server.dispose();
  });

  /** The engine's peer behind a participant (the domain only sees the port). */
  const peerOf = (participant: TestParticipant): MediaPeer => {
    const id = server.app.conference.participant(participant.id).peer.id;
    const peer = server.app.media.openPeers().find((candidate) => candidate.id === id);
    if (!peer) throw new Error(`no open media peer for ${participant.name}`);
    return peer;
  };

  /** One publisher (audio and video) and two watch-only subscribers receiving it. */
  const call = async (roomId: string) => {
    const publisher = await TestParticipant.join(server, roomId, 'publisher');
    const watchOnly = { publish: { audio: false, video: false } };
    const first = await TestParticipant.join(server, roomId, 'first', watchOnly);
    const second = await TestParticipant.join(server, roomId, 'second', watchOnly);
    cleanup.push(
      () => publisher.close(),
      () => first.close(),
      () => second.close(),
    );
    await first.waitForMediaFrom([publisher]);
    await second.waitForMediaFrom([publisher]);
    const publications: Publication[] = server.app.media.publicationsOf(peerOf(publisher).id);
    const subscribers = [peerOf(first), peerOf(second)];
    expect(publications.map((publication) => publication.id)).toEqual([publisher.peer.streamId]);
    expect(publications[0]!.subscriptions().size).toBe(2);
    for (const subscriber of subscribers) {
      expect(subscriber.subscribedStreamIds()).toEqual([publisher.peer.streamId]);
    }
    expect(server.app.media.nativeObjects().outgoingStreams).toBe(2);
    return { publisher, first, second, publications, subscribers };
  };

  const expectNothingForwarded = (publications: Publication[], subscribers: MediaPeer[]) => {
    for (const publication of publications) {
      expect(publication.ended).toBe(true);
      expect(publication.subscriptions().size).toBe(0);
    }
    for (const subscriber of subscribers) expect(subscriber.subscribedStreamIds()).toEqual([]);
    expect(server.app.media.nativeObjects().outgoingStreams).toBe(0);
  };

  test('a publisher that leaves takes every subscription of its publications with it', async () => {
    const { publisher, publications, subscribers } = await call('leaves');
    const publisherPeer = peerOf(publisher);
    await publisher.leave();
    expect(publisherPeer.closed).toBe(true);
    // A leave is answered before medooze has released the transport; wait for that.
    await server.app.media.settled();
    expectNothingForwarded(publications, subscribers);
    expect(server.app.media.publicationsOf(publisherPeer.id)).toEqual([]);
    // Closing again (and twice at once) is harmless.
    await Promise.all([publisherPeer.close(), publisherPeer.close()]);
    expectNothingForwarded(publications, subscribers);
    expect(server.app.media.nativeObjects().transports).toBe(2);
  });

  test('a publisher peer closed by the media side ends its publications by itself; the leave after it is harmless', async () => {
    const { publisher, first, second, publications, subscribers } = await call('closed-under');
    const publisherPeer = peerOf(publisher);
    // Their join answers may have carried the publisher's stream (their receive-only sections).
    await Promise.all([first.settled(), second.settled()]);
    const offered = [first.offers.length, second.offers.length];
    // Closed without the room unsubscribing anyone first: the publications alone stop the forwarding.
    await publisherPeer.close();
    expectNothingForwarded(publications, subscribers);
    // The subscribers are offered the change (their outgoing streams stopped) and stay in the call.
    await first.peer.waitFor(
      () => first.offers.length > offered[0]! && second.offers.length > offered[1]!,
      5000,
      'the subscribers renegotiated',
    );
    await publisher.leave();
    await publisherPeer.close();
    expectNothingForwarded(publications, subscribers);
    expect(server.app.conference.participantsOf('closed-under').map((p) => p.name)).toEqual([
      'first',
      'second',
    ]);
    for (const subscriber of subscribers) {
      await subscriber.close();
      await subscriber.close();
    }
    expect(server.app.media.nativeObjects().outgoingStreams).toBe(0);
  });
});
