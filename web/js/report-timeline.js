// Report page: the tshark commands of each finding and flow, and the packet timelines of the findings' TCP
// connections (issue 14). Reads findings[].tshark, findings[].flow_details, timelines and capture.file_name
// (REPORT-SCHEMA.md). The engine in the service does not know the uploaded file's name: its commands read
// the placeholder CAPTURE.pcap, which the page replaces by the upload's name, quoted for the shell here.
import { el, isNum, fmtInt, copyText, toast } from './common.js';
import { card, table, td, empty, flowText } from './report-widgets.js';

const PLACEHOLDER = 'tshark -r CAPTURE.pcap ';

// One word for a POSIX shell: single quotes, a ' inside as '\'' (as lib/util/shellquote.c writes it).
export function shellQuote(s) {
  return "'" + String(s).replace(/'/g, "'\\''") + "'";
}

// A command of the report with the capture's real name when the report has only the placeholder.
export function tsharkCommand(cmd, r, status) {
  if (typeof cmd !== 'string' || !cmd) return '';
  const known = r && r.capture && typeof r.capture.file_name === 'string';
  if (!known && status && typeof status.filename === 'string' && status.filename && cmd.startsWith(PLACEHOLDER)) {
    return 'tshark -r ' + shellQuote(status.filename) + ' ' + cmd.slice(PLACEHOLDER.length);
  }
  return cmd;
}

function commandRow(label, cmd, cls) {
  const code = el('code', { class: 'cmd', text: cmd });
  const btn = el('button', { type: 'button', class: 'small', text: 'Copy' });
  btn.addEventListener('click', async () => {
    const ok = await copyText(cmd);
    btn.textContent = ok ? 'Copied' : 'Select and copy';
    toast(ok ? 'Command copied to the clipboard' : 'Copy failed: select the command and copy it');
    setTimeout(() => { btn.textContent = 'Copy'; }, 1600);
  });
  return el('div', { class: 'f-filter ' + (cls || '') }, el('span', { class: 'lbl', text: label }), code, btn);
}

// In a finding: its tshark command, then each flow with its command and a link to its timeline.
export function renderFindingCommands(f, r, status) {
  const out = [];
  if (typeof f.tshark === 'string' && f.tshark) out.push(commandRow('tshark', tsharkCommand(f.tshark, r, status), 'f-tshark'));
  const fd = Array.isArray(f.flow_details) ? f.flow_details.filter((d) => d && typeof d === 'object') : [];
  if (fd.length) {
    out.push(el('details', { class: 'f-flows' }, el('summary', { text: `${fmtInt(fd.length)} flow${fd.length === 1 ? '' : 's'} concerned` }),
      el('ul', {}, fd.map((d) => el('li', { class: 'f-flow', dataset: { timeline: isNum(d.timeline) ? String(d.timeline) : '' } },
        el('span', { class: 'mono', text: flowText(d.flow) }),
        isNum(d.timeline) ? [' · ', el('a', { href: '#timeline-' + d.timeline, text: 'packet timeline' })] : null,
        d.tshark ? commandRow('tshark', tsharkCommand(d.tshark, r, status), 'f-flow-cmd') : null)))));
  }
  return out;
}

const EVENTS = {
  handshake: 'handshake',
  'retransmission-rto': 'retransmission (timeout)',
  'retransmission-fast': 'fast retransmission',
  'retransmission-spurious': 'spurious retransmission',
  'retransmission-pmtu': 'retransmission (path MTU)',
  'zero-window': 'zero window',
  reset: 'reset',
  teardown: 'teardown',
};

function lineRows(lines) {
  const rows = [];
  for (const x of lines) {
    if (isNum(x.skipped_before) && x.skipped_before > 0) {
      rows.push(el('tr', { class: 'tl-skip' }, el('td', { colspan: 9, text: `… ${fmtInt(x.skipped_before)} packet${x.skipped_before === 1 ? '' : 's'} of the connection …` })));
    }
    rows.push(el('tr', { class: x.at_event ? 'tl-at' : '', dataset: { frame: String(x.frame) } },
      td(String(x.frame), { num: true }), td(isNum(x.t) ? x.t.toFixed(6) : '—', { num: true }),
      td(x.from === 'client' ? 'client → server' : 'server → client'), td(String(x.flags ?? '')),
      td(isNum(x.seq) ? String(x.seq) : '—', { num: true }), td(isNum(x.ack) ? String(x.ack) : '—', { num: true }),
      td(isNum(x.len) ? String(x.len) : '—', { num: true }), td(isNum(x.win) ? String(x.win) : '—', { num: true }),
      td((EVENTS[x.event] || String(x.event ?? '')) + (x.at_event ? ' ◀' : ''))));
  }
  return rows;
}

export function renderTimelines(r, status) {
  const t = r.timelines;
  if (!t || typeof t !== 'object') return null;
  const items = Array.isArray(t.items) ? t.items.filter((x) => x && typeof x === 'object') : [];
  const c = card('timelines', 'Packet timelines', 'The packets of the findings’ TCP connections, both directions: the handshake, 5 before and after each of a connection’s first 3 retransmissions, zero windows and resets (◀ marks the event’s own packet), and the teardown. Times are seconds since the capture’s first packet; sequence and acknowledgement numbers are relative, as Wireshark shows them.');
  if (!items.length) {
    c.appendChild(empty('No finding names a TCP connection.'));
    return c;
  }
  for (const it of items) {
    const lines = Array.isArray(it.lines) ? it.lines.filter((x) => x && typeof x === 'object') : [];
    const ev = isNum(it.events) ? it.events : 0;
    const sum = `${flowText(it.flow)} · frames ${it.first_frame}–${it.last_frame} · ${fmtInt(ev)} event${ev === 1 ? '' : 's'}` +
      (isNum(it.events_shown) && ev > it.events_shown ? ` (the first ${it.events_shown} shown)` : '') + ` · ${fmtInt(lines.length)} line${lines.length === 1 ? '' : 's'}`;
    const det = el('details', { class: 'timeline', id: 'timeline-' + it.id }, el('summary', { text: sum }));
    if (lines.length) {
      det.appendChild(table([{ label: 'Frame', num: true }, { label: 't (s)', num: true }, 'Direction', 'Flags', { label: 'Seq', num: true }, { label: 'Ack', num: true }, { label: 'Len', num: true }, { label: 'Win', num: true }, 'Event'],
        lineRows(lines), { cls: 'timeline-table', caption: 'Packet timeline of ' + flowText(it.flow) }));
    } else det.appendChild(empty('Its lines did not fit in the report (at most ' + fmtInt(t.lines_max) + ').'));
    if (isNum(it.lines_left_out) && it.lines_left_out > 0) det.appendChild(el('p', { class: 'chart-note', text: `${fmtInt(it.lines_left_out)} more line${it.lines_left_out === 1 ? '' : 's'} left out: a report lists at most ${fmtInt(t.lines_max)}.` }));
    if (it.tshark_lines) det.appendChild(commandRow('These lines', tsharkCommand(it.tshark_lines, r, status), 'tl-cmd'));
    if (it.tshark) det.appendChild(commandRow('Connection', tsharkCommand(it.tshark, r, status), 'tl-cmd'));
    c.appendChild(det);
  }
  if (isNum(t.not_kept) && t.not_kept > 0) c.appendChild(el('p', { class: 'chart-note', text: `${fmtInt(t.not_kept)} flow${t.not_kept === 1 ? '' : 's'} of the findings without a timeline (only the worst connections and those whose trouble came first keep one).` }));
  return c;
}
