// Report page: the connections table (schema member `connections`, REPORT-SCHEMA.md): how many TCP connections
// ended in each state (exact, over all of them), and the worst connections with their RTT, throughput each way,
// retransmissions, jitter, duration and idle time. Every string from the capture goes in as text.
import { el, isNum, fmtInt, fmtBytes, fmtBits, fmtMs, fmtDuration, copyText, toast } from './common.js';
import { card, tile, tiles, table, td, empty, tone, flowText, frameText } from './report-widgets.js';

// connections.states, in the schema's order, in words
const STATES = [
  ['established', 'Established', 'open, heard from lately'],
  ['idle', 'Idle', 'open, silent at its end'],
  ['half_open', 'Half-open', 'SYN/ACK never acknowledged'],
  ['half_closed', 'Half-closed', 'a FIN one way only'],
  ['fin', 'Closed by FIN', 'a FIN each way'],
  ['reset', 'Reset', 'a RST'],
  ['refused', 'Refused', 'RST in answer to the SYN'],
  ['syn_unanswered', 'SYN without answer', 'nothing from the server'],
  ['midstream', 'Without handshake', 'open, started before the capture'],
];
const STATE_WORDS = Object.fromEntries(STATES.map(([k, w]) => [k, w]));
// states that say something went wrong: their tiles are coloured when not 0
const BAD = new Set(['half_open', 'reset', 'refused', 'syn_unanswered']);

const pair = (a, b, f) => `${f(a)} / ${f(b)}`;

export function renderConnections(r) {
  const cx = r.connections;
  if (!cx || typeof cx !== 'object') return null;
  const st = cx.states && typeof cx.states === 'object' ? cx.states : {};
  const idle = isNum(cx.idle_threshold_ms) ? fmtMs(cx.idle_threshold_ms) : 'the idle threshold';
  const c = card('connections', 'Connections',
    `Every TCP connection in the state it was in at its end (the end of the capture, or when a new connection took its ports); idle means silent for at least ${idle}. The counts cover all ${fmtInt(cx.total)} connections.`);
  if (!isNum(cx.total) || cx.total === 0) { c.appendChild(empty('No TCP connection in this capture.')); return c; }
  c.appendChild(tiles(...STATES.map(([k, w, sub]) => tile(w, fmtInt(st[k]), { metric: 'connections.states.' + k, sub, tone: BAD.has(k) ? tone(st[k]) : undefined }))));
  const items = Array.isArray(cx.items) ? cx.items.filter((x) => x && typeof x === 'object') : [];
  if (!items.length) return c;
  c.appendChild(el('h3', { text: 'Worst connections' }));
  c.appendChild(el('p', { class: 'chart-note', text: 'Ranked by their problems, then by bytes. → is client to server, ← server to client. RTT: every whole round trip of the connection (handshake and data); the median is within 9 %. Frames: the first and last packet (Go to Packet).' }));
  c.appendChild(table(['Connection', 'State', { label: 'Duration', num: true }, { label: 'Idle', num: true }, { label: 'Bytes → / ←', num: true },
    { label: 'Throughput → / ←', num: true }, { label: 'RTT min / median / max', num: true }, { label: 'Retrans.', num: true },
    { label: 'Jitter → / ←', num: true }, { label: 'Frames', num: true }, 'Filter'],
  items.map((x) => {
    const rtt = x.rtt_ms && typeof x.rtt_ms === 'object' ? x.rtt_ms : {};
    const btn = el('button', { type: 'button', class: 'small', text: 'Copy', 'aria-label': 'Copy the Wireshark filter of ' + flowText(x.flow) });
    btn.addEventListener('click', async () => { toast((await copyText(String(x.filter || ''))) ? 'Filter copied to the clipboard' : 'Copy failed'); });
    const notes = [x.handshake_seen === false ? 'handshake not captured' : '', x.replaced ? 'ports reused by a new connection' : ''].filter(Boolean).join(', ');
    return el('tr', {},
      el('td', { class: 'name mono' }, flowText(x.flow), notes ? el('div', { class: 'sub', text: notes }) : null),
      td(STATE_WORDS[x.state] || String(x.state ?? '')),
      td(fmtDuration(x.duration_s), { num: true }),
      td(fmtDuration(x.idle_s), { num: true }),
      td(pair(x.bytes_client_to_server, x.bytes_server_to_client, fmtBytes), { num: true }),
      td(pair(x.throughput_bps_client_to_server, x.throughput_bps_server_to_client, fmtBits), { num: true }),
      td(isNum(rtt.count) && rtt.count > 0 ? `${fmtMs(rtt.min)} / ${fmtMs(rtt.p50)} / ${fmtMs(rtt.max)}` : '—', { num: true }),
      td(isNum(x.retransmissions) ? fmtInt(x.retransmissions) : '—', { num: true }),
      td(pair(x.jitter_ms_client_to_server, x.jitter_ms_server_to_client, fmtMs), { num: true }),
      td(`${frameText(x.first_frame)}–${frameText(x.last_frame)}`, { num: true }),
      el('td', { class: 'actions-cell' }, x.filter ? btn : ''));
  }), { caption: 'Worst connections' }));
  if (isNum(cx.kept) && cx.total > cx.kept) c.appendChild(el('p', { class: 'chart-note', text: `Showing the ${fmtInt(cx.kept)} worst of ${fmtInt(cx.total)} connections; the counts above cover them all.` }));
  return c;
}
