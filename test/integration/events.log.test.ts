import { collect, startTestServer, type TestServer } from '../helpers/server';
import { TestParticipant } from '../helpers/participant';

type Event = { roomEvents: { sequence: number; type: string; participantName: string | null } };
const EVENTS = `subscription ($room: ID!, $after: Int) { roomEvents(roomId: $room, after: $after) { sequence type participantName } }`;
const summary = (events: Event[]) =>
  events.map(
    (event) =>
      `${event.roomEvents.sequence}:${event.roomEvents.type}:${event.roomEvents.participantName ?? ''}`,
  );

/** roomEvents(after): stored events first, then live ones, with no gap and no duplicate. */
describe('the durable room event log', () => {
  let server: TestServer;
  const people: TestParticipant[] = [];
  afterAll(async () => {
    await Promise.all(people.map((participant) => participant.close()));
    await server?.dispose();
  });

  test('a subscriber that reconnects with `after` gets exactly the events it missed, in order, then live ones; also across a restart', async () => {
    server = await startTestServer();
    await server.gql(`mutation { createRoom(input: { id: "journal" }) { id } }`);
    const first = collect<Event>(server.ws(), EVENTS, { room: 'journal' }, 2, 10_000);
    await first.ready;
    people.push(await TestParticipant.join(server, 'journal', 'ann'));
    const seen = await first.values; // PARTICIPANT_JOINED, STREAM_PUBLISHED: then the subscriber drops
    const lastSeen = seen.at(-1)!.roomEvents.sequence;
    expect(lastSeen).toBe(2);

    // While it is away: ben joins (2 events) and leaves (2 events).
    const ben = await TestParticipant.join(server, 'journal', 'ben');
    await ben.leave();

    const resumed = collect<Event>(server.ws(), EVENTS, { room: 'journal', after: lastSeen }, 6, 10_000);
    await resumed.ready;
    people.push(await TestParticipant.join(server, 'journal', 'cat'));
    expect(summary(await resumed.values)).toEqual([
      '3:PARTICIPANT_JOINED:ben',
      '4:STREAM_PUBLISHED:ben',
      '5:STREAM_UNPUBLISHED:ben',
      '6:PARTICIPANT_LEFT:ben',
      '7:PARTICIPANT_JOINED:cat',
      '8:STREAM_PUBLISHED:cat',
    ]);

    // Across a restart: the log and its numbering survive.
    await Promise.all(people.splice(0).map((participant) => participant.close()));
    await server.stop();
    server = await startTestServer({ dataDir: server.dataDir });
    const afterRestart = collect<Event>(server.ws(), EVENTS, { room: 'journal', after: 6 }, 8, 10_000);
    await afterRestart.ready;
    people.push(await TestParticipant.join(server, 'journal', 'dan'));
    const replayed = summary(await afterRestart.values);
    expect(replayed.slice(0, 2)).toEqual(['7:PARTICIPANT_JOINED:cat', '8:STREAM_PUBLISHED:cat']);
    // The previous run's shutdown removed ann and cat (order between them may vary), then dan joins as 13.
    expect(
      replayed.slice(2, 5).every((line) => /^(9|10|11):(STREAM_UNPUBLISHED|PARTICIPANT_LEFT)/.test(line)),
    ).toBe(true);
    expect(replayed.slice(6)).toEqual(['13:PARTICIPANT_JOINED:dan', '14:STREAM_PUBLISHED:dan']);
  });

  test('a closed room replays its history and ends; `after` must be a sequence number', async () => {
    await server.gql(`mutation { createRoom(input: { id: "finished" }) { id } }`);
    await server.gql(`mutation { closeRoom(id: "finished") { id } }`);
    const history = await collect<Event>(server.ws(), EVENTS, { room: 'finished', after: 0 }, 5, 5000).values;
    expect(summary(history)).toEqual(['1:ROOM_CLOSED:']);
    await expect(
      collect(server.ws(), EVENTS, { room: 'finished', after: -1 }, 1).values,
    ).rejects.toMatchObject({
      errors: [expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })],
    });
  });
});
