/**
 * Recording on the page: a "Recording" indicator in the room bar for everyone while the room is
 * recorded (people must know; a late joiner sees it at once, from the room's state), and for room
 * admins a button that starts and stops it.
 */
import type { ConferenceClient, RecordingInfo } from '../sdk';
import { $ } from './dom';
import { joinErrorMessage } from './messages';
import { showNotice } from './notices';

const indicator = (): HTMLElement => $('recording-indicator');
const button = (): HTMLButtonElement => $<HTMLButtonElement>('record-button');

/** Shows what the client knows now (indicator for all; the button for room admins). */
export function renderRecording(client: ConferenceClient | undefined): void {
  const recording = client?.recording ?? null;
  indicator().hidden = !recording;
  if (recording) indicator().title = `This call is being recorded (since ${time(recording)})`;
  const control = button();
  control.hidden = !client?.grants?.roomAdmin;
  control.textContent = recording ? 'Stop recording' : 'Record';
  control.dataset.recording = String(!!recording);
  control.title = recording
    ? 'Stop recording the call'
    : 'Record the call (everyone sees that it is recorded)';
}

/** The room started or stopped being recorded (also at join, when it already was). */
export function recordingChanged(client: ConferenceClient, recording: RecordingInfo | null): void {
  renderRecording(client);
  if (recording) showNotice('recording', 'This call is being recorded.');
  else showNotice('recording', 'Recording stopped.', { timeoutMs: 4000 });
}

export function setupRecording(client: () => ConferenceClient | undefined): void {
  const control = button();
  control.addEventListener('click', () => {
    const c = client();
    if (!c) return;
    control.disabled = true;
    const action = c.recording
      ? c.stopRecording().then(() => undefined)
      : c.startRecording().then(() => undefined);
    action
      .catch((error: unknown) =>
        showNotice('recording-error', `Recording: ${joinErrorMessage(error)}`, { kind: 'error' }),
      )
      .finally(() => {
        control.disabled = false;
        renderRecording(client());
      });
  });
}

const time = (recording: RecordingInfo) =>
  new Date(recording.startedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
