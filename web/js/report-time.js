// Report page: where the time went (schema pcapd.report/2): the causes and their share, where the capture
// was taken, each connection's time split into client, request, network, server, transfer and loss, the
// slowest exchanges, the bulk transfers and what limited them, and the time-sequence graph of the largest.
import { el, isNum, fmtInt, fmtNum, fmtMs, fmtBytes, fmtBits, fmtPct, toDate } from './common.js';
import { timeChart, barCell } from './charts.js';
import { card, tile, tiles, table, td, empty, quantRow, quantTable, chartBlock, flowText, frameText, causeName, causeClass } from './report-widgets.js';

// The parts of an exchange in the order they happen; transfer is shown without its loss recovery.
const PARTS = [
  ['client', 'client', 'the client before it sent the request'],
  ['request', 'request', 'sending the request'],
  ['network', 'network', 'the round trip'],
  ['server', 'server', 'the server before it answered'],
  ['transfer', 'transfer', 'receiving the response, loss recovery excepted'],
  ['loss', 'loss', 'recovering from loss'],
];

function parts(x) {
  const loss = isNum(x.loss_ms) ? x.loss_ms : 0;
  const v = {
    client: x.client_ms,
    request: x.request_ms,
    network: x.network_ms,
    server: x.server_ms,
    transfer: isNum(x.transfer_ms) ? Math.max(0, x.transfer_ms - loss) : undefined,
    loss: x.loss_ms,
  };
  return PARTS.map(([k, label, what]) => ({ k, label, what, ms: isNum(v[k]) ? v[k] : 0 }));
}

// One horizontal bar split into the parts, scaled to `max` ms; a text equivalent for screen readers.
function stackedBar(x, max, name) {
  const segs = parts(x);
  const words = segs.filter((s) => s.ms > 0).map((s) => `${s.label} ${fmtMs(s.ms)}`).join(', ');
  const bar = el('span', { class: 'stack-bar', role: 'img', 'aria-label': `${name}: ${words || 'no time'}; total ${fmtMs(x.total_ms)}` });
  for (const s of segs) {
    if (!(s.ms > 0)) continue;
    const seg = el('span', { class: 'seg part-' + s.k, title: `${s.label}: ${fmtMs(s.ms)} (${s.what})`, dataset: { part: s.k, ms: String(s.ms) } });
    seg.style.width = ((100 * s.ms) / max).toFixed(3) + '%';
    bar.appendChild(seg);
  }
  return bar;
}

function legend() {
  return el('div', { class: 'legend' }, PARTS.map(([k, label, what]) => el('span', { title: what }, el('span', { class: 'swatch part-' + k }), label)));
}

function timeOfDay(ts) {
  const d = toDate(ts);
  if (!d) return '—';
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function colouredBar(cell, cause) {
  const inner = cell.querySelector('.hbar > span');
  if (inner) inner.classList.add(causeClass(cause));
  return cell;
}

function causesTable(causes, total) {
  const rows = causes.filter((c) => c && isNum(c.ms));
  if (!rows.length) return null;
  const max = Math.max(0.001, ...rows.map((c) => c.ms));
  return table(['Cause', { label: 'Time', num: true }, { label: 'Share', num: true }, ''],
    rows.map((c) => el('tr', { dataset: { cause: String(c.cause) } },
      el('th', { scope: 'row' }, el('span', { class: 'cause ' + causeClass(c.cause), text: causeName(c.cause) })),
      td(fmtMs(c.ms), { num: true, label: 'Time' }),
      td(isNum(c.share_percent) ? fmtPct(c.share_percent) : '—', { num: true, label: 'Share' }),
      colouredBar(barCell(c.ms, max), c.cause))), { caption: `Time lost by cause, of ${fmtMs(total)} in all exchanges`, cls: 'causes' });
}

const POINT = { client: 'next to the client', server: 'next to the server', middle: 'in the middle of the path', unknown: 'at an unknown point' };

function capturePoint(cp) {
  if (!cp || typeof cp !== 'object') return null;
  const counts = ['client', 'server', 'middle', 'unknown'].filter((k) => isNum(cp[k]) && cp[k] > 0).map((k) => `${fmtInt(cp[k])} ${k}`);
  return el('div', { class: 'capture-point' },
    el('h3', { text: 'Where the capture was taken' }),
    el('p', {}, el('strong', { dataset: { metric: 'capture_point.overall' }, text: POINT[cp.overall] ? 'Captured ' + POINT[cp.overall] : String(cp.overall ?? '—') }),
      counts.length ? el('span', { class: 'chart-note', text: ` (connections: ${counts.join(', ')})` }) : null),
    cp.evidence ? el('p', { class: 'evidence', dataset: { metric: 'capture_point.evidence' }, text: String(cp.evidence) }) : null);
}

function connectionsBlock(tx) {
  const list = Array.isArray(tx.by_connection) ? tx.by_connection.filter((x) => x && isNum(x.total_ms)) : [];
  if (!list.length) return null;
  const shown = list.slice(0, 20);
  const max = Math.max(0.001, ...shown.map((x) => x.total_ms));
  const box = el('div', { class: 'connections' }, el('h3', { text: 'Time per connection' }),
    el('p', { class: 'chart-note', text: 'Each bar is one connection\'s exchanges added up, split by where the time went; hover a part for its time.' }));
  const ul = el('ul', { class: 'stack-list' });
  for (const x of shown) {
    const name = flowText(x.flow);
    const rtt = [isNum(x.rtt_client_ms) ? `client RTT ${fmtMs(x.rtt_client_ms)}` : '', isNum(x.rtt_server_ms) ? `server RTT ${fmtMs(x.rtt_server_ms)}` : ''].filter(Boolean).join(', ');
    ul.appendChild(el('li', { class: 'stack-row' },
      el('div', { class: 'stack-k' }, el('span', { class: 'mono', text: name }),
        el('span', { class: 'sub', text: `${fmtInt(x.exchanges)} exchange${x.exchanges === 1 ? '' : 's'}${x.capture_point ? ' · capture point: ' + x.capture_point : ''}${rtt ? ' · ' + rtt : ''}` })),
      stackedBar(x, max, name),
      el('span', { class: 'stack-v', text: fmtMs(x.total_ms) }),
      // the parts in words, for touch screens and keyboards that cannot hover (the bar's label says the same)
      el('span', { class: 'stack-parts', 'aria-hidden': 'true', text: parts(x).filter((p) => p.ms > 0).map((p) => `${p.label} ${fmtMs(p.ms)}`).join(' · ') })));
  }
  box.appendChild(ul);
  box.appendChild(legend());
  const total = isNum(tx.by_connection_total) ? tx.by_connection_total : list.length;
  if (total > shown.length) box.appendChild(el('p', { class: 'chart-note', text: `The ${fmtInt(shown.length)} connections that took the most time, of ${fmtInt(total)}.` }));
  return box;
}

function exchangesBlock(tx) {
  const items = Array.isArray(tx.items) ? tx.items.filter((x) => x && typeof x === 'object') : [];
  if (!items.length) return null;
  const shown = items.slice(0, 25);
  const box = el('div', { class: 'exchanges' }, el('h3', { text: 'Slowest exchanges' }));
  const ms = (v, label) => td(isNum(v) ? fmtMs(v) : '—', { num: true, label });
  box.appendChild(table(['When', { label: 'Frame', num: true }, 'What', { label: 'Client', num: true }, { label: 'Request', num: true }, { label: 'Network', num: true }, { label: 'Server', num: true }, { label: 'Transfer', num: true }, { label: 'of it loss', num: true }, { label: 'Total', num: true }],
    shown.map((x) => {
      const what = [x.method, x.path].filter((s) => s !== null && s !== undefined && s !== '').map(String).join(' ');
      return el('tr', { dataset: { protocol: String(x.protocol ?? '') } },
        td(timeOfDay(x.request_ts), { num: true, label: 'When' }),
        td(frameText(x.request_frame), { num: true, label: 'Frame' }),
        el('td', { class: 'name', 'data-label': 'What' }, el('div', { class: 'cell' },
          el('span', { class: 'badge neutral', text: String(x.protocol ?? '?') }), ' ',
          what ? el('span', { class: 'mono', text: what }) : null,
          isNum(x.status) ? el('span', { class: 'status', text: ' → ' + x.status }) : null,
          x.answered === false ? el('span', { class: 'status', text: ' (no answer)' }) : null,
          el('div', { class: 'sub mono', text: flowText(x.flow) }))),
        ms(x.client_ms, 'Client'), ms(x.request_ms, 'Request'), ms(x.network_ms, 'Network'), ms(x.server_ms, 'Server'),
        ms(x.transfer_ms, 'Transfer'), ms(x.loss_ms, 'of it loss'),
        el('td', { class: 'num total', 'data-label': 'Total' }, el('strong', { text: fmtMs(x.total_ms) })));
    }), { caption: 'Slowest request/response exchanges', cls: 'cards' }));
  const total = isNum(tx.total) ? tx.total : items.length;
  if (total > shown.length) box.appendChild(el('p', { class: 'chart-note', text: `The ${fmtInt(shown.length)} slowest of ${fmtInt(total)} exchanges.` }));
  return box;
}

const LIMITS = ['receiver-window', 'network-loss', 'network-bandwidth', 'sender-application', 'none'];

function transfersBlock(tr) {
  const items = tr && Array.isArray(tr.items) ? tr.items.filter((x) => x && typeof x === 'object') : [];
  if (!items.length) return null;
  const box = el('div', { class: 'transfers' }, el('h3', { text: 'Bulk transfers' }),
    el('p', { class: 'chart-note', text: 'At least 64 KiB one way without a turn-around; the limit is what held each one back for most of its time.' }));
  box.appendChild(table(['Flow (sender → receiver)', { label: 'From frame', num: true }, { label: 'Bytes', num: true }, { label: 'Duration', num: true }, { label: 'Goodput', num: true }, 'Limit', 'Time limited by', { label: 'Base RTT', num: true }, { label: 'Queueing', num: true }],
    items.slice(0, 20).map((x) => {
      const sh = x.shares && typeof x.shares === 'object' ? x.shares : {};
      const known = LIMITS.filter((k) => isNum(sh[k]) && sh[k] > 0);
      const bar = el('span', { class: 'stack-bar small', role: 'img', 'aria-label': known.map((k) => `${causeName(k)} ${fmtPct(sh[k])}`).join(', ') || 'no split' });
      for (const k of known) {
        const seg = el('span', { class: 'seg ' + causeClass(k), title: `${causeName(k)}: ${fmtPct(sh[k])}` });
        seg.style.width = Math.min(100, sh[k]).toFixed(2) + '%';
        bar.appendChild(seg);
      }
      return el('tr', {},
        el('td', { class: 'name mono', 'data-label': 'Flow' }, el('div', { class: 'cell' }, flowText(x.flow), x.direction ? el('div', { class: 'sub', text: String(x.direction) }) : null)),
        td(frameText(x.start_frame), { num: true, label: 'From frame' }),
        td(fmtBytes(x.bytes), { num: true, label: 'Bytes' }),
        td(fmtMs(x.duration_ms), { num: true, label: 'Duration' }),
        td(fmtBits(x.goodput_bps), { num: true, label: 'Goodput' }),
        el('td', { 'data-label': 'Limit' }, el('span', { class: 'cause ' + causeClass(x.limit), text: causeName(x.limit) })),
        el('td', { class: 'shares-cell', 'data-label': 'Time limited by' }, el('div', { class: 'cell' }, bar,
          el('div', { class: 'sub', text: known.map((k) => `${causeName(k)} ${fmtNum(sh[k])} %`).join(' · ') }))),
        td(fmtMs(x.rtt_base_ms), { num: true, label: 'Base RTT' }),
        td(fmtMs(x.queue_delay_ms), { num: true, label: 'Queueing' }));
    }), { caption: 'Bulk transfers, largest first', cls: 'cards' }));
  if (isNum(tr.total) && tr.total > Math.min(20, items.length)) box.appendChild(el('p', { class: 'chart-note', text: `The ${fmtInt(Math.min(20, items.length))} largest of ${fmtInt(tr.total)} transfers.` }));
  const spent = tr.time_ms && typeof tr.time_ms === 'object' ? LIMITS.filter((k) => isNum(tr.time_ms[k]) && tr.time_ms[k] > 0) : [];
  if (spent.length) {
    box.appendChild(el('p', { class: 'chart-note', text: `${tr.total === 1 ? 'The transfer' : `All ${fmtInt(tr.total)} transfers`} (${fmtBytes(tr.bytes)}) spent ${tr.total === 1 ? 'its' : 'their'} time limited by: ${spent.map((k) => `${causeName(k).toLowerCase()} ${fmtMs(tr.time_ms[k])}`).join(', ')}.` }));
  }
  return box;
}

// tcptrace-style time-sequence graph: the sender's segments, the receiver's cumulative ACK and its window's edge.
function traceBlock(trace) {
  if (!trace || typeof trace !== 'object') return null;
  const { t, seq, ack, win } = trace;
  if (!Array.isArray(t) || !t.length || !Array.isArray(seq)) return null;
  const title = `Time-sequence graph of the largest transfer: ${flowText(trace.flow)}`;
  return chartBlock('Time-sequence graph (largest transfer)', { note: 'Like Wireshark\'s tcptrace graph: the segments sent (points), the cumulative ACK and the receive window\'s right edge (steps), in bytes from the first byte. Flat segments climbing again later are retransmissions; data pressed against the window edge means the receiver\'s window was the limit. Drag to zoom, double-click to reset.' }, (box) => {
    box.appendChild(el('p', { class: 'chart-note mono', text: flowText(trace.flow) }));
    const series = [{ label: 'sequence', values: seq, color: '--bar', kind: 'points' }];
    if (Array.isArray(ack)) series.push({ label: 'ACK', values: ack, color: '--ok', kind: 'step' });
    if (Array.isArray(win)) series.push({ label: 'window edge', values: win, color: '--bar-2', kind: 'step' });
    timeChart(box, { x: t, series, yFmt: fmtBytes, title, binary: true });
    return true;
  });
}

export function renderWhereTime(r) {
  const w = r.where_time_went;
  if (!w || typeof w !== 'object') return null; // a version 1 report: nothing to show
  const tx = r.transactions && typeof r.transactions === 'object' ? r.transactions : {};
  const tr = r.tcp && r.tcp.transfers && typeof r.tcp.transfers === 'object' ? r.tcp.transfers : null;
  const c = card('time', 'Where the time went', null);
  if (w.summary) c.appendChild(el('p', { class: 'time-summary', dataset: { metric: 'where_time_went.summary' }, text: String(w.summary) }));
  const exchanges = isNum(tx.total) ? tx.total : 0;
  if (exchanges > 0) {
    c.appendChild(tiles(
      tile('Time in exchanges', fmtMs(w.total_ms), { metric: 'where_time_went.total_ms' }),
      tile('Exchanges', fmtInt(tx.total), { metric: 'transactions.total', sub: isNum(tx.answered) ? `${fmtInt(tx.answered)} answered` : undefined }),
      tile('Connections', fmtInt(tx.connections), { metric: 'transactions.connections', sub: isNum(tx.pipelined) && tx.pipelined ? `${fmtInt(tx.pipelined)} pipelined exchanges` : undefined }),
      tile('Median server time', fmtMs(tx.server_ms && tx.server_ms.p50), { metric: 'transactions.server_ms.p50' }),
    ));
    const grid = el('div', { class: 'section-grid' });
    const causes = Array.isArray(w.causes) ? causesTable(w.causes, w.total_ms) : null;
    grid.appendChild(el('div', {}, el('h3', { text: 'Causes' }), causes || empty('No time lost to any cause.')));
    const cp = capturePoint(r.capture_point);
    if (cp) grid.appendChild(cp);
    c.appendChild(grid);
    if (isNum(tx.client_wait_overlapped_ms) && tx.client_wait_overlapped_ms > 0) {
      c.appendChild(el('p', { class: 'chart-note', text: `${fmtMs(tx.client_wait_overlapped_ms)} of client waiting overlapped other connections' traffic and is not counted as the client's.` }));
    }
    const conns = connectionsBlock(tx);
    if (conns) c.appendChild(conns);
    const ex = exchangesBlock(tx);
    if (ex) c.appendChild(ex);
    const qt = quantTable([
      quantRow('Server time', tx.server_ms, 'transactions.server_ms'),
      quantRow('Exchange total', tx.total_ms, 'transactions.total_ms'),
    ], 'Exchange time quantiles');
    if (qt) c.appendChild(el('details', {}, el('summary', { text: 'Exchange time quantiles' }), qt));
  } else {
    c.appendChild(empty('No request/response exchange over TCP in this capture, so there is no time to split between client, network and server.'));
    const cp = capturePoint(r.capture_point);
    if (cp) c.appendChild(cp);
  }
  const tb = transfersBlock(tr);
  if (tb) c.appendChild(tb);
  const trace = tr ? traceBlock(tr.trace) : null;
  if (trace) c.appendChild(trace);
  return c;
}
