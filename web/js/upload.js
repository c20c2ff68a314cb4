// Upload page: checks a capture in the browser (extension, size, magic bytes), sends it with upload
// progress, explains every refusal, and moves on to the progress page.
import { $, el, clear, fmtBytes, fmtInt, fmtRelative, isNum, getJSON, describeQueue, serverMessage, statusClass, toLogin } from './common.js';

const EXTENSIONS = ['.pcap', '.pcapng', '.cap', '.dmp'];
const DEFAULT_MAX_BYTES = 500 * 1024 * 1024;

// First four bytes of a capture, as read from the file: pcap (both byte orders, micro- and nanosecond
// variants) and pcapng (the section header block type is a palindrome).
const MAGICS = {
  a1b2c3d4: 'pcap', d4c3b2a1: 'pcap', a1b23c4d: 'pcap (ns)', '4d3cb2a1': 'pcap (ns)', '0a0d0d0a': 'pcapng',
};

let maxBytes = DEFAULT_MAX_BYTES;
let maxKnown = false; // the server told its limit (/api/queue/status max_upload_bytes)
let current = null; // the File being (or last) uploaded
let retryTimer = null;
let xhrInFlight = null;

const input = $('#file');
const zone = $('#dropzone');

function hexOf(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function readMagic(file) {
  const blob = file.slice(0, 4);
  const buf = await blob.arrayBuffer();
  return buf.byteLength < 4 ? null : hexOf(buf);
}

// Returns null when the file looks like a capture, else {title, text}.
async function checkFile(file) {
  const name = file.name || '';
  const lower = name.toLowerCase();
  if (!EXTENSIONS.some((e) => lower.endsWith(e))) {
    return {
      title: 'This is not a capture file',
      text: `“${name}” does not end in ${EXTENSIONS.join(', ')}. Save the capture from Wireshark or tcpdump as pcap or pcapng and try again.`,
    };
  }
  if (file.size === 0) {
    return { title: 'The file is empty', text: `“${name}” has no content. A capture holds at least a file header and one packet.` };
  }
  if (file.size > maxBytes) {
    return {
      title: 'The file is too large',
      text: `“${name}” is ${fmtBytes(file.size)}; this server accepts captures up to ${fmtBytes(maxBytes)}. ` +
        'Cut it into smaller parts (editcap -c or -i) or capture with a filter, and upload a part.',
    };
  }
  let magic;
  try {
    magic = await readMagic(file);
  } catch {
    return { title: 'The file could not be read', text: 'The browser could not read the file. Check that it still exists and that you may read it.' };
  }
  if (!magic || !MAGICS[magic]) {
    return {
      title: 'This is not a pcap or pcapng capture',
      text: `“${name}” has the right name but not the content of a capture (it starts with bytes ${magic ? magic.match(/../g).join(' ') : 'too short to tell'}). ` +
        'Compressed captures (.gz, .zip) must be unpacked first.',
    };
  }
  return null;
}

function show(node, on) { node.classList.toggle('hidden', !on); }

function setProgress(pct, phase) {
  const bar = $('#up-bar');
  const p = Math.max(0, Math.min(100, pct));
  bar.firstElementChild.style.width = p + '%';
  bar.setAttribute('aria-valuenow', String(Math.round(p)));
  $('#up-pct').textContent = Math.round(p) + ' %';
  if (phase) $('#up-phase').textContent = phase;
}

function showError(title, text, canRetry) {
  const box = $('#up-error');
  clear(box);
  box.appendChild(el('div', { class: 'alert error' }, el('strong', { text: title }), el('p', { text })));
  show($('#up-meter'), false);
  show($('#up-sending'), false);
  $('#pick').disabled = false;
  show($('#up-actions'), true);
  show($('#retry'), !!canRetry);
  $('#upload-card').scrollIntoView({ block: 'nearest' });
}

function resetCard(file) {
  clear($('#up-error'));
  $('#up-bar').classList.remove('bad', 'ok');
  show($('#up-meter'), true);
  show($('#up-sending'), false);
  show($('#up-actions'), false);
  $('#up-name').textContent = file.name;
  $('#up-meta').textContent = fmtBytes(file.size);
  setProgress(0, 'Checking the file');
  show($('#upload-card'), true);
}

async function handleFile(file) {
  if (!file || xhrInFlight) return;
  if (retryTimer) { clearInterval(retryTimer); retryTimer = null; }
  current = file;
  resetCard(file);
  $('#upload-card').scrollIntoView({ block: 'nearest' });
  const problem = await checkFile(file);
  if (problem) {
    showError(problem.title, problem.text, false);
    $('#up-status').textContent = problem.title;
    return;
  }
  send(file);
}

// Plain words for each refusal of POST /api/upload.
function explain(xhr) {
  let body = null;
  try { body = JSON.parse(xhr.responseText); } catch { body = null; }
  const detail = serverMessage(body);
  const extra = detail ? ` The server said: “${detail}”.` : '';
  switch (xhr.status) {
    case 401:
      toLogin();
      return { title: 'Log in first', text: 'Your session has ended: log in again to upload.' };
    case 400:
      return { title: 'The server refused the file', text: 'It is not a capture pcapd can read, it is empty, or the upload was damaged on the way.' + extra };
    case 413: {
      const limit = body && isNum(body.max_upload_bytes) ? body.max_upload_bytes : maxKnown ? maxBytes : null;
      return {
        title: 'The file is too large for this server',
        text: `At ${fmtBytes(current ? current.size : NaN)}, this capture is over the server's upload limit${limit ? ` of ${fmtBytes(limit)}` : ''}; it was refused before being stored. ` +
          'Split it (editcap -c 100000 big.pcap part.pcap) and upload a part, or ask the administrator to raise --max-upload-mb.' + extra,
      };
    }
    case 503: {
      const ra = parseInt(xhr.getResponseHeader('Retry-After') || '', 10);
      const secs = Number.isFinite(ra) && ra > 0 ? ra : 30;
      return {
        title: 'The server is busy',
        text: `Too many captures are waiting to be analysed. Try again in ${secs} seconds; nothing was stored.` + extra,
        retryAfter: secs,
      };
    }
    case 507:
      return { title: 'The server is out of disk space', text: 'There is no room to store the capture right now. Try later, or ask the administrator to free space.' + extra };
    case 0:
      return { title: 'The upload was interrupted', text: 'The connection to the server was lost. Check that the service is running and try again.' };
    default:
      return { title: `The upload failed (HTTP ${xhr.status})`, text: 'The server could not accept the capture.' + extra };
  }
}

function startRetryCountdown(secs) {
  const btn = $('#retry');
  let left = secs;
  btn.disabled = true;
  btn.textContent = `Try again (${left} s)`;
  retryTimer = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(retryTimer);
      retryTimer = null;
      btn.disabled = false;
      btn.textContent = 'Try again';
    } else {
      btn.textContent = `Try again (${left} s)`;
    }
  }, 1000);
}

function send(file) {
  const form = new FormData();
  form.append('file', file, file.name);
  const xhr = new XMLHttpRequest();
  xhrInFlight = xhr;
  $('#pick').disabled = true;
  show($('#up-sending'), true);
  xhr.addEventListener('loadend', () => { xhrInFlight = null; show($('#up-sending'), false); });
  xhr.addEventListener('abort', () => showError('Upload cancelled', 'Nothing was stored on the server.', true));
  xhr.open('POST', '/api/upload');
  xhr.setRequestHeader('Accept', 'application/json');
  setProgress(0, 'Sending');
  $('#up-status').textContent = 'Uploading ' + file.name;
  xhr.upload.addEventListener('progress', (ev) => {
    if (ev.lengthComputable && ev.total > 0) {
      setProgress((ev.loaded / ev.total) * 100, `Sending — ${fmtBytes(ev.loaded)} of ${fmtBytes(ev.total)}`);
    }
  });
  xhr.upload.addEventListener('load', () => setProgress(100, 'Sent — waiting for the server'));
  xhr.addEventListener('load', () => {
    if (xhr.status === 202 || xhr.status === 200 || xhr.status === 201) {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      const id = body && body.task_id;
      if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
        showError('Unexpected answer', 'The server accepted the upload but did not say which task it created.', true);
        return;
      }
      $('#up-bar').classList.add('ok');
      setProgress(100, isNum(body.queue_position) && body.queue_position > 0
        ? `Accepted — position ${body.queue_position} in the queue` : 'Accepted — starting the analysis');
      $('#up-status').textContent = 'Upload accepted';
      const page = body.progress_page_url;
      const next = typeof page === 'string' && page === '/progress/' + id ? page : '/progress/' + encodeURIComponent(id);
      location.assign(next);
      return;
    }
    const why = explain(xhr);
    showError(why.title, why.text, true);
    $('#up-status').textContent = why.title;
    if (why.retryAfter) startRetryCountdown(why.retryAfter);
  });
  xhr.addEventListener('error', () => {
    const why = explain({ status: 0, responseText: '', getResponseHeader: () => null });
    showError(why.title, why.text, true);
  });
  xhr.send(form);
}

// Drag and drop ------------------------------------------------------------------------------------

let depth = 0;
zone.addEventListener('dragenter', (e) => { e.preventDefault(); depth++; zone.classList.add('dragover'); });
zone.addEventListener('dragover', (e) => { e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'; });
zone.addEventListener('dragleave', () => { depth = Math.max(0, depth - 1); if (!depth) zone.classList.remove('dragover'); });
zone.addEventListener('drop', (e) => {
  e.preventDefault();
  depth = 0;
  zone.classList.remove('dragover');
  const files = e.dataTransfer && e.dataTransfer.files;
  if (files && files.length) handleFile(files[0]);
});
// A file dropped next to the zone must not make the browser navigate away to it.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

$('#pick').addEventListener('click', () => input.click());
input.addEventListener('change', () => {
  if (input.files && input.files.length) handleFile(input.files[0]);
  input.value = '';
});
$('#retry').addEventListener('click', () => { if (current) handleFile(current); });
$('#cancel').addEventListener('click', () => { if (xhrInFlight) xhrInFlight.abort(); });
$('#other').addEventListener('click', () => input.click());

// Service status -----------------------------------------------------------------------------------

function renderQueue(q) {
  const box = $('#queue');
  clear(box);
  const d = describeQueue(q);
  if (!d) {
    box.appendChild(el('span', {}, el('span', { class: 'dot bad' }), 'The service does not answer.'));
    return;
  }
  const full = isNum(d.queued) && isNum(d.queueMax) && d.queued >= d.queueMax;
  const busy = isNum(d.running) && isNum(d.workers) && d.running >= d.workers;
  const state = d.accepting === false || full ? ['bad', 'Queue full — uploads are refused for now']
    : busy ? ['busy', 'Busy — new uploads wait in the queue'] : ['ok', 'Ready'];
  box.appendChild(el('span', {}, el('span', { class: 'dot ' + state[0] }), el('strong', { text: state[1] })));
  if (isNum(d.running)) {
    box.appendChild(el('span', {}, 'Analysing: ', el('strong', { text: fmtInt(d.running) }), isNum(d.workers) ? ` of ${fmtInt(d.workers)}` : ''));
  }
  if (isNum(d.queued)) {
    box.appendChild(el('span', {}, 'Waiting: ', el('strong', { text: fmtInt(d.queued) }), isNum(d.queueMax) ? ` of ${fmtInt(d.queueMax)}` : ''));
  }
  if (isNum(d.maxUploadBytes) && d.maxUploadBytes > 0) {
    maxBytes = d.maxUploadBytes;
    maxKnown = true;
  }
  const keep = isNum(d.retentionSeconds) && d.retentionSeconds > 0
    ? ` Reports are kept for ${d.retentionSeconds >= 7200 ? Math.round(d.retentionSeconds / 3600) + ' hours' : Math.max(1, Math.round(d.retentionSeconds / 60)) + ' minutes'}.`
    : ' Reports are kept for a limited time.';
  $('#limits').textContent = `pcap or pcapng (${EXTENSIONS.join(', ')}), up to ${fmtBytes(maxBytes)}.${keep}`;
}

async function refreshQueue() {
  try {
    renderQueue(await getJSON('/api/queue/status'));
  } catch {
    renderQueue(null);
  }
}

async function refreshRecent() {
  const ul = $('#recent');
  let tasks = [];
  try {
    const body = await getJSON('/api/history?limit=5');
    tasks = Array.isArray(body) ? body : (body && (body.tasks || body.items || body.history)) || [];
  } catch {
    tasks = null;
  }
  clear(ul);
  if (!tasks || !tasks.length) {
    ul.appendChild(el('li', { class: 'empty', text: tasks ? 'None yet.' : 'The history is not available.' }));
    return;
  }
  for (const t of tasks.slice(0, 5)) {
    const id = t.task_id || t.id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) continue;
    const href = t.status === 'completed' ? '/report/' + id : (t.status === 'queued' || t.status === 'processing') ? '/progress/' + id : null;
    const name = t.filename || '(unnamed)';
    ul.appendChild(el('li', {},
      el('span', { class: 'rname' }, href ? el('a', { href, text: name }) : name),
      isNum(t.health_score) ? el('span', { class: 'rwhen', text: `${Math.round(t.health_score)}/100` }) : null,
      el('span', { class: 'badge ' + statusClass(t.status), text: t.status || '?' }),
      el('span', { class: 'rwhen', text: fmtRelative(t.uploaded_at || t.created_at) })));
  }
}

for (const n of document.querySelectorAll('.origin')) n.textContent = location.origin;
refreshQueue();
refreshRecent();
setInterval(() => { if (!document.hidden) refreshQueue(); }, 5000);
