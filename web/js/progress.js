// Progress page: follows /api/progress/{id} (Server-Sent Events; the browser reconnects by itself with
// Last-Event-ID), falls back to polling /api/status/{id} when the stream keeps failing, and opens the
// report when the analysis is done.
import { $, el, clear, fmtInt, fmtBytes, fmtDuration, isNum, getJSON, taskIdFromPath, toDate, serverMessage } from './common.js';

const id = taskIdFromPath();
const reportUrl = id ? '/report/' + encodeURIComponent(id) : '/';
const STEPS = ['queued', 'reading', 'diagnosing', 'done'];
const pageStart = Date.now();

let startedAt = null;
let finished = false;
let source = null;
let streamErrors = 0;
let pollTimer = null;
let lastSample = null; // {t, packets} for packets/s when the server does not send it
let fileSize = null;

function stepOf(phase, status) {
  const p = String(phase || status || '').toLowerCase();
  if (/queue|wait|pending/.test(p)) return 'queued';
  if (/done|complete|finish/.test(p)) return 'done';
  if (/diag|report|writ|summar/.test(p)) return 'diagnosing';
  if (/read|pars|decod|analy|process|start|run/.test(p)) return 'reading';
  return null;
}

const PHASE_TEXT = {
  queued: 'Waiting in the queue',
  reading: 'Reading packets',
  diagnosing: 'Diagnosing and writing the report',
  done: 'Analysis complete',
};

function setSteps(step, failed) {
  const idx = STEPS.indexOf(step);
  for (const li of document.querySelectorAll('#steps li')) {
    const i = STEPS.indexOf(li.dataset.phase);
    li.classList.toggle('done', idx >= 0 && (i < idx || (step === 'done' && i === idx)));
    li.classList.toggle('current', !failed && i === idx && step !== 'done');
    li.classList.toggle('failed', !!failed && i === Math.max(idx, 0));
    if (i === idx) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
  }
}

function setPercent(pct) {
  const bar = $('#bar');
  if (!isNum(pct) || pct < 0) {
    $('#pct').textContent = '…';
    bar.removeAttribute('aria-valuenow');
    return;
  }
  const p = Math.max(0, Math.min(100, pct));
  const shown = p >= 100 ? 100 : Math.floor(p);
  bar.firstElementChild.style.width = p + '%';
  bar.setAttribute('aria-valuenow', String(shown));
  bar.setAttribute('aria-valuetext', shown + ' %');
  $('#pct').textContent = shown + ' %';
}

function update(d, status) {
  if (finished || !d) return;
  const step = stepOf(d.phase, status);
  if (step) setSteps(step);
  const phaseText = (step && PHASE_TEXT[step]) || (typeof d.phase === 'string' && d.phase) || 'Working';
  $('#phase').textContent = phaseText;
  if (step === 'queued' && !isNum(d.percent)) setPercent(0);
  else setPercent(d.percent);
  if (isNum(d.packets)) $('#packets').textContent = fmtInt(d.packets);
  let pps = d.packets_per_s ?? d.packets_per_second;
  if (!isNum(pps) && isNum(d.packets)) {
    // Not sent (polling /api/status): the rate between two samples.
    const now = Date.now();
    if (lastSample && now > lastSample.t && d.packets >= lastSample.packets) pps = ((d.packets - lastSample.packets) * 1000) / (now - lastSample.t);
    lastSample = { t: now, packets: d.packets };
  }
  if (isNum(pps) && pps >= 0 && (pps > 0 || isNum(d.packets))) $('#pps').textContent = fmtInt(pps);
  if (isNum(d.bytes)) $('#bytes').textContent = fmtBytes(d.bytes);
  if (step && step !== 'queued' && !startedAt) startedAt = Date.now();
  if (isNum(d.elapsed_ms) && step !== 'queued') startedAt = Date.now() - d.elapsed_ms;
  tick();
  $('#live').textContent = isNum(d.percent) && d.percent >= 0 ? `${phaseText}: ${Math.floor(d.percent)} %` : phaseText;
}

function tick() {
  const from = startedAt || pageStart;
  $('#elapsed').textContent = fmtDuration((Date.now() - from) / 1000);
}

function finish(d) {
  if (finished) return;
  if (d) update(d, 'completed');
  finished = true;
  stopAll();
  setSteps('done');
  setPercent(100);
  $('#bar').classList.add('ok');
  $('#phase').textContent = 'Analysis complete — opening the report…';
  $('#live').textContent = 'Analysis complete: 100 %';
  if (d && isNum(d.packets)) $('#packets').textContent = fmtInt(d.packets);
  // Final figures: the rate over the whole analysis, and its real duration.
  if (d && isNum(d.duration_ms) && d.duration_ms > 0) {
    if (isNum(d.packets)) $('#pps').textContent = fmtInt((d.packets * 1000) / d.duration_ms);
    $('#elapsed').textContent = fmtDuration(d.duration_ms / 1000);
  }
  $('#open-report').setAttribute('href', reportUrl);
  $('#done-actions').classList.remove('hidden');
  // A short pause so that the finished state can be seen (and read by a screen reader) before leaving.
  setTimeout(() => location.assign(reportUrl), 900);
}

function fail(message) {
  if (finished) return;
  finished = true;
  stopAll();
  const step = STEPS.find((s) => document.querySelector(`#steps li.current[data-phase="${s}"]`)) || 'reading';
  setSteps(step, true);
  $('#bar').classList.add('bad');
  $('#phase').textContent = 'The analysis failed';
  $('#pct').textContent = '';
  $('#title').textContent = $('#title').textContent.replace(/^Analysing/, 'Could not analyse');
  $('#subtitle').textContent = 'The analyzer stopped before it could write a report.';
  document.title = document.title.replace('Analysing', 'Failed');
  if ($('#packets').textContent === '—') $('#figures').classList.add('hidden');
  const box = clear($('#error'));
  box.appendChild(el('div', { class: 'alert error' },
    el('strong', { text: 'The capture could not be analysed' }),
    el('p', { id: 'error-message', text: message || 'The analyzer stopped without saying why.' }),
    el('p', { text: 'The capture has been deleted from the server. If it opens in Wireshark, try again; otherwise export it again as pcap or pcapng.' })));
  const actions = $('#done-actions');
  $('#open-report').classList.add('hidden');
  actions.classList.remove('hidden');
}

function notFound(text) {
  finished = true;
  stopAll();
  $('#phase').textContent = 'Nothing to follow';
  clear($('#error')).appendChild(el('div', { class: 'alert warn' }, el('strong', { text: 'No such analysis' }), el('p', { text })));
  $('#open-report').classList.add('hidden');
  $('#done-actions').classList.remove('hidden');
}

function stopAll() {
  if (source) { source.close(); source = null; }
  if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
}

function parse(ev) {
  try { return JSON.parse(ev.data); } catch { return null; }
}

function fromStatus(s) {
  return {
    phase: s.phase || s.status,
    percent: isNum(s.progress_percent) ? s.progress_percent : undefined,
    packets: s.packets_processed,
    bytes: s.bytes_processed,
  };
}

async function failWithStatus(d) {
  let msg = d && (d.error_message || d.message || d.error);
  if (!msg) {
    try { msg = (await getJSON('/api/status/' + encodeURIComponent(id))).error_message; } catch { /* keep default */ }
  }
  fail(msg);
}

function handleStatus(s) {
  if (!s) return;
  if (s.status === 'completed') finish(fromStatus(s));
  else if (s.status === 'failed') fail(s.error_message);
  else if (s.status === 'expired') notFound('This analysis has expired and its report was deleted.');
  else update(fromStatus(s), s.status);
}

async function poll() {
  pollTimer = null;
  if (finished) return;
  try {
    handleStatus(await getJSON('/api/status/' + encodeURIComponent(id)));
  } catch (e) {
    if (e.status === 404) { notFound('The server does not know this task. It may have been deleted.'); return; }
  }
  if (!finished) pollTimer = setTimeout(poll, 1000);
}

function startPolling() {
  if (source) { source.close(); source = null; }
  $('#transport').textContent = 'Live updates are blocked on this network; checking every second instead.';
  if (!pollTimer && !finished) poll();
}

function openStream() {
  if (!('EventSource' in window)) { startPolling(); return; }
  source = new EventSource('/api/progress/' + encodeURIComponent(id));
  source.addEventListener('open', () => { streamErrors = 0; });
  source.addEventListener('progress', (ev) => { streamErrors = 0; update(parse(ev)); });
  source.addEventListener('completed', (ev) => finish(parse(ev)));
  source.addEventListener('failed', (ev) => failWithStatus(parse(ev)));
  source.addEventListener('error', () => {
    if (finished) return;
    streamErrors += 1;
    // The browser retries on its own (sending Last-Event-ID); only a closed stream or repeated
    // failures switch to polling.
    if (!source || source.readyState === EventSource.CLOSED || streamErrors >= 3) startPolling();
  });
}

async function init() {
  if (!id) { notFound('The address does not contain a valid task id.'); return; }
  setInterval(() => { if (!finished) tick(); }, 1000);
  let s = null;
  try {
    s = await getJSON('/api/status/' + encodeURIComponent(id));
  } catch (e) {
    if (e.status === 404) { notFound('The server does not know this task. It may have been deleted or expired.'); return; }
    if (e.status === 400) { notFound(serverMessage(e.body) || 'The task id is not valid.'); return; }
  }
  if (s) {
    if (s.filename) {
      $('#title').textContent = 'Analysing ' + s.filename;
      document.title = s.filename + ' · Analysing · pcapd';
    }
    fileSize = s.file_size_bytes;
    if (isNum(fileSize)) $('#size').textContent = 'of ' + fmtBytes(fileSize);
    const started = toDate(s.started_at);
    if (started) startedAt = started.getTime();
    $('#subtitle').textContent = isNum(fileSize) ? `${fmtBytes(fileSize)} capture. The report opens by itself when the analysis ends.`
      : 'The report opens by itself when the analysis ends.';
    handleStatus(s);
    if (finished) return;
  }
  openStream();
}

init();
