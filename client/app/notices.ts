/**
 * Notices: short messages under the room bar (never over it), each with a close button, replaced
 * by key (one "muted by a moderator" notice, not a stack of them) and cleared when they no longer
 * hold. Join and leave notices go by themselves after a few seconds.
 */
import { $, h, icon } from './dom';

const container = (): HTMLElement => $('notices');
const timers = new Map<string, ReturnType<typeof setTimeout>>();

export interface NoticeOptions {
  kind?: 'info' | 'error';
  /** Removes the notice after this many ms (default: stays until closed or cleared). */
  timeoutMs?: number;
}

export function showNotice(key: string, text: string, options: NoticeOptions = {}): void {
  clearNotice(key);
  const close = h('button', { type: 'button', class: 'notice-close', 'data-action': 'dismiss' });
  close.innerHTML = icon('close', 16);
  close.title = 'Dismiss';
  close.setAttribute('aria-label', 'Dismiss');
  const notice = h(
    'div',
    { class: 'notice', role: 'status', 'data-key': key, 'data-kind': options.kind ?? 'info' },
    h('span', {}, text),
    close,
  );
  close.addEventListener('click', () => clearNotice(key));
  container().append(notice);
  if (options.timeoutMs)
    timers.set(
      key,
      setTimeout(() => clearNotice(key), options.timeoutMs),
    );
}

export function clearNotice(key: string): void {
  clearTimeout(timers.get(key));
  timers.delete(key);
  for (const el of container().querySelectorAll<HTMLElement>('.notice'))
    if (el.dataset.key === key) el.remove();
}

export function clearAllNotices(): void {
  for (const key of [...timers.keys()]) clearNotice(key);
  container().replaceChildren();
}
