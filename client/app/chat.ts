/**
 * The chat panel and the raised hand: messages of the room (history shown on join, then live ones;
 * each message id once, across rejoins too), a public or private message to one person, the unread
 * count on the toggle button, and the hand button (attribute `handRaised`) shown on tiles and in
 * the people list.
 */
import type { ChatMessage, ConferenceClient } from '../sdk';
import { $, h } from './dom';

let unread = 0;
const shown = new Set<string>();
/** The session's client now (set by session.ts). */
let clientNow: () => ConferenceClient | undefined = () => undefined;

function chatOpen(): boolean {
  return !$('chat').hidden;
}

function showUnread(): void {
  const badge = $('chat-unread');
  badge.textContent = String(unread);
  badge.hidden = unread === 0;
}

function time(at: string): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Adds a message to the list (once per id); counts it unread when the panel is closed and it is not yours. */
export function showMessage(client: ConferenceClient, message: ChatMessage): void {
  if (shown.has(message.id)) return;
  shown.add(message.id);
  const mine = message.from.participantId === client.participantId;
  const privateTo = message.to
    ? message.to
        .map((id) =>
          id === client.participantId
            ? 'you'
            : (client.participants.find((p) => p.id === id)?.name ?? 'someone'),
        )
        .join(', ')
    : '';
  const item = h(
    'li',
    {
      class: message.to ? 'chat-message private' : 'chat-message',
      'data-message-id': message.id,
      'data-private': String(!!message.to),
    },
    h(
      'div',
      { class: 'chat-meta' },
      h('span', { class: 'chat-from' }, mine ? `${message.from.name} (you)` : message.from.name),
      message.to ? h('span', { class: 'chat-private' }, ` privately to ${privateTo}`) : '',
      h('time', { datetime: message.at, class: 'chat-time' }, time(message.at)),
    ),
    h('div', { class: 'chat-text' }, message.text),
  );
  const list = $('chat-list');
  list.append(item);
  list.scrollTop = list.scrollHeight;
  if (!mine && !chatOpen()) {
    unread++;
    showUnread();
  }
}

/** The recipient choices: everyone, or one person of the room. */
export function renderRecipients(client: ConferenceClient): void {
  const select = $<HTMLSelectElement>('chat-to');
  const chosen = select.value;
  select.replaceChildren(
    h('option', { value: '' }, 'Everyone'),
    ...client.participants.map((p) => h('option', { value: p.id }, p.name)),
  );
  select.value = client.participants.some((p) => p.id === chosen) ? chosen : '';
}

export function handRaised(attributes: Readonly<Record<string, unknown>>): boolean {
  return attributes.handRaised === true;
}

/** Shows raised hands on tiles (yours too) and sets the hand button. */
export function renderHands(client: ConferenceClient): void {
  const raised = new Set(client.participants.filter((p) => handRaised(p.attributes)).map((p) => p.id));
  if (client.participantId && handRaised(client.attributes)) raised.add(client.participantId);
  for (const tile of document.querySelectorAll<HTMLElement>('#grid .tile[data-participant-id]')) {
    const up = raised.has(tile.dataset.participantId ?? '') && tile.dataset.kind !== 'screen';
    tile.classList.toggle('hand-raised', up);
    let hand = tile.querySelector<HTMLElement>('.tile-hand');
    if (up && !hand) {
      hand = h(
        'span',
        { class: 'tile-hand', title: 'Hand raised', role: 'img', 'aria-label': 'Hand raised' },
        'Hand raised',
      );
      tile.append(hand);
    } else if (!up) hand?.remove();
  }
  const button = $('hand-button');
  const mine = handRaised(client.attributes);
  button.setAttribute('aria-pressed', String(mine));
  button.textContent = mine ? 'Lower hand' : 'Raise hand';
}

/** A new session (first join): the list starts empty. */
export function resetChat(): void {
  shown.clear();
  unread = 0;
  showUnread();
  $('chat-list').replaceChildren();
}

function toggleChat(): void {
  const panel = $('chat');
  panel.hidden = !panel.hidden;
  $('toggle-chat').setAttribute('aria-expanded', String(!panel.hidden));
  if (!panel.hidden) {
    unread = 0;
    showUnread();
    $('chat-input').focus();
  }
}

export function setupChat(getClient: () => ConferenceClient | undefined): void {
  clientNow = getClient;
  $('toggle-chat').addEventListener('click', toggleChat);
  $('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const client = clientNow();
    const input = $<HTMLInputElement>('chat-input');
    const text = input.value.trim();
    if (!client || !text) return;
    const to = $<HTMLSelectElement>('chat-to').value;
    const error = $('chat-error');
    error.hidden = true;
    client
      .sendMessage(text, to ? { to: [to] } : {})
      .then((message) => {
        input.value = '';
        showMessage(client, message);
      })
      .catch((failure: unknown) => {
        error.textContent = `Not sent: ${failure instanceof Error ? failure.message : String(failure)}`;
        error.hidden = false;
      });
  });
  $('hand-button').addEventListener('click', () => {
    const client = clientNow();
    if (!client) return;
    const up = handRaised(client.attributes);
    void client
      .setAttributes({ handRaised: up ? null : true })
      .then(() => renderHands(client))
      .catch((error: unknown) => console.warn('hand', error));
  });
}
