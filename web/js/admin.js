// The administrators' page: every account with its actions (approve, enable/disable, role, reset of the second
// factor, log out everywhere, delete) and a form for a new one, through /api/admin/users (API.md).
import { $, el, clear, fmtDate, getJSON, serverMessage, toLogin } from './common.js';

function say(text) {
  $('#error').textContent = text || '';
  $('#error').hidden = !text;
}

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (res.status === 401) toLogin();
  if (!res.ok) say(serverMessage(data) || `HTTP ${res.status}`);
  else say('');
  return res.ok;
}

function action(label, fn, danger = false) {
  const b = el('button', { type: 'button', class: 'small' + (danger ? ' danger' : ''), text: label });
  b.addEventListener('click', async () => { if (await fn()) load(); });
  return b;
}

async function load() {
  let list;
  try { list = await getJSON('/api/admin/users'); } catch (e) { say(e.message); return; }
  const body = $('#users tbody');
  clear(body);
  for (const u of list.users) {
    const base = '/api/admin/users/' + encodeURIComponent(u.user);
    const acts = el('div', { class: 'actions' });
    if (u.state === 'pending') acts.append(action('Approve', () => call('POST', base + '/approve')));
    if (u.state === 'active') acts.append(action('Disable', () => call('POST', base + '/disable')));
    if (u.state === 'disabled') acts.append(action('Enable', () => call('POST', base + '/enable')));
    acts.append(action(u.role === 'admin' ? 'Make user' : 'Make admin',
      () => call('POST', base + '/role', { role: u.role === 'admin' ? 'user' : 'admin' })));
    if (u.second_factor) acts.append(action('Reset second factor', () => call('POST', base + '/2fa-reset')));
    acts.append(action('Log out everywhere', () => call('POST', base + '/logout')));
    acts.append(action('Delete', () => (confirm(`Delete the account ${u.user}? Its analyses stay.`) ? call('DELETE', base) : false), true));
    body.append(el('tr', { dataset: { user: u.user } },
      el('td', { text: u.user }), el('td', { text: u.role }), el('td', { text: u.state }),
      el('td', { text: u.second_factor ? 'on' : 'off' }), el('td', { text: fmtDate(u.created_at, true) }),
      el('td', {}, acts)));
  }
}

$('#new').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const ok = await call('POST', '/api/admin/users',
    { username: $('#new-name').value.trim(), password: $('#new-pw').value, role: $('#new-role').value });
  $('#new-pw').value = '';
  if (ok) { $('#new-name').value = ''; load(); }
});

load();
