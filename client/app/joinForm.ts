/**
 * The join form: room id, name, camera and microphone pickers with a live preview, level meter and
 * mic/camera toggles (join muted), resolution, "without camera" and "watch only".
 */
import { $, h, icon } from './dom';
import { type Invitation } from './invitation';
import { mediaErrorMessage } from './messages';
import { startMeter, stopStream } from './meter';
import { roomIdFrom } from './roomId';

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
const previewMic = $<HTMLButtonElement>('preview-mic');
const previewCam = $<HTMLButtonElement>('preview-cam');

/** What the person asked for when pressing Join. */
export interface JoinRequest {
  roomId: string;
  name: string;
  local: MediaStream | null;
  /** Join with the microphone / camera muted (pre-join toggles). */
  micOff: boolean;
  camOff: boolean;
}

let previewStream: MediaStream | null = null;
let meterStop: (() => void) | null = null;
let micOff = false;
let camOff = false;
let invitation: Invitation | undefined;

export function showJoinError(message: string | null, source: 'join' | 'preview' = 'join'): void {
  joinError.hidden = !message;
  joinError.textContent = message ?? '';
  joinError.dataset.source = source;
}

export function setJoining(joining: boolean): void {
  joinButton.disabled = joining;
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

/** Fills a device picker; keeps its choice when the device is still there. */
export async function fillDevices(
  pickers: Array<[HTMLSelectElement, MediaDeviceKind, string]> = [
    [cameraSelect, 'videoinput', 'Camera'],
    [micSelect, 'audioinput', 'Microphone'],
  ],
): Promise<void> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [select, kind, label] of pickers) {
    const current = select.value;
    const list = devices.filter((d) => d.kind === kind);
    select.replaceChildren(
      ...list.map((d, i) => h('option', { value: d.deviceId }, d.label || `${label} ${i + 1}`)),
    );
    if (list.some((d) => d.deviceId === current)) select.value = current;
    select.disabled = list.length === 0;
  }
}

function applyToggles(): void {
  for (const track of previewStream?.getAudioTracks() ?? []) track.enabled = !micOff;
  for (const track of previewStream?.getVideoTracks() ?? []) track.enabled = !camOff;
  const media = !watchOnly.checked;
  previewMic.hidden = !media;
  previewCam.hidden = !media || noCamera.checked;
  previewMic.innerHTML = icon(micOff ? 'micOff' : 'mic');
  previewMic.setAttribute('aria-pressed', String(micOff));
  previewMic.title = micOff ? 'Join with the microphone on' : 'Join muted';
  previewCam.innerHTML = icon(camOff ? 'camOff' : 'cam');
  previewCam.setAttribute('aria-pressed', String(camOff));
  previewCam.title = camOff ? 'Join with the camera on' : 'Join with the camera off';
  const video = !!constraints()?.video && !camOff;
  previewOff.hidden = video;
  previewOff.textContent = watchOnly.checked ? 'Watch only' : 'Camera off';
}

let previewSeq = 0;
export async function updatePreview(): Promise<void> {
  const seq = ++previewSeq;
  meterStop?.();
  meterStop = null;
  stopStream(previewStream);
  previewStream = null;
  preview.srcObject = null;
  // A failed join's message stays; a camera error of an earlier preview does not.
  if (joinError.dataset.source === 'preview') showJoinError(null);
  applyToggles();
  const wanted = constraints();
  if (!wanted) return;
  try {
    const stream = await navigator.mediaDevices.getUserMedia(wanted);
    if (seq !== previewSeq) return stopStream(stream);
    previewStream = stream;
    preview.srcObject = stream;
    applyToggles();
    meterStop = startMeter(stream, (level) => (meterBar.style.width = `${Math.round(level * 100)}%`));
    await fillDevices();
  } catch (error) {
    if (seq !== previewSeq) return;
    showJoinError(mediaErrorMessage(error), 'preview');
  }
}

/** The form's answer on submit, or null (with the reason shown) when something is missing. */
async function request(): Promise<JoinRequest | null> {
  const room = roomIdFrom(roomInput.value);
  const name = nameInput.value.trim();
  if (!room.ok) {
    showJoinError(room.message);
    return null;
  }
  roomInput.value = room.id;
  // An invitation without a name: the server names you after your identity unless you type one.
  if (!name && !invitation) {
    showJoinError('Please enter your name.');
    return null;
  }
  showJoinError(null);
  if (name) localStorage.setItem('sfu-name', name);
  const wanted = constraints();
  let local: MediaStream | null = null;
  try {
    if (wanted) local = previewStream ?? (await navigator.mediaDevices.getUserMedia(wanted));
  } catch (error) {
    showJoinError(mediaErrorMessage(error));
    return null;
  }
  meterStop?.();
  meterStop = null;
  previewStream = null;
  preview.srcObject = null;
  return { roomId: room.id, name, local, micOff: micOff && !!local, camOff: camOff && !!local };
}

export function setupJoinForm(options: {
  invitation: Invitation | undefined;
  onJoin: (request: JoinRequest) => Promise<void>;
}): void {
  invitation = options.invitation;
  const params = new URLSearchParams(location.search);
  roomInput.value = params.get('room') ?? invitation?.room ?? Math.random().toString(36).slice(2, 8);
  nameInput.value = params.get('name') ?? localStorage.getItem('sfu-name') ?? '';
  if (invitation) {
    nameInput.required = false;
    if (invitation.name) {
      nameInput.value = '';
      nameInput.placeholder = `${invitation.name} (from your invitation)`;
      nameInput.disabled = true;
    } else {
      nameInput.placeholder = invitation.identity
        ? `${invitation.identity} (from your invitation), or type a name`
        : 'Your name';
    }
    // An invitation to watch (no canPublish grant) joins receive-only: the server refuses anything sent.
    if (!invitation.canPublish) {
      watchOnly.checked = true;
      watchOnly.disabled = true;
      noCamera.disabled = true;
    }
  }
  for (const el of [cameraSelect, micSelect, resolutionSelect, noCamera, watchOnly])
    el.addEventListener('change', () => void updatePreview());
  previewMic.addEventListener('click', () => {
    micOff = !micOff;
    applyToggles();
  });
  previewCam.addEventListener('click', () => {
    camOff = !camOff;
    applyToggles();
  });
  navigator.mediaDevices?.addEventListener?.('devicechange', () => void fillDevices());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      setJoining(true);
      const wanted = await request();
      if (wanted) await options.onJoin(wanted);
      else setJoining(false);
    })();
  });
  void updatePreview();
}
