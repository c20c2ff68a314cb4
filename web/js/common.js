// Helpers shared by every page: DOM building (text only, never HTML), formatting, API calls.

// el('td', {class: 'num', text: '12'}, child, 'more text'): every string becomes a text node, so data from
// a capture can never turn into markup.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'text') node.textContent = String(v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) if (c) node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// get(obj, 'tcp.rtt_ms.p50') → value or undefined; tolerant of missing members.
export function get(obj, path) {
  let cur = obj;
  for (const k of path.split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = cur[k];
  }
  return cur;
}

export function first(obj, ...paths) {
  for (const p of paths) {
    const v = get(obj, p);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

// Numbers ------------------------------------------------------------------------------------------

const nf0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

// Integers are shown with thousands separators (en-US), the way the tests look for them.
export function fmtInt(v) {
  if (!isNum(v)) return '—';
  return nf0.format(Math.round(v));
}

export function fmtNum(v, digits = 1) {
  if (!isNum(v)) return '—';
  if (Number.isInteger(v)) return nf0.format(v);
  return (digits >= 2 ? nf2 : nf1).format(v);
}

export function fmtBytes(v) {
  if (!isNum(v)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = v;
  while (Math.abs(x) >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return (i === 0 ? nf0.format(x) : (x >= 100 ? nf0 : nf1).format(x)) + ' ' + units[i];
}

export function fmtBits(v) {
  if (!isNum(v)) return '—';
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let i = 0;
  let x = v;
  while (Math.abs(x) >= 1000 && i < units.length - 1) { x /= 1000; i++; }
  return (x >= 100 ? nf0 : nf1).format(x) + ' ' + units[i];
}

export function fmtMs(v) {
  if (!isNum(v)) return '—';
  if (v >= 10000) return nf1.format(v / 1000) + ' s';
  if (v >= 1000) return nf2.format(v / 1000) + ' s';
  if (v >= 100) return nf0.format(v) + ' ms';
  if (v >= 1) return nf1.format(v) + ' ms';
  if (v === 0) return '0 ms';
  return String(+v.toPrecision(2)) + ' ms';
}

export function fmtDuration(seconds) {
  if (!isNum(seconds)) return '—';
  if (seconds < 1) return fmtMs(seconds * 1000);
  if (seconds < 60) return nf2.format(seconds) + ' s';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return (h ? h + ' h ' : '') + (h || m ? m + ' min ' : '') + r + ' s';
}

export function fmtPct(v, digits = 1) {
  if (!isNum(v)) return '—';
  return (digits ? nf1 : nf0).format(v) + ' %';
}

// Timestamps arrive as unix seconds (number or decimal string), milliseconds, or ISO 8601 strings.
export function toDate(v) {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return new Date(v > 1e12 ? v : v * 1000);
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return toDate(parseFloat(v));
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

const dtf = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const dtfShort = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export function fmtDate(v, short = false) {
  const d = toDate(v);
  if (!d) return '—';
  return (short ? dtfShort : dtf).format(d);
}

// "in 23 h", "5 min ago"
export function fmtRelative(v) {
  const d = toDate(v);
  if (!d) return '—';
  const diff = (d.getTime() - Date.now()) / 1000;
  const a = Math.abs(diff);
  let txt;
  if (a < 45) return diff >= 0 ? 'in a moment' : 'just now';
  if (a < 60) txt = Math.round(a) + ' s';
  else if (a < 3600) txt = Math.round(a / 60) + ' min';
  else if (a < 86400 * 2) txt = Math.round(a / 3600) + ' h';
  else txt = Math.round(a / 86400) + ' days';
  return diff >= 0 ? 'in ' + txt : txt + ' ago';
}

// API ----------------------------------------------------------------------------------------------

export class HttpError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export async function getJSON(url, options = {}) {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store', ...options });
  let body = null;
  const text = await res.text();
  if (text) {
    try { body = JSON.parse(text); } catch { body = null; }
  }
  if (res.status === 401) toLogin();
  if (!res.ok) throw new HttpError(res.status, serverMessage(body) || res.statusText || 'HTTP ' + res.status, body);
  return body;
}

// The error text a pcapd JSON error body carries, whatever its member is called.
export function serverMessage(body) {
  if (!body || typeof body !== 'object') return '';
  const m = body.message || body.error_message || body.detail || body.error;
  return typeof m === 'string' ? m : '';
}

// Task ids are 128-bit random hex strings; anything else in the URL is refused before any request.
export function taskIdFromPath() {
  const parts = location.pathname.split('/').filter(Boolean);
  const id = parts[parts.length - 1] || '';
  return /^[A-Za-z0-9_-]{8,64}$/.test(id) ? id : null;
}

export function statusClass(status) {
  return ({ completed: 'completed', failed: 'failed', processing: 'processing', queued: 'queued', expired: 'expired' })[status] || 'neutral';
}

export function toast(text) {
  const t = el('div', { class: 'toast', role: 'status', text });
  document.body.appendChild(t);
  setTimeout(() => t.remove(), 1800);
}

export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall through to the selection-based copy */ }
  const ta = el('textarea', { class: 'visually-hidden', 'aria-hidden': 'true' });
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

// Queue status, for the upload page and the footer.
export function describeQueue(q) {
  if (!q || typeof q !== 'object') return null;
  const num = (...keys) => { for (const k of keys) if (isNum(q[k])) return q[k]; return undefined; };
  return {
    queued: num('queued', 'queue_depth', 'waiting', 'queue_length'),
    running: num('running', 'processing', 'active'),
    workers: num('workers', 'max_workers', 'worker_count'),
    queueMax: num('queue_max', 'max_queue', 'queue_capacity', 'queue_limit'),
    maxUploadBytes: num('max_upload_bytes') ?? (isNum(q.max_upload_mb) ? q.max_upload_mb * 1024 * 1024 : undefined),
    retentionSeconds: num('retention_seconds') ?? (isNum(q.retention_hours) ? q.retention_hours * 3600 : undefined),
    accepting: typeof q.accepting === 'boolean' ? q.accepting : undefined,
  };
}

// Under accounts, an answer 401 means the session ended: to the login page, and back here after.
export function toLogin() {
  if (location.pathname.startsWith('/login')) return;
  location.assign('/login.html?next=' + encodeURIComponent(location.pathname + location.search));
}

// Under accounts, the top bar names who is logged in and offers to log out.
async function accountBar() {
  const nav = document.querySelector('.topbar nav');
  if (!nav) return;
  let me = null;
  try {
    const r = await fetch('/api/me', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (r.ok) me = await r.json();
  } catch { return; }
  if (!me || me.auth !== 'accounts' || !me.user) return;
  const out = el('button', { class: 'small', type: 'button', text: 'Log out' });
  out.addEventListener('click', async () => {
    // the body is read too: a navigation during it would abort the request
    try { await (await fetch('/api/logout', { method: 'POST', headers: { Accept: 'application/json' } })).text(); } catch { /* gone anyway */ }
    location.assign('/login.html');
  });
  const who = el('a', { href: '/account.html', text: me.user + (me.role === 'admin' ? ' (admin)' : '') });
  const box = el('span', { class: 'account' }, who);
  if (me.role === 'admin' && !location.pathname.startsWith('/admin')) box.append(el('a', { href: '/admin.html', text: 'Accounts' }));
  box.append(out);
  nav.after(box);
}

if (typeof document !== 'undefined' && document.querySelector) accountBar();
