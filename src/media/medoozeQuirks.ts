import type * as MediaServer from 'medooze-media-server';
import { Direction, type SDPInfo, type TrackInfo as TrackInfoClass } from 'semantic-sdp';
import { logger } from '../shared/logger';

/**
 * Every workaround for medooze-media-server 1.156 in one place, each with the reason it exists.
 * Before removing one after an upgrade, check that the reason still holds. Bugs that no JavaScript
 * can work around are fixed in medooze's C++ instead, by the patches in scripts/medooze-patches/
 * (applied at install): VP9LayerSelector waiting for the keyframe (a VP9 subscription used to
 * start at a delta and decode a PLI window late).
 */

export type SDPManager = ReturnType<MediaServer.Endpoint['createSDPManager']>;
type Transport = MediaServer.Transport;
type IncomingStream = MediaServer.IncomingStream;
type TrackInfo = InstanceType<typeof TrackInfoClass>;
type OutgoingStream = MediaServer.OutgoingStream;
type OutgoingStreamTrack = MediaServer.OutgoingStreamTrack;

/**
 * medooze sends at most one PLI per incoming source per 300 ms (DTLSICETransport::SendPLI: a second
 * one within that window is dropped without a word, whoever asks: us through `refresh()`, a
 * transponder when an outgoing track is attached, or a subscriber's own PLI). medooze's own window
 * is 500 ms; scripts/medooze-patches/pli-window-300ms.patch makes it 300, the least interval
 * between keyframe requests a Chromium publisher honours (it ignores one sooner after the last).
 * A keyframe request is only worth making when neither will drop it: this long after the last.
 */
export const PLI_WINDOW_MS = 320;

/**
 * Applies a client description we parsed and checked already (SessionDescription). medooze's
 * typings take a string, which SDPManagerUnified parsed again and wrote back to a string (returned,
 * read by nobody); scripts/medooze-patches/sdp-manager-takes-parsed-description.patch lets it take
 * the parsed SDPInfo as is: one parse per description instead of two, and no string. medooze only
 * reads the object (its answers and transceivers are new objects).
 */
export function applyRemoteDescription(
  manager: SDPManager,
  description: { readonly sdp: string; readonly info: SDPInfo },
): void {
  if (takesParsedDescriptions(manager)) {
    (manager.processRemoteDescription as unknown as (sdp: SDPInfo) => unknown).call(
      manager,
      description.info,
    );
  } else {
    manager.processRemoteDescription(description.sdp);
  }
}

let parsedDescriptions: boolean | undefined;

/**
 * Whether the installed SDPManagerUnified carries the patch. Without it (`npm ci --ignore-scripts`,
 * or a medooze upgrade the patch no longer applies to) medooze would call `.replace` on the SDPInfo
 * and every join would fail as INVALID_SDP; the text is given instead, parsed twice as before, and
 * the operator is told once. Read from the method's source, once per process.
 */
function takesParsedDescriptions(manager: SDPManager): boolean {
  if (parsedDescriptions === undefined) {
    const source = Function.prototype.toString.call(manager.processRemoteDescription);
    parsedDescriptions = source.includes('typeof sdp !== "string"');
    if (!parsedDescriptions) {
      logger.warn(
        'medooze-media-server is installed without our patches (`node scripts/postinstall.mjs` applies them): SDP is parsed twice, and the C++ fixes are missing',
      );
    }
  }
  return parsedDescriptions;
}

/** For tests: forget what takesParsedDescriptions found. */
export function forgetMedoozePatchCheck(): void {
  parsedDescriptions = undefined;
}

/**
 * medooze re-throws whatever a listener throws from setImmediate, where nothing can catch it and the
 * process dies. So no code of ours runs inside a medooze callback unguarded.
 */
export function guarded<A extends unknown[]>(
  what: string,
  listener: (...args: A) => void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      listener(...args);
    } catch (error) {
      logger.error({ err: error }, `error in the medooze ${what} callback`);
    }
  };
}

/** Stops a medooze object that may already have been stopped by medooze itself. */
export function stopQuietly(object: { stop(): unknown }): void {
  try {
    object.stop();
  } catch (error) {
    logger.debug({ err: error }, 'stopping a medooze object that was already stopped');
  }
}

const CREATE_TRACK_FIXED = Symbol('createTrack fixed');

/**
 * medooze 1.156's SDPManagerUnified adds a track to a stream it already receives with
 * `stream.createTrack(trackInfo)`, where IncomingStream wants `createTrack(media, trackInfo)`: the
 * offer fails ("media.toLowerCase is not a function") when a client sends a track again in a stream
 * it sent before (camera unpublished, then published again). This accepts both forms.
 */
export function fixCreateTrack(stream: IncomingStream): void {
  const fixed = stream as IncomingStream & { [CREATE_TRACK_FIXED]?: true };
  if (fixed[CREATE_TRACK_FIXED]) return;
  const createTrack = stream.createTrack.bind(stream);
  type Params = Parameters<IncomingStream['createTrack']>;
  stream.createTrack = (media: Params[0] | TrackInfo, params?: Params[1]) =>
    typeof media === 'object' && media !== null
      ? createTrack(media.getMedia(), media)
      : createTrack(media, params);
  fixed[CREATE_TRACK_FIXED] = true;
}

/**
 * medooze builds each new sending m-line of its offers by cloning the first m-line of that kind,
 * which is the publisher's own: a simulcast publisher would be offered `a=rid:… recv` and
 * `a=simulcast:recv` on m-lines where the server only sends. Chrome ignores that; stricter clients
 * need not. Rids and simulcast are dropped from every section the server does not receive on.
 */
export function withoutSimulcastWhereSending(sdp: string): string {
  if (!sdp.includes('a=simulcast:')) return sdp;
  const [session, ...sections] = sdp.split(/\r\n(?=m=)/);
  return [
    session,
    ...sections.map((section) => {
      const lines = section.split('\r\n');
      if (!lines.some((line) => line === 'a=sendonly' || line === 'a=inactive')) return section;
      return lines
        .filter((line) => !line.startsWith('a=rid:') && !line.startsWith('a=simulcast:'))
        .join('\r\n');
    }),
  ].join('\r\n');
}

/**
 * medooze moves to 'remote-offer' as soon as it has read an offer, even one it then fails to
 * answer, with its transceivers half updated: such a peer can never be offered anything again.
 * SessionDescription's checks refuse what we know to cause this (before medooze sees the SDP);
 * should anything else, the caller gives the peer up (its participant is removed with
 * NEGOTIATION_FAILED and may join again) rather than leave it stuck.
 */
export function leftHalfApplied(manager: SDPManager): boolean {
  return manager.state === 'remote-offer';
}

/** Whether SDPManagerUnified has a `renegotiationneeded` timer scheduled. */
export function renegotiationPending(manager: SDPManager): boolean {
  return 'renegotiationNeeded' in manager && manager.renegotiationNeeded === true;
}

/**
 * Closes a peer's native objects in the order medooze needs: outgoing streams first, then (after
 * medooze's zero-delay renegotiation timer for them has run, which would otherwise throw from a
 * stopped emitter and take the process down) the SDP manager and its transport.
 *
 * `SDPManagerUnified.stop()` stops the transport, whose outgoing tracks' `stopped` handlers schedule
 * a zero-timer `renegotiationneeded`; firing on a stopped manager it throws `Error: emitter has been
 * stopped` from a timer, where nobody can catch it. So every such timer is let run first (the
 * caller ignores the event for a peer that is closing). Exercised by every leave of a participant
 * that receives media (test/integration/conference.lifecycle.test.ts, among others).
 */
export async function closeInSafeOrder(
  manager: SDPManager,
  steps: { stopOutgoingStreams(): void; stopManager(): void },
): Promise<void> {
  steps.stopOutgoingStreams();
  for (let waited = 0; renegotiationPending(manager) && waited < 100; waited += 5) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  steps.stopManager();
}

/**
 * medooze 1.156's SDPManagerUnified never looks at the ICE credentials of a re-offer: an ICE restart
 * offer (what `RTCPeerConnection.restartIce()` makes: new ice-ufrag and ice-pwd) is answered with the
 * old local ufrag, and the transport keeps expecting the old remote credentials, so the client treats
 * the answer as no restart and the checks on its new path are refused. So when a client offer
 * carries new remote credentials, the transport is restarted first (`Transport.restartICE`: the new
 * remote credentials, freshly generated local ones), before the manager reads the offer: its answer
 * is built from the transport's local ICE info, so it carries the new local credentials. The DTLS
 * session, streams and subscriptions stay as they are. Returns whether it restarted.
 */
export function restartIceForOffer(transport: Transport, remote: { ufrag: string; pwd: string }): boolean {
  const current = transport.getRemoteICEInfo();
  if (current.getUfrag() === remote.ufrag && current.getPwd() === remote.pwd) return false;
  transport.restartICE({ ufrag: remote.ufrag, pwd: remote.pwd });
  return true;
}

/**
 * Records one incoming track in `recorder`, as one MP4 track. `record()` makes one recorder track
 * per encoding by default (`multitrack`): a simulcast camera would become three video tracks of
 * three sizes. With `multitrack: false` it takes the track's own depacketizer, which for simulcast
 * is medooze's SimulcastMediaFrameListener (it forwards the best layer under one fixed SSRC), so
 * the file has one video track. Returns null when medooze refuses (a track stopping meanwhile).
 */
export function recordOneTrack(
  recorder: MediaServer.Recorder,
  track: MediaServer.IncomingStreamTrack,
): MediaServer.RecorderTrack | null {
  try {
    return recorder.record(track, { multitrack: false })[0] ?? null;
  } catch (error) {
    logger.warn({ err: error, track: track.getId() }, 'medooze could not record a track');
    return null;
  }
}

/**
 * Detaches a recorder track from its incoming track. medooze's RecorderTrack detaches itself only on
 * its incoming track's `stopped` event, emitted after the track has stopped its depacketizer; the
 * guidance for medooze is that a Recorder lets go before the incoming streams it records stop, or
 * the process may crash. So every path that stops an incoming stream (a leave, a re-offer without a
 * track, a room closing, shutdown) releases its recorder tracks first. Measured here: with the order
 * reversed, test/integration/recording.test.ts passed twice without a crash, so the crash is not
 * reproduced in 1.156; releasing first costs nothing and ends each file when its stream ends.
 * Never `RecorderTrack.mute()`: in 1.156 it removes the recorder itself, not its frame listener,
 * from the depacketizer (not what was added), so unmuting would add a second listener.
 */
export function releaseRecorderTrack(recorderTrack: MediaServer.RecorderTrack): void {
  try {
    recorderTrack.stop();
  } catch (error) {
    logger.debug({ err: error }, 'releasing a recorder track that was already stopped');
  }
}

/** The parts of SDPManagerUnified 1.156 that `placeOnOfferedSections` reads and fills. */
interface UnifiedManagerInternals {
  transceivers?: Array<{
    media: string;
    local: { track?: OutgoingStreamTrack; stream?: OutgoingStream };
    remote: { info?: { getDirection(): unknown } };
  }>;
  pending?: Set<{ stream: OutgoingStream; track: OutgoingStreamTrack }>;
}

/**
 * medooze 1.156's SDPManagerUnified answers a client offer with only the tracks its transceivers
 * already carry: an outgoing track made while it holds a remote offer waits in `pending`, which it
 * turns into new transceivers (new mids) only in its next *offer* (the code that would fill the
 * offer's free sections is commented out in createLocalDescription, "TODO: Check if we can reuse
 * any empty"). So a joiner that offers receive-only sections gets them answered inactive and its
 * first remote streams need a server offer: a second signalling exchange before any remote frame.
 *
 * Called between `processRemoteDescription(offer)` and `createLocalDescription()`: each pending
 * track goes onto the next section of the offer of its kind that the client only receives on
 * (recvonly) and that carries nothing yet, in SDP order. medooze's answer then sends it there
 * (sendonly, with the stream's msid and ssrcs) and keeps it there in every later offer, as for a
 * track it placed itself. Tracks that find no such section stay pending: medooze offers them
 * after the answer, as before. Returns the tracks placed.
 */
export function placeOnOfferedSections(manager: SDPManager): OutgoingStreamTrack[] {
  if (manager.state !== 'remote-offer') return [];
  const internals = manager as unknown as UnifiedManagerInternals;
  const { transceivers, pending } = internals;
  if (!Array.isArray(transceivers) || !(pending instanceof Set)) {
    logger.warn('the SDP manager is not the unified one this workaround knows; streams come in an offer');
    return [];
  }
  const placed: OutgoingStreamTrack[] = [];
  for (const entry of [...pending]) {
    const free = transceivers.find(
      (transceiver) =>
        transceiver.media === entry.track.getMedia() &&
        !transceiver.local.track &&
        transceiver.remote.info?.getDirection() === Direction.RECVONLY,
    );
    if (!free) continue;
    free.local.track = entry.track;
    free.local.stream = entry.stream;
    pending.delete(entry);
    placed.push(entry.track);
  }
  return placed;
}
