/**
 * One participant API over both servers: a real WebRTC peer (werift, the test suite's TestPeer)
 * that signals either through our GraphQL API (join mutation, negotiation subscription over
 * graphql-ws, answer mutation) or through the baseline's WebSocket JSON protocol.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { packetStartsKeyframe, TestPeer, type TestPeerOptions } from '../../test/helpers/weriftPeer';
import { httpJson } from './httpClient';
import type { ServerProcess, TargetKind } from './servers';

const JOIN = `mutation ($input: JoinInput!) { join(input: $input) { answer token participant { id } } }`;
const ANSWER = `mutation ($input: AnswerInput!) { answer(input: $input) }`;
const LEAVE = `mutation ($id: ID!) { leave(participantId: $id) }`;
const NEGOTIATION = `subscription ($id: ID!) { negotiation(participantId: $id) { revision sdp } }`;
const ROOM_EVENTS = `subscription ($roomId: ID!) { roomEvents(roomId: $roomId) { sequence type at participantId streamId } }`;
/** Any one request or awaited message; a server that stops answering fails the step, not the run. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Leaving is not measured: give up sooner. */
const LEAVE_TIMEOUT_MS = 5_000;
export const ROOMS_QUERY = `query { rooms(first: 20) { nodes { id name createdAt } totalCount } }`;

interface TrackRecord {
  streamId: string;
  kind: 'audio' | 'video';
  packets: number;
  bytes: number;
  firstAt: number;
  /** performance.now() of the first packet that starts a video keyframe (video only), or 0. */
  firstKeyframeAt: number;
}

/** What a peer receives, per remote stream id: first packet time, packets and bytes per kind. */
export class Probe {
  readonly #tracks = new Map<unknown, TrackRecord>();

  constructor(peer: TestPeer) {
    const emitter = peer.pc as unknown as {
      on(event: 'track', listener: (event: TrackEventLike) => void): void;
    };
    emitter.on('track', (event) => {
      if (this.#tracks.has(event.transceiver)) return;
      const record: TrackRecord = {
        streamId: event.streams[0]?.id ?? event.track.streamId ?? '-',
        kind: event.track.kind === 'audio' ? 'audio' : 'video',
        packets: 0,
        bytes: 0,
        firstAt: 0,
        firstKeyframeAt: 0,
      };
      this.#tracks.set(event.transceiver, record);
      event.track.onReceiveRtp.subscribe((packet) => {
        if (record.packets === 0) record.firstAt = performance.now();
        // What a decoder can start from: the first keyframe, not the first (delta) packet.
        if (
          record.kind === 'video' &&
          record.firstKeyframeAt === 0 &&
          packetStartsKeyframe(event.transceiver as never, packet as never)
        ) {
          record.firstKeyframeAt = performance.now();
        }
        record.packets++;
        record.bytes += packet.payload.length + packet.header.serializeSize;
      });
    });
  }

  /** performance.now() of the first RTP packet of any kind from `streamId`, or 0. */
  firstPacketAt(streamId: string): number {
    let first = 0;
    for (const record of this.#tracks.values()) {
      if (record.streamId === streamId && record.firstAt > 0 && (first === 0 || record.firstAt < first)) {
        first = record.firstAt;
      }
    }
    return first;
  }

  /** performance.now() of the first video keyframe from `streamId` (a decodable start), or 0. */
  firstKeyframeAt(streamId: string): number {
    let first = 0;
    for (const record of this.#tracks.values()) {
      if (record.streamId === streamId && record.firstKeyframeAt > 0) {
        if (first === 0 || record.firstKeyframeAt < first) first = record.firstKeyframeAt;
      }
    }
    return first;
  }

  received(streamId: string): { audio: number; video: number; bytes: number } {
    const total = { audio: 0, video: 0, bytes: 0 };
    for (const record of this.#tracks.values()) {
      if (record.streamId !== streamId) continue;
      total[record.kind] += record.packets;
      total.bytes += record.bytes;
    }
    return total;
  }
}

interface TrackEventLike {
  transceiver: unknown;
  streams: Array<{ id: string }>;
  track: {
    kind: string;
    streamId?: string;
    onReceiveRtp: {
      subscribe(listener: (packet: { payload: Buffer; header: { serializeSize: number } }) => void): void;
    };
  };
}

/** RTP packets a TestPeer has sent so far (read from its sequence counters, modulo 2^16). */
export function sentSequence(peer: TestPeer): { audio: number; video: number } {
  const counters = peer as unknown as { audioSeq: number; videoSeq: number };
  return { audio: counters.audioSeq, video: counters.videoSeq };
}

export interface BenchParticipant {
  readonly peer: TestPeer;
  readonly probe: Probe;
  readonly streamId: string;
  /** performance.now() when the join was sent and when its answer arrived. */
  readonly joinSentAt: number;
  readonly answerAt: number;
  /** performance.now() of each server offer received. */
  readonly offersAt: number[];
  /** Server offers answered so far. */
  answered(): number;
  readonly errors: unknown[];
  /** Leaves through the server, then closes. */
  leave(): Promise<void>;
  /** Closes the peer and sockets without telling the server. */
  close(): Promise<void>;
}

export interface Target {
  readonly kind: TargetKind;
  readonly server: ServerProcess;
  join(roomId: string, name: string, options?: TestPeerOptions): Promise<BenchParticipant>;
  createRoom(id: string): Promise<void>;
  /** Closes a room (ours: it stays in the database, closed; the baseline forgets rooms when it exits). */
  closeRoom(id: string): Promise<void>;
  /** One `rooms` request; resolves when the response body is read. */
  roomsQuery(): Promise<void>;
  /** Subscribes to a room's events; resolves once the subscription is in place. */
  watchRoom(roomId: string, onEvent: () => void): Promise<() => Promise<void>>;
  /** A join with a ready-made offer, then an immediate leave (generates room events, no media). */
  joinAndLeave(roomId: string, name: string, offer: string): Promise<void>;
  /** Closes every participant still open (after a failed scenario). */
  closeAll(): Promise<void>;
}

/** Keeps track of open participants so a failed scenario leaves no peer sending. */
class Registry {
  readonly open = new Set<BenchParticipant>();
  track(participant: BenchParticipant): BenchParticipant {
    this.open.add(participant);
    const { leave, close } = participant;
    participant.leave = async () => {
      this.open.delete(participant);
      await leave();
    };
    participant.close = async () => {
      this.open.delete(participant);
      await close();
    };
    return participant;
  }
  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((participant) => participant.close().catch(() => undefined)));
  }
}

export function targetFor(server: ServerProcess): Target {
  return server.kind === 'ours' ? new OursTarget(server) : new BaselineTarget(server);
}

// -----------------------------------------------------------------------------------------------
// Ours: GraphQL over HTTP + graphql-ws

interface GqlResult<T> {
  data?: T | null;
  errors?: Array<{ message: string }>;
}

class OursTarget extends Registry implements Target {
  readonly kind = 'ours' as const;
  readonly #http: string;
  readonly #ws: string;

  constructor(readonly server: ServerProcess) {
    super();
    this.#http = `${server.url}/graphql`;
    this.#ws = `${server.url.replace('http', 'ws')}/graphql`;
  }

  async gql<T>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<T> {
    const body = await httpJson<GqlResult<T>>(this.#http, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: { query, variables },
      timeoutMs,
    });
    if (body.errors?.length || !body.data) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  wsClient(connectionParams?: Record<string, unknown>): Client {
    return createClient({
      url: this.#ws,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: true,
    });
  }

  /**
   * As the SDK joins: its socket opens first (as the baseline's does, before the join is timed),
   * the join goes over it, and the negotiation follows on it; answers and leave go over HTTP.
   */
  async join(roomId: string, name: string, options?: TestPeerOptions): Promise<BenchParticipant> {
    const peer = new TestPeer(options);
    const probe = new Probe(peer);
    const offer = await peer.createOffer();
    const client = createClient({ url: this.#ws, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    let joined: { answer: string; token: string; participant: { id: string } };
    let joinSentAt: number;
    try {
      await connected(client);
      joinSentAt = performance.now();
      ({ join: joined } = await socketOperation<{ join: typeof joined }>(client, JOIN, {
        input: { roomId, name, offer },
      }));
    } catch (error) {
      await client.dispose();
      await peer.close();
      throw error;
    }
    const answerAt = performance.now();
    await peer.acceptAnswer(joined.answer);
    const { token } = joined;
    const id = joined.participant.id;
    const offersAt: number[] = [];
    const errors: unknown[] = [];
    let answered = 0;
    let chain = Promise.resolve();
    const unsubscribe = client.subscribe<{ negotiation: { revision: number; sdp: string } }>(
      { query: NEGOTIATION, variables: { id } },
      {
        next: (value) => {
          const offer = value.data?.negotiation;
          if (!offer) return void errors.push(value.errors);
          offersAt.push(performance.now());
          chain = chain
            .then(async () => {
              const sdp = await peer.acceptOffer(offer.sdp);
              await this.gql(ANSWER, { input: { participantId: id, revision: offer.revision, sdp } }, token);
              answered++;
            })
            .catch((error: unknown) => void errors.push(error));
        },
        error: (error) => errors.push(error),
        complete: () => undefined,
      },
    );
    const close = async (): Promise<void> => {
      unsubscribe();
      await client.dispose();
      await peer.close();
    };
    return this.track({
      peer,
      probe,
      streamId: peer.streamId,
      joinSentAt,
      answerAt,
      offersAt,
      errors,
      answered: () => answered,
      leave: async () => {
        try {
          await this.gql(LEAVE, { id }, token, LEAVE_TIMEOUT_MS);
        } finally {
          await close();
        }
      },
      close,
    });
  }

  async closeRoom(id: string): Promise<void> {
    await this.gql(`mutation ($id: ID!) { closeRoom(id: $id) { id } }`, { id });
  }

  async createRoom(id: string): Promise<void> {
    await this.gql(`mutation ($input: CreateRoomInput!) { createRoom(input: $input) { id } }`, {
      input: { id, name: `Room ${id}` },
    });
  }

  async roomsQuery(): Promise<void> {
    await this.gql(ROOMS_QUERY);
  }

  async watchRoom(roomId: string, onEvent: () => void): Promise<() => Promise<void>> {
    const client = this.wsClient();
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const unsubscribe = client.subscribe(
      { query: ROOM_EVENTS, variables: { roomId } },
      {
        next: (value) => (value.data ? onEvent() : undefined),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await connected;
    return async () => {
      unsubscribe();
      await client.dispose();
    };
  }

  /** As the SDK: a socket of its own, the join on it, the leave over HTTP, the socket closed. */
  async joinAndLeave(roomId: string, name: string, offer: string): Promise<void> {
    const client = createClient({ url: this.#ws, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    try {
      await connected(client);
      const { join } = await socketOperation<{ join: { token: string; participant: { id: string } } }>(
        client,
        JOIN,
        { input: { roomId, name, offer } },
      );
      await this.gql(LEAVE, { id: join.participant.id }, join.token);
    } finally {
      await client.dispose();
    }
  }
}

/** Resolves once the socket is open and graphql-ws acknowledged it. */
function connected(client: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    client.on('connected', () => resolve());
    client.on('closed', () => reject(new Error('ours: the socket closed before it connected')));
  });
}

/** One query or mutation over a graphql-ws socket: its data, or its errors thrown. */
function socketOperation<T>(client: Client, query: string, variables: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ours: no answer within ${REQUEST_TIMEOUT_MS} ms`)),
      REQUEST_TIMEOUT_MS,
    );
    // Not disposed in `next`: graphql-ws would count that and the server's `complete` twice, and
    // close the socket when its count of operations reaches zero.
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          clearTimeout(timer);
          if (value.errors?.length || !value.data)
            reject(new Error(`GraphQL error: ${JSON.stringify(value.errors)}`));
          else resolve(value.data as T);
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(`GraphQL error: ${JSON.stringify(error)}`));
        },
        complete: () => undefined,
      },
    );
  });
}

// -----------------------------------------------------------------------------------------------
// Baseline: one WebSocket per participant, JSON messages

interface BaselineMessage {
  type: string;
  id?: string;
  sdp?: string;
  message?: string;
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket, type: string): Promise<BaselineMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`baseline: no ${type} message within ${REQUEST_TIMEOUT_MS} ms`));
    }, REQUEST_TIMEOUT_MS);
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(data.toString()) as BaselineMessage;
      if (message.type === type) {
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(message);
      } else if (message.type === 'error') {
        clearTimeout(timer);
        socket.off('message', onMessage);
        reject(new Error(`baseline error: ${message.message}`));
      }
    };
    socket.on('message', onMessage);
  });
}

class BaselineTarget extends Registry implements Target {
  readonly kind = 'baseline' as const;
  readonly #ws: string;

  constructor(readonly server: ServerProcess) {
    super();
    this.#ws = `${server.url.replace('http', 'ws')}/`;
  }

  async join(roomId: string, name: string, options?: TestPeerOptions): Promise<BenchParticipant> {
    const peer = new TestPeer(options);
    const probe = new Probe(peer);
    const offer = await peer.createOffer();
    const socket = await openSocket(this.#ws);
    const offersAt: number[] = [];
    const errors: unknown[] = [];
    let answered = 0;
    let chain = Promise.resolve();
    // Offers may arrive right after the answer: listen before joining, apply after the answer.
    let ready: () => void = () => undefined;
    const answerApplied = new Promise<void>((resolve) => (ready = resolve));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as BaselineMessage;
      if (message.type !== 'offer' || !message.sdp) return;
      const sdp = message.sdp;
      offersAt.push(performance.now());
      chain = chain
        .then(() => answerApplied)
        .then(async () => {
          const answer = await peer.acceptOffer(sdp);
          socket.send(JSON.stringify({ type: 'answer', sdp: answer }));
          answered++;
        })
        .catch((error: unknown) => void errors.push(error));
    });
    const answerMessage = nextMessage(socket, 'answer');
    const joinSentAt = performance.now();
    socket.send(JSON.stringify({ type: 'join', roomId, name, sdp: offer }));
    let answer: BaselineMessage;
    try {
      answer = await answerMessage;
    } catch (error) {
      socket.close();
      await peer.close();
      throw error;
    }
    const answerAt = performance.now();
    await peer.acceptAnswer(answer.sdp ?? '');
    ready();
    const close = async (): Promise<void> => {
      socket.close();
      await peer.close();
    };
    return this.track({
      peer,
      probe,
      streamId: peer.streamId,
      joinSentAt,
      answerAt,
      offersAt,
      errors,
      answered: () => answered,
      leave: async () => {
        try {
          const left = nextMessage(socket, 'left');
          socket.send(JSON.stringify({ type: 'leave' }));
          await left;
        } finally {
          await close();
        }
      },
      close,
    });
  }

  async closeRoom(): Promise<void> {
    // Its rooms live in its memory only.
  }

  async createRoom(id: string): Promise<void> {
    await httpJson(`${this.server.url}/rooms`, {
      method: 'POST',
      body: { id, name: `Room ${id}` },
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  }

  async roomsQuery(): Promise<void> {
    await httpJson(`${this.server.url}/rooms?first=20`, { method: 'GET', timeoutMs: REQUEST_TIMEOUT_MS });
  }

  async watchRoom(roomId: string, onEvent: () => void): Promise<() => Promise<void>> {
    const socket = await openSocket(this.#ws);
    const subscribed = nextMessage(socket, 'subscribed');
    socket.on('message', (data) => {
      if ((JSON.parse(data.toString()) as BaselineMessage).type === 'event') onEvent();
    });
    socket.send(JSON.stringify({ type: 'subscribe', roomId }));
    await subscribed;
    return async () => {
      socket.close();
    };
  }

  async joinAndLeave(roomId: string, name: string, offer: string): Promise<void> {
    const socket = await openSocket(this.#ws);
    const answer = nextMessage(socket, 'answer');
    socket.send(JSON.stringify({ type: 'join', roomId, name, sdp: offer }));
    await answer;
    const left = nextMessage(socket, 'left');
    socket.send(JSON.stringify({ type: 'leave' }));
    await left;
    socket.close();
  }
}
