/**
 * A participant's call quality from the stored samples: what the server received from them and
 * forwarded to them (kbit/s, left axis) and the loss of what they send (%, right axis), over the
 * last minutes (seconds ago on the time axis).
 */
import type { ConferenceClient, QualitySample } from '../sdk';
import { $, s } from './dom';

const WIDTH = 300;
const HEIGHT = 130;
const PAD = { left: 44, right: 34, top: 8, bottom: 22 };
/** Loss drawn against 0-10 %. */
const LOSS_MAX = 0.1;

type Target = { client: ConferenceClient; id: string; name: string };

let target: Target | null = null;
let timer: ReturnType<typeof setInterval> | undefined;

export const qualityTarget = (): Target | null => target;

/** Shows (or, with null, hides) the chart of one participant, refreshed every 5 s. */
export function showQuality(next: Target | null): void {
  clearInterval(timer);
  target = next;
  $('quality').hidden = !next;
  if (!next) return;
  $('quality-title').textContent = `Call quality: ${next.name}`;
  $('quality-legend').replaceChildren(
    legendItem('bitrate-in', `sent by ${next.name}`),
    legendItem('bitrate-out', `received by ${next.name}`),
    legendItem('loss', `loss of what ${next.name} sends`),
  );
  const refresh = () =>
    next.client
      .qualityHistory(next.id, 60)
      .then((samples) => target === next && draw(samples, next.name))
      .catch((error: unknown) => console.warn('quality history', error));
  void refresh();
  timer = setInterval(refresh, 5000);
}

function legendItem(cls: string, text: string): HTMLElement {
  const item = document.createElement('span');
  item.className = `key ${cls}`;
  item.textContent = text;
  return item;
}

/** A round axis maximum at or above `value` (1, 2, 5 x 10^n). */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function draw(samples: QualitySample[], name: string): void {
  const chart = document.getElementById('quality-chart') as unknown as SVGSVGElement;
  chart.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const kbps = samples.flatMap((x) => [x.bitrateIn / 1000, x.bitrateOut / 1000]);
  const maxKbps = niceMax(Math.max(1, ...kbps));
  const times = samples.map((x) => new Date(x.at).getTime());
  const newest = times.at(-1) ?? Date.now();
  const span = Math.max(10_000, newest - (times[0] ?? newest));
  const x = (t: number) => PAD.left + plotW - ((newest - t) / span) * plotW;
  const y = (fraction: number) => PAD.top + plotH - Math.min(1, Math.max(0, fraction)) * plotH;
  const line = (values: number[], max: number, cls: string) =>
    s('polyline', {
      class: cls,
      points: values.map((v, i) => `${x(times[i]!).toFixed(1)},${y(v / max).toFixed(1)}`).join(' '),
    });
  const parts: SVGElement[] = [
    s('line', { class: 'axis', x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: PAD.top + plotH }),
    s('line', {
      class: 'axis',
      x1: PAD.left + plotW,
      y1: PAD.top,
      x2: PAD.left + plotW,
      y2: PAD.top + plotH,
    }),
    s('line', {
      class: 'axis',
      x1: PAD.left,
      y1: PAD.top + plotH,
      x2: PAD.left + plotW,
      y2: PAD.top + plotH,
    }),
  ];
  for (const fraction of [0, 0.5, 1]) {
    const yy = y(fraction);
    if (fraction > 0)
      parts.push(s('line', { class: 'gridline', x1: PAD.left, y1: yy, x2: PAD.left + plotW, y2: yy }));
    parts.push(
      s(
        'text',
        { class: 'tick', x: PAD.left - 3, y: yy + 3, 'text-anchor': 'end' },
        String(maxKbps * fraction),
      ),
      s(
        'text',
        { class: 'tick loss-tick', x: PAD.left + plotW + 3, y: yy + 3, 'text-anchor': 'start' },
        `${Math.round(LOSS_MAX * 100 * fraction)} %`,
      ),
    );
  }
  parts.push(s('text', { class: 'unit', x: 2, y: PAD.top + 6, 'text-anchor': 'start' }, 'kbit/s'));
  // Time axis: seconds before the newest sample.
  const seconds = Math.round(span / 1000);
  for (const fraction of [1, 0.5, 0]) {
    const ago = Math.round(seconds * fraction);
    parts.push(
      s(
        'text',
        {
          class: 'tick',
          x: PAD.left + plotW - fraction * plotW,
          y: HEIGHT - 6,
          'text-anchor': fraction === 1 ? 'start' : fraction === 0 ? 'end' : 'middle',
        },
        ago === 0 ? 'now' : `-${ago} s`,
      ),
    );
  }
  if (samples.length > 0)
    parts.push(
      line(
        samples.map((x) => x.bitrateIn / 1000),
        maxKbps,
        'bitrate-in',
      ),
      line(
        samples.map((x) => x.bitrateOut / 1000),
        maxKbps,
        'bitrate-out',
      ),
      line(
        samples.map((x) => x.lossIn),
        LOSS_MAX,
        'loss',
      ),
    );
  chart.replaceChildren(...parts);
  chart.setAttribute('aria-label', `Call quality of ${name} over the last ${seconds} seconds`);
  const last = samples.at(-1);
  $('quality-figures').textContent = last
    ? `Now: ${name} sends ${Math.round(last.bitrateIn / 1000)} kbit/s, receives ${Math.round(last.bitrateOut / 1000)} kbit/s · ` +
      `loss ${(last.lossIn * 100).toFixed(1)} % · RTT ${Math.round(last.rtt)} ms (${samples.length} samples)`
    : 'No samples yet.';
}
