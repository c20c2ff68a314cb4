// Report page: the capture's timing (gaps, largest bursts, peak and quiet periods) and the thresholds the
// diagnosis used (issue 14). Reads timing.* and thresholds of the JSON report (REPORT-SCHEMA.md).
import { el, get, isNum, fmtInt, fmtNum, fmtBytes, fmtBits, fmtDuration } from './common.js';
import { card, tile, tiles, table, td, empty, frameText, flowText } from './report-widgets.js';

const secs = (v) => (isNum(v) ? v.toFixed(3) : '—');
const ms = (v) => (isNum(v) ? fmtDuration(v / 1000) : '—');

export function renderTiming(r) {
  const t = r.timing;
  if (!t || typeof t !== 'object') return null;
  const gapMs = get(r, 'thresholds.gap_ms.value');
  const c = card('timing', 'Timing', 'Silences of the whole capture, its largest bursts, and its busiest and quietest periods.');
  const g = t.gaps || {};
  c.appendChild(tiles(
    tile('Gaps', fmtInt(g.total), { metric: 'timing.gaps.total', sub: isNum(gapMs) ? `silences of ${fmtNum(gapMs)} ms or more` : undefined }),
    tile('Time in gaps', ms(g.total_ms), { metric: 'timing.gaps.total_ms' }),
    tile('Longest silence', isNum(t.max_gap_s) ? fmtDuration(t.max_gap_s) : '—', { metric: 'timing.max_gap_s' }),
    tile('Bursts', fmtInt(t.bursts), { metric: 'timing.bursts' }),
  ));

  c.appendChild(el('h3', { text: 'Gaps' }));
  c.appendChild(el('p', { class: 'chart-note', text: '“Within one flow”: both packets around the silence belong to the same connection, so it is that connection’s own wait while nothing else happened; otherwise the capture went quiet between conversations.' }));
  const items = Array.isArray(g.items) ? g.items : [];
  if (!items.length) c.appendChild(empty('No gap.'));
  else {
    c.appendChild(table([{ label: 'Start (s)', num: true }, { label: 'Duration', num: true }, { label: 'Frame before', num: true }, { label: 'Frame after', num: true }, 'Flow before', 'Flow after', 'Within one flow'],
      items.map((x) => el('tr', { dataset: { gap: 'row' } },
        td(secs(x.t), { num: true }), td(ms(x.duration_ms), { num: true }), td(frameText(x.frame_before), { num: true }),
        td(frameText(x.frame), { num: true }), td(x.flow_before ? flowText(x.flow_before) : '—'),
        td(x.flow_after ? flowText(x.flow_after) : '—'), td(x.within_flow ? 'yes' : 'no'))), { caption: 'Gaps' }));
    if (isNum(g.total) && g.total > items.length) c.appendChild(el('p', { class: 'chart-note', text: `The ${fmtInt(items.length)} longest of ${fmtInt(g.total)} gaps.` }));
  }

  c.appendChild(el('h3', { text: 'Largest bursts' }));
  const bursts = Array.isArray(t.largest_bursts) ? t.largest_bursts : [];
  if (!bursts.length) c.appendChild(empty('No burst.'));
  else {
    c.appendChild(table([{ label: 'Start (s)', num: true }, { label: 'Frame', num: true }, { label: 'Packets', num: true }, { label: 'Bytes', num: true }, { label: 'Duration', num: true }],
      bursts.map((b) => el('tr', {}, td(secs(b.start_s), { num: true }), td(frameText(b.start_frame), { num: true }),
        td(fmtInt(b.packets), { num: true }), td(fmtBytes(b.bytes), { num: true }), td(ms(b.duration_ms), { num: true }))), { caption: 'Largest bursts' }));
  }

  const p = t.periods || {};
  c.appendChild(el('h3', { text: 'Peak and quiet periods' }));
  const rows = [];
  for (const [kind, list] of [['peak', p.peaks], ['quiet', p.quiet]]) {
    for (const x of Array.isArray(list) ? list : []) {
      rows.push(el('tr', { dataset: { period: kind } }, td(kind), td(secs(x.start_s), { num: true }), td(secs(x.end_s), { num: true }),
        td(fmtInt(x.packets), { num: true }), td(fmtBytes(x.bytes), { num: true }), td(fmtBits(x.bits_per_s), { num: true }),
        td(isNum(x.times_mean) ? `${x.times_mean.toFixed(2)}×` : '—', { num: true })));
    }
  }
  if (!rows.length) c.appendChild(empty('The capture is too short or too empty for periods.'));
  else {
    c.appendChild(el('p', { class: 'chart-note', text: `In steps of ${isNum(p.bucket_s) ? fmtDuration(p.bucket_s) : '?'}; quiet: runs under a tenth of the mean rate (${fmtBits(p.mean_bits_per_s)}).` }));
    c.appendChild(table(['Period', { label: 'From (s)', num: true }, { label: 'To (s)', num: true }, { label: 'Packets', num: true }, { label: 'Bytes', num: true }, { label: 'Rate', num: true }, { label: '× mean', num: true }], rows, { caption: 'Peak and quiet periods' }));
  }
  return c;
}

export function renderThresholds(r) {
  const th = r.thresholds;
  if (!th || typeof th !== 'object') return null;
  const names = Object.keys(th);
  const changed = names.filter((n) => th[n] && th[n].set_by !== 'default');
  const c = card('thresholds', 'Thresholds', `The diagnosis used these thresholds; ${changed.length} of ${names.length} differ from their defaults (pcap-analyzer show-config explains each).`);
  const det = el('details', {}, el('summary', { text: changed.length ? `All thresholds (changed: ${changed.join(', ')})` : 'All thresholds' }));
  det.appendChild(table(['Name', { label: 'Value', num: true }, { label: 'Default', num: true }, 'Unit', 'Set by'],
    names.map((n) => el('tr', { dataset: { threshold: n } }, td(n), td(String(th[n].value), { num: true }), td(String(th[n].default), { num: true }),
      td(th[n].unit || ''), td(th[n].set_by || ''))), { caption: 'Thresholds' }));
  c.appendChild(det);
  return c;
}
