import { ConferenceService, type ConferenceOptions } from '../../src/conference/ConferenceService';
import { LeaveReason, RoomEventType } from '../../src/conference/events';
import type { RoomOwnership } from '../../src/conference/ports';
import { FakeMediaEngine, fakeSdp } from '../fakes/FakeMediaEngine';
import { memoryRepositories } from '../fakes/memoryRepositories';

/** Leases as one Redis would hold them for several nodes of a test (no Redis: the domain's side). */
class FakeLeases {
  readonly holders = new Map<string, string>();
  for(node: string): RoomOwnership & { held: Set<string> } {
    const held = new Set<string>();
    return {
      held,
      claim: async (roomId) => {
        const holder = this.holders.get(roomId);
        if (holder && holder !== node) return false;
        this.holders.set(roomId, node);
        held.add(roomId);
        return true;
      },
      release: async (roomId) => {
        if (this.holders.get(roomId) === node) this.holders.delete(roomId);
        held.delete(roomId);
      },
    };
  }
}

const options: ConferenceOptions = {
  autoCreateRooms: true,
  defaultMaxParticipants: 16,
  maxRooms: 1000,
  emptyRoomTimeoutMs: 0,
  participantTimeoutMs: 0,
  retryPolicy: { initialDelayMs: 20, maxDelayMs: 100, maxPending: 10_000, maxBatch: 100 },
};

function cluster() {
  const repositories = memoryRepositories();
  const leases = new FakeLeases();
  const node = (id: string) => {
    const ownership = leases.for(id);
    const conference = new ConferenceService(repositories, new FakeMediaEngine(), { ...options, ownership });
    return { conference, ownership };
  };
  return { repositories, leases, node };
}

const offer = (name: string) => fakeSdp({ [`${name}-cam`]: [[`${name}-a`, 'audio']] });

describe('rooms held through leases (the domain side of a cluster)', () => {
  test('a room is loaded only by the node holding it; another node is told ROOM_ELSEWHERE', async () => {
    const { node, leases } = cluster();
    const a = node('a');
    const b = node('b');
    await a.conference.join({ roomId: 'r', name: 'ada', offer: offer('ada') });
    expect(leases.holders.get('r')).toBe('a');
    await expect(b.conference.join({ roomId: 'r', name: 'bob', offer: offer('bob') })).rejects.toMatchObject({
      code: 'ROOM_ELSEWHERE',
    });
    expect(b.conference.registry.sizes().rooms).toBe(0);
    await Promise.all([a.conference.shutdown(), b.conference.shutdown()]);
  });

  test('taking over a room ends the dead node’s stays with NODE_FAILURE and continues the numbering', async () => {
    const { node, leases, repositories } = cluster();
    const a = node('a');
    const { participant: ada } = await a.conference.join({ roomId: 'r', name: 'ada', offer: offer('ada') });
    const { participant: bob } = await a.conference.join({ roomId: 'r', name: 'bob', offer: offer('bob') });
    await a.conference.flushEvents();
    const stored = repositories.events.stored('r');
    // Node a dies: nothing of it runs any more, its lease lapses.
    leases.holders.delete('r');
    const b = node('b');
    const left: string[] = [];
    b.conference.observer.on('participantLeft', (_room, reason, id) => left.push(`${id}:${reason}`));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const { participant: cleo } = await b.conference.join({
      roomId: 'r',
      name: 'cleo',
      offer: offer('cleo'),
    });
    await b.conference.flushEvents();
    const after = repositories.events
      .stored('r')
      .slice(stored.length)
      .filter((event) => event.type !== RoomEventType.STREAM_PUBLISHED);
    expect(after.map((event) => [event.type, event.participantId, event.reason])).toEqual([
      [RoomEventType.PARTICIPANT_LEFT, ada.id, LeaveReason.NODE_FAILURE],
      [RoomEventType.PARTICIPANT_LEFT, bob.id, LeaveReason.NODE_FAILURE],
      [RoomEventType.PARTICIPANT_JOINED, cleo.id, undefined],
    ]);
    const sequences = repositories.events.stored('r').map((event) => event.sequence);
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
    expect(left.sort()).toEqual([`${ada.id}:NODE_FAILURE`, `${bob.id}:NODE_FAILURE`].sort());
    const sessions = await repositories.sessions.listForRoom('r', { first: 10 });
    const byId = new Map(sessions.map((session) => [session.id, session]));
    expect(byId.get(ada.id)?.leaveReason).toBe(LeaveReason.NODE_FAILURE);
    expect(byId.get(cleo.id)?.leftAt).toBeNull();
    await b.conference.shutdown();
  });

  test('a handed-over room sends its members away with ROOM_MOVED and where, and lets the lease go once stored', async () => {
    const { node, leases } = cluster();
    const a = node('a');
    const { participant } = await a.conference.join({ roomId: 'r', name: 'ada', offer: offer('ada') });
    const offers = a.conference.negotiation(participant);
    const next = offers.next();
    await a.conference.registry.handOver('r', { url: 'http://127.0.0.1:9', nodeId: 'b' });
    await expect(next).rejects.toMatchObject({
      code: 'ROOM_MOVED',
      details: { roomId: 'r', url: 'http://127.0.0.1:9', nodeId: 'b' },
    });
    expect(participant.leftReason).toBe(LeaveReason.ROOM_MOVED);
    expect(leases.holders.has('r')).toBe(false);
    expect(a.conference.registry.sizes()).toMatchObject({ rooms: 0, participants: 0 });
    // The next holder finds the room open, with no stay left open.
    const b = node('b');
    await b.conference.join({ roomId: 'r', name: 'bob', offer: offer('bob') });
    expect(leases.holders.get('r')).toBe('b');
    await Promise.all([a.conference.shutdown(), b.conference.shutdown()]);
  });
});
