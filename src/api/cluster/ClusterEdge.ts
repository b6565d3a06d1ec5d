import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, Kind, print } from 'graphql';
import type { ParticipantTokens } from '../../access/ParticipantTokens';
import type { ConferenceService } from '../../conference/ConferenceService';
import { DomainError, type ErrorCode } from '../../shared/errors';
import type { ApiContext } from '../context';
import type { LiveSubscriptions } from '../subscriptions';
import { executeCompiled } from '../compiledExecute';
import { bearerToken } from '../context';
import { sameToken } from '../edge';
import { formatErrors } from '../errors';
import { forwardedResult, refusalResult } from './forwardedResult';
import { CLIENT_ADDRESS_HEADER, Forwarder, type GraphQLRequestBody, INTERNAL_HEADER } from './Forwarder';
import type { ClusterGateway } from './gateway';
import { operationKind, pickOperation, targetOf } from './routing';

/**
 * The API's door in a cluster: it recognises requests forwarded by other nodes (the internal
 * secret), and sends queries and mutations about rooms held elsewhere to their holder, over HTTP
 * and graphql-ws alike. Anything else runs here.
 */
export class ClusterEdge {
  readonly #forwarder: Forwarder;
  readonly #printed = new WeakMap<DocumentNode, string>();

  constructor(
    private readonly gateway: ClusterGateway,
    private readonly parse: (query: string) => DocumentNode,
    /** What this node holds now (answered without Redis). */
    here: { room(id: string): boolean; participant(id: string): boolean },
  ) {
    this.#forwarder = new Forwarder(gateway, here);
  }

  /**
   * What this node tells the others and hears from them about its participants: a kick or ban made
   * elsewhere ends what that person follows here; after a Redis restart (which forgets everything)
   * the participants held here are published again, so operations arriving at other nodes find them.
   */
  attach(conference: ConferenceService, subscriptions: LiveSubscriptions, tokens: ParticipantTokens): void {
    const cluster = this.gateway;
    void cluster.onEnded((notice) => {
      const ended = new DomainError(notice.code as ErrorCode, notice.message);
      subscriptions.endParticipant(notice.participantId, ended);
      if (notice.identity !== null) subscriptions.endIdentity(notice.roomId, notice.identity, ended);
    });
    cluster.onReconnect(() => {
      for (const participant of conference.registry.participants()) {
        const digest = tokens.digestOf(participant.id);
        if (!digest) continue;
        const entry = {
          participantId: participant.id,
          roomId: participant.roomId,
          identity: participant.identity,
        };
        void cluster.participantJoined(entry, digest).catch(() => undefined);
      }
    });
  }

  /** Whether a request comes from another node of the cluster. */
  forwardedByNode(headers: IncomingHttpHeaders): boolean {
    const presented = headers[INTERNAL_HEADER];
    return typeof presented === 'string' && sameToken(presented, this.gateway.internalSecret);
  }

  /** The client's address: the socket's, or for an operation a node forwarded, its client's. */
  clientAddress(req: IncomingMessage): string | undefined {
    const forwarded = req.headers[CLIENT_ADDRESS_HEADER];
    if (typeof forwarded === 'string' && this.forwardedByNode(req.headers)) return forwarded;
    return req.socket.remoteAddress;
  }

  /**
   * HTTP: the holder's answer (status and body) when the operation is about a room another node
   * holds; null when it runs here (or was forwarded here by a node).
   */
  async forwardPost(
    req: IncomingMessage,
    body: unknown,
  ): Promise<{ status: number; result: unknown } | null> {
    const request = body as GraphQLRequestBody | undefined;
    if (typeof request?.query !== 'string' || this.forwardedByNode(req.headers)) return null;
    let document: DocumentNode;
    try {
      document = this.parse(request.query);
    } catch {
      return null;
    }
    const kind = operationKind(document, request.operationName);
    if (kind !== 'query' && kind !== 'mutation') return null;
    try {
      return await this.#forwarder.run(
        targetOf(document, request.operationName, request.variables),
        kind === 'query',
        () => request,
        bearerToken(req.headers.authorization),
        req.socket.remoteAddress ?? 'unknown',
      );
    } catch (error) {
      return { status: 503, result: { errors: formatErrors(refusalResult(error).errors ?? []) } };
    }
  }

  /** graphql-ws queries and mutations: here, or on the node holding their room. */
  async execute(args: ExecutionArgs): Promise<ExecutionResult> {
    const variables = args.variableValues as Record<string, unknown> | undefined;
    try {
      const target = targetOf(args.document, args.operationName, variables);
      const readOnly = operationKind(args.document, args.operationName) === 'query';
      const context = args.contextValue as ApiContext;
      const forwarded = await this.#forwarder.run(
        target,
        readOnly,
        () => ({ query: this.#print(args.document), variables, operationName: args.operationName }),
        context.token,
        context.clientAddress,
      );
      if (!forwarded) return await executeCompiled(args);
      const { result } = forwarded;
      // A join answered by the holder: this socket speaks for its participant from now on.
      const token = joinedToken(args, result as ExecutionResult);
      if (token) context.joinedOnSocket?.(token, true);
      return forwardedResult(result);
    } catch (error) {
      return refusalResult(error);
    }
  }

  #print(document: DocumentNode): string {
    let query = this.#printed.get(document);
    if (!query) this.#printed.set(document, (query = print(document)));
    return query;
  }
}

/** The participant token of a `join` in `result`, when the operation selected it. */
function joinedToken(args: ExecutionArgs, result: ExecutionResult): string | undefined {
  const operation = pickOperation(args.document, args.operationName);
  if (operation?.operation !== 'mutation') return undefined;
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.name.value !== 'join') continue;
    const payload = result.data?.[selection.alias?.value ?? 'join'] as { token?: unknown } | null | undefined;
    if (typeof payload?.token === 'string') return payload.token;
  }
  return undefined;
}
