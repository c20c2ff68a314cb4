// The login page: POST /api/login with the form's fields as JSON, then back to the page that sent us here.
// `next` is followed only when it is a path on this site (no scheme, no '//' host), so a crafted link
// cannot send a user elsewhere after logging in.
import { serverMessage } from './common.js';

function nextPath() {
  const n = new URLSearchParams(location.search).get('next') || '/';
  return /^\/(?![/\\])[^\s]*$/.test(n) && !n.startsWith('/login') ? n : '/';
}

const form = document.getElementById('login');
const error = document.getElementById('error');
const submit = document.getElementById('submit');

function show(text) {
  error.textContent = text;
  error.hidden = !text;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const username = form.username.value.trim();
  const password = form.password.value;
  const code = form.code.value.trim();
  if (!username || !password) {
    show('Enter your user name and password.');
    return;
  }
  submit.disabled = true;
  show('');
  try {
    const res = await fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(code ? { username, password, code } : { username, password }),
      cache: 'no-store',
    });
    let body = null;
    try { body = await res.json(); } catch { body = null; }
    if (res.ok) {
      location.replace(nextPath());
      return;
    }
    if (res.status === 401 && body && body.second_factor) {
      // the password was right: the second factor's code is needed
      const wasShown = !document.getElementById('code-row').hidden;
      document.getElementById('code-row').hidden = false;
      form.code.focus();
      show(wasShown && code ? (serverMessage(body) || 'Wrong code.') : 'Enter the code from your authenticator app.');
      form.code.value = '';
      submit.disabled = false;
      return;
    }
    if (res.status === 429) {
      const wait = res.headers.get('Retry-After');
      show('Too many failed attempts. Try again' + (wait ? ` in ${wait} s.` : ' later.'));
    } else {
      show(serverMessage(body) || `Login failed (HTTP ${res.status}).`);
    }
  } catch (e) {
    show('The server cannot be reached.');
  } finally {
    submit.disabled = false;
    if (document.getElementById('code-row').hidden) form.password.value = '';
  }
});

// Already logged in (or a server without accounts): nothing to do here. Sign-up offered when the server has it.
fetch('/api/me', { headers: { Accept: 'application/json' }, cache: 'no-store' })
  .then((r) => (r.ok ? r.json() : null))
  .then((me) => {
    if (me && (me.user || me.auth === 'none')) location.replace(nextPath());
    if (me && me.admin_exists === false) document.getElementById('first-admin').hidden = false;
    else if (me && me.signup) {
      document.getElementById('signup').hidden = false;
      document.getElementById('no-signup').hidden = true;
    }
  })
  .catch(() => {});

const signup = document.getElementById('signup');
signup.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const msg = document.getElementById('su-msg');
  const res = await fetch('/api/signup', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username: signup.querySelector('#su-name').value.trim(), password: signup.querySelector('#su-pw').value }),
  });
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  signup.querySelector('#su-pw').value = '';
  msg.textContent = res.ok ? 'Thank you: an administrator will approve the account, then you can log in.'
    : (serverMessage(body) || `Sign-up failed (HTTP ${res.status}).`);
  msg.hidden = false;
});
