/**
 * Real browsers for the benchmark: Debian's Chromium (playwright-core) with fake camera and
 * microphone, one browser context per participant. Each page joins with the raw signalling
 * contract of the target (our GraphQL mutations + graphql-ws, or the baseline's WebSocket JSON) and
 * records, on the machine-wide clock (performance.timeOrigin + performance.now()), when each step of
 * the way to the first decoded frame happened.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../test/helpers/browser';
import type { PageJoinOptions, PageMarks } from './pageMarks';
import type { TargetKind } from './servers';

export type { PageJoinOptions, PageMarks } from './pageMarks';

/**
 * A small document really served by the server: its origin (http://127.0.0.1, a secure context for
 * getUserMedia) and a loopback address. A page fulfilled by playwright's router instead counts as
 * public for Chromium's Local Network Access checks, which then block its WebSocket to the server.
 */
const BLANK_PATH: Record<TargetKind, string> = { ours: '/healthz', baseline: '/rooms' };

export async function launchBenchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export class BenchPage {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, kind: TargetKind, url: string): Promise<BenchPage> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}${BLANK_PATH[kind]}`);
    return new BenchPage(context, page);
  }

  /** Starts the join in the page (returns at once); marks() reads the progress. */
  async join(options: PageJoinOptions): Promise<void> {
    await this.page.evaluate(pageJoin, options);
  }

  async marks(): Promise<PageMarks> {
    return this.page.evaluate(() => (window as unknown as { bench: { marks(): PageMarks } }).bench.marks());
  }

  async leave(): Promise<void> {
    await this.page
      .evaluate(() => (window as unknown as { bench: { leave(): Promise<void> } }).bench.leave())
      .catch(() => undefined);
    await this.context.close().catch(() => undefined);
  }
}

/**
 * Runs in the page (serialised by playwright: self-contained, no imports). Joins, answers every
 * server offer, and polls getStats every 10 ms until every remote video decoded, then every 250 ms.
 */
function pageJoin(options: PageJoinOptions): void {
  const now = (): number => performance.timeOrigin + performance.now();
  const marks: PageMarks = {
    pressedAt: now(),
    streamId: '',
    mediaAt: 0,
    joinSentAt: 0,
    receiveSections: 0,
    answeredAt: 0,
    iceConnectedAt: 0,
    connectedAt: 0,
    offersReceivedAt: [],
    offersAnsweredAt: [],
    remote: {},
    keyFramesEncoded: 0,
    pliCount: 0,
    errors: [],
  };
  const trackStreams = new Map<string, string>();
  let pc: RTCPeerConnection | undefined;
  let socket: WebSocket | undefined;
  let leave: () => Promise<void> = async () => undefined;
  let stopped = false;
  (window as unknown as { bench: unknown }).bench = {
    marks: () => marks,
    /** For diagnostics: the page's peer connection. */
    peerConnection: () => pc,
    leave: async () => {
      stopped = true;
      await leave().catch(() => undefined);
      socket?.close();
      pc?.close();
    },
  };
  const fail = (error: unknown): void => {
    marks.errors.push(error instanceof Error ? error.message : String(error));
  };
  const allDecoded = (): boolean => {
    const remote = Object.values(marks.remote);
    return remote.length > 0 && remote.every((r) => r.firstDecodedAt > 0);
  };
  const poll = async (): Promise<void> => {
    if (stopped || !pc) return;
    try {
      const stats = await pc.getStats();
      const at = now();
      let keyFrames = 0;
      let plis = 0;
      stats.forEach((report: Record<string, unknown>) => {
        if (report.type === 'outbound-rtp' && report.kind === 'video') {
          keyFrames += Number(report.keyFramesEncoded ?? 0);
          plis += Number(report.pliCount ?? 0);
        }
        if (report.type !== 'inbound-rtp' || report.kind !== 'video') return;
        const streamId = trackStreams.get(String(report.trackIdentifier));
        if (!streamId) return;
        const remote = (marks.remote[streamId] ??= { firstRtpAt: 0, firstDecodedAt: 0 });
        if (!remote.firstRtpAt && Number(report.packetsReceived ?? 0) > 0) remote.firstRtpAt = at;
        if (!remote.firstDecodedAt && Number(report.framesDecoded ?? 0) > 0) remote.firstDecodedAt = at;
      });
      marks.keyFramesEncoded = keyFrames;
      marks.pliCount = plis;
    } catch (error) {
      fail(error);
    }
    setTimeout(() => void poll(), allDecoded() ? 250 : 10);
  };

  const run = async (): Promise<void> => {
    // The signalling socket opens when join is pressed, for both servers, while the camera starts
    // (the SDK opens its socket before anything else of the join).
    const wsUrl = options.url.replace('http', 'ws');
    const ws =
      options.kind === 'baseline'
        ? new WebSocket(`${wsUrl}/`)
        : new WebSocket(`${wsUrl}/graphql`, 'graphql-transport-ws');
    socket = ws;
    const socketReady = new Promise<void>((resolve, reject) => {
      ws.onerror = reject;
      if (options.kind === 'baseline') {
        ws.onopen = () => resolve();
        return;
      }
      ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
      ws.onmessage = (event) => {
        if ((JSON.parse(String(event.data)) as { type: string }).type === 'connection_ack') resolve();
      };
    });
    // What the room holds is asked for while the camera starts: neither waits for the other.
    const roomStreams =
      options.receiveSections === 'room'
        ? fetch(`${options.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              query: 'query ($id: ID!) { room(id: $id) { participants { streams { id } } } }',
              variables: { id: options.roomId },
            }),
          })
            .then(async (response) => {
              const body = (await response.json()) as {
                data?: { room: { participants: Array<{ streams: unknown[] }> } | null };
              };
              return (body.data?.room?.participants ?? []).reduce((sum, p) => sum + p.streams.length, 0);
            })
            .catch(() => 0)
        : Promise.resolve(options.receiveSections);
    const [local, receiveSections] = await Promise.all([
      navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } }),
      roomStreams,
    ]);
    marks.mediaAt = now();
    marks.streamId = local.id;
    marks.receiveSections = receiveSections;
    pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    const peer = pc;
    const encodings: Record<PageJoinOptions['layers'], RTCRtpEncodingParameters[] | undefined> = {
      single: undefined,
      simulcast: [
        { rid: 'q', scaleResolutionDownBy: 4 },
        { rid: 'h', scaleResolutionDownBy: 2 },
        { rid: 'f', scaleResolutionDownBy: 1 },
      ],
      svc: [{ scalabilityMode: 'L3T3_KEY' } as RTCRtpEncodingParameters],
    };
    for (const track of local.getTracks()) {
      const sendEncodings = track.kind === 'video' ? encodings[options.layers] : undefined;
      peer.addTransceiver(track, {
        direction: 'sendonly',
        streams: [local],
        ...(sendEncodings ? { sendEncodings } : {}),
      });
    }
    // As the SDK does: receive-only sections list only what the room sends (a section with every
    // codec Chromium knows is ~4 KB of SDP).
    const only = (kind: 'audio' | 'video'): RTCRtpCodec[] => {
      const wanted = kind === 'audio' ? 'audio/opus' : options.layers === 'svc' ? 'video/vp9' : 'video/vp8';
      return (RTCRtpReceiver.getCapabilities(kind)?.codecs ?? []).filter((codec) =>
        [wanted, `${kind}/rtx`].includes(codec.mimeType.toLowerCase()),
      );
    };
    for (let pair = 0; pair < receiveSections; pair++) {
      for (const kind of ['audio', 'video'] as const) {
        const transceiver = peer.addTransceiver(kind, { direction: 'recvonly' });
        const codecs = only(kind);
        if (codecs.length > 0) transceiver.setCodecPreferences(codecs);
      }
    }
    peer.addEventListener('track', (event) => {
      const streamId = event.streams[0]?.id;
      if (!streamId || event.track.kind !== 'video') return;
      trackStreams.set(event.track.id, streamId);
      marks.remote[streamId] ??= { firstRtpAt: 0, firstDecodedAt: 0 };
    });
    peer.addEventListener('iceconnectionstatechange', () => {
      if (!marks.iceConnectedAt && ['connected', 'completed'].includes(peer.iceConnectionState))
        marks.iceConnectedAt = now();
    });
    peer.addEventListener('connectionstatechange', () => {
      if (!marks.connectedAt && peer.connectionState === 'connected') marks.connectedAt = now();
    });
    await peer.setLocalDescription(await peer.createOffer());
    const offer = peer.localDescription!.sdp;
    void poll();

    const answerOffer = async (sdp: string): Promise<string> => {
      await peer.setRemoteDescription({ type: 'offer', sdp });
      await peer.setLocalDescription(await peer.createAnswer());
      return peer.localDescription!.sdp;
    };
    let chain = Promise.resolve();

    if (options.kind === 'baseline') {
      await socketReady;
      let answered: () => void = () => undefined;
      const answerApplied = new Promise<void>((resolve) => (answered = resolve));
      ws.onmessage = (event) => {
        const message = JSON.parse(String(event.data)) as { type: string; sdp?: string; message?: string };
        if (message.type === 'answer' && message.sdp && !marks.answeredAt) {
          marks.answeredAt = now();
          void peer.setRemoteDescription({ type: 'answer', sdp: message.sdp }).then(answered).catch(fail);
        } else if (message.type === 'offer' && message.sdp) {
          marks.offersReceivedAt.push(now());
          const sdp = message.sdp;
          chain = chain
            .then(() => answerApplied)
            .then(async () => {
              ws.send(JSON.stringify({ type: 'answer', sdp: await answerOffer(sdp) }));
              marks.offersAnsweredAt.push(now());
            })
            .catch(fail);
        } else if (message.type === 'error') fail(message.message);
      };
      marks.joinSentAt = now();
      ws.send(
        JSON.stringify({
          type: 'join',
          roomId: options.roomId,
          name: options.name,
          sdp: offer,
          ...(options.layers === 'svc' ? { videoCodec: 'VP9' } : {}),
        }),
      );
      leave = async () => ws.send(JSON.stringify({ type: 'leave' }));
      return;
    }

    const gql = async <T>(query: string, variables: unknown, token?: string): Promise<T> => {
      const response = await fetch(`${options.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: unknown[] };
      if (!body.data || body.errors?.length) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    // As the SDK does: the join goes over graphql-ws (graphql-transport-ws protocol, spoken by
    // hand), and the negotiation follows on the same socket.
    await socketReady;
    let joined: { answer: string; token: string; participant: { id: string } } | undefined;
    /** Ids of the answers sent on the socket. */
    const answers = new Set<string>();
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: string;
        type: string;
        payload?: {
          data?: {
            negotiation?: { revision: number; sdp: string };
            join?: { answer: string; token: string; participant: { id: string } };
          };
        };
      };
      if (message.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      } else if (message.type === 'next' && message.id === 'join') {
        const join = message.payload?.data?.join;
        if (!join) return fail(JSON.stringify(message.payload));
        marks.answeredAt = now();
        joined = join;
        const id = join.participant.id;
        leave = async () => {
          await gql('mutation ($id: ID!) { leave(participantId: $id) }', { id }, join.token);
        };
        peer
          .setRemoteDescription({ type: 'answer', sdp: join.answer })
          .then(() =>
            ws.send(
              JSON.stringify({
                id: '1',
                type: 'subscribe',
                payload: {
                  query: 'subscription ($id: ID!) { negotiation(participantId: $id) { revision sdp } }',
                  variables: { id },
                },
              }),
            ),
          )
          .catch(fail);
      } else if (message.type === 'next' && message.id === '1' && joined) {
        const negotiation = message.payload?.data?.negotiation;
        if (!negotiation) return fail(JSON.stringify(message.payload));
        marks.offersReceivedAt.push(now());
        const { participant } = joined;
        chain = chain
          .then(async () => {
            const sdp = await answerOffer(negotiation.sdp);
            // As the SDK does: the answer goes on the signalling socket (marked when sent, as the
            // baseline's is), its result read when it comes.
            const id = `answer-${negotiation.revision}`;
            answers.add(id);
            ws.send(
              JSON.stringify({
                id,
                type: 'subscribe',
                payload: {
                  query: 'mutation ($input: AnswerInput!) { answer(input: $input) }',
                  variables: {
                    input: { participantId: participant.id, revision: negotiation.revision, sdp },
                  },
                },
              }),
            );
            marks.offersAnsweredAt.push(now());
          })
          .catch(fail);
      } else if (message.type === 'next' && message.id && answers.has(message.id)) {
        const payload = message.payload as { errors?: unknown[] } | undefined;
        if (payload?.errors?.length) fail(JSON.stringify(payload.errors));
      } else if (message.type === 'error') fail(JSON.stringify(message.payload));
    };
    marks.joinSentAt = now();
    ws.send(
      JSON.stringify({
        id: 'join',
        type: 'subscribe',
        payload: {
          query: 'mutation ($input: JoinInput!) { join(input: $input) { answer token participant { id } } }',
          variables: { input: { roomId: options.roomId, name: options.name, offer } },
        },
      }),
    );
  };
  run().catch(fail);
}
