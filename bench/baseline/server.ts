/**
 * The benchmark's baseline: the smallest signaling server that does what ours does for media.
 *
 * Plain WebSocket + JSON (ws), no GraphQL, no database, no authentication. The media side is the
 * same code as ours (src/media: one medooze endpoint, the same capabilities, MediaPeer for the
 * SDP manager and forwarding), so the difference the benchmark measures is everything around it.
 *
 * Protocol (one WebSocket per participant, at ws://host:port/):
 *   client -> {type: 'join', roomId, name, sdp}     server -> {type: 'answer', id, sdp}
 *   server -> {type: 'offer', sdp}                  client -> {type: 'answer', sdp}
 *   client -> {type: 'leave'} or closes the socket
 *   client -> {type: 'subscribe', roomId}            server -> {type: 'event', event} for each room event
 * HTTP: GET /rooms?first=N -> {nodes: [{id, name, createdAt}], totalCount}; POST /rooms {id, name}.
 *
 * Prints `baseline listening http://127.0.0.1:PORT/` on stdout once it serves.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PublishedStream } from '../../src/conference/ports';
import { MediaEngine } from '../../src/media/MediaEngine';
import type { MediaPeer } from '../../src/media/MediaPeer';

interface RoomEvent {
  sequence: number;
  type: string;
  at: string;
  participantId: string;
  participantName: string;
  streamId: string | null;
  reason: string | null;
}

interface Room {
  id: string;
  name: string;
  createdAt: string;
  members: Map<string, Member>;
  watchers: Set<WebSocket>;
  sequence: number;
  /** Set by the join that creates it (VP8 unless it asks for VP9), as our server's createRoom. */
  videoCodec: 'VP8' | 'VP9';
}

interface Member {
  id: string;
  name: string;
  room: Room;
  socket: WebSocket;
  peer?: MediaPeer;
  published: PublishedStream[];
  /** A change arrived while an offer was pending: offer again once it is answered. */
  wanted: boolean;
  scheduled: boolean;
  gone: boolean;
}

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 0);
// The same media settings as ours: MEDIA_ANNOUNCED_IP, and MEDIA_LISTEN_IP (unset: the announced
// address when it is local, as ours binds it).
const engine = new MediaEngine({
  announcedIp: process.env.MEDIA_ANNOUNCED_IP ?? '127.0.0.1',
  ...(process.env.MEDIA_LISTEN_IP ? { listenIp: process.env.MEDIA_LISTEN_IP } : {}),
});
engine.start();
const rooms = new Map<string, Room>();

function room(id: string, name = id, videoCodec: 'VP8' | 'VP9' = 'VP8'): Room {
  let existing = rooms.get(id);
  if (!existing) {
    existing = {
      id,
      name,
      videoCodec,
      createdAt: new Date().toISOString(),
      members: new Map(),
      watchers: new Set(),
      sequence: 0,
    };
    rooms.set(id, existing);
  }
  return existing;
}

function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

function emit(target: Room, type: string, member: Member, streamId?: string, reason?: string): void {
  const event: RoomEvent = {
    sequence: ++target.sequence,
    type,
    at: new Date().toISOString(),
    participantId: member.id,
    participantName: member.name,
    streamId: streamId ?? null,
    reason: reason ?? null,
  };
  const text = JSON.stringify({ type: 'event', event });
  for (const watcher of target.watchers) if (watcher.readyState === watcher.OPEN) watcher.send(text);
}

/** Offers when stable; otherwise remembers that another offer is wanted. */
function negotiate(member: Member): void {
  const peer = member.peer;
  if (member.gone || !peer) return;
  if (peer.signalingState !== 'stable') {
    member.wanted = true;
    return;
  }
  member.wanted = false;
  send(member.socket, { type: 'offer', sdp: peer.createOffer() });
}

function changed(member: Member): void {
  if (member.scheduled) return;
  member.scheduled = true;
  setImmediate(() => {
    member.scheduled = false;
    negotiate(member);
  });
}

function publish(member: Member, streams: PublishedStream[]): void {
  const before = new Set(member.published.map((stream) => stream.id));
  const after = new Set(streams.map((stream) => stream.id));
  member.published = streams;
  for (const other of member.room.members.values()) {
    if (other === member || !other.peer || !member.peer) continue;
    for (const stream of streams) other.peer.subscribe(member.peer, stream.id);
    for (const id of before) if (!after.has(id)) other.peer.unsubscribe(id);
    changed(other);
  }
  for (const stream of streams)
    if (!before.has(stream.id)) emit(member.room, 'STREAM_PUBLISHED', member, stream.id);
  for (const id of before) if (!after.has(id)) emit(member.room, 'STREAM_UNPUBLISHED', member, id);
}

function join(
  socket: WebSocket,
  roomId: string,
  name: string,
  sdp: string,
  videoCodec: 'VP8' | 'VP9' = 'VP8',
): Member {
  const target = room(roomId, roomId, videoCodec);
  const member: Member = {
    id: randomUUID(),
    name,
    room: target,
    socket,
    published: [],
    wanted: false,
    scheduled: false,
    gone: false,
  };
  const peer = engine.create(engine.parseDescription(sdp), {
    videoCodec: target.videoCodec,
    listener: {
      onPublishedChanged: (streams) => publish(member, streams),
      // Every change of what a member receives goes through subscribe/unsubscribe below, which
      // schedule the offer themselves; medooze's own event would only duplicate it.
      onRenegotiationNeeded: () => undefined,
      onLost: () => leave(member, 'DISCONNECTED'),
    },
  });
  member.peer = peer;
  target.members.set(member.id, member);
  emit(target, 'PARTICIPANT_JOINED', member);
  // The newcomer receives everyone; everyone receives the newcomer.
  let receives = false;
  for (const other of target.members.values()) {
    if (other === member || !other.peer) continue;
    for (const stream of other.published) {
      peer.subscribe(other.peer, stream.id);
      receives = true;
    }
  }
  if (receives) changed(member);
  publish(member, peer.publishedStreams());
  send(socket, { type: 'answer', id: member.id, sdp: peer.createAnswer() });
  return member;
}

function leave(member: Member, reason: string): void {
  if (member.gone) return;
  member.gone = true;
  const target = member.room;
  target.members.delete(member.id);
  for (const other of target.members.values()) {
    for (const stream of member.published) other.peer?.unsubscribe(stream.id);
    changed(other);
  }
  for (const stream of member.published) emit(target, 'STREAM_UNPUBLISHED', member, stream.id);
  emit(target, 'PARTICIPANT_LEFT', member, undefined, reason);
  void member.peer?.close();
}

const server = http.createServer((request, response) => {
  const url = new URL(request.url ?? '/', `http://${host}`);
  if (url.pathname === '/rooms' && request.method === 'GET') {
    const first = Math.min(Number(url.searchParams.get('first') ?? 20) || 20, 100);
    const nodes = [...rooms.values()]
      .slice(0, first)
      .map(({ id, name, createdAt }) => ({ id, name, createdAt }));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ nodes, totalCount: rooms.size }));
  } else if (url.pathname === '/rooms' && request.method === 'POST') {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const input = JSON.parse(body || '{}') as { id?: string; name?: string };
      const created = room(input.id ?? randomUUID(), input.name);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: created.id }));
    });
  } else {
    response.writeHead(404).end();
  }
});

const wss = new WebSocketServer({ server, maxPayload: 1024 * 1024 });
wss.on('connection', (socket) => {
  let member: Member | undefined;
  const watching = new Set<Room>();
  socket.on('message', (data) => {
    try {
      const message = JSON.parse(data.toString()) as {
        type: string;
        roomId?: string;
        name?: string;
        sdp?: string;
        videoCodec?: string;
      };
      if (message.type === 'join' && !member && message.sdp) {
        member = join(
          socket,
          message.roomId ?? 'default',
          message.name ?? 'anonymous',
          message.sdp,
          message.videoCodec === 'VP9' ? 'VP9' : 'VP8',
        );
      } else if (message.type === 'answer' && member?.peer && message.sdp) {
        member.peer.processAnswer(engine.parseDescription(message.sdp));
        if (member.wanted) changed(member);
      } else if (message.type === 'leave' && member) {
        leave(member, 'LEFT');
        send(socket, { type: 'left' });
      } else if (message.type === 'subscribe' && message.roomId) {
        const target = room(message.roomId);
        target.watchers.add(socket);
        watching.add(target);
        send(socket, { type: 'subscribed', roomId: target.id });
      } else {
        send(socket, { type: 'error', message: `unexpected ${message.type}` });
      }
    } catch (error) {
      send(socket, { type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  });
  socket.on('close', () => {
    if (member) leave(member, 'DISCONNECTED');
    for (const target of watching) target.watchers.delete(socket);
  });
});

server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`baseline listening http://${host}:${actual}/\n`);
});

function shutdown(): void {
  for (const target of rooms.values())
    for (const member of [...target.members.values()]) leave(member, 'SERVER_SHUTDOWN');
  wss.close();
  server.close();
  setTimeout(() => {
    engine.terminate();
    process.exit(0);
  }, 50);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
process.on('uncaughtException', (error) => process.stderr.write(`uncaught: ${error.stack ?? error}\n`));
process.on('unhandledRejection', (reason) => process.stderr.write(`unhandled: ${String(reason)}\n`));
