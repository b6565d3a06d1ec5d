/** `npm run bench -- --passes N`: one row per metric from N passes, matched by scenario and metric. */
import { type Comparison, mergePasses } from '../../bench/suite';

const row = (metric: string, ours: number | null, baseline: number | null): Comparison => ({
  scenario: metric.startsWith('cluster') ? 'cluster' : 'join',
  metric,
  unit: 'ms',
  better: 'lower',
  ours,
  baseline,
  ratio: ours !== null && baseline ? Math.round((ours / baseline) * 100) / 100 : null,
});

test('medians of the figures, the median of the ratios, and every pass ratio in order', () => {
  const merged = mergePasses([
    [row('cluster join', 30, 25), row('join p50', 10, 2)],
    [row('join p50', 6, 3)],
    [row('join p50', 8, 8)],
  ]);
  const join = merged.find((r) => r.metric === 'join p50')!;
  expect(join).toMatchObject({ ours: 8, baseline: 3, ratio: 2, passRatios: [5, 2, 1] });
  // A row only the first pass has (the cluster scenario runs once) keeps its one figure.
  expect(merged.find((r) => r.metric === 'cluster join')).toMatchObject({
    ours: 30,
    ratio: 1.2,
    passRatios: [1.2],
  });
});

test('one pass is reported as it is', () => {
  const pass = [row('join p50', 10, 2)];
  expect(mergePasses([pass])).toBe(pass);
});

test('a pass whose run failed (no figure) does not count', () => {
  const merged = mergePasses([[row('join p50', 10, 2)], [row('join p50', null, 3)], [row('join p50', 6, 3)]]);
  expect(merged[0]).toMatchObject({ ours: 8, baseline: 3, ratio: 3.5, passRatios: [5, null, 2] });
});
