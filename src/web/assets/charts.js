// Small charts of the last hour from GET /v1/metrics/history (kept in the manager's memory):
// healthy/desired of the selected group, provider calls by result, reconcile time. Plain SVG
// built with createElementNS; colours come from classes in app.css (CSP forbids inline styles).
import { clock, h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 300;
const H = 70;

function svg(tag, attrs, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) if (child) element.append(child);
  return element;
}

function frame(label, testid, legend, body, footer) {
  return h(
    'figure',
    { class: 'chart', dataset: { testid } },
    h('figcaption', null, h('span', { class: 'chart-title' }, label), h('span', { class: 'legend' }, legend)),
    svg(
      'svg',
      { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label },
      ...body,
    ),
    h('div', { class: 'chart-foot muted small' }, footer),
  );
}

const key = (cls, text) => h('span', { class: `key ${cls}` }, text);

/** x from time across the window, y from value across 0..max (top padding 4). */
function scales(points, max) {
  const first = points[0]?.at ?? 0;
  const last = points.at(-1)?.at ?? first + 1;
  const span = Math.max(1, last - first);
  return {
    x: (at) => ((at - first) / span) * W,
    y: (v) => H - 2 - (Math.max(0, v) / Math.max(1, max)) * (H - 8),
  };
}

function polyline(points, value, scale, cls) {
  const coords = points
    .map((p) => [p, value(p)])
    .filter(([, v]) => typeof v === 'number')
    .map(([p, v]) => `${scale.x(p.at).toFixed(1)},${scale.y(v).toFixed(1)}`);
  if (coords.length === 1) coords.push(coords[0].replace(/^[\d.]+/, String(W)));
  return svg('polyline', { points: coords.join(' '), class: `line ${cls}`, fill: 'none' });
}

function span(points) {
  if (points.length === 0) return 'no data yet';
  return `${clock(points[0].at)} – ${clock(points.at(-1).at)}`;
}

export function renderCharts(element, history, groupId) {
  const points = history?.points ?? [];
  if (points.length === 0) {
    element.replaceChildren(h('p', { class: 'empty' }, 'No history yet.'));
    return;
  }
  const counts = points.map((p) => p.groups?.[groupId]).filter(Boolean);
  const maxCount = Math.max(1, ...counts.flatMap((c) => [c.healthy, c.desired, c.observed]));
  const s1 = scales(points, maxCount);
  const last = points.at(-1).groups?.[groupId];
  const health = frame(
    groupId ? `Healthy / desired · ${groupId}` : 'Healthy / desired',
    'chart-health',
    [key('healthy', 'healthy'), key('desired', 'desired')],
    groupId
      ? [
          polyline(points, (p) => p.groups?.[groupId]?.desired, s1, 'desired'),
          polyline(points, (p) => p.groups?.[groupId]?.healthy, s1, 'healthy'),
        ]
      : [],
    last
      ? `now ${last.healthy} / ${last.desired} · max ${maxCount} · ${span(points)}`
      : 'no data for this group',
  );

  const RESULTS = ['ok', 'throttled', 'exhausted', 'error'];
  const totals = points.map((p) => RESULTS.reduce((sum, r) => sum + (p.providerCalls?.[r] ?? 0), 0));
  const maxCalls = Math.max(1, ...totals);
  const s2 = scales(points, maxCalls);
  const barWidth = Math.max(1, W / Math.max(points.length, 1) - 1);
  const bars = [];
  points.forEach((p, index) => {
    let base = 0;
    for (const result of RESULTS) {
      const n = p.providerCalls?.[result] ?? 0;
      if (n === 0) continue;
      const top = s2.y(base + n);
      const bottom = s2.y(base);
      const x = Math.min(W - barWidth, (index / Math.max(1, points.length - 1)) * (W - barWidth));
      bars.push(
        svg('rect', {
          x: x.toFixed(1),
          y: top.toFixed(1),
          width: barWidth.toFixed(1),
          height: Math.max(0.5, bottom - top).toFixed(1),
          class: `bar-${result}`,
        }),
      );
      base += n;
    }
  });
  const sum = (r) => points.reduce((total, p) => total + (p.providerCalls?.[r] ?? 0), 0);
  const calls = frame(
    'Provider calls',
    'chart-calls',
    RESULTS.map((r) => key(`bar-${r}`, r)),
    bars,
    `${RESULTS.map((r) => `${r} ${sum(r)}`).join(' · ')} · peak ${maxCalls}/interval`,
  );

  const maxMs = Math.max(1, ...points.map((p) => p.reconcile?.maxMs ?? 0));
  const s3 = scales(points, maxMs);
  const ticks = points.filter((p) => (p.reconcile?.count ?? 0) > 0);
  const reconcile = frame(
    'Reconcile time',
    'chart-reconcile',
    [key('max', 'max'), key('mean', 'mean')],
    [
      polyline(ticks, (p) => p.reconcile.maxMs, s3, 'max'),
      polyline(ticks, (p) => p.reconcile.meanMs, s3, 'mean'),
    ],
    ticks.length === 0 ? 'no ticks yet' : `last mean ${ticks.at(-1).reconcile.meanMs} ms · max ${maxMs} ms`,
  );
  element.replaceChildren(health, calls, reconcile);
}
