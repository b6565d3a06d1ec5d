import type { WebSocket } from 'ws';
import type { ParticipantTokens } from '../access/ParticipantTokens';

/**
 * graphql-ws connections that joined a room with `join`: each speaks for its participant from then
 * on, as if it had connected with the participant token `join` answered (the token is in the
 * answer too). A client can then open one socket, join on it, and follow its negotiation on it,
 * without the round trips of an HTTP request and of a second connection. A connection's own
 * token (a join token, for the next join) is used again once that participant has left here.
 */
export class JoinedSockets {
  readonly #joined = new WeakMap<WebSocket, { token: string; remote: boolean }>();

  constructor(private readonly participantTokens: ParticipantTokens) {}

  /**
   * `join` succeeded on `socket`, answered with `token`. `remote`: forwarded to the node holding
   * the room (cluster), which knows the token; this node has no participant to ask about.
   */
  joined(socket: WebSocket, token: string, remote = false): void {
    this.#joined.set(socket, { token, remote });
  }

  /** The token `socket`'s operations run with: its participant's while it is in the room, else its own. */
  tokenOf(socket: WebSocket, connectionToken: string | undefined): string | undefined {
    const joined = this.#joined.get(socket);
    if (!joined) return connectionToken;
    if (joined.remote || this.participantTokens.participantOf(joined.token)) return joined.token;
    this.#joined.delete(socket);
    return connectionToken;
  }
}
