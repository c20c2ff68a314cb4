// Report page: jitter by kind of traffic (RTP streams, media ports, other UDP, TCP), RTP loss, and the worst
// flows' jitter and RTT over time with their retransmissions marked (jitter.* of REPORT-SCHEMA.md).
import { el, isNum, fmtInt, fmtMs, copyText, toast } from './common.js';
import { timeChart } from './charts.js';
import { card, tile, tiles, table, td, chartBlock, flowText, frameText } from './report-widgets.js';

const KIND = { rtp: 'RTP', 'media-port': 'Media port', udp: 'UDP', tcp: 'TCP' };
const kindText = (k) => KIND[k] || String(k ?? '');

function howText(s) {
  if (s.kind !== 'rtp') return 'interarrival';
  if (!isNum(s.clock_rate)) return `PT ${s.payload_type}, clock unknown`;
  return `RFC 3550, PT ${s.payload_type} at ${fmtInt(s.clock_rate)} Hz${s.clock === 'estimated' ? ' (estimated)' : ''}`;
}

function streamsTable(streams) {
  const rows = streams.slice(0, 20).map((s) => {
    const btn = el('button', { type: 'button', class: 'small', text: 'Copy', 'aria-label': 'Copy the Wireshark filter of ' + flowText(s.flow) });
    btn.addEventListener('click', async () => { toast((await copyText(String(s.filter || ''))) ? 'Filter copied to the clipboard' : 'Copy failed'); });
    const over = s.over_threshold || s.loss_over_threshold;
    const lost = s.kind === 'rtp' && isNum(s.lost) ? `${fmtInt(s.lost)} (${isNum(s.lost_percent) ? s.lost_percent.toFixed(1) : '—'} %)` : '—';
    return el('tr', over ? { class: 'warn' } : {},
      el('td', { class: 'name mono' }, flowText(s.flow), over ? el('div', { class: 'sub', text: s.over_threshold ? 'over its threshold' : 'loss over its threshold' }) : null),
      td(kindText(s.kind)),
      td(howText(s)),
      td(fmtInt(s.packets), { num: true }),
      td(lost, { num: true }),
      td(isNum(s.jitter_ms_max) ? fmtMs(s.jitter_ms_max) : '—', { num: true, metric: 'jitter_ms_max' }),
      td(isNum(s.jitter_ms_mean) ? fmtMs(s.jitter_ms_mean) : '—', { num: true }),
      td(s.kind === 'tcp' ? 'not judged' : isNum(s.threshold_ms) ? fmtMs(s.threshold_ms) : '—', { num: true }),
      td(frameText(s.first_frame), { num: true }),
      el('td', { class: 'actions-cell' }, s.filter ? btn : ''));
  });
  return table(['Sender → receiver', 'Kind', 'How', { label: 'Packets', num: true }, { label: 'Lost', num: true },
    { label: 'Jitter max', num: true }, { label: 'Jitter mean', num: true }, { label: 'Threshold', num: true },
    { label: 'First frame', num: true }, 'Filter'], rows, { caption: 'Jitter per stream and flow direction' });
}

const nums = (a, n) => (Array.isArray(a) && a.length === n ? a.map((v) => (isNum(v) ? v : null)) : null);

// One flow's buckets: jitter each way (lines), the path RTT (points), the media threshold, and a point at 0 ms
// in each bucket that had a retransmission.
function traceChart(c, threshold) {
  if (!c || !Array.isArray(c.t) || c.t.length < 2) return null;
  const n = c.t.length;
  const f = c.flow || {};
  const back = { src: f.dst, dst: f.src, sport: f.dport, dport: f.sport, proto: f.proto };
  const up = nums(c.jitter_ms_client_to_server, n), down = nums(c.jitter_ms_server_to_client, n), rtt = nums(c.rtt_ms, n);
  const rtx = nums(c.retransmissions, n);
  const media = c.kind === 'rtp' || c.kind === 'media-port';
  const title = `${kindText(c.kind)} ${flowText(f)}`;
  return chartBlock(title, { note: `Time from the flow's first packet, in buckets of ${fmtMs((c.bucket_s || 0) * 1000)}: the largest value in each. Retransmissions are the points on the time axis. Drag to zoom, double-click to reset.` }, (box) => {
    const series = [];
    if (up && up.some((v) => v !== null)) series.push({ label: 'jitter ' + flowText(f), values: up, color: '--bar' });
    if (down && down.some((v) => v !== null)) series.push({ label: 'jitter ' + flowText(back), values: down, color: '--bar-2' });
    if (!series.length) return false;
    if (rtt && rtt.some((v) => v !== null)) series.push({ label: 'path RTT', values: rtt, color: '--info', kind: 'points' });
    if (media && isNum(threshold)) series.push({ label: 'threshold', values: c.t.map(() => threshold), color: '--warn' });
    if (rtx && rtx.some((v) => v > 0)) series.push({ label: 'retransmissions', values: rtx.map((v) => (v > 0 ? 0 : null)), color: '--bad', kind: 'points' });
    timeChart(box, { x: c.t.map(Number), series, yLabel: 'ms', yFmt: (v) => fmtMs(v), title });
    return true;
  });
}

export function renderJitter(r) {
  const j = r.jitter;
  if (!j || typeof j !== 'object') return null; // a report from before issue 14
  const streams = Array.isArray(j.streams) ? j.streams.filter((s) => s && typeof s === 'object') : [];
  const over = j.over_threshold || {};
  const c = card('jitter', 'Jitter', 'RTP streams are recognised by their headers and get RFC 3550 jitter from their timestamps; other flows get interarrival jitter, which also shows how the sender paces them. Voice and video are judged against jitter_media_ms, other UDP is marked from jitter_other_ms, TCP is not judged.');
  const mediaOver = (over.rtp || 0) + (over['media-port'] || 0);
  c.appendChild(tiles(
    tile('RTP streams', fmtInt(j.rtp_streams), { metric: 'jitter.rtp_streams' }),
    tile('RTP lost', fmtInt(j.rtp_lost), { metric: 'jitter.rtp_lost', tone: j.rtp_lost > 0 ? 'warn' : undefined, sub: `of ${fmtInt(j.rtp_expected)} sent` }),
    tile('RTCP packets', fmtInt(j.rtcp_packets), { metric: 'jitter.rtcp_packets' }),
    tile('Media over threshold', fmtInt(mediaOver), { metric: 'jitter.over_threshold', tone: mediaOver > 0 ? 'bad' : undefined, sub: 'streams and flows' }),
  ));
  if (!streams.length) {
    c.appendChild(el('p', { class: 'empty', text: 'No flow had enough packets to measure its jitter.' }));
    return c;
  }
  c.appendChild(streamsTable(streams));
  const media = streams.find((s) => s.kind === 'rtp' || s.kind === 'media-port');
  const threshold = media ? media.threshold_ms : undefined;
  for (const ch of Array.isArray(j.charts) ? j.charts : []) {
    const block = traceChart(ch, threshold);
    if (block) c.appendChild(block);
  }
  return c;
}
