import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';

describe('active speaker', () => {
  let server: TestServer;
  const people: TestParticipant[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await Promise.all(people.map((participant) => participant.close()));
    await server.dispose();
  });

  test('with one loud participant and two silent ones, ACTIVE_SPEAKER_CHANGED and Room.activeSpeaker name the loud one', async () => {
    const announced: string[] = [];
    const stop = server.ws().subscribe<{ roomEvents: { type: string; participantName: string } }>(
      { query: `subscription { roomEvents(roomId: "talk") { type participantName } }` },
      {
        next: ({ data }) => {
          if (data?.roomEvents.type === 'ACTIVE_SPEAKER_CHANGED')
            announced.push(data.roomEvents.participantName);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await server.gql(`mutation { createRoom(input: { id: "talk" }) { id } }`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const name of ['quiet-1', 'loud', 'quiet-2'])
      people.push(await TestParticipant.join(server, 'talk', name));
    people[1]!.peer.audioLevel = 10; // -10 dBov: talking; the others send silence (127)

    let speaker: string | undefined;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && speaker === undefined;) {
      const room = await server.gql<{ room: { activeSpeaker: { name: string } | null } }>(
        `query { room(id: "talk") { activeSpeaker { name } } }`,
      );
      speaker = room.data?.room.activeSpeaker?.name;
      if (speaker === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    stop();
    expect(speaker).toBe('loud');
    expect(announced).toContain('loud');
    expect(announced.every((name) => name === 'loud')).toBe(true);
  });
});
