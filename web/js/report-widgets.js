// Building blocks of the report page: cards, figure tiles, tables, quantile rows, chart frames, series
// and distribution lookups. Every string goes in as text.
import { el, get, isNum, fmtInt, fmtNum, fmtMs } from './common.js';
import { histogram } from './charts.js';

// ---- small builders ------------------------------------------------------------------------------

export function card(idAttr, title, sub, ...children) {
  const h = el('h2', { id: idAttr + '-title', text: title });
  return el('section', { class: 'card', id: idAttr, 'aria-labelledby': idAttr + '-title' }, h, sub ? el('p', { class: 'card-sub', text: sub }) : null, children);
}

// A figure tile; `metric` names the JSON member it shows (data-metric), so a reader or a test can find it.
export function tile(label, value, { metric, sub, tone } = {}) {
  return el('div', { class: 'tile' + (tone ? ' ' + tone : ''), dataset: metric ? { metric } : undefined },
    el('div', { class: 'k', text: label }), el('div', { class: 'v', text: value }), sub ? el('div', { class: 's', text: sub }) : null);
}

export function tiles(...items) {
  return el('div', { class: 'tiles' }, items.filter(Boolean));
}

export function table(headers, rows, { cls = '', caption } = {}) {
  const t = el('table', { class: cls },
    caption ? el('caption', { class: 'visually-hidden', text: caption }) : null,
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', class: h.num ? 'num' : '', text: h.label ?? h })))),
    el('tbody', {}, rows));
  // a region the keyboard can reach: a wide table scrolls sideways inside it (WCAG: scrollable regions)
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption || 'Table' }, t);
}

export function td(text, opts = {}) {
  return el('td', { class: opts.num ? 'num' : opts.cls || '', 'data-label': opts.label, dataset: opts.metric ? { metric: opts.metric } : undefined, text });
}

export function empty(text) { return el('p', { class: 'empty', text }); }

export const tone = (v, warnAt = 1, badAt = Infinity) => (!isNum(v) ? undefined : v >= badAt ? 'bad' : v >= warnAt ? 'warn' : undefined);

// Quantiles {count, min, p50, p95, max, mean} as a table row.
export function quantRow(name, q, metric) {
  if (!q || typeof q !== 'object') return null;
  return el('tr', {}, el('th', { scope: 'row', text: name }),
    ['min', 'p50', 'p95', 'max'].map((k) => td(fmtMs(q[k]), { num: true, metric: metric ? metric + '.' + k : undefined })),
    td(isNum(q.count) ? fmtInt(q.count) : '—', { num: true }));
}

export function quantTable(rows, caption) {
  const r = rows.filter(Boolean);
  if (!r.length) return null;
  return table(['', { label: 'min', num: true }, { label: 'median', num: true }, { label: 'p95', num: true }, { label: 'max', num: true }, { label: 'samples', num: true }], r, { caption });
}

// The figures of an object not shown elsewhere, listed by name (members of the schema only: the page never
// walks an object for members it does not know).
export function moreFigures(obj, keys, prefix, title = 'More figures') {
  if (!obj || typeof obj !== 'object') return null;
  const rows = [];
  for (const k of keys) {
    const v = get(obj, k);
    if (isNum(v)) rows.push([k, Number.isInteger(v) ? fmtInt(v) : fmtNum(v, 2)]);
    else if (typeof v === 'string' && v.length < 120) rows.push([k, v]);
    else if (typeof v === 'boolean') rows.push([k, v ? 'yes' : 'no']);
  }
  if (!rows.length) return null;
  const details = el('details', {}, el('summary', { text: `${title} (${rows.length})` }),
    el('div', { class: 'table-wrap' }, el('table', { class: 'kv' }, el('tbody', {}, rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row', text: k.replace(/_/g, ' ') }), td(v, { metric: prefix ? prefix + '.' + k : k })))))));
  return details;
}

// opts: {note: shown under a drawn chart, empty: shown instead of a chart without data}
export function chartBlock(title, opts, draw) {
  const o = typeof opts === 'string' ? { note: opts } : opts || {};
  const box = el('div', { class: 'chart-block' }, el('h3', { class: 'chart-title', text: title }));
  const ok = draw(box);
  if (ok === false) box.appendChild(el('div', { class: 'chart-empty', text: o.empty || 'No data for this chart in this capture.' }));
  else if (o.note) box.appendChild(el('p', { class: 'chart-note', text: o.note }));
  return box;
}

// The vocabulary of causes (REPORT-SCHEMA.md, "Causes"), in words.
export const CAUSES = {
  server: 'Server',
  client: 'Client',
  'network-latency': 'Network latency',
  'network-loss': 'Network loss',
  'network-bandwidth': 'Network bandwidth',
  'receiver-window': 'Receiver window',
  'sender-application': 'Sender application',
  dns: 'DNS',
  capture: 'Capture',
  security: 'Security',
  none: 'Nothing',
};
export const causeName = (c) => CAUSES[c] || String(c ?? '');
// A class name for a cause's colour: only names from the vocabulary, never a string from the report.
export const causeClass = (c) => (Object.hasOwn(CAUSES, c) ? 'cause-' + c : 'cause-other');

// ---- series lookup -------------------------------------------------------------------------------

const SERIES = ['packets', 'bytes', 'bits_per_s', 'retransmissions', 'lost_segments', 'zero_windows', 'dns_failures', 'rtt_ms_mean', 'rtt_ms_max'];

// The time series: `series.t` (seconds from the first packet), one array per figure, `series.bucket_s` apart.
// Returns {x, step, cols: {name: values}} with the figures present, or null.
export function seriesOf(r) {
  const s = r.series;
  if (!s || typeof s !== 'object' || !Array.isArray(s.t) || !s.t.length) return null;
  const cols = {};
  for (const n of SERIES) if (Array.isArray(s[n]) && s[n].length === s.t.length) cols[n] = s[n].map((v) => (isNum(v) ? v : null));
  if (!Object.keys(cols).length) return null;
  return { x: s.t.map(Number), step: isNum(s.bucket_s) ? s.bucket_s : undefined, cols };
}

// A frame number as Wireshark shows it: plain digits, to type into Go to Packet (Ctrl-G); '—' for none.
export function frameText(n) {
  return isNum(n) && n > 0 ? String(n) : '—';
}

// {src, dst, sport, dport, proto} → "10.0.0.1:5353 → 10.0.0.2:53"
export function flowText(f) {
  if (!f || typeof f !== 'object') return typeof f === 'string' ? f : '';
  const ep = (a, p) => (a === undefined ? '?' : String(a).includes(':') && p !== undefined ? `[${a}]:${p}` : p !== undefined ? `${a}:${p}` : String(a));
  return `${ep(f.src, f.sport)} → ${ep(f.dst, f.dport)}`;
}

export function shortMs(v) {
  if (v >= 1000) return +(v / 1000).toFixed(1) + 's';
  if (v >= 10) return String(Math.round(v));
  if (v >= 1) return String(+v.toFixed(1));
  return String(+v.toPrecision(2));
}

// A distribution given as histogram buckets [{from_ms, to_ms, count}] (powers of two of microseconds).
export function drawDistribution(box, h, xLabel, title) {
  if (!Array.isArray(h) || !h.length) return false;
  let bins = h.filter((b) => b && isNum(b.count)).map((b) => ({
    label: isNum(b.from_ms) && isNum(b.to_ms) ? `${shortMs(b.from_ms)}–${shortMs(b.to_ms)}` : isNum(b.from_ms) ? `≥${shortMs(b.from_ms)}` : '?',
    count: b.count,
  }));
  if (!bins.length || bins.every((b) => !b.count)) return false;
  // Log-scale buckets from 0.002 ms to seconds: keep the range that holds samples, one empty bucket either side.
  let lo = bins.findIndex((b) => b.count > 0);
  let hi = bins.length - 1 - [...bins].reverse().findIndex((b) => b.count > 0);
  lo = Math.max(0, lo - 1);
  hi = Math.min(bins.length - 1, hi + 1);
  bins = bins.slice(lo, hi + 1);
  histogram(box, bins, { title, xLabel, yLabel: 'count' });
  return true;
}
