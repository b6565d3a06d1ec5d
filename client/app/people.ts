/**
 * The people panel: everyone in the room with their microphone and camera state, their call
 * quality button, and moderation buttons for room admins. One line per person.
 */
import type { ConferenceClient, ParticipantInfo } from '../sdk';
import { handRaised } from './chat';
import { $, h, icon } from './dom';
import { moderationButtons } from './moderation';
import { qualityTarget, showQuality } from './quality';

export interface MediaState {
  /** undefined: does not send it at all. */
  mic: boolean | undefined;
  cam: boolean | undefined;
}

/** A participant's microphone and camera as the room reports them (their first stream). */
export function mediaStateOf(client: ConferenceClient, participantId: string): MediaState {
  const camera = client.remoteStreams.find((remote) => remote.participant.id === participantId);
  const state = (kind: 'audio' | 'video') => {
    const tracks = camera?.stream.getTracks().filter((t) => t.kind === kind) ?? [];
    return tracks.length === 0 ? undefined : tracks.some((t) => !client.isTrackMuted(t.id));
  };
  return { mic: state('audio'), cam: state('video') };
}

function stateIcon(kind: 'mic' | 'cam', on: boolean | undefined): HTMLElement {
  const el = h('span', {
    class: `person-${kind}`,
    'data-on': String(!!on),
    title: `${kind === 'mic' ? 'Microphone' : 'Camera'} ${on === undefined ? 'not shared' : on ? 'on' : 'off'}`,
  });
  el.innerHTML = icon(kind === 'mic' ? (on ? 'mic' : 'micOff') : on ? 'cam' : 'camOff', 16);
  return el;
}

function qualityButton(client: ConferenceClient, person: Pick<ParticipantInfo, 'id' | 'name'>): HTMLElement {
  const button = h('button', { type: 'button', class: 'small', 'data-action': 'quality' }, 'Quality');
  button.title = `Show ${person.name}'s call quality`;
  button.addEventListener('click', () =>
    showQuality(qualityTarget()?.id === person.id ? null : { client, id: person.id, name: person.name }),
  );
  return button;
}

function row(
  person: Pick<ParticipantInfo, 'id' | 'name'>,
  raised: boolean,
  label: string,
  media: MediaState,
  actions: HTMLElement[],
  attributes: Record<string, string> = {},
  reconnecting = false,
): HTMLElement {
  return h(
    'li',
    reconnecting ? { ...attributes, class: 'reconnecting', 'data-reconnecting': 'true' } : attributes,
    h('span', { class: 'person-state' }, stateIcon('mic', media.mic), stateIcon('cam', media.cam)),
    h('span', { class: 'person-name', title: label }, label),
    reconnecting ? h('span', { class: 'person-reconnecting', role: 'status' }, 'Reconnecting…') : '',
    raised
      ? h('span', { class: 'person-hand', title: 'Hand raised', 'data-hand-raised': 'true' }, 'Hand')
      : '',
    h('span', { class: 'person-actions' }, ...actions),
  );
}

export function renderPeople(
  client: ConferenceClient,
  me: { name: string; media: MediaState; secured: boolean },
): void {
  const people = client.participants;
  const moderator = !!client.grants?.roomAdmin;
  $('people-count').textContent = String(people.length + 1);
  const self = client.participantId ? { id: client.participantId, name: me.name } : undefined;
  $('people-list').replaceChildren(
    row(
      { id: self?.id ?? '', name: me.name },
      handRaised(client.attributes),
      `${me.name} (you)`,
      me.media,
      self ? [qualityButton(client, self)] : [],
    ),
    ...people.map((p) =>
      row(
        p,
        handRaised(p.attributes),
        p.name,
        mediaStateOf(client, p.id),
        [qualityButton(client, p), ...(moderator ? moderationButtons(client, p, me.secured) : [])],
        { 'data-participant-id': p.id },
        p.reconnecting,
      ),
    ),
  );
  const shown = qualityTarget();
  if (shown && shown.id !== client.participantId && !people.some((p) => p.id === shown.id)) showQuality(null);
}
