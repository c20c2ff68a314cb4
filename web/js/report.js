// Report page: renders /api/reports/{id}/json (schema pcapd.report/2, lib/engine/REPORT-SCHEMA.md): where
// the time went first, then the findings and the health score with its penalties, then each analysis with
// its tables and charts (one module per analysis). Reads only the members the schema defines, tolerates
// their absence (a version 1 report has no "where the time went"); every string from the capture goes in
// as text.
import { $, el, clear, fmtInt, fmtBytes, fmtDuration, fmtDate, getJSON, taskIdFromPath } from './common.js';
import { renderFindings, renderHealth } from './report-diagnosis.js';
import { renderWhereTime } from './report-time.js';
import { renderSummary, renderProtocols, renderTalkers } from './report-traffic.js';
import { renderTcp, renderWorstFlows } from './report-tcp.js';
import { renderConnections } from './report-conns.js';
import { renderJitter } from './report-jitter.js';
import { renderDns } from './report-dns.js';
import { renderIcmp, renderFragments } from './report-icmp.js';
import { renderTiming, renderThresholds } from './report-timing.js';

const id = taskIdFromPath();
const root = $('#report');

// ---- page ----------------------------------------------------------------------------------------

function renderError(title, text) {
  clear(root).appendChild(el('div', { class: 'card' }, el('div', { class: 'alert error', role: 'alert' }, el('strong', { text: title }), el('p', { text })),
    el('div', { class: 'actions' }, el('a', { class: 'button primary', href: '/', text: 'Analyse a capture' }), el('a', { class: 'button', href: '/history', text: 'History' }))));
  $('#downloads').classList.add('hidden');
}

function render(r, status) {
  clear(root);
  const cap = r.capture || {};
  const name = (status && status.filename) || 'Capture';
  $('#title').textContent = name;
  document.title = name + ' · Report · pcapd';
  const meta = $('#meta');
  clear(meta);
  meta.append(
    el('span', { text: `${fmtInt(cap.packets)} packets` }),
    el('span', { text: fmtBytes(cap.bytes) }),
    el('span', { text: fmtDuration(cap.duration_s) }),
    cap.first_ts ? el('span', { text: fmtDate(cap.first_ts) }) : '',
  );
  if (status && status.expires_at) meta.append(el('span', { text: `kept until ${fmtDate(status.expires_at, true)}` }));

  if (cap.partial || cap.truncated || cap.packet_limit_reached) {
    const why = cap.read_error || (cap.packet_limit_reached ? 'the packet limit was reached; later packets were not read' : cap.truncated ? 'the file ends in the middle of a packet' : 'the capture was cut short');
    root.appendChild(el('div', { class: 'alert warn partial', role: 'note' }, el('strong', { text: 'Partial analysis' }),
      el('p', { text: `The capture could not be read to its end (${why}). The figures below cover the ${fmtInt(cap.packets)} packets read before that point.` })));
  }
  // Where the time went, then the findings (also in reading order: narrow screens, screen readers), the
  // score beside them.
  const time = renderWhereTime(r);
  if (time) root.appendChild(time);
  root.appendChild(el('div', { class: 'overview' }, renderFindings(r), renderHealth(r)));

  const sections = [
    ['summary', 'Summary', renderSummary(r, status)],
    ['protocols', 'Protocols', renderProtocols(r)],
    ['talkers', 'Top talkers', renderTalkers(r)],
    ['tcp', 'TCP', renderTcp(r)],
    ['flows', 'Flows', renderWorstFlows(r)],
    ['connections', 'Connections', renderConnections(r)],
    ['jitter', 'Jitter', renderJitter(r)],
    ['dns', 'DNS', renderDns(r)],
    ['icmp', 'ICMP', renderIcmp(r)],
    ['fragments', 'Fragments', renderFragments(r)],
    ['timing', 'Timing', renderTiming(r)],
    ['thresholds', 'Thresholds', renderThresholds(r)],
  ];
  const present = sections.filter(([, , node]) => node);
  root.appendChild(el('nav', { 'aria-label': 'Sections of the report' },
    el('ul', { class: 'toc' }, present.map(([sid, label]) => el('li', {}, el('a', { href: '#' + sid, text: label }))))));
  const byId = Object.fromEntries(present.map(([sid, , node]) => [sid, node]));
  for (const sid of ['summary', 'protocols', 'talkers', 'tcp', 'flows', 'connections', 'jitter', 'dns']) if (byId[sid]) root.appendChild(byId[sid]);
  root.appendChild(byId.icmp);
  root.appendChild(byId.fragments);
  for (const sid of ['timing', 'thresholds']) if (byId[sid]) root.appendChild(byId[sid]);
  if (r.schema) root.appendChild(el('p', { class: 'chart-note', text: `Report schema ${r.schema}${r.generator ? ' · ' + r.generator : ''}` }));
  if (location.hash) {
    const target = document.getElementById(location.hash.slice(1));
    if (target) target.scrollIntoView();
  }
}

async function init() {
  if (!id) { renderError('No such report', 'The address does not contain a valid task id.'); return; }
  const base = '/api/reports/' + encodeURIComponent(id);
  $('#dl-json').setAttribute('href', base + '/json');
  $('#dl-html').setAttribute('href', base + '/html');
  // The task first: a report that cannot exist (queued, failed, expired) is not asked for.
  let status = null;
  try {
    status = await getJSON('/api/status/' + encodeURIComponent(id));
  } catch (e) {
    if (e.status === 404 || e.status === 400) {
      renderError('No such report', 'The server does not know this analysis. It may have been deleted or may have expired.');
      return;
    }
  }
  if (status && status.filename) {
    const safe = status.filename.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/\.(pcapng|pcap|cap|dmp)$/i, '');
    $('#dl-json').setAttribute('download', safe + '.report.json');
    $('#dl-html').setAttribute('download', safe + '.report.html');
  }
  if (status && (status.status === 'queued' || status.status === 'processing')) {
    location.replace('/progress/' + encodeURIComponent(id));
    return;
  }
  if (status && status.status === 'failed') {
    renderError('The analysis failed', status.error_message || 'The analyzer stopped without a report.');
    return;
  }
  if (status && status.status === 'expired') {
    renderError('This report has expired', 'Reports are deleted after the retention period. Upload the capture again to get a new one.');
    return;
  }
  let report;
  try {
    report = await getJSON(base + '/json');
  } catch (e) {
    renderError(e && (e.status === 404 || e.status === 410) ? 'No such report' : 'The report could not be loaded',
      e && (e.status === 404 || e.status === 410) ? 'It may have been deleted or may have expired.' : String((e && e.message) || e));
    return;
  }
  try {
    render(report || {}, status);
  } catch (err) {
    renderError('The report could not be shown', String(err && err.message ? err.message : err));
    throw err;
  }
}

init();
