// Building blocks of the report page: cards, figure tiles, tables, quantile rows, chart frames, series
// and distribution lookups. Every string goes in as text.
import { el, get, isNum, fmtInt, fmtNum, fmtMs } from './common.js';
import { columns, pick, histogram, binSamples } from './charts.js';

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
  return el('div', { class: 'table-wrap' }, t);
}

export function td(text, opts = {}) {
  return el('td', { class: opts.num ? 'num' : opts.cls || '', 'data-label': opts.label, dataset: opts.metric ? { metric: opts.metric } : undefined, text });
}

export function empty(text) { return el('p', { class: 'empty', text }); }

export const tone = (v, warnAt = 1, badAt = Infinity) => (!isNum(v) ? undefined : v >= badAt ? 'bad' : v >= warnAt ? 'warn' : undefined);

// Quantiles {min, p50, p95, max, ...} as a table row.
export function quantRow(name, q, metric) {
  if (!q || typeof q !== 'object') return null;
  return el('tr', {}, el('th', { scope: 'row', text: name }),
    ['min', 'p50', 'p95', 'max'].map((k) => td(fmtMs(q[k] ?? (k === 'p50' ? q.median : undefined)), { num: true, metric: metric ? metric + '.' + k : undefined })),
    td(isNum(q.count ?? q.samples ?? q.n) ? fmtInt(q.count ?? q.samples ?? q.n) : '—', { num: true }));
}

export function quantTable(rows, caption) {
  const r = rows.filter(Boolean);
  if (!r.length) return null;
  return table(['', { label: 'min', num: true }, { label: 'median', num: true }, { label: 'p95', num: true }, { label: 'max', num: true }, { label: 'samples', num: true }], r, { caption });
}

// Scalars of an object not already shown, so that figures the page does not know yet still appear.
export function moreFigures(obj, shown, prefix, title = 'More figures') {
  if (!obj || typeof obj !== 'object') return null;
  const rows = [];
  const walk = (o, path, depth) => {
    for (const [k, v] of Object.entries(o)) {
      const p = path ? path + '.' + k : k;
      if (shown.has(p) || shown.has(k) && !path) continue;
      if (isNum(v)) rows.push([p, Number.isInteger(v) ? fmtInt(v) : fmtNum(v, 2)]);
      else if (typeof v === 'string' && v.length < 120) rows.push([p, v]);
      else if (typeof v === 'boolean') rows.push([p, v ? 'yes' : 'no']);
      else if (v && typeof v === 'object' && !Array.isArray(v) && depth < 1 && !shown.has(p)) walk(v, p, depth + 1);
    }
  };
  walk(obj, '', 0);
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
  none: 'Nothing',
};
export const causeName = (c) => CAUSES[c] || String(c ?? '');
// A class name for a cause's colour: only names from the vocabulary, never a string from the report.
export const causeClass = (c) => (Object.hasOwn(CAUSES, c) ? 'cause-' + c : 'cause-other');

// ---- series lookup -------------------------------------------------------------------------------

export function seriesOf(r, ...names) {
  for (const n of names) {
    const v = get(r, 'series.' + n);
    const c = columns(v);
    if (c) return c;
  }
  // pcapd.report/1: one set of columns, `series.t` (seconds from the first packet) and one array per figure.
  const all = columns(r.series);
  if (all) {
    if (isNum(get(r, 'series.bucket_s'))) all.step = r.series.bucket_s;
    return all;
  }
  return null;
}

export function endpointName(e) {
  if (typeof e === 'string') return e;
  if (!e || typeof e !== 'object') return '?';
  if (e.addr || e.address || e.host || e.ip) return String(e.addr || e.address || e.host || e.ip);
  const a = e.src ?? e.a ?? e.client;
  const b = e.dst ?? e.b ?? e.server;
  const pa = e.src_port ?? e.sport ?? e.client_port;
  const pb = e.dst_port ?? e.dport ?? e.server_port;
  if (a !== undefined && b !== undefined) return `${a}${pa !== undefined ? ':' + pa : ''} ↔ ${b}${pb !== undefined ? ':' + pb : ''}`;
  return e.name ? String(e.name) : '?';
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

// A distribution given as a histogram ({edges, counts} or [{le|hi|upper_ms, count}]) or as raw samples.
export function drawDistribution(box, h, xLabel, title) {
  if (!h) return false;
  let bins = null;
  if (Array.isArray(h) && h.length && isNum(h[0])) bins = binSamples(h);
  else if (Array.isArray(h) && h.length && typeof h[0] === 'object') {
    if ('count' in h[0]) {
      bins = h.map((b) => {
        const lo = b.from_ms ?? b.lo ?? b.from ?? b.min_ms ?? b.lower_ms ?? b.ge;
        const hi = b.to_ms ?? b.hi ?? b.to ?? b.le ?? b.upper_ms ?? b.max_ms ?? b.lt;
        const label = b.label ?? (isNum(lo) && isNum(hi) ? `${shortMs(lo)}–${shortMs(hi)}` : isNum(hi) ? `≤${shortMs(hi)}` : isNum(lo) ? `≥${shortMs(lo)}` : '?');
        return { label, count: b.count };
      });
    } else {
      const vals = h.map((e) => e.ms ?? e.rtt_ms ?? e.time_ms ?? e.value ?? e.v).filter(isNum);
      if (vals.length) bins = binSamples(vals);
    }
  } else if (h && typeof h === 'object') {
    const edges = h.edges_ms ?? h.edges ?? h.bounds_ms ?? h.bounds ?? h.le_ms ?? h.buckets_ms;
    const counts = h.counts ?? h.values;
    if (Array.isArray(edges) && Array.isArray(counts)) {
      const openEnded = counts.length === edges.length;
      bins = counts.map((n, i) => {
        if (openEnded) return { label: i === counts.length - 1 && edges[i] === null ? `>${fmtNum(edges[i - 1])}` : `≤${fmtNum(edges[i])}`, count: n };
        return { label: `${fmtNum(edges[i])}–${fmtNum(edges[i + 1])}`, count: n };
      });
    } else {
      const c = columns(h);
      if (c) {
        const v = pick(c.cols, 'ms', 'handshake_ms', 'rtt_ms', 'time_ms', 'values', 'v1');
        if (v) bins = binSamples(v);
      }
    }
  }
  if (!bins || !bins.length || bins.every((b) => !b.count)) return false;
  // Log-scale buckets from 0.002 ms to seconds: keep the range that holds samples, one empty bucket either side.
  let lo = bins.findIndex((b) => b.count > 0);
  let hi = bins.length - 1 - [...bins].reverse().findIndex((b) => b.count > 0);
  lo = Math.max(0, lo - 1);
  hi = Math.min(bins.length - 1, hi + 1);
  bins = bins.slice(lo, hi + 1);
  histogram(box, bins, { title, xLabel, yLabel: 'count' });
  return true;
}
