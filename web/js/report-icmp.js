// Report page: ICMP / ICMPv6 messages (types, codes, errors grouped by flow) and IP fragmentation.
import { el, get, isNum, fmtInt, fmtNum } from './common.js';
import { card, tile, tiles, table, td, empty, tone, moreFigures, flowText, frameText } from './report-widgets.js';

const ICMP4 = {
  0: ['Echo reply'], 3: ['Destination unreachable', { 0: 'network', 1: 'host', 2: 'protocol', 3: 'port', 4: 'fragmentation needed', 9: 'network prohibited', 10: 'host prohibited', 13: 'administratively prohibited' }],
  4: ['Source quench'], 5: ['Redirect'], 8: ['Echo request'], 11: ['Time exceeded', { 0: 'TTL exceeded in transit', 1: 'fragment reassembly' }], 12: ['Parameter problem'],
};
const ICMP6 = {
  1: ['Destination unreachable', { 0: 'no route', 1: 'administratively prohibited', 3: 'address', 4: 'port' }], 2: ['Packet too big'],
  3: ['Time exceeded', { 0: 'hop limit', 1: 'fragment reassembly' }], 4: ['Parameter problem'], 128: ['Echo request'], 129: ['Echo reply'],
  133: ['Router solicitation'], 134: ['Router advertisement'], 135: ['Neighbour solicitation'], 136: ['Neighbour advertisement'], 137: ['Redirect'],
  143: ['Multicast listener report v2'],
};

// "3/3" → ['ICMP', 'Destination unreachable (3)', 'port (3)'], "v6:135/0" → ['ICMPv6', ...]
function icmpName(key) {
  const m = /^(v6:)?(\d+)\/(\d+)$/.exec(key);
  if (!m) return ['', key, ''];
  const table = m[1] ? ICMP6 : ICMP4;
  const type = Number(m[2]);
  const code = Number(m[3]);
  const def = table[type];
  const tname = def ? `${def[0]} (${type})` : `type ${type}`;
  const cname = def && def[1] && def[1][code] ? `${def[1][code]} (${code})` : String(code);
  return [m[1] ? 'ICMPv6' : 'ICMP', tname, cname];
}

export function renderIcmp(r) {
  const i = r.icmp;
  const c = card('icmp', 'ICMP and ICMPv6', 'Error messages tell where packets were refused, expired or too big for the path.');
  if (!i || i.messages === 0) { c.appendChild(empty('No ICMP or ICMPv6 message in this capture.')); return c; }
  c.appendChild(tiles(
    tile('Messages', fmtInt(i.messages), { metric: 'icmp.messages' }),
    isNum(i.unreachable) ? tile('Unreachable', fmtInt(i.unreachable), { metric: 'icmp.unreachable', tone: tone(i.unreachable) }) : null,
    isNum(i.time_exceeded) ? tile('Time exceeded', fmtInt(i.time_exceeded), { metric: 'icmp.time_exceeded', tone: tone(i.time_exceeded) }) : null,
    isNum(i.fragmentation_needed) ? tile('Fragmentation needed', fmtInt(i.fragmentation_needed), { metric: 'icmp.fragmentation_needed', tone: tone(i.fragmentation_needed), sub: 'IPv4 path MTU' }) : null,
    isNum(i.packet_too_big) ? tile('Packet too big', fmtInt(i.packet_too_big), { metric: 'icmp.packet_too_big', tone: tone(i.packet_too_big), sub: 'IPv6 path MTU' }) : null,
    isNum(i.smallest_mtu) ? tile('Smallest MTU', fmtInt(i.smallest_mtu), { metric: 'icmp.smallest_mtu', sub: 'announced on the path' }) : null,
  ));
  const types = i.types;
  let rows = [];
  if (types && typeof types === 'object') rows = Object.entries(types).filter(([, v]) => isNum(v)).map(([k, v]) => [...icmpName(k), v]).sort((a, b) => b[3] - a[3]);
  if (rows.length) {
    c.appendChild(el('h3', { text: 'Types and codes' }));
    c.appendChild(table(['Family', 'Type', 'Code', { label: 'Messages', num: true }], rows.map(([f, t, code, n]) => el('tr', {}, td(String(f)), td(String(t)), td(String(code)), td(fmtInt(n), { num: true }))), { caption: 'ICMP types' }));
  }
  const errs = get(r, 'events.icmp_errors');
  const items = errs && Array.isArray(errs.items) ? errs.items : [];
  if (items.length) {
    // The same error about the same flow from the same reporter, once per line with a count.
    const groups = new Map();
    for (const e of items) {
      const [fam, tname, cname] = icmpName(`${e.family === 'icmpv6' ? 'v6:' : ''}${e.type}/${e.code}`);
      const what = `${fam} ${tname.replace(/ \(\d+\)$/, '')}${cname && !/^\d+$/.test(cname) ? ': ' + cname.replace(/ \(\d+\)$/, '') : ''}`;
      const about = flowText(e.flow);
      const from = String(e.reporter ?? '');
      const key = [what, about, from].join('|');
      const g = groups.get(key) || { what, about, from, n: 0, t: e.t, frame: e.frame };
      g.n++;
      groups.set(key, g);
    }
    const list = [...groups.values()];
    c.appendChild(el('h3', { text: `Error messages (${fmtInt(errs.total ?? items.length)})` }));
    c.appendChild(table(['Message', 'About the flow', 'Sent by', { label: 'Count', num: true }, { label: 'First at', num: true }, { label: 'First frame', num: true }], list.slice(0, 20).map((g) => el('tr', {},
      td(g.what), td(g.about, { cls: 'mono name' }), td(g.from, { cls: 'mono' }), td(fmtInt(g.n), { num: true }), td(isNum(g.t) ? fmtNum(g.t, 2) + ' s' : '', { num: true }),
      td(frameText(g.frame), { num: true }))), { caption: 'ICMP error messages' }));
    if ((errs.total ?? items.length) > items.length) c.appendChild(el('p', { class: 'chart-note', text: `The report keeps the first ${fmtInt(items.length)} of ${fmtInt(errs.total)} error messages.` }));
  }
  const more = moreFigures(i, ['icmpv4_messages', 'icmpv6_messages', 'redirects'], 'icmp');
  if (more) c.appendChild(more);
  return c;
}

export function renderFragments(r) {
  const ip = r.ip || {};
  const c = card('fragments', 'IP fragments', 'Fragmented datagrams cost reassembly and are lost whole when one fragment is lost.');
  if (!isNum(ip.fragments) || ip.fragments === 0) { c.appendChild(empty('No fragmented IP datagram in this capture.')); return c; }
  c.appendChild(tiles(
    tile('Fragments', fmtInt(ip.fragments), { metric: 'ip.fragments' }),
    isNum(ip.datagrams) ? tile('Datagrams', fmtInt(ip.datagrams), { metric: 'ip.datagrams' }) : null,
    isNum(ip.incomplete) ? tile('Incomplete', fmtInt(ip.incomplete), { metric: 'ip.incomplete', tone: tone(ip.incomplete) }) : null,
    isNum(ip.ipv4_fragments) || isNum(ip.ipv6_fragments) ? tile('IPv4 / IPv6', `${fmtInt(ip.ipv4_fragments)} / ${fmtInt(ip.ipv6_fragments)}`, { sub: 'fragments' }) : null,
    isNum(ip.completed) ? tile('Reassembled', fmtInt(ip.completed), { metric: 'ip.completed', sub: 'datagrams' }) : null,
  ));
  return c;
}
