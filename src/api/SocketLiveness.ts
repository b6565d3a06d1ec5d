import type { WebSocket, WebSocketServer } from 'ws';
import type { SignalingLink } from '../conference/ports';

/** How often every graphql-ws connection is pinged (WebSocket ping frames, answered by any client). */
export const PING_INTERVAL_MS = 250;

/**
 * The liveness of each graphql-ws connection, for the participants whose `negotiation`
 * subscription it carries: a ping every 250 ms, and the time of its last pong or message. The
 * domain decides what silence means (Presence); this only reports what the socket shows.
 * graphql-ws's own keep-alive still terminates a socket that stays silent for 12 s.
 */
export class SocketLiveness {
  readonly #links = new WeakMap<WebSocket, { lastSeen: number; open: boolean }>();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly server: WebSocketServer) {
    server.on('connection', (socket) => {
      const link = { lastSeen: performance.now(), open: true };
      this.#links.set(socket, link);
      const heard = () => (link.lastSeen = performance.now());
      socket.on('pong', heard);
      socket.on('message', heard);
      socket.once('close', () => (link.open = false));
    });
    this.#timer = setInterval(() => this.#pingAll(), PING_INTERVAL_MS);
    this.#timer.unref();
  }

  /** The connection's link (one that counts as closed for a socket it never saw). */
  link(socket: WebSocket): SignalingLink {
    return this.#links.get(socket) ?? { lastSeen: 0, open: false };
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #pingAll(): void {
    for (const socket of this.server.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      try {
        socket.ping();
      } catch {
        // Closing under us: its 'close' marks the link.
      }
    }
  }
}
