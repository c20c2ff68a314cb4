// The account page: the second factor (enrol with the QR code, recovery codes, turn off), the password,
// API tokens and "log out everywhere". Every request goes to the account routes of /api (API.md).
import { $, el, clear, fmtDate, getJSON, serverMessage, toLogin } from './common.js';

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (res.status === 401 && !(data && data.second_factor)) toLogin();
  return { ok: res.ok, status: res.status, data };
}

function say(id, text) {
  const p = $(id);
  p.textContent = text || '';
  p.hidden = !text;
}

async function refresh() {
  const me = await getJSON('/api/me');
  if (me.auth !== 'accounts') {
    $('#who').textContent = 'This server runs without accounts.';
    for (const s of document.querySelectorAll('.account-card')) s.hidden = true;
    return;
  }
  $('#who').textContent = `Logged in as ${me.user}` + (me.role === 'admin' ? ' (administrator).' : '.');
  $('#required').hidden = !me.second_factor_required;
  $('#tf-state').textContent = me.second_factor
    ? `On. ${me.recovery_codes_left} recovery code${me.recovery_codes_left === 1 ? '' : 's'} left.`
    : 'Off: your password alone logs you in.';
  $('#tf-start').hidden = me.second_factor;
  $('#tf-off').hidden = !me.second_factor;
  if (!me.second_factor_required) await tokens();
}

async function tokens() {
  let list;
  try { list = await getJSON('/api/tokens'); } catch { return; }
  const body = $('#tok-list');
  clear(body);
  for (const t of list.tokens) {
    const revoke = el('button', { type: 'button', class: 'small danger', text: 'Revoke' });
    revoke.addEventListener('click', async () => {
      await (await fetch('/api/tokens/' + encodeURIComponent(t.id), { method: 'DELETE', headers: { Accept: 'application/json' } })).text();
      tokens();
    });
    body.append(el('tr', {},
      el('td', { text: t.name }), el('td', { text: fmtDate(t.created_at, true) }),
      el('td', { text: t.expires_at ? fmtDate(t.expires_at, true) : 'never' }),
      el('td', { text: t.last_used ? fmtDate(t.last_used, true) : '—' }), el('td', {}, revoke)));
  }
}

$('#tf-start').addEventListener('click', async () => {
  say('#tf-error', '');
  const r = await post('/api/2fa/setup');
  if (!r.ok) { say('#tf-error', serverMessage(r.data) || `HTTP ${r.status}`); return; }
  $('#tf-secret').textContent = r.data.secret;
  $('#tf-qr').src = r.data.qr_svg_url + '?t=' + Date.now();
  $('#tf-enrol').hidden = false;
  $('#tf-start').hidden = true;
  $('#tf-code').focus();
});

$('#tf-confirm').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await post('/api/2fa/enable', { code: $('#tf-code').value.trim() });
  if (!r.ok) { say('#tf-error', serverMessage(r.data) || `HTTP ${r.status}`); return; }
  say('#tf-error', '');
  $('#tf-enrol').hidden = true;
  const ul = $('#tf-codes-list');
  clear(ul);
  for (const c of r.data.recovery_codes) ul.append(el('li', {}, el('code', { text: c })));
  $('#tf-codes').hidden = false;
  refresh();
});

$('#tf-off').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await post('/api/2fa/disable', { code: $('#tf-off-code').value.trim() });
  if (!r.ok) { say('#tf-error', serverMessage(r.data) || `HTTP ${r.status}`); return; }
  say('#tf-error', '');
  $('#tf-codes').hidden = true;
  refresh();
});

$('#pw-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await post('/api/password', { current_password: $('#pw-current').value, new_password: $('#pw-new').value });
  $('#pw-current').value = '';
  $('#pw-new').value = '';
  say('#pw-error', r.ok ? '' : serverMessage(r.data) || `HTTP ${r.status}`);
  if (r.ok) say('#pw-error', 'Password changed; your other sessions have ended.');
});

$('#tok-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await post('/api/tokens', { name: $('#tok-name').value.trim() });
  if (r.ok) {
    $('#tok-value').textContent = r.data.token;
    $('#tok-new').hidden = false;
    tokens();
  }
});

$('#logout-all').addEventListener('click', async () => {
  await (await fetch('/api/logout?all=1', { method: 'POST', headers: { Accept: 'application/json' } })).text();
  location.assign('/login.html');
});

refresh().catch(() => {});
