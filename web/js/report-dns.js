// Report page: DNS queries, response codes, response times and the names of failed, unanswered and slow lookups.
import { el, get, isNum, fmtInt, fmtNum, fmtMs } from './common.js';
import { barCell } from './charts.js';
import { card, tile, tiles, table, td, empty, tone, quantRow, quantTable, moreFigures, chartBlock, flowText, frameText, drawDistribution } from './report-widgets.js';

const QTYPES = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR', 43: 'DS', 48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY' };
function qtypeName(q) { return isNum(q) ? (QTYPES[q] || 'TYPE' + q) : String(q ?? ''); }

const RCODE_TONE = { NOERROR: 'ok', NXDOMAIN: 'warn', SERVFAIL: 'bad', REFUSED: 'bad', FORMERR: 'bad', NOTIMP: 'bad' };

export function renderDns(r) {
  const d = r.dns;
  const c = card('dns', 'DNS', 'Queries and responses are matched by id, addresses and ports. Names are shown exactly as they appear in the packets.');
  const other = d && d.other_ports && isNum(d.other_ports.queries) && d.other_ports.queries > 0 ? otherPorts(d.other_ports) : null;
  if (!d || (!d.queries && !d.responses)) {
    c.appendChild(empty(other ? 'No DNS message on the DNS ports (53, 5353, 5355).' : 'No DNS message in this capture.'));
    if (other) c.appendChild(other);
    return c;
  }
  c.appendChild(tiles(
    tile('Queries', fmtInt(d.queries), { metric: 'dns.queries' }),
    tile('Responses', fmtInt(d.responses), { metric: 'dns.responses' }),
    tile('Unanswered', fmtInt(d.unanswered), { metric: 'dns.unanswered', tone: tone(d.unanswered), sub: 'no response: timeouts' }),
    isNum(d.repeated_queries) ? tile('Repeated', fmtInt(d.repeated_queries), { metric: 'dns.repeated_queries', sub: 'same question asked again' }) : null,
    tile('Median response', fmtMs(get(d, 'response_time_ms.p50')), { metric: 'dns.response_time_ms.p50' }),
  ));
  const grid = el('div', { class: 'section-grid' });
  const rc = d.rcodes;
  const rcBox = el('div', {}, el('h3', { text: 'Response codes' }));
  if (rc && typeof rc === 'object' && Object.keys(rc).length) {
    const entries = Object.entries(rc).filter(([, v]) => isNum(v)).sort((a, b) => b[1] - a[1]);
    const max = Math.max(1, ...entries.map(([, v]) => v || 0));
    rcBox.appendChild(table(['Code', { label: 'Responses', num: true }, ''], entries.map(([k, v]) => el('tr', { dataset: { rcode: k } },
      el('th', { scope: 'row' }, el('span', { class: 'badge ' + (RCODE_TONE[k] || 'neutral'), text: k })),
      td(fmtInt(v), { num: true, metric: 'dns.rcodes.' + k }), barCell(v, max))), { caption: 'DNS response codes' }));
  } else {
    rcBox.appendChild(empty('No responses.'));
  }
  grid.appendChild(rcBox);
  const timing = el('div', {}, el('h3', { text: 'Response time' }));
  const qt = quantTable([quantRow('Query → response', d.response_time_ms, 'dns.response_time_ms')], 'DNS response time');
  timing.appendChild(qt || empty('No matched responses.'));
  timing.appendChild(chartBlock('Response-time distribution', null, (box) => {
    return drawDistribution(box, d.response_time_histogram, 'Response time (ms)', 'DNS response-time distribution');
  }));
  grid.appendChild(timing);
  c.appendChild(grid);

  // Lists of names: errors, slow answers, unanswered queries. Every name is data from the capture.
  const ev = r.events || {};
  // the third member: whether the items name the query they answer (query_frame; an unanswered one is the query)
  const lists = [
    ['Failed lookups', ev.dns_errors, true],
    ['Unanswered queries', ev.dns_unanswered, false],
    ['Slow answers', ev.dns_slow, true],
  ];
  for (const [title, raw, answers] of lists) {
    const list = raw && Array.isArray(raw.items) ? raw.items : null;
    if (!list || !list.length) continue;
    const total = raw && isNum(raw.total) ? raw.total : list.length;
    c.appendChild(el('h3', { text: `${title} (${fmtInt(total)})` }));
    c.appendChild(table(['Name', 'Type', 'Answer', { label: 'Time', num: true }, 'Client → server', { label: 'At', num: true }, { label: 'Frame', num: true }],
      list.slice(0, 50).map((q) => {
        const o = typeof q === 'object' && q ? q : {};
        const ms = o.response_ms;
        return el('tr', {},
          td(String(o.name ?? ''), { cls: 'name mono' }),
          td(qtypeName(o.qtype)),
          el('td', {}, o.rcode ? el('span', { class: 'badge ' + (RCODE_TONE[o.rcode] || 'neutral'), text: String(o.rcode) }) : (isNum(o.repeats) && o.repeats ? `asked ${o.repeats + 1}×` : 'none'),
            // a search list's guess (ANALYSES.md): not a failure
            raw === ev.dns_errors && o.rcode === 'NXDOMAIN' && o.search_path === true ? el('div', { class: 'sub', text: 'search list' }) : null),
          td(isNum(ms) ? fmtMs(ms) : '—', { num: true }),
          td(flowText(o.flow), { cls: 'mono' }),
          td(isNum(o.t) ? fmtNum(o.t, 2) + ' s' : '', { num: true }),
          // the answer's frame in Wireshark (the query's for an unanswered one), and the query it answers
          el('td', { class: 'num', title: 'Frame number in Wireshark (Go to Packet)' }, frameText(o.frame),
            answers && isNum(o.query_frame) ? el('div', { class: 'sub', text: 'query ' + frameText(o.query_frame) }) : null));
      }), { caption: title }));
    if (total > Math.min(50, list.length)) c.appendChild(el('p', { class: 'chart-note', text: `Showing ${fmtInt(Math.min(50, list.length))} of ${fmtInt(total)}.` }));
  }
  if (other) c.appendChild(other);
  const more = moreFigures(d, ['unanswered_multicast', 'unmatched_responses', 'tcp_messages', 'truncated_responses', 'pending_dropped'], 'dns');
  if (more) c.appendChild(more);
  return c;
}

// DNS that a strict heuristic found on other UDP ports: counted apart, in no other figure of the report.
function otherPorts(o) {
  const box = el('div', { class: 'dns-other-ports' }, el('h3', { text: 'DNS on other ports' }));
  box.appendChild(el('p', { class: 'chart-note', text: 'Queries that parse in full on UDP ports other than 53, 5353 and 5355, and the answers that match them. Counted here only.' }));
  const ports = Array.isArray(o.ports) ? o.ports.filter((p) => p && isNum(p.port)).map((p) => `${p.port} (${fmtInt(p.queries)})`).join(', ') : '';
  box.appendChild(table(['Figure', { label: 'Value', num: true }], [
    ['Queries', fmtInt(o.queries), 'dns.other_ports.queries'],
    ['Responses', fmtInt(o.responses), 'dns.other_ports.responses'],
    ['Unanswered', fmtInt(o.unanswered), 'dns.other_ports.unanswered'],
    ['Median response', fmtMs(get(o, 'response_time_ms.p50')), 'dns.other_ports.response_time_ms.p50'],
  ].map(([k, v, m]) => el('tr', {}, el('th', { scope: 'row', text: k }), td(v, { num: true, metric: m }))), { caption: 'DNS on other ports' }));
  if (ports) box.appendChild(el('p', { text: 'Ports (queries): ' + ports }));
  return box;
}
