/**
 * Issue 13 ("video on screen in 300 ms"): a joiner's first forwarded video packet of each earlier
 * participant starts a keyframe, and comes within one frame of its transport coming up (the PLI
 * sent at attach is answered at the publisher's next frame). Real medooze, werift peers sending
 * synthetic VP8/VP9 (keyframe with P=0, then deltas; test/helpers/weriftPeer.ts).
 *
 * VP9 fails on medooze 1.156 as published: its VP9LayerSelector drops the keyframe while waiting
 * for one and starts at the first delta, so the joiner's first packet is undecodable and its first
 * keyframe comes a PLI window (500 ms) or a keyframe interval later. scripts/medooze-patches/
 * fixes the selector at install.
 */
import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';
import { VIDEO_FPS } from '../helpers/weriftPeer';

jest.setTimeout(60_000);

const CREATE_ROOM = `mutation ($id: ID!, $codec: VideoCodec!) {
  createRoom(input: { id: $id, videoCodec: $codec }) { id }
}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One frame interval (the publisher encodes the keyframe asked for at its next frame) plus the
 * round trips (loopback: about a millisecond) and room for a busy machine: still well under the
 * 500 ms that a dropped keyframe costs (medooze's PLI window).
 */
const FIRST_KEYFRAME_WITHIN_MS = 1000 / VIDEO_FPS + 150;

describe.each(['VP8', 'VP9'] as const)('a joiner in a %s room', (codec) => {
  let server: TestServer;
  const people: TestParticipant[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const person of people) await person.close().catch(() => undefined);
    await server?.dispose();
  });

  test('gets an earlier participant from a keyframe, one frame after its transport is up', async () => {
    const roomId = `first-keyframe-${codec.toLowerCase()}`;
    const created = await server.gql(CREATE_ROOM, { id: roomId, codec });
    expect(created.errors).toBeUndefined();
    const ada = await TestParticipant.join(server, roomId, 'ada', { videoCodec: codec });
    people.push(ada);
    await ada.peer.waitFor(() => ada.peer.connectedAt > 0, 10_000, 'ada connected');
    // Past the keyframe requests of ada's own start (one medooze PLI window).
    await sleep(700);

    const firsts: Array<{ name: string; keyframe: boolean; msAfterConnected: number }> = [];
    for (const name of ['bob', 'cat', 'dan']) {
      // Its offer has a receive-only pair per stream in the room (the SDK's join): the join answer
      // carries them all, so ada's video starts when the joiner's transport does.
      const joiner = await TestParticipant.join(server, roomId, name, {
        videoCodec: codec,
        receiveSections: people.length,
      });
      people.push(joiner);
      await joiner.peer.waitFor(
        () => joiner.peer.firstVideoPacket(ada.peer.streamId) !== undefined,
        10_000,
        `${name}'s first video packet of ada`,
      );
      const first = joiner.peer.firstVideoPacket(ada.peer.streamId)!;
      firsts.push({
        name,
        keyframe: first.keyframe,
        msAfterConnected: Math.round(first.at - joiner.peer.connectedAt),
      });
      // Joins a PLI window apart, as people join: each one asks for its own keyframe.
      await sleep(600);
    }
    expect(firsts.filter((first) => !first.keyframe)).toEqual([]);
    expect(firsts.filter((first) => first.msAfterConnected > FIRST_KEYFRAME_WITHIN_MS)).toEqual([]);
  });

  test('gets its keyframe a PLI window later when the publisher ignored the first request', async () => {
    // A Chromium publisher ignores a keyframe request within 300 ms of the last one it honoured
    // (another subscriber's PLI, say): the joiner's own request at attach is lost. medooze's
    // transponder asks again only a second later (and the next unasked keyframe, here, is 10 s
    // away); the server asks again one PLI window after its last request.
    const roomId = `keyframe-retry-${codec.toLowerCase()}`;
    const created = await server.gql(CREATE_ROOM, { id: roomId, codec });
    expect(created.errors).toBeUndefined();
    const ada = await TestParticipant.join(server, roomId, 'ada', {
      videoCodec: codec,
      keyframeEvery: VIDEO_FPS * 10,
    });
    people.push(ada);
    await ada.peer.waitFor(() => ada.peer.connectedAt > 0, 10_000, 'ada connected');
    await sleep(700);
    const plisBefore = ada.peer.pliCount;
    // Long enough to cover the joiner's join and connection (tens of milliseconds on loopback).
    ada.peer.ignoreKeyframeRequestsFor(400);
    const eve = await TestParticipant.join(server, roomId, 'eve', {
      videoCodec: codec,
      receiveSections: 1,
    });
    people.push(eve);
    await eve.peer.waitFor(
      () => eve.peer.firstVideoPacket(ada.peer.streamId) !== undefined,
      10_000,
      "eve's first video packet of ada",
    );
    const first = eve.peer.firstVideoPacket(ada.peer.streamId)!;
    expect(first.keyframe).toBe(true);
    // Asked at least twice: at attach (ignored), then again.
    expect(ada.peer.pliCount - plisBefore).toBeGreaterThanOrEqual(2);
    // One PLI window (320 ms) plus a frame and a busy machine; a second or more without the retry.
    expect(Math.round(first.at - eve.peer.connectedAt)).toBeLessThan(700);
  });
});
