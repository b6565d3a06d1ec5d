/**
 * Being in a room: joining with the SDK, following its events onto tiles, people and notices,
 * joining again after a lost connection, and leaving. One session at a time (`current`).
 */
import { ConferenceClient, ConferenceError, type RemoteStream } from '../sdk';
import { renderHands, renderRecipients, resetChat, showMessage } from './chat';
import { $ } from './dom';
import type { Invitation } from './invitation';
import { type JoinRequest, setJoining, showJoinError, updatePreview } from './joinForm';
import { LayerChooser } from './layers';
import { Layout } from './layout';
import { joinErrorMessage, PERMANENT_JOIN_ERRORS } from './messages';
import { stopStream } from './meter';
import { clearAllNotices, clearNotice, showNotice } from './notices';
import { mediaStateOf, renderPeople } from './people';
import { showQuality } from './quality';
import { recordingChanged, renderRecording } from './recording';
import { Tile } from './tiles';

export interface Session {
  roomId: string;
  name: string;
  local: MediaStream | null;
  client: ConferenceClient;
  screen: MediaStreamTrack | null;
  leaving: boolean;
  invitation: Invitation | undefined;
  /** Cluster: the node the room moved to (a drain), where rejoins go; absent: this page's server. */
  server?: string;
}

export const layout = new Layout();
export const layers = new LayerChooser(layout, () => current.session?.client);
/** The session now, and the connection states seen so far (for tests). */
export const current: { session: Session | null; states: string[]; onControls: () => void } = {
  session: null,
  states: [],
  onControls: () => undefined,
};

const STATE_TEXT: Record<string, string> = {
  joining: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost, reconnecting…',
  failed: 'Connection failed',
  closed: 'Disconnected',
  rejoining: 'Connection lost, joining again…',
};

/** The one place the connection state shows (the room bar). */
export function showState(state: string, detail?: string): void {
  const el = $('conn-state');
  el.textContent = detail ?? STATE_TEXT[state] ?? state;
  el.dataset.state = state;
}

export function newTile(options: ConstructorParameters<typeof Tile>[0]): Tile {
  return new Tile(options, (tile) => layout.togglePin(tile.key));
}

export function refreshPeople(s: Session | null = current.session): void {
  if (!s) return;
  const audio = s.local?.getAudioTracks()[0];
  const video = s.local?.getVideoTracks()[0];
  renderPeople(s.client, {
    name: s.name,
    media: { mic: audio ? audio.enabled : undefined, cam: video ? video.enabled : undefined },
    secured: !!s.invitation,
  });
  $('alone').hidden = s.client.participants.length > 0;
  renderRecipients(s.client);
  renderHands(s.client);
}

function onStreamAdded(client: ConferenceClient, remote: RemoteStream): void {
  // A participant's second stream is a screen share (the camera and microphone go with the join).
  const hasTile = [...layout.tiles.values()].some((t) => t.participantId === remote.participant.id);
  const tile = newTile({
    key: remote.id,
    stream: remote.stream,
    name: hasTile ? `${remote.participant.name} (screen)` : remote.participant.name,
    kind: hasTile ? 'screen' : 'camera',
    participantId: remote.participant.id,
  });
  tile.setReconnecting(remote.participant.reconnecting);
  for (const track of remote.stream.getTracks()) {
    if (!client.isTrackMuted(track.id)) continue;
    if (track.kind === 'audio') tile.setMicMuted(true);
    else tile.setCameraOff(true);
  }
  const sink = ($('speaker-select') as HTMLSelectElement).value;
  if (sink)
    void (tile.video as HTMLVideoElement & { setSinkId?(id: string): Promise<void> }).setSinkId?.(sink);
  layout.add(tile);
  layers.observe(tile.el);
  refreshPeople();
}

/** Creates a client for the session and joins; used for the first join and for automatic rejoins. */
async function connectClient(s: Omit<Session, 'client'>): Promise<ConferenceClient> {
  const client = new ConferenceClient(s.server ? { url: s.server } : {});
  const mine = () => current.session?.client === client;
  client.on('connectionState', (state) => {
    current.states.push(state);
    if (!mine() && current.session) return;
    showState(state);
    if (state === 'failed' && mine()) void rejoin();
  });
  client.on('participantJoined', (p) => {
    if (mine()) showNotice(`presence-${p.id}`, `${p.name} joined`, { timeoutMs: 4000 });
    refreshPeople();
  });
  client.on('participantLeft', (p, reason) => {
    const why = reason && reason !== 'LEFT' ? ` (${reason.toLowerCase().replace(/_/g, ' ')})` : '';
    if (mine()) showNotice(`presence-${p.id}`, `${p.name} left${why}`, { timeoutMs: 4000 });
    refreshPeople();
  });
  // Greyed, not dropped, while the server waits for them (their streams stay until they leave).
  client.on('participantReconnecting', (p, reconnecting) => {
    for (const tile of layout.tiles.values())
      if (tile.participantId === p.id && !tile.local) tile.setReconnecting(reconnecting);
    refreshPeople();
  });
  client.on('streamAdded', (remote) => onStreamAdded(client, remote));
  client.on('streamRemoved', (remote) => {
    const tile = layout.tiles.get(remote.id);
    if (tile) layers.unobserve(tile.el);
    layout.remove(remote.id);
    refreshPeople();
  });
  // Shown once per id: a rejoin's history repeats what the old client showed.
  client.on('message', (message) => showMessage(client, message));
  client.on('attributesChanged', () => {
    if (mine()) refreshPeople();
  });
  client.on('activeSpeaker', (speaker) => layout.setSpeaker(speaker?.id ?? null));
  client.on('recordingChanged', (recording) => {
    if (mine() || !current.session) recordingChanged(client, recording);
  });
  client.on('trackMuted', ({ streamId, trackId, muted }) => {
    const tile = layout.tiles.get(streamId);
    const kind = tile?.stream?.getTrackById(trackId)?.kind;
    if (tile && kind === 'video') tile.setCameraOff(muted);
    else if (tile) tile.setMicMuted(muted);
    refreshPeople();
  });
  client.on('mutedByModerator', () => {
    current.onControls();
    showNotice('moderator-mute', 'A moderator muted your microphone. Unmute it when you are asked to speak.');
  });
  client.on('error', (error) => console.warn('conference error', error.code, error.message));
  client.on('left', (reason) => {
    const s = current.session;
    if (s?.client !== client || s.leaving) return;
    if (reason === 'ROOM_CLOSED') endSession('The room was closed.');
    else if (reason === 'KICKED') endSession('A moderator removed you from the room.');
    // One seat per identity: rejoining would push the other window out in turn.
    else if (reason === 'DUPLICATE_IDENTITY')
      endSession('You joined this room from another window or device.');
    else if (reason === 'LEFT') endSession(null);
    else {
      // A drained node handed the room to another: join it there, at once and without a click.
      if (reason === 'ROOM_MOVED' && client.movedTo) s.server = client.movedTo;
      void rejoin();
    }
  });
  layers.reset();
  // Simulcast when the room allows it (VP8 and Room.simulcast): three encodings of the camera.
  await client.join(s.roomId, s.name, s.local, { simulcast: 'auto', token: s.invitation?.token });
  // With an invitation, the server names you (the token's name, else yours, else the identity).
  if (client.name) s.name = client.name;
  return client;
}

let rejoining = false;
async function rejoin(): Promise<void> {
  const s = current.session;
  if (!s || rejoining) return;
  rejoining = true;
  showState('rejoining');
  layout.clear((tile) => tile.local);
  for (let attempt = 1; current.session === s && !s.leaving; attempt++) {
    try {
      const old = s.client;
      s.client = await connectClient(s);
      void old.leave();
      if (s.screen) await s.client.publishTrack(s.screen).catch(() => undefined);
      for (const track of s.local?.getTracks() ?? [])
        if (!track.enabled) await s.client.setTrackMuted(track, true).catch(() => undefined);
      // Lost again before this attempt ended: its `left` found this rejoin under way, and ignored it.
      if (s.client.state === 'closed') {
        if (s.client.movedTo) s.server = s.client.movedTo;
        throw new ConferenceError('SIGNALING_LOST', 'The connection was lost again.');
      }
      showState(s.client.state);
      refreshPeople(s);
      renderRecording(s.client);
      break;
    } catch (error) {
      const permanent = error instanceof ConferenceError && PERMANENT_JOIN_ERRORS.includes(error.code);
      // Moved again while joining (a drain right after the last one): join where it went.
      const details = error instanceof ConferenceError ? (error.details as { movedTo?: unknown }) : undefined;
      if (typeof details?.movedTo === 'string') s.server = details.movedTo;
      if (permanent) {
        endSession(joinErrorMessage(error));
        break;
      }
      showState('rejoining', `Connection lost. ${joinErrorMessage(error)} Retrying (attempt ${attempt})…`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * attempt, 5000)));
    }
  }
  rejoining = false;
}

export function endSession(message: string | null): void {
  const s = current.session;
  current.session = null;
  showQuality(null);
  if (s) {
    stopStream(s.local);
    s.screen?.stop();
  }
  layout.clear();
  clearAllNotices();
  renderRecording(undefined);
  $('room-view').hidden = true;
  $('join-view').hidden = false;
  document.title = 'Join a video call — GraphQL SFU';
  setJoining(false);
  if (message) showJoinError(message);
  void updatePreview();
}

export async function startSession(request: JoinRequest, invitation: Invitation | undefined): Promise<void> {
  const partial: Omit<Session, 'client'> = {
    roomId: request.roomId,
    name: request.name || invitation?.name || invitation?.identity || '',
    local: request.local,
    screen: null,
    leaving: false,
    invitation,
  };
  const audio = request.local?.getAudioTracks()[0];
  const video = request.local?.getVideoTracks()[0];
  if (audio) audio.enabled = !request.micOff;
  if (video) video.enabled = !request.camOff;
  let client: ConferenceClient;
  resetChat();
  try {
    client = await connectClient(partial);
  } catch (error) {
    stopStream(request.local);
    showJoinError(joinErrorMessage(error));
    setJoining(false);
    void updatePreview();
    return;
  }
  const s: Session = { ...partial, client };
  current.session = s;
  // Joined muted (pre-join toggles): the others are told.
  for (const track of [audio, video])
    if (track && !track.enabled)
      void client.setTrackMuted(track, true).catch((error: unknown) => console.warn('mute', error));
  const url = new URL(location.href);
  url.searchParams.set('room', s.roomId);
  url.searchParams.delete('name');
  // The join token is a credential: once used it leaves the address bar (history, screenshots,
  // shares). The page keeps it in memory for rejoins and for Copy link.
  url.searchParams.delete('token');
  history.replaceState(null, '', url);
  $('room-name').textContent = s.roomId;
  document.title = `${s.roomId} — video call`;
  $('join-view').hidden = true;
  $('room-view').hidden = false;
  showState(client.state);
  layout.add(
    newTile({
      key: 'local',
      stream: s.local,
      name: s.name,
      local: true,
      participantId: client.participantId,
    }),
  );
  current.onControls();
  refreshPeople(s);
}

/** Leaves on purpose (the Leave button, closing the tab). */
export function leaveSession(): void {
  const s = current.session;
  if (!s) return;
  s.leaving = true;
  void s.client.leave();
  endSession(null);
}

export { clearNotice, mediaStateOf };
