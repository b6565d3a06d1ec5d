/**
 * GraphQL SFU landing page: lists open rooms (polled over HTTP POST /graphql) and links to the explorer.
 * Placeholder until the real conference client replaces it.
 *
 * Bundled by scripts/build-client.mjs with esbuild; not part of the tsc build.
 */
import './main.css';

const ROOMS_QUERY = 'query { rooms(first: 50) { nodes { id name } totalCount } }';
const POLL_MS = 5000;

interface Room {
  id: string;
  name: string;
}

interface RoomsResponse {
  data?: { rooms?: { nodes: Room[]; totalCount: number } | null } | null;
  errors?: { message: string }[];
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

const list = byId<HTMLUListElement>('rooms-list');
const status = byId<HTMLParagraphElement>('rooms-status');
const count = byId<HTMLSpanElement>('rooms-count');
const refresh = byId<HTMLButtonElement>('rooms-refresh');

async function fetchRooms(): Promise<{ nodes: Room[]; totalCount: number }> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: ROOMS_QUERY }),
  });
  let body: RoomsResponse;
  try {
    body = (await res.json()) as RoomsResponse;
  } catch {
    throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  if (!body.data?.rooms) throw new Error(res.ok ? 'no data in response' : `HTTP ${res.status}`);
  return body.data.rooms;
}

function render(rooms: { nodes: Room[]; totalCount: number }): void {
  count.textContent = `(${rooms.totalCount})`;
  status.textContent = rooms.nodes.length === 0 ? 'No open rooms right now.' : '';
  list.replaceChildren(
    ...rooms.nodes.map((room) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'room-name';
      name.textContent = room.name;
      const id = document.createElement('code');
      id.className = 'room-id';
      id.textContent = room.id;
      li.append(name, id);
      return li;
    }),
  );
}

let inFlight = false;
let timer: ReturnType<typeof setTimeout> | undefined;

async function update(): Promise<void> {
  if (inFlight) return;
  inFlight = true;
  clearTimeout(timer);
  try {
    render(await fetchRooms());
  } catch (err) {
    status.textContent = `Could not load rooms: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    inFlight = false;
    if (document.visibilityState === 'visible') timer = setTimeout(() => void update(), POLL_MS);
  }
}

refresh.addEventListener('click', () => void update());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void update();
  else clearTimeout(timer);
});

void update();
