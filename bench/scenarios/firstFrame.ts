/** Scenario 5. First frame in a real browser. */
import type { BenchParticipant, Target } from '../lib/clients';
import type { Browser } from 'playwright-core';
import { BenchPage, launchBenchChromium, type PageMarks } from '../lib/browser';
import { sleep, summarize, type Summary, until } from '../lib/measure';
import { type Log, RECEIVE_ONLY, leaveAll, round, runTag } from './common';

export interface FirstFrameOptions {
  /** Participants per room; every one after the first is measured as a joiner. */
  roomSize: number;
  /** Rooms per mode (samples). */
  rounds: number;
  /**
   * Which publishing modes: single-encoding VP8, three-encoding simulcast (the page's default) and
   * VP9 SVC (L3T3_KEY, in a VP9 room).
   */
  modes: FirstFrameMode[];
  /**
   * Whether a joiner offers a receive-only audio + video pair per stream already in the room (the
   * SDK's join), so the join answer can carry them; false: its own tracks only (a server offer
   * brings the others).
   */
  receiveSections: boolean;
  /** Receive-only werift joiners in the keyframe-burst part (0: skip it). */
  burstJoins: number;
}

export type FirstFrameMode = 'single' | 'simulcast' | 'svc';

/** Times from the joiner pressing join (before getUserMedia), in ms. */
export interface FirstFrameModeResult {
  mode: FirstFrameMode;
  samples: number;
  /** The joiner's own steps: camera (and room query) ready, join sent, answered, ICE, ICE + DTLS. */
  mediaMs: Summary;
  joinSentMs: Summary;
  answerMs: Summary;
  iceConnectedMs: Summary;
  connectedMs: Summary;
  /** Its first server offer received and answered (joiners that got one before the timeout). */
  firstOfferReceivedMs: Summary;
  firstOfferAnsweredMs: Summary;
  /** Joiners that had a server offer before they decoded every earlier participant. */
  offerBeforeDecoded: number;
  /** The joiner receiving each earlier participant's video. */
  joinerFirstRtpMs: Summary;
  joinerFirstDecodedMs: Summary;
  /** Per-stream gap between the first RTP packet and the first decoded frame (the keyframe wait). */
  joinerRtpToDecodedMs: Summary;
  /** p50 of joinerFirstDecodedMs by joiner number (2 = second in the room). */
  joinerFirstDecodedByJoiner: Record<string, Summary>;
  /** Earlier participants receiving the joiner's video. */
  othersFirstRtpMs: Summary;
  othersFirstDecodedMs: Summary;
  /** Streams never decoded within the timeout. */
  missing: number;
  errors: string[];
}

export interface KeyframeBurstResult {
  joins: number;
  /** Keyframes the (Chromium) publisher encoded while the joins happened, and in a quiet window as long. */
  publisherKeyframes: number;
  publisherKeyframesQuiet: number;
  publisherPlis: number;
  seconds: number;
  /** Each joiner (werift): join sent -> first video keyframe of the publisher. */
  firstKeyframeMs: Summary;
  missingKeyframes: number;
}

export interface FirstFrameResult {
  modes: FirstFrameModeResult[];
  burst: KeyframeBurstResult | null;
}

const FIRST_FRAME_TIMEOUT_MS = 10_000;

export async function firstFrameScenario(
  target: Target,
  options: FirstFrameOptions,
  log: Log,
): Promise<FirstFrameResult> {
  const browser = await launchBenchChromium();
  try {
    const modes: FirstFrameModeResult[] = [];
    for (const mode of options.modes) {
      modes.push(await firstFrameMode(target, options, mode, browser, log));
    }
    const burst =
      options.burstJoins > 0 ? await keyframeBurst(target, options.burstJoins, browser, log) : null;
    return { modes, burst };
  } finally {
    await browser.close().catch(() => undefined);
  }
}

async function firstFrameMode(
  target: Target,
  options: FirstFrameOptions,
  mode: FirstFrameMode,
  browser: Browser,
  log: Log,
): Promise<FirstFrameModeResult> {
  const mediaMs: number[] = [];
  const joinSentMs: number[] = [];
  const answerMs: number[] = [];
  const iceMs: number[] = [];
  const connectedMs: number[] = [];
  const offerReceivedMs: number[] = [];
  const offerAnsweredMs: number[] = [];
  let offerBeforeDecoded = 0;
  const joinerRtp: number[] = [];
  const joinerDecoded: number[] = [];
  const gap: number[] = [];
  const byJoiner: Record<string, number[]> = {};
  const othersRtp: number[] = [];
  const othersDecoded: number[] = [];
  const errors: string[] = [];
  let missing = 0;
  const run = runTag();
  for (let round = 0; round < options.rounds; round++) {
    const roomId = `firstframe-${run}-${mode}-${round}`;
    const pages: Array<{ page: BenchPage; streamId: string }> = [];
    try {
      if (mode === 'svc' && target.kind === 'ours') await createVp9Room(target.server.url, roomId);
      for (let n = 0; n < options.roomSize; n++) {
        const page = await BenchPage.open(browser, target.kind, target.server.url);
        await page.join({
          kind: target.kind,
          url: target.server.url,
          roomId,
          name: `ff${n}`,
          layers: mode,
          // Ours is asked by the page; the baseline has no such query, so the driver says.
          receiveSections: !options.receiveSections ? 0 : target.kind === 'ours' ? 'room' : n,
        });
        const earlier = pages.map((entry) => entry.streamId);
        // Until the joiner decodes everyone earlier and everyone earlier decodes the joiner.
        const deadline = performance.now() + FIRST_FRAME_TIMEOUT_MS;
        let mine: PageMarks = await page.marks();
        let theirs: PageMarks[] = [];
        for (;;) {
          mine = await page.marks();
          theirs = await Promise.all(pages.map((entry) => entry.page.marks()));
          const done =
            mine.streamId !== '' &&
            earlier.every((id) => (mine.remote[id]?.firstDecodedAt ?? 0) > 0) &&
            theirs.every((marks) => (marks.remote[mine.streamId]?.firstDecodedAt ?? 0) > 0);
          if (done || performance.now() > deadline || mine.errors.length > 0) break;
          await sleep(50);
        }
        errors.push(...mine.errors.map((error) => `${roomId}/ff${n}: ${error}`));
        pages.push({ page, streamId: mine.streamId });
        if (n === 0) continue;
        const t0 = mine.pressedAt;
        if (mine.mediaAt) mediaMs.push(mine.mediaAt - t0);
        if (mine.joinSentAt) joinSentMs.push(mine.joinSentAt - t0);
        if (mine.answeredAt) answerMs.push(mine.answeredAt - t0);
        if (mine.iceConnectedAt) iceMs.push(mine.iceConnectedAt - t0);
        if (mine.connectedAt) connectedMs.push(mine.connectedAt - t0);
        const [offerAt] = mine.offersReceivedAt;
        const [offerAnsweredAt] = mine.offersAnsweredAt;
        if (offerAt) offerReceivedMs.push(offerAt - t0);
        if (offerAnsweredAt) offerAnsweredMs.push(offerAnsweredAt - t0);
        const lastDecoded = Math.max(...earlier.map((id) => mine.remote[id]?.firstDecodedAt ?? Infinity));
        if (offerAt && offerAt < lastDecoded) offerBeforeDecoded++;
        for (const id of earlier) {
          const remote = mine.remote[id];
          if (!remote?.firstDecodedAt) {
            missing++;
            continue;
          }
          joinerDecoded.push(remote.firstDecodedAt - t0);
          (byJoiner[String(n + 1)] ??= []).push(remote.firstDecodedAt - t0);
          if (remote.firstRtpAt) {
            joinerRtp.push(remote.firstRtpAt - t0);
            gap.push(remote.firstDecodedAt - remote.firstRtpAt);
          }
        }
        for (const marks of theirs) {
          const remote = marks.remote[mine.streamId];
          if (!remote?.firstDecodedAt) {
            missing++;
            continue;
          }
          othersDecoded.push(remote.firstDecodedAt - t0);
          if (remote.firstRtpAt) othersRtp.push(remote.firstRtpAt - t0);
        }
        if (process.env.BENCH_FF_TRACE) {
          const at = (value: number | undefined): string => (value ? String(Math.round(value - t0)) : '-');
          log(
            `    ${target.kind} ${roomId} joiner ${n + 1}: answered ${at(mine.answeredAt)}, connected ${at(mine.connectedAt)}; ` +
              `decodes ${earlier.map((id) => `${at(mine.remote[id]?.firstRtpAt)}/${at(mine.remote[id]?.firstDecodedAt)}`).join(' ')}; ` +
              `decoded by ${theirs.map((marks) => `${at(marks.remote[mine.streamId]?.firstRtpAt)}/${at(marks.remote[mine.streamId]?.firstDecodedAt)}`).join(' ')}`,
          );
        }
        // Joins a while apart, as people join: each measures a join, not medooze's PLI window.
        await sleep(800);
      }
    } finally {
      await Promise.all(pages.map((entry) => entry.page.leave()));
    }
    log(`  ${target.kind} firstframe ${mode}: room ${round + 1}/${options.rounds}`);
    await sleep(300);
  }
  return {
    mode,
    samples: joinerDecoded.length,
    mediaMs: summarize(mediaMs),
    joinSentMs: summarize(joinSentMs),
    answerMs: summarize(answerMs),
    iceConnectedMs: summarize(iceMs),
    connectedMs: summarize(connectedMs),
    firstOfferReceivedMs: summarize(offerReceivedMs),
    firstOfferAnsweredMs: summarize(offerAnsweredMs),
    offerBeforeDecoded,
    joinerFirstRtpMs: summarize(joinerRtp),
    joinerFirstDecodedMs: summarize(joinerDecoded),
    joinerRtpToDecodedMs: summarize(gap),
    joinerFirstDecodedByJoiner: Object.fromEntries(
      Object.entries(byJoiner).map(([joiner, samples]) => [joiner, summarize(samples)]),
    ),
    othersFirstRtpMs: summarize(othersRtp),
    othersFirstDecodedMs: summarize(othersDecoded),
    missing,
    errors: errors.slice(0, 20),
  };
}

/** Our rooms take the server's default codec (VP8) when a join creates them: a VP9 room is made first. */
async function createVp9Room(url: string, roomId: string): Promise<void> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($id: ID!) { createRoom(input: { id: $id, videoCodec: VP9 }) { id } }',
      variables: { id: roomId },
    }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  if (body.errors?.length) throw new Error(`createRoom ${roomId}: ${JSON.stringify(body.errors)}`);
}

/** One Chromium publisher; `joins` receive-only werift joiners, 5 at a time: how many keyframes? */
async function keyframeBurst(
  target: Target,
  joins: number,
  browser: Browser,
  log: Log,
): Promise<KeyframeBurstResult> {
  const roomId = 'firstframe-burst';
  const publisher = await BenchPage.open(browser, target.kind, target.server.url);
  const joiners: BenchParticipant[] = [];
  try {
    await publisher.join({
      kind: target.kind,
      url: target.server.url,
      roomId,
      name: 'publisher',
      layers: 'single',
      receiveSections: 0,
    });
    let marks = await publisher.marks();
    for (let waited = 0; !marks.iceConnectedAt && waited < 10_000; waited += 100) {
      await sleep(100);
      marks = await publisher.marks();
    }
    await sleep(1500);
    const quietStart = await publisher.marks();
    const started = performance.now();
    for (let i = 0; i < joins; i += 5) {
      joiners.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(5, joins - i) }, (_, k) =>
            target.join(roomId, `burst${i + k}`, RECEIVE_ONLY),
          ),
        )),
      );
    }
    const streamId = quietStart.streamId;
    await until(() => joiners.every((j) => j.probe.firstKeyframeAt(streamId) > 0), FIRST_FRAME_TIMEOUT_MS);
    const seconds = (performance.now() - started) / 1000;
    // Keyframes still answering the last joins' requests arrive within a round trip or two.
    await sleep(300);
    const afterBurst = await publisher.marks();
    const firstKeyframeMs: number[] = [];
    let missingKeyframes = 0;
    for (const joiner of joiners) {
      const at = joiner.probe.firstKeyframeAt(streamId);
      if (at > 0) firstKeyframeMs.push(at - joiner.joinSentAt);
      else missingKeyframes++;
    }
    // The same time with nobody joining: what the encoder does by itself.
    const quietFrom = await publisher.marks();
    await sleep(seconds * 1000 + 300);
    const quietTo = await publisher.marks();
    log(
      `  ${target.kind} firstframe burst: ${joins} joins in ${seconds.toFixed(1)} s, ` +
        `${afterBurst.keyFramesEncoded - quietStart.keyFramesEncoded} publisher keyframes`,
    );
    return {
      joins,
      publisherKeyframes: afterBurst.keyFramesEncoded - quietStart.keyFramesEncoded,
      publisherKeyframesQuiet: quietTo.keyFramesEncoded - quietFrom.keyFramesEncoded,
      publisherPlis: afterBurst.pliCount - quietStart.pliCount,
      seconds: round(seconds, 2),
      firstKeyframeMs: summarize(firstKeyframeMs),
      missingKeyframes,
    };
  } finally {
    await leaveAll(joiners);
    await publisher.leave();
  }
}
