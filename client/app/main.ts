/**
 * The conference page: a join form (devices, preview, mic level), then the room (video grid,
 * controls, participant list). Uses the SDK in client/sdk. Bundled by scripts/build-client.mjs
 * with esbuild; loads nothing from outside its own origin.
 */
import './main.css';
import { ConferenceClient, ConferenceError, type QualitySample, type RemoteStream } from '../sdk';

// ---------- small DOM helpers ----------

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) if (value !== undefined) el.setAttribute(key, value);
  el.append(...children);
  return el;
}

const svg = (path: string) =>
  `<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${path}</svg>`;
const ICONS = {
  mic: svg('<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/>'),
  micOff: svg(
    '<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3M3 3l18 18"/>',
  ),
  cam: svg('<rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3z"/>'),
  camOff: svg('<rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3zM3 3l18 18"/>'),
  screen: svg('<rect x="3" y="4" width="18" height="12" rx="2"/><path d="M8 20h8M12 16v4"/>'),
  leave: svg('<path d="M10 17l-5-5 5-5M5 12h11M14 4h5v16h-5"/>'),
};

// ---------- elements ----------

const banner = $<HTMLDivElement>('banner');
const joinView = $<HTMLElement>('join-view');
const roomView = $<HTMLElement>('room-view');
const form = $<HTMLFormElement>('join-form');
const roomInput = $<HTMLInputElement>('room-input');
const nameInput = $<HTMLInputElement>('name-input');
const cameraSelect = $<HTMLSelectElement>('camera-select');
const micSelect = $<HTMLSelectElement>('mic-select');
const resolutionSelect = $<HTMLSelectElement>('resolution-select');
const noCamera = $<HTMLInputElement>('no-camera');
const watchOnly = $<HTMLInputElement>('watch-only');
const joinError = $<HTMLParagraphElement>('join-error');
const joinButton = $<HTMLButtonElement>('join-button');
const preview = $<HTMLVideoElement>('preview');
const previewOff = $<HTMLDivElement>('preview-off');
const meterBar = $<HTMLDivElement>('meter-bar');
const grid = $<HTMLElement>('grid');
const peopleList = $<HTMLUListElement>('people-list');
const peopleCount = $<HTMLSpanElement>('people-count');
const peoplePanel = $<HTMLElement>('people');
const connState = $<HTMLSpanElement>('conn-state');
const micButton = $<HTMLButtonElement>('mic-button');
const camButton = $<HTMLButtonElement>('cam-button');
const screenButton = $<HTMLButtonElement>('screen-button');
const leaveButton = $<HTMLButtonElement>('leave-button');

// ---------- messages ----------

function mediaErrorMessage(error: unknown): string {
  const name = (error as { name?: string })?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'Permission to use the camera or microphone was denied. Allow it in the browser (address bar), or choose "Watch only".';
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'No camera or microphone was found. Connect one, or choose "Join without camera" / "Watch only".';
  if (name === 'NotReadableError') return 'The camera or microphone is in use by another application.';
  return `Could not open the camera or microphone: ${String((error as Error)?.message ?? error)}`;
}

function joinErrorMessage(error: unknown): string {
  if (error instanceof ConferenceError) {
    switch (error.code) {
      case 'NETWORK_ERROR':
        return 'The server is unreachable. Check your connection and try again.';
      case 'ROOM_FULL':
        return 'This room is full.';
      case 'ROOM_CLOSED':
        return 'This room has been closed.';
      case 'ROOM_NOT_FOUND':
        return 'There is no room with this id.';
      case 'BAD_USER_INPUT':
        return `Please check the room id and your name (${error.message}).`;
      case 'UNAUTHENTICATED':
        return 'This server needs an invitation: open the link the application gave you.';
      case 'TOKEN_EXPIRED':
        return 'Your invitation has expired. Ask for a new link.';
      case 'INVALID_TOKEN':
        return 'Your invitation link is not valid.';
      case 'FORBIDDEN':
        return `Your invitation does not allow this (${error.message}).`;
      case 'BANNED':
        return 'You were removed from this room and cannot rejoin with this invitation.';
    }
    return error.message;
  }
  return String((error as Error)?.message ?? error);
}

function showBanner(text: string | null, kind: 'info' | 'error' = 'info'): void {
  banner.hidden = !text;
  banner.textContent = text ?? '';
  banner.dataset.kind = kind;
}

// ---------- join form: devices, preview, level meter ----------

const params = new URLSearchParams(location.search);
roomInput.value = params.get('room') ?? Math.random().toString(36).slice(2, 8);
nameInput.value = params.get('name') ?? localStorage.getItem('sfu-name') ?? '';
/**
 * On a secured server the application invites people with a link carrying a join token
 * (`/?room=<id>&token=<jwt>`); the token names the room and the person.
 */
const joinToken = params.get('token') ?? undefined;
if (joinToken) {
  nameInput.required = false;
  nameInput.placeholder = 'From your invitation';
  // An invitation to watch (no canPublish grant) joins receive-only: the server refuses anything sent.
  if (invitationGrants(joinToken)?.canPublish === false) {
    watchOnly.checked = true;
    watchOnly.disabled = true;
    noCamera.disabled = true;
  }
}

/** The grants a join token names (its payload is readable; only the server can tell whether it is genuine). */
function invitationGrants(token: string): { canPublish?: boolean } | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    return (JSON.parse(json) as { grants?: { canPublish?: boolean } }).grants;
  } catch {
    return undefined;
  }
}

let previewStream: MediaStream | null = null;
let meterStop: (() => void) | null = null;

function stopStream(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

function constraints(): MediaStreamConstraints | null {
  if (watchOnly.checked) return null;
  const height = Number(resolutionSelect.value);
  const video: MediaTrackConstraints | false = noCamera.checked
    ? false
    : {
        height: { ideal: height },
        width: { ideal: Math.round((height * 16) / 9) },
        ...(cameraSelect.value ? { deviceId: { exact: cameraSelect.value } } : {}),
      };
  const audio: MediaTrackConstraints = micSelect.value ? { deviceId: { exact: micSelect.value } } : {};
  return { audio, video };
}

async function fillDevices(): Promise<void> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const fill = (select: HTMLSelectElement, kind: MediaDeviceKind, label: string) => {
    const current = select.value;
    const list = devices.filter((d) => d.kind === kind);
    select.replaceChildren(
      ...list.map((d, i) => h('option', { value: d.deviceId }, d.label || `${label} ${i + 1}`)),
    );
    if (list.some((d) => d.deviceId === current)) select.value = current;
    select.disabled = list.length === 0;
  };
  fill(cameraSelect, 'videoinput', 'Camera');
  fill(micSelect, 'audioinput', 'Microphone');
}

function startMeter(stream: MediaStream, bar: HTMLElement): () => void {
  if (stream.getAudioTracks().length === 0) {
    bar.style.width = '0';
    return () => undefined;
  }
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(stream).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  let frame = 0;
  const tick = () => {
    analyser.getByteTimeDomainData(data);
    let peak = 0;
    for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
    bar.style.width = `${Math.min(100, (peak / 128) * 180)}%`;
    frame = requestAnimationFrame(tick);
  };
  tick();
  return () => {
    cancelAnimationFrame(frame);
    void context.close();
  };
}

let previewSeq = 0;
async function updatePreview(): Promise<void> {
  const seq = ++previewSeq;
  meterStop?.();
  meterStop = null;
  stopStream(previewStream);
  previewStream = null;
  preview.srcObject = null;
  // A failed join's message stays; a camera error of an earlier preview does not.
  if (joinError.dataset.source === 'preview') joinError.hidden = true;
  const wanted = constraints();
  previewOff.hidden = !!wanted?.video;
  previewOff.textContent = wanted ? 'Camera off' : 'Watch only';
  if (!wanted) return;
  try {
    const stream = await navigator.mediaDevices.getUserMedia(wanted);
    if (seq !== previewSeq) return stopStream(stream);
    previewStream = stream;
    preview.srcObject = stream;
    meterStop = startMeter(stream, meterBar);
    await fillDevices();
  } catch (error) {
    if (seq !== previewSeq) return;
    joinError.textContent = mediaErrorMessage(error);
    joinError.dataset.source = 'preview';
    joinError.hidden = false;
  }
}

for (const el of [cameraSelect, micSelect, resolutionSelect, noCamera, watchOnly]) {
  el.addEventListener('change', () => void updatePreview());
}
navigator.mediaDevices?.addEventListener?.('devicechange', () => void fillDevices());

// ---------- in the room ----------

interface Session {
  roomId: string;
  name: string;
  local: MediaStream | null;
  client: ConferenceClient;
  screen: MediaStreamTrack | null;
  leaving: boolean;
}

let session: Session | null = null;
const states: string[] = [];
const tiles = new Map<string, HTMLElement>();

function layoutGrid(): void {
  const count = grid.children.length;
  const columns = Math.ceil(Math.sqrt(count));
  grid.style.setProperty('--cols', String(columns));
  grid.style.setProperty('--rows', String(Math.ceil(count / columns)));
  grid.dataset.count = String(count);
}

function makeTile(key: string, stream: MediaStream | null, name: string, local = false): HTMLElement {
  const video = h('video', { autoplay: '', playsinline: '' });
  video.muted = local;
  if (stream) video.srcObject = stream;
  const initial = h('div', { class: 'avatar' }, (name.trim()[0] ?? '?').toUpperCase());
  const label = h('span', { class: 'tile-name' }, local ? `${name} (you)` : name);
  const tile = h('div', { class: local ? 'tile local' : 'tile', 'data-key': key }, initial, video, label);
  const updateVideo = () =>
    tile.classList.toggle('no-video', !stream?.getVideoTracks().some((t) => t.enabled));
  updateVideo();
  stream?.addEventListener('addtrack', updateVideo);
  stream?.addEventListener('removetrack', updateVideo);
  tile.addEventListener('refresh', updateVideo);
  return tile;
}

function addTile(key: string, tile: HTMLElement): void {
  tiles.get(key)?.remove();
  tiles.set(key, tile);
  grid.append(tile);
  layoutGrid();
}

function removeTile(key: string): void {
  const tile = tiles.get(key);
  if (tile) tileObserver?.unobserve(tile);
  tile?.remove();
  tiles.delete(key);
  layoutGrid();
}

// ---------- layers: a small tile asks for a small simulcast layer ----------

/** Streams whose layer was chosen by hand (sfu.setPreferredLayer): the tile size no longer decides. */
const manualLayers = new Set<string>();
/** Spatial layer last asked for per stream (absent: automatic, the server's default). */
const askedLayers = new Map<string, number | null>();
const layerTimers = new Map<string, ReturnType<typeof setTimeout>>();

/**
 * The smallest layer that still fills a tile this many device pixels wide, for a camera sent as
 * 1/4, 1/2 and full resolution of 1280x720; null (the server picks by bandwidth) for large tiles.
 */
function layerForWidth(pixels: number): number | null {
  if (pixels <= 320) return 0;
  if (pixels <= 640) return 1;
  return null;
}

function askLayer(streamId: string): void {
  layerTimers.delete(streamId);
  const tile = tiles.get(streamId);
  const client = session?.client;
  if (!tile || !client || manualLayers.has(streamId)) return;
  const spatial = layerForWidth(tile.getBoundingClientRect().width * devicePixelRatio);
  if ((askedLayers.get(streamId) ?? null) === spatial) return;
  askedLayers.set(streamId, spatial);
  client
    .setPreferredLayer(streamId, spatial, null)
    .catch((error: unknown) => console.warn('could not choose a layer', error));
}

const tileObserver =
  typeof ResizeObserver === 'undefined'
    ? null
    : new ResizeObserver((entries) => {
        for (const entry of entries) {
          const streamId = (entry.target as HTMLElement).dataset.streamId;
          if (!streamId || layerTimers.has(streamId)) continue;
          // Resizes come in bursts (window drags, tiles joining): ask once they settle.
          layerTimers.set(
            streamId,
            setTimeout(() => askLayer(streamId), 300),
          );
        }
      });

/** Pins a received stream's layer by hand (null, null: automatic again); tile sizes stop deciding it. */
async function setPreferredLayer(
  streamId: string,
  spatial: number | null,
  temporal: number | null = null,
): Promise<void> {
  if (spatial === null && temporal === null) manualLayers.delete(streamId);
  else manualLayers.add(streamId);
  askedLayers.delete(streamId);
  await session?.client.setPreferredLayer(streamId, spatial, temporal);
}

function renderPeople(client: ConferenceClient, me: string): void {
  const people = client.participants;
  const moderator = !!client.grants?.roomAdmin;
  peopleCount.textContent = String(people.length + 1);
  const self = h('li', {}, h('span', { class: 'person-name' }, `${me} (you)`));
  if (client.participantId) self.append(qualityButton(client, { id: client.participantId, name: me }));
  peopleList.replaceChildren(
    self,
    ...people.map((p) => {
      const item = h('li', { 'data-participant-id': p.id }, h('span', { class: 'person-name' }, p.name));
      item.append(qualityButton(client, p));
      if (moderator) item.append(...moderationButtons(client, p));
      return item;
    }),
  );
  if (qualityOf && qualityOf.id !== client.participantId && !people.some((p) => p.id === qualityOf!.id)) {
    showQuality(null);
  }
}

// ---------- call quality: a participant's stored bitrate and loss over the call ----------

const qualityPanel = $<HTMLElement>('quality');
const qualityChart = document.getElementById('quality-chart') as unknown as SVGSVGElement;
let qualityOf: { client: ConferenceClient; id: string; name: string } | null = null;
let qualityTimer: ReturnType<typeof setInterval> | undefined;

function qualityButton(client: ConferenceClient, person: { id: string; name: string }): HTMLElement {
  const button = h('button', { type: 'button', class: 'small', 'data-action': 'quality' }, 'Quality');
  button.title = `Show ${person.name}'s call quality`;
  button.addEventListener('click', () =>
    showQuality(qualityOf?.id === person.id ? null : { client, id: person.id, name: person.name }),
  );
  return button;
}

function showQuality(target: typeof qualityOf): void {
  clearInterval(qualityTimer);
  qualityOf = target;
  qualityPanel.hidden = !target;
  if (!target) return;
  $('quality-title').textContent = `Call quality: ${target.name}`;
  const refresh = () =>
    target.client
      .qualityHistory(target.id, 60)
      .then((samples) => qualityOf === target && drawQuality(samples))
      .catch((error: unknown) => console.warn('quality history', error));
  void refresh();
  qualityTimer = setInterval(refresh, 5000);
}

/** Bitrate (in + out, scaled to its peak) and loss (0-10 %) as two lines over the samples. */
function drawQuality(samples: QualitySample[]): void {
  const width = 240;
  const height = 80;
  const bitrates = samples.map((s) => s.bitrateIn + s.bitrateOut);
  const peak = Math.max(1, ...bitrates);
  const x = (i: number) => (samples.length < 2 ? width : (i / (samples.length - 1)) * width);
  const line = (values: number[], max: number, cls: string) => {
    const poly = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    poly.setAttribute('class', cls);
    poly.setAttribute(
      'points',
      values
        .map(
          (v, i) => `${x(i).toFixed(1)},${(height - (Math.min(v, max) / max) * (height - 4) - 2).toFixed(1)}`,
        )
        .join(' '),
    );
    return poly;
  };
  qualityChart.replaceChildren(
    line(bitrates, peak, 'bitrate'),
    line(
      samples.map((s) => s.lossIn),
      0.1,
      'loss',
    ),
  );
  const last = samples.at(-1);
  $('quality-figures').textContent = last
    ? `in ${Math.round(last.bitrateIn / 1000)} kbit/s · out ${Math.round(last.bitrateOut / 1000)} kbit/s · ` +
      `loss ${(last.lossIn * 100).toFixed(1)} % · RTT ${Math.round(last.rtt)} ms (${samples.length} samples)`
    : 'No samples yet.';
}

/** What a moderator (roomAdmin grant) may do to someone: mute their microphone, remove them. */
function moderationButtons(client: ConferenceClient, person: { id: string; name: string }): HTMLElement[] {
  const act = (button: HTMLButtonElement, action: () => Promise<void>) =>
    button.addEventListener('click', () => {
      button.disabled = true;
      action()
        .catch((error: unknown) => showBanner(joinErrorMessage(error), 'error'))
        .finally(() => (button.disabled = false));
    });
  const mute = h('button', { type: 'button', class: 'small', 'data-action': 'mute' }, 'Mute');
  mute.title = `Mute ${person.name}'s microphone`;
  act(mute as HTMLButtonElement, async () => {
    const audio = client.remoteStreams
      .filter((remote) => remote.participant.id === person.id)
      .flatMap((remote) => remote.stream.getAudioTracks());
    for (const track of audio) await client.muteTrack(track.id);
  });
  const remove = h('button', { type: 'button', class: 'small danger', 'data-action': 'kick' }, 'Remove');
  remove.title = `Remove ${person.name} from the room`;
  act(remove as HTMLButtonElement, () => client.kickParticipant(person.id, false));
  return [mute, remove];
}

function setControls(s: Session): void {
  const audio = s.local?.getAudioTracks()[0];
  const video = s.local?.getVideoTracks()[0];
  const micOn = !!audio?.enabled;
  const camOn = !!video?.enabled;
  micButton.innerHTML = micOn ? ICONS.mic : ICONS.micOff;
  micButton.disabled = !audio;
  micButton.setAttribute('aria-pressed', String(!micOn));
  micButton.title = micOn ? 'Mute microphone' : 'Unmute microphone';
  camButton.innerHTML = camOn ? ICONS.cam : ICONS.camOff;
  camButton.disabled = !video;
  camButton.setAttribute('aria-pressed', String(!camOn));
  camButton.title = camOn ? 'Turn camera off' : 'Turn camera on';
  screenButton.innerHTML = ICONS.screen;
  screenButton.disabled = !navigator.mediaDevices?.getDisplayMedia;
  screenButton.setAttribute('aria-pressed', String(!!s.screen));
  screenButton.title = s.screen ? 'Stop sharing' : 'Share screen';
  leaveButton.innerHTML = ICONS.leave;
}

const STATE_TEXT: Record<string, string> = {
  joining: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost, reconnecting…',
  failed: 'Connection failed',
  closed: 'Disconnected',
};

/** Creates a client for the session and joins; used for the first join and for automatic rejoins. */
async function connectClient(s: Omit<Session, 'client'>): Promise<ConferenceClient> {
  const client = new ConferenceClient();
  client.on('connectionState', (state) => {
    states.push(state);
    connState.textContent = STATE_TEXT[state] ?? state;
    connState.dataset.state = state;
    if (state === 'reconnecting') showBanner('Connection lost. Reconnecting…');
    else if (state === 'connected') showBanner(null);
    else if (state === 'failed' && session?.client === client) void rejoin();
  });
  client.on('participantJoined', () => renderPeople(client, s.name));
  client.on('participantLeft', () => renderPeople(client, s.name));
  client.on('streamAdded', (remote: RemoteStream) => {
    // A participant's second stream is a screen share (the camera and microphone go with the join).
    const hasTile = [...tiles.values()].some((t) => t.dataset.participantId === remote.participant.id);
    const label = hasTile ? `${remote.participant.name} (screen)` : remote.participant.name;
    const tile = makeTile(remote.id, remote.stream, label);
    tile.dataset.participantId = remote.participant.id;
    tile.dataset.streamId = remote.id;
    addTile(remote.id, tile);
    tileObserver?.observe(tile);
  });
  client.on('streamRemoved', (remote) => removeTile(remote.id));
  client.on('activeSpeaker', (speaker) => {
    for (const tile of tiles.values()) {
      const speaking = speaker ? tile.dataset.participantId === speaker.id : tile.classList.contains('local');
      tile.classList.toggle('speaking', speaking && !tile.textContent?.includes('(screen)'));
    }
  });
  client.on('trackMuted', ({ streamId, trackId, muted }) => {
    const tile = tiles.get(streamId);
    const kind = (tile?.querySelector('video')?.srcObject as MediaStream | null)?.getTrackById(trackId)?.kind;
    // Each remote track is found by id in the stream it arrived in; a muted microphone shows an icon.
    if (tile && kind !== 'video') tile.classList.toggle('mic-muted', muted);
  });
  client.on('mutedByModerator', () => {
    if (session) setControls(session);
    showBanner('A moderator muted your microphone. Unmute it when you are asked to speak.');
  });
  client.on('error', (error) => console.warn('conference error', error.code, error.message));
  client.on('left', (reason) => {
    if (session?.client !== client || session.leaving) return;
    if (reason === 'ROOM_CLOSED') {
      endSession('The room was closed.');
    } else if (reason === 'KICKED') {
      endSession('A moderator removed you from the room.');
    } else if (reason === 'DUPLICATE_IDENTITY') {
      // One seat per identity: rejoining would push the other window out in turn.
      endSession('You joined this room from another window or device.');
    } else if (reason === 'LEFT') {
      endSession(null);
    } else {
      void rejoin();
    }
  });
  // A new client starts with the server choosing every layer.
  askedLayers.clear();
  // Simulcast when the room allows it (VP8 and Room.simulcast): three encodings of the camera.
  await client.join(s.roomId, s.name, s.local, { simulcast: 'auto', token: joinToken });
  // With an invitation, the server names you (the token's name wins over the form's).
  if (client.name) s.name = client.name;
  renderPeople(client, s.name);
  return client;
}

let rejoining = false;
async function rejoin(): Promise<void> {
  const s = session;
  if (!s || rejoining) return;
  rejoining = true;
  showBanner('Connection lost. Rejoining…');
  for (const key of [...tiles.keys()]) if (key !== 'local') removeTile(key);
  for (let attempt = 1; session === s && !s.leaving; attempt++) {
    try {
      const old = s.client;
      s.client = await connectClient(s);
      void old.leave();
      if (s.screen) await s.client.publishTrack(s.screen).catch(() => undefined);
      showBanner(null);
      break;
    } catch (error) {
      const permanent =
        error instanceof ConferenceError &&
        [
          'ROOM_FULL',
          'ROOM_CLOSED',
          'ROOM_NOT_FOUND',
          'UNAUTHENTICATED',
          'INVALID_TOKEN',
          'TOKEN_EXPIRED',
          'FORBIDDEN',
          'BANNED',
        ].includes(error.code);
      if (permanent) {
        endSession(joinErrorMessage(error));
        break;
      }
      showBanner(`Connection lost. ${joinErrorMessage(error)} Retrying (attempt ${attempt})…`, 'error');
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * attempt, 5000)));
    }
  }
  rejoining = false;
}

function endSession(message: string | null): void {
  const s = session;
  session = null;
  showQuality(null);
  if (s) {
    stopStream(s.local);
    s.screen?.stop();
  }
  for (const key of [...tiles.keys()]) removeTile(key);
  roomView.hidden = true;
  joinView.hidden = false;
  joinButton.disabled = false;
  showBanner(null);
  if (message) {
    joinError.textContent = message;
    joinError.dataset.source = 'join';
    joinError.hidden = false;
  }
  void updatePreview();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void join();
});

async function join(): Promise<void> {
  const roomId = roomInput.value.trim();
  const name = nameInput.value.trim();
  joinError.hidden = true;
  if (!roomId || (!name && !joinToken)) {
    joinError.textContent = !roomId ? 'Please enter a room id.' : 'Please enter your name.';
    joinError.dataset.source = 'join';
    joinError.hidden = false;
    return;
  }
  if (name) localStorage.setItem('sfu-name', name);
  joinButton.disabled = true;
  const wanted = constraints();
  let local: MediaStream | null = null;
  try {
    if (wanted) local = previewStream ?? (await navigator.mediaDevices.getUserMedia(wanted));
  } catch (error) {
    joinError.textContent = mediaErrorMessage(error);
    joinError.dataset.source = 'join';
    joinError.hidden = false;
    joinButton.disabled = false;
    return;
  }
  meterStop?.();
  meterStop = null;
  previewStream = null;
  preview.srcObject = null;
  const partial: Omit<Session, 'client'> = { roomId, name, local, screen: null, leaving: false };
  try {
    const client = await connectClient(partial);
    session = { ...partial, client };
  } catch (error) {
    stopStream(local);
    joinError.textContent = joinErrorMessage(error);
    joinError.dataset.source = 'join';
    joinError.hidden = false;
    joinButton.disabled = false;
    void updatePreview();
    return;
  }
  const url = new URL(location.href);
  url.searchParams.set('room', roomId);
  url.searchParams.delete('name');
  // The join token is a credential: once used it leaves the address bar (history, screenshots, shares).
  url.searchParams.delete('token');
  history.replaceState(null, '', url);
  $('room-name').textContent = roomId;
  joinView.hidden = true;
  roomView.hidden = false;
  addTile('local', makeTile('local', local, session.name, true));
  setControls(session);
}

micButton.addEventListener('click', () => {
  const track = session?.local?.getAudioTracks()[0];
  if (!session || !track) return;
  const current = session;
  void current.client
    .setTrackMuted(track, track.enabled)
    .catch((error: unknown) => console.warn('could not report mute state', error))
    .finally(() => setControls(current));
  setControls(session);
});

camButton.addEventListener('click', () => {
  const track = session?.local?.getVideoTracks()[0];
  if (!session || !track) return;
  void session.client
    .setTrackMuted(track, track.enabled)
    .catch((error: unknown) => console.warn('could not report mute state', error));
  tiles.get('local')?.dispatchEvent(new Event('refresh'));
  setControls(session);
});

screenButton.addEventListener('click', () => void toggleScreen());

async function toggleScreen(): Promise<void> {
  const s = session;
  if (!s) return;
  if (s.screen) {
    const track = s.screen;
    s.screen = null;
    track.stop();
    removeTile('screen');
    setControls(s);
    await s.client.unpublishTrack(track).catch((error) => console.warn('unpublish failed', error));
    return;
  }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (error) {
    if ((error as { name?: string })?.name !== 'NotAllowedError')
      showBanner(mediaErrorMessage(error), 'error');
    return;
  }
  const track = stream.getVideoTracks()[0];
  if (!track || session !== s) return stopStream(stream);
  s.screen = track;
  track.addEventListener('ended', () => {
    if (s.screen === track) void toggleScreen();
  });
  addTile('screen', makeTile('screen', stream, `${s.name}'s screen`, true));
  setControls(s);
  try {
    await s.client.publishTrack(track, stream);
  } catch (error) {
    showBanner(`Screen sharing failed: ${joinErrorMessage(error)}`, 'error');
  }
}

leaveButton.addEventListener('click', () => {
  const s = session;
  if (!s) return;
  s.leaving = true;
  void s.client.leave();
  endSession(null);
});

$<HTMLButtonElement>('copy-link').addEventListener('click', async (event) => {
  const button = event.currentTarget as HTMLButtonElement;
  const link = `${location.origin}${location.pathname}?room=${encodeURIComponent(session?.roomId ?? roomInput.value)}`;
  try {
    await navigator.clipboard.writeText(link);
    button.textContent = 'Link copied';
  } catch {
    window.prompt('Copy this link:', link);
  }
  setTimeout(() => (button.textContent = 'Copy link'), 2000);
});

$<HTMLButtonElement>('toggle-people').addEventListener('click', (event) => {
  peoplePanel.hidden = !peoplePanel.hidden;
  (event.currentTarget as HTMLElement).setAttribute('aria-expanded', String(!peoplePanel.hidden));
});

window.addEventListener('pagehide', () => {
  if (session) void session.client.leave();
});

// ---------- diagnostics for tests and curious users ----------

interface StreamStats {
  streamId: string;
  participantId: string;
  participantName: string;
  framesDecoded: number;
  audioPacketsReceived: number;
  /** Size of the last decoded video frame (0 before the first). */
  frameWidth: number;
  frameHeight: number;
}

interface InboundVideoStats {
  framesDecoded?: number;
  packetsReceived?: number;
  frameWidth?: number;
  frameHeight?: number;
}

/** Per remote stream: video frames decoded and their size, audio packets received (from getStats()). */
async function streamStats(): Promise<StreamStats[]> {
  const client = session?.client;
  if (!client?.peerConnection) return [];
  // Per receiver, not by track id: a stream published anew reuses its track ids, and the old
  // receiver's statistics stay in the report next to the new one's.
  const pc = client.peerConnection;
  const byTrack = new Map<MediaStreamTrack, InboundVideoStats>();
  await Promise.all(
    pc.getReceivers().map(async (receiver) => {
      (await receiver.getStats()).forEach((report: InboundVideoStats & { type: string }) => {
        if (report.type === 'inbound-rtp') byTrack.set(receiver.track, report);
      });
    }),
  );
  return client.remoteStreams.map((remote) => {
    let framesDecoded = 0;
    let audioPacketsReceived = 0;
    let frameWidth = 0;
    let frameHeight = 0;
    for (const track of remote.stream.getTracks()) {
      const stats = byTrack.get(track);
      if (!stats) continue;
      if (track.kind === 'video') {
        framesDecoded += stats.framesDecoded ?? 0;
        frameWidth = Math.max(frameWidth, stats.frameWidth ?? 0);
        frameHeight = Math.max(frameHeight, stats.frameHeight ?? 0);
      } else audioPacketsReceived += stats.packetsReceived ?? 0;
    }
    return {
      streamId: remote.id,
      participantId: remote.participant.id,
      participantName: remote.participant.name,
      framesDecoded,
      audioPacketsReceived,
      frameWidth,
      frameHeight,
    };
  });
}

Object.assign(window, {
  sfu: {
    get client() {
      return session?.client;
    },
    get pc() {
      return session?.client.peerConnection;
    },
    streamStats,
    setPreferredLayer,
    /** State changes seen so far (for tests). */
    states,
  },
});

void updatePreview();
