import type * as MediaServer from 'medooze-media-server';
import { PLI_WINDOW_MS } from '../../src/media/medoozeQuirks';
import { Publication } from '../../src/media/Publication';
import { Subscription } from '../../src/media/Subscription';

/**
 * When keyframes are asked for, against stand-ins for medooze's streams and tracks: a subscriber's
 * video is attached (medooze's own PLI) and a keyframe requested only once it can receive it, and
 * a publisher is asked at most once per medooze PLI window however many subscribers want one.
 */
function fakeIncomingStream(id = 'stream-1') {
  const video = { id: 'video-1', media: 'video', refreshes: 0 };
  const audio = { id: 'audio-1', media: 'audio', refreshes: 0 };
  const tracks = [video, audio].map((track) => ({
    stopped: false,
    getId: () => track.id,
    getMedia: () => track.media,
    refresh: () => void track.refreshes++,
  }));
  const stream = {
    getId: () => id,
    getTracks: () => tracks,
    once: () => undefined,
  } as unknown as MediaServer.IncomingStream;
  return { stream, video };
}

function fakeOutgoingStream() {
  const attached: string[] = [];
  /** Packets each outgoing track has sent, by track id (what medooze's stats say). */
  const sent = new Map<string, number>();
  const outgoing = {
    createTrack: (media: string, params: { id: string }) => ({
      stopped: false,
      getId: () => params.id,
      getMedia: () => media,
      attachTo: () => void attached.push(params.id),
      getStats: () => ({ numPackets: sent.get(params.id) ?? 0 }),
      mute: () => undefined,
      stop: () => undefined,
    }),
    stop: () => undefined,
  } as unknown as MediaServer.OutgoingStream;
  return { outgoing, attached, sent };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('Publication.requestKeyframe', () => {
  it('asks once per PLI window, and once more at its end for everyone who asked meanwhile', () => {
    const { stream, video } = fakeIncomingStream();
    const publication = new Publication('publisher', stream);
    publication.requestKeyframe();
    expect(video.refreshes).toBe(1);
    // Twenty joiners within the window: one more request, when the window ends.
    for (let i = 0; i < 20; i++) {
      jest.advanceTimersByTime(10);
      publication.requestKeyframe();
    }
    expect(video.refreshes).toBe(1);
    jest.advanceTimersByTime(PLI_WINDOW_MS);
    expect(video.refreshes).toBe(2);
    expect(publication.keyframeRequests).toBe(2);
    // Past the window, a request goes out at once.
    jest.advanceTimersByTime(PLI_WINDOW_MS);
    publication.requestKeyframe();
    expect(video.refreshes).toBe(3);
  });

  it('waits for the publisher to be connected (a PLI before would be lost)', () => {
    const { stream, video } = fakeIncomingStream();
    let connected = false;
    const publication = new Publication('publisher', stream, [], () => connected);
    publication.requestKeyframe();
    expect(video.refreshes).toBe(0);
    connected = true;
    publication.publisherReady();
    expect(video.refreshes).toBe(1);
    publication.publisherReady();
    expect(video.refreshes).toBe(1);
  });

  it('sends nothing pending once the publication ended', () => {
    const { stream, video } = fakeIncomingStream();
    const publication = new Publication('publisher', stream);
    publication.requestKeyframe();
    publication.requestKeyframe();
    publication.end();
    jest.advanceTimersByTime(PLI_WINDOW_MS * 2);
    expect(video.refreshes).toBe(1);
  });
});

describe('Subscription: video is forwarded once the subscriber can receive it', () => {
  function setup() {
    const { stream, video } = fakeIncomingStream();
    const publication = new Publication('publisher', stream);
    const { outgoing, attached, sent } = fakeOutgoingStream();
    let connected = false;
    const subscription = new Subscription(
      publication,
      outgoing,
      undefined,
      () => undefined,
      () => connected,
    );
    publication.attach(subscription);
    return { subscription, publication, video, attached, sent, connect: () => (connected = true) };
  }

  it('attaches audio at once, video when connected and the offer carrying it is answered', () => {
    const { subscription, video, attached, connect } = setup();
    expect(attached).toEqual(['audio-1']);
    expect(subscription.waitingTracks).toBe(1);
    subscription.offered('v=0 ... a=msid:stream-1 video-1 ...');
    connect();
    subscription.activate();
    expect(attached).toEqual(['audio-1']);
    expect(video.refreshes).toBe(0);
    subscription.answered();
    expect(attached).toEqual(['audio-1', 'video-1']);
    expect(video.refreshes).toBe(1);
    expect(subscription.waitingTracks).toBe(0);
  });

  it('answered first, connected later: attaches and asks at the connection', () => {
    const { subscription, video, attached, connect } = setup();
    subscription.offered('a=msid:stream-1 video-1');
    subscription.answered();
    expect(attached).toEqual(['audio-1']);
    connect();
    subscription.activate();
    expect(attached).toEqual(['audio-1', 'video-1']);
    expect(video.refreshes).toBe(1);
  });

  it('a description that never carried the track: forwarded anyway after the fallback delay', () => {
    const { subscription, attached, connect } = setup();
    subscription.offered('no such track here');
    subscription.answered();
    connect();
    subscription.activate();
    expect(attached).toEqual(['audio-1']);
    jest.advanceTimersByTime(2000);
    expect(attached).toEqual(['audio-1', 'video-1']);
  });

  it('a subscriber offer answered with the track negotiates it', () => {
    const { subscription, attached, connect } = setup();
    connect();
    subscription.negotiatedIn('a=msid:stream-1 video-1');
    expect(attached).toEqual(['audio-1', 'video-1']);
  });

  it('asks again, a PLI window later, while the attached video has forwarded nothing', () => {
    // The first request can be lost: medooze and a Chromium publisher both ignore a keyframe request
    // that follows another one (another subscriber's) too closely.
    const { subscription, publication, video, sent, connect } = setup();
    connect();
    subscription.negotiatedIn('a=msid:stream-1 video-1');
    expect(video.refreshes).toBe(1);
    jest.advanceTimersByTime(PLI_WINDOW_MS);
    expect(video.refreshes).toBe(2);
    jest.advanceTimersByTime(PLI_WINDOW_MS);
    expect(video.refreshes).toBe(3);
    // Its keyframe came: no more requests.
    sent.set('video-1', 12);
    jest.advanceTimersByTime(PLI_WINDOW_MS * 5);
    expect(video.refreshes).toBe(3);
    expect(publication.keyframeRequests).toBe(3);
  });

  it('asks nothing more when the first keyframe came, and gives up on a publisher that sends none', () => {
    const first = setup();
    first.connect();
    first.subscription.negotiatedIn('a=msid:stream-1 video-1');
    first.sent.set('video-1', 3);
    jest.advanceTimersByTime(PLI_WINDOW_MS * 10);
    expect(first.video.refreshes).toBe(1);

    const silent = setup();
    silent.connect();
    silent.subscription.negotiatedIn('a=msid:stream-1 video-1');
    jest.advanceTimersByTime(60_000);
    const asked = silent.video.refreshes;
    // Ten seconds of asking, one request per window at most; then nothing.
    expect(asked).toBeGreaterThan(5);
    expect(asked).toBeLessThanOrEqual(Math.ceil(10_000 / PLI_WINDOW_MS) + 2);
    jest.advanceTimersByTime(60_000);
    expect(silent.video.refreshes).toBe(asked);
  });

  it('stops asking when the subscription stops', () => {
    const { subscription, video, connect } = setup();
    connect();
    subscription.negotiatedIn('a=msid:stream-1 video-1');
    subscription.stop();
    jest.advanceTimersByTime(PLI_WINDOW_MS * 5);
    expect(video.refreshes).toBe(1);
  });
});

describe('Subscribers starting together start from one keyframe', () => {
  // A joiner's stream is offered to everyone in the room at once; their answers land a few ms
  // apart. Attaching is when medooze asks for a keyframe, and a Chromium publisher honours one
  // request per 300 ms: started one by one, the later ones would miss the first keyframe and wait
  // a whole window for the next.
  /** A subscriber of `publication` whose offer carrying its video was sent, not answered yet. */
  function offeredSubscriber(publication: Publication, canReceive = true) {
    const { outgoing, attached } = fakeOutgoingStream();
    const subscription = new Subscription(
      publication,
      outgoing,
      undefined,
      () => undefined,
      () => canReceive,
    );
    publication.attach(subscription);
    subscription.offered('a=msid:stream-1 video-1');
    return { subscription, attached };
  }

  function room(subscribers: number) {
    const { stream, video } = fakeIncomingStream();
    const publication = new Publication('joiner', stream);
    const members = Array.from({ length: subscribers }, () => offeredSubscriber(publication));
    const started = () => members.map((member) => member.attached.includes('video-1'));
    return { publication, video, members, started };
  }

  it('holds the first answers until the last subscriber offered the stream answers', () => {
    const { video, members, started } = room(3);
    members[0]!.subscription.answered();
    jest.advanceTimersByTime(10);
    members[1]!.subscription.answered();
    expect(started()).toEqual([false, false, false]);
    expect(video.refreshes).toBe(0);
    jest.advanceTimersByTime(10);
    members[2]!.subscription.answered();
    // The last one is ready: all three start at once, from one request.
    expect(started()).toEqual([true, true, true]);
    expect(video.refreshes).toBe(1);
  });

  it('holds them at most START_TOGETHER_MS for a subscriber that does not answer', () => {
    const { video, members, started } = room(2);
    members[0]!.subscription.answered();
    jest.advanceTimersByTime(49);
    expect(started()).toEqual([false, false]);
    jest.advanceTimersByTime(1);
    expect(started()).toEqual([true, false]);
    expect(video.refreshes).toBe(1);
    members[1]!.subscription.answered();
    expect(started()).toEqual([true, true]);
  });

  it('starts at once when nobody else is about to start, and when the awaited one leaves', () => {
    const { stream } = fakeIncomingStream();
    const publication = new Publication('joiner', stream);
    const make = (canReceive: boolean) => offeredSubscriber(publication, canReceive);
    // Its transport is not up: it starts at its own connection; nobody waits for it.
    make(false);
    const ready = make(true);
    ready.subscription.answered();
    expect(ready.attached).toContain('video-1');

    const held = make(true);
    const leaving = make(true);
    held.subscription.answered();
    expect(held.attached).not.toContain('video-1');
    leaving.subscription.stop();
    expect(held.attached).toContain('video-1');
  });

  it('starts nothing held once the publication ended', () => {
    const { publication, video, members } = room(2);
    members[0]!.subscription.answered();
    publication.end();
    jest.advanceTimersByTime(1000);
    expect(members[0]!.attached).not.toContain('video-1');
    expect(video.refreshes).toBe(0);
  });
});
