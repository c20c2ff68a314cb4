// Report page: TCP figures, timing, RTT / retransmission / handshake charts, and the flows with the most trouble.
import { el, get, isNum, fmtInt, fmtBytes, fmtMs, fmtDuration, copyText, toast } from './common.js';
import { timeChart } from './charts.js';
import { card, tile, tiles, table, td, empty, tone, quantRow, quantTable, moreFigures, chartBlock, seriesOf, flowText, frameText, drawDistribution } from './report-widgets.js';

// flows.worst[].worst_figure: where the flow's worst problem begins, in words (worst_frame is that packet)
const WORST_AT = {
  rto: 'first timeout retransmission', fast: 'first fast retransmission', lost_segments: 'first segment after a loss',
  zero_windows: 'first zero window', out_of_order: 'first out-of-order segment', duplicate_acks: 'first duplicate ACK',
  spurious: 'first spurious retransmission', refused: 'the RST', unanswered_syn: 'the SYN', handshake_ms: 'the first SYN',
};

// Flows ranked by trouble, each with the filter that isolates it.
export function renderWorstFlows(r) {
  const worst = get(r, 'flows.worst');
  if (!Array.isArray(worst) || !worst.length) return null;
  const rows = worst.filter((w) => w && isNum(w.score) && w.score > 0)
    .sort((a, b) => b.score - a.score).slice(0, 10);
  if (!rows.length) return null;
  const proto = (p) => ({ 6: 'TCP', 17: 'UDP', 1: 'ICMP', 58: 'ICMPv6' })[p] || (p !== undefined ? String(p) : '');
  const c = card('flows', 'Flows with the most trouble', 'Ranked by retransmissions, losses, resets, slow handshakes and idle gaps. Copy a filter to open the flow in Wireshark; the frames are its first packet and where its worst problem begins (Go to Packet).');
  c.appendChild(table(['Flow', 'Proto', { label: 'Packets', num: true }, { label: 'Bytes', num: true }, { label: 'Retrans.', num: true }, { label: 'Lost', num: true }, { label: 'Zero win.', num: true }, { label: 'Handshake', num: true }, { label: 'Longest idle', num: true }, { label: 'Frames', num: true }, 'Filter'],
    rows.map((w, i) => {
      const btn = el('button', { type: 'button', class: 'small', text: 'Copy', 'aria-label': 'Copy the Wireshark filter of ' + flowText(w.flow) });
      btn.addEventListener('click', async () => { toast((await copyText(String(w.filter || ''))) ? 'Filter copied to the clipboard' : 'Copy failed'); });
      const notes = [w.refused ? 'refused' : '', w.reset ? 'reset' : '', w.unanswered_syn ? 'no answer' : ''].filter(Boolean).join(', ');
      return el('tr', {},
        el('td', { class: 'name mono' }, flowText(w.flow), notes ? el('div', { class: 'sub', text: notes }) : null),
        td(proto(get(w, 'flow.proto'))),
        td(fmtInt(w.packets), { num: true }),
        td(fmtBytes(w.bytes), { num: true }),
        td(isNum(w.retransmissions) ? fmtInt(w.retransmissions) : '—', { num: true }),
        td(isNum(w.lost_segments) ? fmtInt(w.lost_segments) : '—', { num: true }),
        td(isNum(w.zero_windows) ? fmtInt(w.zero_windows) : '—', { num: true }),
        td(isNum(w.handshake_ms) ? fmtMs(w.handshake_ms) : '—', { num: true }),
        td(isNum(w.max_idle_s) ? fmtDuration(w.max_idle_s) : '—', { num: true }),
        el('td', { class: 'num', title: 'Frame numbers in Wireshark (Go to Packet)' }, frameText(w.first_frame),
          isNum(w.worst_frame) && w.worst_frame !== w.first_frame && WORST_AT[w.worst_figure]
            ? el('div', { class: 'sub', text: `${WORST_AT[w.worst_figure]} ${frameText(w.worst_frame)}` }) : null),
        el('td', { class: 'actions-cell' }, w.filter ? btn : ''));
    }), { caption: 'Flows with the most trouble' }));
  return c;
}

export function renderTcp(r) {
  const t = r.tcp || {};
  const hs = t.handshakes || {};
  const c = card('tcp', 'TCP', 'Connections are told apart by addresses, ports and initial sequence number, so a reused port starts a new connection.');
  if (!r.tcp || (!t.connections && !t.packets)) { c.appendChild(empty('No TCP segment in this capture.')); return c; }
  const retr = t.retransmissions;
  const fast = t.fast_retransmissions;
  const spur = t.spurious_retransmissions;
  const rto = t.rto_retransmissions ?? (isNum(retr) && isNum(fast) ? Math.max(0, retr - fast - (isNum(spur) ? spur : 0)) : undefined);
  c.appendChild(tiles(
    tile('Connections', fmtInt(t.connections), { metric: 'tcp.connections' }),
    tile('Retransmissions', fmtInt(retr), { metric: 'tcp.retransmissions', tone: tone(retr), sub: 'all kinds' }),
    tile('RTO retrans.', fmtInt(rto), { metric: 'tcp.rto_retransmissions', tone: tone(rto), sub: 'after a timeout' }),
    tile('Fast retrans.', fmtInt(fast), { metric: 'tcp.fast_retransmissions', tone: tone(fast), sub: 'after duplicate ACKs' }),
    tile('Spurious retrans.', fmtInt(spur), { metric: 'tcp.spurious_retransmissions', tone: tone(spur), sub: 'data already received' }),
    tile('Duplicate ACKs', fmtInt(t.duplicate_acks), { metric: 'tcp.duplicate_acks' }),
    tile('Out of order', fmtInt(t.out_of_order), { metric: 'tcp.out_of_order', tone: tone(t.out_of_order) }),
    tile('Lost segments', fmtInt(t.lost_segments), { metric: 'tcp.lost_segments', tone: tone(t.lost_segments), sub: 'not seen by the capture' }),
    tile('Zero windows', fmtInt(t.zero_windows), { metric: 'tcp.zero_windows', tone: tone(t.zero_windows), sub: 'receiver full' }),
    tile('Resets', fmtInt(t.resets), { metric: 'tcp.resets', tone: tone(t.resets), sub: resetSub(t) }),
    tile('SYN retrans.', fmtInt(t.syn_retransmissions), { metric: 'tcp.syn_retransmissions', tone: tone(t.syn_retransmissions) }),
    tile('Handshakes', fmtInt(hs.completed), { metric: 'tcp.handshakes.completed', sub: handshakeSub(hs) }),
  ));
  const qt = quantTable([
    quantRow('Handshake (SYN → ACK)', hs.rtt_ms, 'tcp.handshakes.rtt_ms'),
    quantRow('Round-trip time (data → ACK)', t.rtt_ms, 'tcp.rtt_ms'),
    quantRow('Path round trip (capture point → far host → back)', t.rtt_path_ms, 'tcp.rtt_path_ms'),
    quantRow('ACK delay of the near host', t.ack_delay_ms, 'tcp.ack_delay_ms'),
    quantRow('SYN → SYN/ACK', hs.syn_to_synack_ms, 'tcp.handshakes.syn_to_synack_ms'),
    quantRow('SYN/ACK → ACK', hs.synack_to_ack_ms, 'tcp.handshakes.synack_to_ack_ms'),
    quantRow('Connection duration', t.duration_ms, 'tcp.duration_ms'),
  ], 'TCP timing');
  if (qt) { c.appendChild(el('h3', { text: 'Timing' })); c.appendChild(qt); }

  const grid = el('div', { class: 'section-grid' });
  const s = seriesOf(r);
  grid.appendChild(chartBlock('RTT over time', 'Round-trip time from each data segment to its ACK (Karn\'s rule: retransmitted segments give no sample).', (box) => {
    if (!s) return false;
    const series = [];
    if (s.cols.rtt_ms_mean && s.cols.rtt_ms_mean.some(isNum)) series.push({ label: 'mean RTT', values: s.cols.rtt_ms_mean, color: '--bar' });
    if (s.cols.rtt_ms_max && s.cols.rtt_ms_max.some(isNum)) series.push({ label: 'max RTT', values: s.cols.rtt_ms_max, color: '--bar-2' });
    if (!series.length) return false;
    timeChart(box, { t0: Number(get(r, 'capture.first_ts')), x: s.x, series, yFmt: fmtMs, title: 'RTT over time' });
    return true;
  }));
  grid.appendChild(chartBlock('Retransmissions and zero windows over time', { empty: 'Nothing to draw: no retransmission, lost segment or zero window in this capture.' }, (box) => {
    if (!s) return false;
    const series = [];
    if (s.cols.retransmissions) series.push({ label: 'Retransmissions', values: s.cols.retransmissions, color: '--bad', kind: 'bars' });
    if (s.cols.zero_windows) series.push({ label: 'Zero windows', values: s.cols.zero_windows, color: '--warn', kind: 'bars' });
    if (s.cols.lost_segments && s.cols.lost_segments.some((v) => v > 0)) series.push({ label: 'Lost segments', values: s.cols.lost_segments, kind: 'line', color: '--bar' });
    if (!series.length || !series.some((x) => x.values.some((v) => v > 0))) return false;
    timeChart(box, { t0: Number(get(r, 'capture.first_ts')), x: s.x, series, title: 'Retransmissions and zero windows over time', integer: true });
    return true;
  }));
  grid.appendChild(chartBlock('Handshake times', 'SYN → SYN/ACK is the network plus the server; SYN/ACK → ACK is the network plus the client.', (box) => {
    if (drawDistribution(box, hs.rtt_histogram, 'Handshake time (ms)', 'Handshake times')) return true;
    return handshakeSplit(box, hs);
  }));
  c.appendChild(grid);

  const more = moreFigures(t, ['packets', 'data_segments', 'pmtu_retransmissions', 'synack_retransmissions', 'lost_bytes', 'zero_window_probes', 'window_full', 'window_updates',
    'keep_alives', 'refused', 'aborted', 'syn', 'syn_ack', 'fin', 'reused_ports', 'connections_without_handshake', 'connections_unknown_window_scale',
    'handshakes.no_answer', 'handshakes.refused', 'handshakes.slow', 'handshakes.high_rtt', 'transfers.total', 'transfers.bytes'], 'tcp', 'All TCP figures');
  if (more) c.appendChild(more);
  return c;
}

function handshakeSub(hs) {
  const parts = [];
  if (isNum(hs.no_answer) && hs.no_answer) parts.push(`${fmtInt(hs.no_answer)} unanswered`);
  if (isNum(hs.refused) && hs.refused) parts.push(`${fmtInt(hs.refused)} refused`);
  if (isNum(hs.slow) && hs.slow) parts.push(`${fmtInt(hs.slow)} slow`);
  return parts.length ? parts.join(', ') : 'completed';
}

// Median handshake split into its two halves, as bars: where the time goes.
function handshakeSplit(box, hs) {
  const a = hs.syn_to_synack_ms;
  const b = hs.synack_to_ack_ms;
  if (!a || !b || !isNum(a.p50) || !isNum(b.p50)) return false;
  const rows = [['median', 'p50'], ['p95', 'p95'], ['max', 'max']];
  const max = Math.max(...rows.map(([, k]) => (a[k] || 0) + (b[k] || 0)), 0.001);
  const list = el('div', { class: 'split' });
  for (const [label, k] of rows) {
    if (!isNum(a[k]) || !isNum(b[k])) continue;
    const sa = el('span', { class: 'seg a', title: `SYN → SYN/ACK ${fmtMs(a[k])}` });
    const sb = el('span', { class: 'seg b', title: `SYN/ACK → ACK ${fmtMs(b[k])}` });
    sa.style.width = ((100 * a[k]) / max).toFixed(2) + '%';
    sb.style.width = ((100 * b[k]) / max).toFixed(2) + '%';
    list.appendChild(el('div', { class: 'split-row' }, el('span', { class: 'split-k', text: label }), el('span', { class: 'split-bar', 'aria-hidden': 'true' }, sa, sb),
      el('span', { class: 'split-v', text: `${fmtMs(a[k])} + ${fmtMs(b[k])}` })));
  }
  list.appendChild(el('div', { class: 'legend' }, el('span', {}, el('span', { class: 'swatch a' }), 'SYN → SYN/ACK (network + server)'), el('span', {}, el('span', { class: 'swatch b' }), 'SYN/ACK → ACK (network + client)')));
  box.appendChild(list);
  return true;
}

function resetSub(t) {
  if (isNum(t.refused) || isNum(t.aborted)) return `${fmtInt(t.refused ?? 0)} refused, ${fmtInt(t.aborted ?? 0)} aborted`;
  return undefined;
}
