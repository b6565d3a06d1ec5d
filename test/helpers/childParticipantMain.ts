/**
 * Entry point of a participant in a process of its own (see childParticipant.ts): a werift peer and
 * its graphql-ws client, so a test can freeze both at once with SIGSTOP, as a frozen laptop would.
 * argv: server URL, room id, name. Prints one JSON line { id, streamId } once joined.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { TestParticipant } from './participant';
import type { GraphQLEndpoint } from './server';

const [url, roomId, name] = process.argv.slice(2) as [string, string, string];

const endpoint: GraphQLEndpoint = {
  url,
  async gql(query, variables, headers) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { ...((await response.json()) as object), status: response.status } as never;
  },
  ws(connectionParams) {
    return createClient({
      url: `${url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: true,
    });
  },
  async disconnect() {},
};

void (async () => {
  const participant = await TestParticipant.join(endpoint, roomId, name);
  process.stdout.write(`${JSON.stringify({ id: participant.id, streamId: participant.peer.streamId })}\n`);
  process.once('SIGTERM', () => {
    void participant.close().finally(() => process.exit(0));
  });
})().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
