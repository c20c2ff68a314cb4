// Charts for the report page: time series with the vendored uPlot, histograms and bar tables drawn here
// as SVG / HTML. Everything reads its colours from the stylesheet, so light and dark themes both work.
import { el, svg, clear, isNum, fmtInt } from './common.js';

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export const PALETTE = ['--bar', '--bar-2', '--bad', '--ok', '--warn', '--info'];

const charts = new Set(); // live uPlot instances, rebuilt on theme or size changes

// ---- uPlot time series ---------------------------------------------------------------------------

// series: [{label, values, color: '--bar', kind: 'line'|'bars'|'points'|'step', fill: bool}]; integer: count ticks;
// binary: byte ticks at powers of two
export function timeChart(host, { x, series, yLabel, yFmt, title, t0, integer, binary }) {
  const box = el('div', { class: 'chart', role: 'img', 'aria-label': title || yLabel || 'chart' });
  host.appendChild(box);
  if (typeof window.uPlot !== 'function') {
    box.appendChild(el('div', { class: 'chart-empty', text: 'The chart library did not load.' }));
    return;
  }
  // Seconds since the start of the capture read better than wall-clock times for a few seconds of traffic.
  const origin = isNum(t0) ? t0 : (x.length && x[0] > 1e8 ? x[0] : 0);
  const xs = x.map((v) => v - (x[0] > 1e8 ? origin : 0));
  const span = xs.length ? xs[xs.length - 1] - xs[0] : 0;
  const fmtX = (v) => (span > 180 ? `${Math.floor(v / 60)}:${String(Math.round(v % 60)).padStart(2, '0')}` : `${+v.toFixed(3)} s`);
  const make = () => {
    clear(box);
    const width = Math.max(260, box.clientWidth || host.clientWidth || 600);
    const text = css('--muted');
    const grid = css('--grid');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui, sans-serif' };
    const opts = {
      width,
      height: 220,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, ...(integer ? { y: { range: (u, min, max) => [0, Math.max(1, max)] } } : {}) },
      legend: { live: false },
      axes: [
        { ...axis, values: (u, v) => v.map(fmtX) },
        {
          ...axis,
          size: 70,
          values: (u, v) => v.map((y) => (yFmt ? yFmt(y) : fmtInt(y))),
          // counts: whole-number ticks only
          ...(integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6, 1e7] } : {}),
          // bytes: ticks at powers of two, so that KiB and MiB labels come out round
          ...(binary ? { incrs: Array.from({ length: 41 }, (_, i) => 2 ** i) } : {}),
        },
      ],
      series: [
        { label: span > 180 ? 'time (min:s)' : 'time (s)' },
        ...series.map((s, i) => {
          const color = css(s.color || PALETTE[i % PALETTE.length]);
          const ser = { label: s.label, stroke: color, width: 1.6 };
          if (s.kind === 'bars' && window.uPlot.paths && window.uPlot.paths.bars) {
            ser.paths = window.uPlot.paths.bars({ size: [0.8, 24] });
            ser.fill = color;
            ser.width = 0;
            ser.points = { show: false };
          } else if (s.kind === 'points') {
            ser.paths = () => null;
            ser.points = { show: true, size: 4, stroke: color, fill: color };
          } else if (s.kind === 'step' && window.uPlot.paths && window.uPlot.paths.stepped) {
            // a cumulative ACK or a window edge holds its value until the next packet
            ser.paths = window.uPlot.paths.stepped({ align: 1 });
            ser.spanGaps = true;
            ser.points = { show: false };
          } else {
            // Sparse series (RTT has no sample in buckets without acknowledged data): join across the gaps
            // and mark the samples.
            const known = s.values.filter((v) => v !== null && v !== undefined).length;
            ser.spanGaps = true;
            ser.points = { show: known > 0 && known < s.values.length * 0.6, size: 4, fill: color };
            if (s.fill) ser.fill = color + '33';
          }
          return ser;
        }),
      ],
    };
    const data = [xs, ...series.map((s) => s.values)];
    const plot = new window.uPlot(opts, data, box);
    charts.add({ plot, box, make });
    return plot;
  };
  requestAnimationFrame(make);
}

let resizeTimer = null;
function rebuildAll(resizeOnly) {
  for (const c of Array.from(charts)) {
    if (!c.box.isConnected) { charts.delete(c); continue; }
    if (resizeOnly) {
      c.plot.setSize({ width: Math.max(260, c.box.clientWidth), height: 220 });
    } else {
      c.plot.destroy();
      charts.delete(c);
      c.make();
    }
  }
}
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => rebuildAll(true), 150);
});
if (window.matchMedia) {
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => rebuildAll(false));
}

// ---- SVG histogram ---------------------------------------------------------------------------------

// bins: [{label, count, alt}] drawn as columns with a count axis.
export function histogram(host, bins, { title, xLabel, yLabel = 'count' } = {}) {
  const W = 640;
  const H = 220;
  const m = { l: 48, r: 10, t: 10, b: 44 };
  const max = Math.max(1, ...bins.map((b) => b.count || 0));
  const cw = (W - m.l - m.r) / Math.max(1, bins.length);
  const root = svg('svg', { class: 'hist', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': title || 'histogram' });
  const ticks = niceTicks(max);
  for (const t of ticks) {
    const y = m.t + (H - m.t - m.b) * (1 - t / ticks[ticks.length - 1]);
    root.appendChild(svg('line', { class: 'gridline', x1: m.l, x2: W - m.r, y1: y, y2: y }));
    root.appendChild(svg('text', { x: m.l - 6, y: y + 4, 'text-anchor': 'end', text: fmtInt(t) }));
  }
  const top = ticks[ticks.length - 1];
  const every = Math.ceil(bins.length / 10);
  bins.forEach((b, i) => {
    const h = ((H - m.t - m.b) * (b.count || 0)) / top;
    const x = m.l + i * cw;
    const rect = svg('rect', { class: 'col' + (b.alt ? ' alt' : ''), x: x + cw * 0.1, y: H - m.b - h, width: Math.max(1, cw * 0.8), height: Math.max(0, h) });
    rect.appendChild(svg('title', { text: `${b.label}: ${fmtInt(b.count || 0)}` }));
    root.appendChild(rect);
    if (i % every === 0) root.appendChild(svg('text', { x: x + cw / 2, y: H - m.b + 16, 'text-anchor': 'middle', text: b.label }));
  });
  root.appendChild(svg('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b }));
  if (xLabel) root.appendChild(svg('text', { x: (W + m.l) / 2, y: H - 6, 'text-anchor': 'middle', text: xLabel }));
  if (yLabel) root.appendChild(svg('text', { x: 12, y: m.t + 4, 'text-anchor': 'start', text: '' }));
  const wrap = el('div', { class: 'chart' }, root);
  // A readable equivalent of the picture for screen readers.
  wrap.appendChild(el('table', { class: 'visually-hidden' },
    el('caption', { text: title || 'histogram' }),
    el('thead', {}, el('tr', {}, el('th', { text: xLabel || 'bin' }), el('th', { text: yLabel }))),
    el('tbody', {}, bins.map((b) => el('tr', {}, el('td', { text: b.label }), el('td', { text: fmtInt(b.count || 0) }))))));
  host.appendChild(wrap);
}

function niceTicks(max) {
  const raw = max / 4;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) || raw;
  const s = Math.max(1, step);
  const out = [];
  for (let v = 0; v <= max + s * 0.999; v += s) out.push(Math.round(v));
  return out.length > 1 ? out : [0, Math.max(1, max)];
}

// ---- horizontal bars inside a table ----------------------------------------------------------------

export function barCell(value, max) {
  const pct = max > 0 && isNum(value) ? Math.max(0.5, (100 * value) / max) : 0;
  const inner = el('span');
  inner.style.width = pct.toFixed(2) + '%';
  return el('td', { class: 'barcell', 'aria-hidden': 'true' }, el('div', { class: 'hbar' }, inner));
}
