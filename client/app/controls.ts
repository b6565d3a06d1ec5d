/**
 * The call's controls: microphone, camera, screen share, view (grid / speaker), devices, leave,
 * copy link, the people panel; keyboard shortcuts (M microphone, V camera, G view, P people).
 */
import { $, icon } from './dom';
import { fillDevices } from './joinForm';
import { roomLink } from './invitation';
import { joinErrorMessage, mediaErrorMessage } from './messages';
import { stopStream } from './meter';
import { clearNotice, showNotice } from './notices';
import { renderRecording } from './recording';
import { current, layout, leaveSession, newTile, refreshPeople, type Session } from './session';

const micButton = $<HTMLButtonElement>('mic-button');
const camButton = $<HTMLButtonElement>('cam-button');
const screenButton = $<HTMLButtonElement>('screen-button');
const viewButton = $<HTMLButtonElement>('view-button');
const devicesButton = $<HTMLButtonElement>('devices-button');
const leaveButton = $<HTMLButtonElement>('leave-button');
const devicesPanel = $<HTMLElement>('devices');
const camSelect = $<HTMLSelectElement>('call-camera-select');
const micSelect = $<HTMLSelectElement>('call-mic-select');
const speakerSelect = $<HTMLSelectElement>('speaker-select');

export function setControls(s: Session | null = current.session): void {
  if (!s) return;
  const audio = s.local?.getAudioTracks()[0];
  const video = s.local?.getVideoTracks()[0];
  const micOn = !!audio?.enabled;
  const camOn = !!video?.enabled;
  micButton.innerHTML = icon(micOn ? 'mic' : 'micOff');
  micButton.disabled = !audio;
  micButton.setAttribute('aria-pressed', String(!micOn));
  micButton.title = `${micOn ? 'Mute microphone' : 'Unmute microphone'} (M)`;
  camButton.innerHTML = icon(camOn ? 'cam' : 'camOff');
  camButton.disabled = !video;
  camButton.setAttribute('aria-pressed', String(!camOn));
  camButton.title = `${camOn ? 'Turn camera off' : 'Turn camera on'} (V)`;
  screenButton.innerHTML = icon('screen');
  const mayPublish = s.client.grants?.canPublish !== false;
  screenButton.disabled = !mayPublish || !navigator.mediaDevices?.getDisplayMedia;
  screenButton.setAttribute('aria-pressed', String(!!s.screen));
  screenButton.title = !mayPublish
    ? 'Your invitation is for watching: it does not allow sharing your screen'
    : s.screen
      ? 'Stop sharing'
      : 'Share screen';
  viewButton.innerHTML = icon(layout.view === 'grid' ? 'speaker' : 'grid');
  viewButton.title = layout.view === 'grid' ? 'Speaker view (G)' : 'Grid view (G)';
  devicesButton.innerHTML = icon('settings');
  devicesButton.disabled = !s.local;
  leaveButton.innerHTML = icon('leave');
  $('end-meeting').hidden = !s.client.grants?.roomAdmin;
  renderRecording(s.client);
  const local = layout.tiles.get('local');
  local?.refresh();
  local?.setMicMuted(!!audio && !micOn);
  if (micOn) clearNotice('muted-hint');
  refreshPeople(s);
}

function toggleTrack(kind: 'audio' | 'video'): void {
  const s = current.session;
  const track = kind === 'audio' ? s?.local?.getAudioTracks()[0] : s?.local?.getVideoTracks()[0];
  if (!s || !track) return;
  const muting = track.enabled;
  // Unmuting answers a moderator's mute: the notice no longer holds.
  if (!muting && kind === 'audio') clearNotice('moderator-mute');
  void s.client
    .setTrackMuted(track, muting)
    .catch((error: unknown) => console.warn('could not report mute state', error))
    .finally(() => setControls(s));
  setControls(s);
}

async function toggleScreen(): Promise<void> {
  const s = current.session;
  if (!s) return;
  if (s.screen) {
    const track = s.screen;
    s.screen = null;
    track.stop();
    layout.remove('screen');
    setControls(s);
    await s.client.unpublishTrack(track).catch((error) => console.warn('unpublish failed', error));
    return;
  }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (error) {
    if ((error as { name?: string })?.name !== 'NotAllowedError')
      showNotice('screen', mediaErrorMessage(error), { kind: 'error' });
    return;
  }
  const track = stream.getVideoTracks()[0];
  if (!track || current.session !== s) return stopStream(stream);
  s.screen = track;
  track.addEventListener('ended', () => {
    if (s.screen === track) void toggleScreen();
  });
  layout.add(newTile({ key: 'screen', stream, name: `${s.name}'s screen`, local: true, kind: 'screen' }));
  setControls(s);
  try {
    await s.client.publishTrack(track, stream);
  } catch (error) {
    // Nothing is shared: no tile, the button is released, and the reason is said plainly.
    if (s.screen === track) s.screen = null;
    track.stop();
    layout.remove('screen');
    setControls(s);
    void s.client.unpublishTrack(track).catch(() => undefined);
    showNotice('screen', `Your screen could not be shared: ${joinErrorMessage(error)}`, { kind: 'error' });
  }
}

/** Another camera or microphone during the call (no renegotiation: the sender's track is replaced). */
async function switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
  const s = current.session;
  const old = kind === 'audio' ? s?.local?.getAudioTracks()[0] : s?.local?.getVideoTracks()[0];
  if (!s || !old || old.getSettings().deviceId === deviceId) return;
  try {
    const settings = old.getSettings();
    const stream = await navigator.mediaDevices.getUserMedia(
      kind === 'audio'
        ? { audio: { deviceId: { exact: deviceId } } }
        : {
            video: {
              deviceId: { exact: deviceId },
              // The same size as before: the encodings (simulcast layers) go on as they were.
              width: { ideal: settings.width ?? 1280 },
              height: { ideal: settings.height ?? 720 },
            },
          },
    );
    const next = kind === 'audio' ? stream.getAudioTracks()[0]! : stream.getVideoTracks()[0]!;
    await s.client.replaceTrack(old, next);
    old.stop();
    // The local tile shows the same stream object, now with the new track.
    const tile = layout.tiles.get('local');
    if (tile) tile.video.srcObject = s.local;
    setControls(s);
  } catch (error) {
    showNotice('devices', mediaErrorMessage(error), { kind: 'error' });
  }
}

async function openDevices(): Promise<void> {
  devicesPanel.hidden = !devicesPanel.hidden;
  devicesButton.setAttribute('aria-expanded', String(!devicesPanel.hidden));
  if (devicesPanel.hidden) return;
  await fillDevices([
    [camSelect, 'videoinput', 'Camera'],
    [micSelect, 'audioinput', 'Microphone'],
    [speakerSelect, 'audiooutput', 'Speaker'],
  ]);
  const local = current.session?.local;
  const cam = local?.getVideoTracks()[0]?.getSettings().deviceId;
  const mic = local?.getAudioTracks()[0]?.getSettings().deviceId;
  if (cam) camSelect.value = cam;
  if (mic) micSelect.value = mic;
  camSelect.disabled ||= !local?.getVideoTracks().length;
  micSelect.disabled ||= !local?.getAudioTracks().length;
  // Choosing the speaker needs HTMLMediaElement.setSinkId (not in every browser).
  speakerSelect.disabled ||= !('setSinkId' in HTMLMediaElement.prototype);
}

function toggleView(): void {
  layout.setView(layout.view === 'grid' ? 'speaker' : 'grid');
  setControls();
}

function togglePeople(): void {
  const panel = $('people');
  panel.hidden = !panel.hidden;
  $('toggle-people').setAttribute('aria-expanded', String(!panel.hidden));
}

async function copyLink(button: HTMLButtonElement): Promise<void> {
  const s = current.session;
  const link = roomLink(s?.roomId ?? '', s?.invitation);
  try {
    await navigator.clipboard.writeText(link);
    button.textContent = s?.invitation ? 'Invitation copied' : 'Link copied';
  } catch {
    window.prompt('Copy this link:', link);
  }
  setTimeout(() => (button.textContent = button.dataset.label ?? 'Copy link'), 2000);
}

export function setupControls(): void {
  current.onControls = () => setControls();
  micButton.addEventListener('click', () => toggleTrack('audio'));
  camButton.addEventListener('click', () => toggleTrack('video'));
  screenButton.addEventListener('click', () => void toggleScreen());
  viewButton.addEventListener('click', toggleView);
  devicesButton.addEventListener('click', () => void openDevices());
  camSelect.addEventListener('change', () => void switchDevice('video', camSelect.value));
  micSelect.addEventListener('change', () => void switchDevice('audio', micSelect.value));
  speakerSelect.addEventListener('change', () => {
    for (const tile of layout.tiles.values()) {
      const video = tile.video as HTMLVideoElement & { setSinkId?(id: string): Promise<void> };
      if (!tile.local) void video.setSinkId?.(speakerSelect.value).catch(() => undefined);
    }
  });
  leaveButton.addEventListener('click', leaveSession);
  $('end-meeting').addEventListener('click', () => {
    const s = current.session;
    if (!s || !window.confirm('End the meeting for everyone? Everyone is removed and the room is closed.'))
      return;
    s.client.closeRoom().catch((error: unknown) =>
      showNotice('moderation', `The meeting could not be ended: ${joinErrorMessage(error)}`, {
        kind: 'error',
      }),
    );
  });
  $('toggle-people').addEventListener('click', togglePeople);
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-copy-link]')) {
    button.dataset.label = button.textContent ?? 'Copy link';
    button.addEventListener('click', () => void copyLink(button));
  }
  document.addEventListener('keydown', (event) => {
    if (!current.session || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement | null;
    if (target?.closest('input, select, textarea, [contenteditable]')) return;
    const action = {
      m: () => toggleTrack('audio'),
      v: () => toggleTrack('video'),
      g: toggleView,
      p: togglePeople,
    }[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
