/**
 * GraphQL SFU explorer: an offline GraphiQL 4 page.
 *
 * Queries and mutations go over HTTP POST to same-origin `/graphql` (with the headers typed in
 * GraphiQL's headers editor); subscriptions go over graphql-ws to `ws(s)://<same host>/graphql`.
 * The websocket client sends the `Authorization` header from the headers editor as
 * `connectionParams.authorization`; it is recreated (lazily, on the next subscription) whenever
 * that value changes.
 *
 * Bundled by scripts/build-client.mjs with esbuild; not part of the tsc build.
 */
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher, type Fetcher, type FetcherOpts, type FetcherParams } from '@graphiql/toolkit';
import { createClient, type Client } from 'graphql-ws';
import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import 'graphiql/style.css';
import './explorer.css';
import { EXAMPLE_TABS } from './examples';

const HTTP_URL = '/graphql';
const WS_URL = `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}/graphql`;

const DEFAULT_QUERY = `# Welcome to the GraphQL SFU explorer.
#
# To authenticate, add a header in the Headers tab below:
#   { "Authorization": "Bearer <token>" }
# It is sent with every HTTP request and, for subscriptions,
# as connectionParams.authorization on the websocket.

query {
  rooms(first: 10) {
    nodes {
      id
      name
      createdAt
    }
  }
}

# The other tabs hold ready-made operations: rooms, a subscription
# that keeps every event, the join flow, moderation. The page: /

# Subscriptions use graphql-ws on the same /graphql URL:
#
# subscription {
#   roomEvents(roomId: "demo") {
#     sequence
#     type
#     at
#   }
# }
`;

/** The Authorization value from the headers editor (header names are case-insensitive). */
function authorizationOf(headers: FetcherOpts['headers']): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization' && value != null && String(value) !== '') return String(value);
  }
  return undefined;
}

/**
 * Whether the operation GraphiQL runs is a subscription (it then goes over the websocket). Read from
 * the query text itself: GraphiQL's `documentAST` can still be the previous tab's right after a switch,
 * which sent a subscription over HTTP (where it cannot run).
 */
function isSubscription(params: FetcherParams, document: DocumentNode | undefined): boolean {
  const operations = (document?.definitions ?? []).filter(
    (def): def is OperationDefinitionNode => def.kind === Kind.OPERATION_DEFINITION,
  );
  const name = params.operationName || undefined;
  const operation = name
    ? operations.find((def) => def.name?.value === name)
    : operations.length === 1
      ? operations[0]
      : undefined;
  return operation?.operation === 'subscription';
}

interface Connection {
  authorization: string | undefined;
  client: Client;
  fetcher: Fetcher;
}

let connection: Connection | undefined;

function connect(authorization: string | undefined): Connection {
  const client = createClient({
    url: WS_URL,
    lazy: true,
    connectionParams: authorization === undefined ? {} : { authorization },
  });
  return { authorization, client, fetcher: createGraphiQLFetcher({ url: HTTP_URL, wsClient: client }) };
}

/** The document of the query text itself (GraphiQL's own may still be the previous tab's). */
function documentOf(params: FetcherParams, fallback: DocumentNode | undefined): DocumentNode | undefined {
  try {
    return parse(params.query);
  } catch {
    return fallback; // Not parseable: the server will say why.
  }
}

const fetcher: Fetcher = (params, given) => {
  const opts: FetcherOpts = { ...given, documentAST: documentOf(params, given?.documentAST) };
  if (!connection) {
    connection = connect(authorizationOf(opts?.headers));
  } else if (isSubscription(params, opts?.documentAST)) {
    const authorization = authorizationOf(opts?.headers);
    if (authorization !== connection.authorization) {
      const previous = connection.client;
      connection = connect(authorization);
      void previous.dispose();
    }
  }
  // Subscriptions go over the websocket here, not through the toolkit: it matches the operation by
  // GraphiQL's operationName, which can be missing for a one-operation document (it then used HTTP).
  if (isSubscription(params, opts.documentAST)) {
    return keepAll(
      connection.client.iterate({
        query: params.query,
        variables: params.variables ?? undefined,
        operationName: params.operationName ?? undefined,
      }) as unknown as FetcherResult,
    );
  }
  return connection.fetcher(params, opts);
};

type FetcherResult = ReturnType<Fetcher>;

/** A subscription's results as one growing list (newest first), not only the last one. */
function keepAll(result: FetcherResult): FetcherResult {
  return (async function* () {
    const source = await result;
    if (!source || typeof source !== 'object' || !(Symbol.asyncIterator in source)) {
      yield source as never;
      return;
    }
    const received: unknown[] = [];
    for await (const value of source as AsyncIterable<unknown>) {
      received.unshift(value);
      yield { received: received.length, 'events (newest first)': received } as never;
    }
  })();
}

const container = document.getElementById('graphiql');
if (!container) throw new Error('GraphQL SFU explorer: #graphiql element missing');

createRoot(container).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={DEFAULT_QUERY}
    defaultTabs={[{ query: DEFAULT_QUERY }, ...EXAMPLE_TABS]}
    isHeadersEditorEnabled
  />,
);
