import type { ExecutionResult } from 'graphql';
import { DomainError, ErrorCode } from '../../shared/errors';
import { logger } from '../../shared/logger';
import type { ClusterGateway } from './gateway';
import type { OperationTarget } from './routing';

/** Headers between nodes: the shared secret, and the client's address (its per-address limits). */
export const INTERNAL_HEADER = 'x-sfu-internal';
export const CLIENT_ADDRESS_HEADER = 'x-sfu-client-address';

/** A forwarded operation that gets no answer in this long fails with NODE_UNAVAILABLE. */
const FORWARD_TIMEOUT_MS = 10_000;
/** Another node may take a free room at the same moment: routing is tried again this often. */
const ROUTE_ATTEMPTS = 3;
/** A holder that let the room go as the operation reached it: asked again after this long, times the attempt. */
const REROUTE_DELAY_MS = 100;

export interface GraphQLRequestBody {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown>;
}

/**
 * Carries an operation to the node that holds its room, over that node's own HTTP API with the
 * cluster's internal secret; the holder runs it exactly as if the client had asked it (same token,
 * same checks), and the answer comes back unchanged. A room nobody holds is placed: join and
 * createRoom put it on the least loaded node (this one takes it at once when that is itself).
 */
export class Forwarder {
  constructor(
    private readonly gateway: ClusterGateway,
    /** What this node holds now (answered without Redis, so an outage leaves local calls alone). */
    private readonly here: { room(id: string): boolean; participant(id: string): boolean },
  ) {}

  /** Where the operation runs: null for here, else the holder's URL. */
  async destination(target: OperationTarget | null, readOnly = false): Promise<string | null> {
    if (!target) return null;
    if (target.roomId && this.here.room(target.roomId)) return null;
    if (target.participantId && this.here.participant(target.participantId)) return null;
    try {
      return await this.#route(target, readOnly);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      logger.warn({ err: error }, 'could not route an operation through Redis');
      throw new DomainError(
        ErrorCode.SERVICE_UNAVAILABLE,
        "The cluster's Redis is unreachable: operations on rooms of other nodes wait for it; try again.",
        { retryAfterMs: 1000 },
      );
    }
  }

  async #route(target: OperationTarget, readOnly: boolean): Promise<string | null> {
    let roomId = target.roomId;
    if (!roomId && target.participantId) {
      roomId = (await this.gateway.participant(target.participantId))?.roomId;
      // A participant nobody knows: answered here (PARTICIPANT_NOT_FOUND or FORBIDDEN).
      if (!roomId) return null;
    }
    if (target.pin) return this.#pinned(target.pin);
    for (let attempt = 0; attempt < ROUTE_ATTEMPTS; attempt++) {
      if (!roomId) {
        const node = await this.gateway.placement();
        return node.id === this.gateway.nodeId ? null : node.url;
      }
      const holder = await this.gateway.holderOf(roomId);
      if (holder === this.gateway.nodeId) return null;
      if (holder) {
        const node = await this.gateway.node(holder);
        if (node?.alive) return node.url;
        // A query can still be answered from the database here (the room's record and history).
        if (readOnly) return null;
        throw new DomainError(
          ErrorCode.NODE_UNAVAILABLE,
          'The node holding this room stopped answering; another node takes the room over within seconds: try again.',
          { retryAfterMs: 1000 },
        );
      }
      // Nobody holds it: reading needs no holder; joining and creating place it.
      if (!target.place) return null;
      const node = await this.gateway.placement();
      if (node.id !== this.gateway.nodeId) return node.url;
      if (await this.gateway.claim(roomId)) return null;
    }
    throw changingNodes();
  }

  /** createRoom pinned to a node: there, if it is alive (a room that exists elsewhere says ROOM_EXISTS there). */
  async #pinned(nodeId: string): Promise<string | null> {
    if (nodeId === this.gateway.nodeId) return null;
    const node = await this.gateway.node(nodeId);
    if (!node?.alive) {
      throw new DomainError(ErrorCode.NODE_UNAVAILABLE, `Node "${nodeId}" is not alive in this cluster.`);
    }
    return node.url;
  }

  /**
   * Runs the operation where its room is: null when that is here, else the holder's answer. A node
   * asked as the holder may have let the room go meanwhile: a drained node hands its rooms over
   * right after others looked it up, and takes none back (it answers ROOM_ELSEWHERE before
   * anything ran). The operation is then routed again, to the room's next holder, instead of
   * failing; a room that stays between nodes is SERVICE_UNAVAILABLE, to try again.
   */
  async run(
    target: OperationTarget | null,
    readOnly: boolean,
    /** Made only when the operation leaves this node (printing a document is not free). */
    body: () => GraphQLRequestBody,
    token: string | undefined,
    clientAddress: string,
  ): Promise<{ status: number; result: ExecutionResult } | null> {
    for (let attempt = 1; ; attempt++) {
      const url = await this.destination(target, readOnly);
      if (!url) return null;
      const answer = await this.forward(url, body(), token, clientAddress);
      if (!refusedAsNotHolder(answer.result)) return answer;
      if (attempt === ROUTE_ATTEMPTS) throw changingNodes();
      logger.info(
        { event: 'operation.rerouted', url, attempt },
        'the node asked had let the room go: routing again',
      );
      await new Promise((resolve) => setTimeout(resolve, REROUTE_DELAY_MS * attempt));
    }
  }

  /** Runs the operation on `url`'s node; its JSON answer and HTTP status, as it gave them. */
  async forward(
    url: string,
    body: GraphQLRequestBody,
    token: string | undefined,
    clientAddress: string,
  ): Promise<{ status: number; result: ExecutionResult }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [INTERNAL_HEADER]: this.gateway.internalSecret,
      [CLIENT_ADDRESS_HEADER]: clientAddress,
    };
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
    } catch (error) {
      logger.warn({ err: error, url }, 'a node did not answer a forwarded operation');
      throw new DomainError(
        ErrorCode.NODE_UNAVAILABLE,
        'The node holding this room is not answering; try again in a moment.',
        { retryAfterMs: 1000 },
      );
    }
    const result = (await response.json()) as ExecutionResult;
    return { status: response.status, result };
  }
}

const changingNodes = () =>
  new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'The room is changing nodes; try again.', {
    retryAfterMs: 500,
  });

/** Whether a node answered that it does not hold the operation's room (nothing of it ran). */
function refusedAsNotHolder(result: ExecutionResult): boolean {
  const errors = result.errors as unknown as Array<{ extensions?: { code?: unknown } }> | undefined;
  return errors?.length === 1 && errors[0]?.extensions?.code === ErrorCode.ROOM_ELSEWHERE;
}
