// History page: the tasks from /api/history with status, size, packets, health score and expiry; open,
// download and delete (DELETE /api/reports/{id}) each one.
import { $, el, clear, fmtInt, fmtBytes, fmtDate, fmtRelative, isNum, getJSON, statusClass, toast, serverMessage } from './common.js';

const list = $('#list');
const dialog = $('#confirm');
let pendingDelete = null;

function tasksOf(body) {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object') return body.tasks || body.items || body.history || body.results || [];
  return [];
}

const idOk = (id) => typeof id === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(id);

function scoreCell(t) {
  const s = t.health_score;
  if (!isNum(s)) return el('td', { class: 'num', 'data-label': 'Health', text: '—' });
  const cls = s >= 90 ? 'ok' : s >= 70 ? 'warning' : 'bad';
  return el('td', { class: 'num', 'data-label': 'Health' }, el('span', { class: 'badge ' + cls, text: `${Math.round(s)} / 100` }));
}

function row(t) {
  const id = t.task_id || t.id;
  if (!idOk(id)) return null;
  const enc = encodeURIComponent(id);
  const status = String(t.status || 'unknown');
  const done = status === 'completed';
  const running = status === 'queued' || status === 'processing';
  const name = t.filename || '(unnamed)';
  const open = done ? el('a', { href: '/report/' + enc, text: name })
    : running ? el('a', { href: '/progress/' + enc, text: name }) : el('span', { text: name });
  const actions = el('div', { class: 'actions' });
  if (done) {
    actions.append(
      el('a', { class: 'button small', href: '/report/' + enc, text: 'Open', 'aria-label': 'Open the report of ' + name }),
      el('a', { class: 'button small', href: `/api/reports/${enc}/json`, download: '', text: 'JSON', 'aria-label': 'Download the JSON report of ' + name }),
      el('a', { class: 'button small', href: `/api/reports/${enc}/html`, download: '', text: 'HTML', 'aria-label': 'Download the HTML report of ' + name }));
  } else if (running) {
    actions.append(el('a', { class: 'button small', href: '/progress/' + enc, text: 'Follow', 'aria-label': 'Follow the analysis of ' + name }));
  }
  if (!running) {
    const del = el('button', { type: 'button', class: 'small danger', text: 'Delete', 'aria-label': 'Delete ' + name });
    del.addEventListener('click', () => askDelete(id, name, del));
    actions.append(del);
  }
  const statusCell = el('td', { 'data-label': 'Status' }, el('span', { class: 'badge ' + statusClass(status), text: status }));
  if (status === 'failed' && t.error_message) statusCell.appendChild(el('div', { class: 'sub', text: t.error_message }));
  if (status === 'processing' && isNum(t.progress_percent)) statusCell.appendChild(el('div', { class: 'sub', text: Math.floor(t.progress_percent) + ' %' }));
  const uploaded = t.uploaded_at || t.created_at;
  const expires = t.expires_at;
  return el('tr', { dataset: { taskId: id, status } },
    el('td', { class: 'name', 'data-label': 'Capture' }, open, el('div', { class: 'sub', text: uploaded ? fmtDate(uploaded, true) : '' }),
      // an administrator's list says whose each capture is
      Object.prototype.hasOwnProperty.call(t, 'owner') ? el('div', { class: 'sub owner', text: 'by ' + (t.owner ?? '(no account)') }) : ''),
    statusCell,
    el('td', { class: 'num', 'data-label': 'Size', text: fmtBytes(t.file_size_bytes ?? t.size_bytes) }),
    el('td', { class: 'num', 'data-label': 'Packets', text: fmtInt(t.packets ?? t.packets_processed) }),
    scoreCell(t),
    el('td', { 'data-label': 'Expires' }, expires ? el('span', { title: fmtDate(expires), text: status === 'expired' ? 'expired' : fmtRelative(expires) }) : '—'),
    el('td', { class: 'actions-cell', 'data-label': 'Actions' }, actions));
}

function render(tasks) {
  clear(list);
  const rows = tasks.map(row).filter(Boolean);
  if (!rows.length) {
    list.appendChild(el('div', { class: 'empty' }, 'No analyses yet. ', el('a', { href: '/', text: 'Upload a capture' }), ' to get a report.'));
    return;
  }
  const head = ['Capture', 'Status', 'Size', 'Packets', 'Health', 'Expires', 'Actions'];
  const numCols = new Set(['Size', 'Packets', 'Health']);
  list.appendChild(el('div', { class: 'table-wrap' }, el('table', { class: 'cards', id: 'tasks' },
    el('caption', { class: 'visually-hidden', text: 'Analyses, newest first' }),
    el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col', class: numCols.has(h) ? 'num' : '', text: h })))),
    el('tbody', {}, rows))));
  $('#msg').textContent = `${rows.length} analys${rows.length === 1 ? 'is' : 'es'} listed`;
}

let loading = false;
async function load() {
  if (loading) return;
  loading = true;
  const limit = parseInt($('#limit').value, 10) || 50;
  try {
    const tasks = tasksOf(await getJSON('/api/history?limit=' + limit));
    render(tasks);
    schedule(tasks.some((t) => t.status === 'queued' || t.status === 'processing'));
  } catch (e) {
    clear(list).appendChild(el('div', { class: 'alert error', role: 'alert' }, el('strong', { text: 'The history could not be loaded' }), el('p', { text: e.message || String(e) })));
  } finally {
    loading = false;
  }
}

let timer = null;
function schedule(active) {
  clearTimeout(timer);
  if (active) timer = setTimeout(() => { if (!document.hidden && !dialog.open) load(); else schedule(true); }, 2000);
}

function askDelete(id, name, button) {
  pendingDelete = { id, name, button };
  $('#confirm-name').textContent = name;
  if (typeof dialog.showModal === 'function') {
    dialog.showModal();
    $('#confirm-cancel').focus();
  } else {
    doDelete();
  }
}

async function doDelete() {
  const p = pendingDelete;
  pendingDelete = null;
  if (dialog.open) dialog.close();
  if (!p) return;
  p.button.disabled = true;
  try {
    const res = await fetch('/api/reports/' + encodeURIComponent(p.id), { method: 'DELETE', headers: { Accept: 'application/json' } });
    const text = await res.text(); // read to the end, so that nothing is left in flight
    if (!res.ok && res.status !== 404) {
      let body = null;
      try { body = JSON.parse(text); } catch { body = null; }
      throw new Error(serverMessage(body) || 'HTTP ' + res.status);
    }
    const tr = p.button.closest('tr');
    if (tr) tr.remove();
    toast('Deleted ' + p.name);
    $('#msg').textContent = 'Deleted ' + p.name;
    await load();
    $('#refresh').focus();
  } catch (e) {
    p.button.disabled = false;
    toast('Could not delete: ' + (e.message || e));
  }
}

$('#confirm-cancel').addEventListener('click', () => {
  const p = pendingDelete;
  pendingDelete = null;
  dialog.close();
  if (p) p.button.focus();
});
$('#confirm-ok').addEventListener('click', doDelete);
dialog.addEventListener('cancel', () => { const p = pendingDelete; pendingDelete = null; if (p) setTimeout(() => p.button.focus(), 0); });
$('#refresh').addEventListener('click', load);
$('#limit').addEventListener('change', load);
load();
