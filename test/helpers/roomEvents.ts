import type { GraphQLEndpoint } from './server';

/** A room event as a watcher received it, with the time it arrived. */
export interface SeenEvent {
  type: string;
  participantId: string | null;
  reason: string | null;
  at: number;
}

const EVENTS = `subscription ($room: ID!) { roomEvents(roomId: $room) { type participantId reason } }`;

/**
 * Every room event from now on (a graphql-ws client of its own, as an outside watcher), with the
 * time each arrived; `ready` resolves once the subscription is live.
 */
export function recordRoomEvents(
  server: GraphQLEndpoint,
  roomId: string,
): { seen: SeenEvent[]; ready: Promise<void> } {
  const seen: SeenEvent[] = [];
  const client = server.ws();
  let ready: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (ready = resolve));
  client.on('connected', () => setTimeout(ready, 100));
  client.subscribe<{ roomEvents: Omit<SeenEvent, 'at'> }>(
    { query: EVENTS, variables: { room: roomId } },
    {
      next: (value) => {
        if (value.data) seen.push({ ...value.data.roomEvents, at: Date.now() });
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return { seen, ready: connected };
}
