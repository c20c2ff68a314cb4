// Test harness: starts the real pcapd-web on a free loopback port with a fresh state directory, drives
// Debian's Chromium with playwright-core, and watches every page for console errors, page errors,
// failed requests, HTTP errors and dialogs.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SKIP = 77;

export function skip(why) {
  console.log('SKIP: ' + why);
  process.exit(SKIP);
}

let failures = 0;
export function check(cond, what, detail) {
  if (cond) {
    console.log('ok   - ' + what);
  } else {
    failures++;
    console.log('FAIL - ' + what + (detail !== undefined ? ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail)) : ''));
  }
  return !!cond;
}
export function failed() { return failures; }

export function artifactsDir() {
  const dir = process.env.PCAPD_WEB_ARTIFACTS || path.join(os.tmpdir(), 'pcapd-web-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A TCP proxy in front of the server that passes what the browser sends at bytesPerSecond (answers go at
// full speed): an upload through it is really in flight for as long as the test needs, whatever the
// browser's own network emulation does with request bodies. Returns {base, bytesUp(), close()}; closing a
// browser connection closes its upstream one, as a client going away does.
export async function startThrottleProxy(targetBase, bytesPerSecond) {
  const target = new URL(targetBase);
  let up = 0;
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client); sockets.add(upstream);
    const queue = [];
    let timer = null;
    const pump = () => {
      timer = null;
      let budget = Math.max(1, Math.floor(bytesPerSecond / 10));
      while (queue.length && budget > 0) {
        const chunk = queue[0];
        const n = Math.min(chunk.length, budget);
        upstream.write(chunk.subarray(0, n));
        up += n; budget -= n;
        if (n === chunk.length) queue.shift(); else queue[0] = chunk.subarray(n);
      }
      if (queue.length) timer = setTimeout(pump, 100);
    };
    client.on('data', (d) => { queue.push(d); if (!timer) timer = setTimeout(pump, 0); });
    upstream.on('data', (d) => client.write(d));
    const end = () => { if (timer) clearTimeout(timer); client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', end); upstream.on('close', end);
    client.on('error', end); upstream.on('error', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    bytesUp: () => up,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}

// Servers and directories to remove however the test ends (watchdog, meson's SIGTERM on timeout, a crash).
const leftovers = new Set();
export function removeOnExit(fn) { leftovers.add(fn); return fn; }
process.on('exit', () => { for (const fn of leftovers) { try { fn(); } catch { /* best effort */ } } });
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => { console.log(`FAIL - stopped by ${sig}`); process.exit(1); });

// Starts pcapd-web; returns {base, stop(), stateDir, logFile}. The free port is found by binding port 0 and
// letting it go, so another process may take it first: then start again on another.
export async function startServer(name, extraArgs = []) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(name, extraArgs);
    } catch (e) {
      if (attempt >= 3 || !/in use|EADDRINUSE/i.test(String(e.message))) throw e;
      console.log(`     port taken, starting pcapd-web again (${e.message.split('\n')[0]})`);
    }
  }
}

async function startServerOnce(name, extraArgs) {
  const bin = process.env.PCAPD_WEB;
  if (!bin || !fs.existsSync(bin)) skip(`pcapd-web not built (PCAPD_WEB=${bin || 'unset'})`);
  const webDir = process.env.PCAPD_WEB_DIR;
  const port = await freePort();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `pcapd-web-${name}-`));
  const logFile = path.join(artifactsDir(), `${name}-server.log`);
  const log = fs.openSync(logFile, 'w');
  const analyzer = process.env.PCAPD_ANALYZER_EXEC;
  const args = ['--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, ...(webDir ? ['--web-dir', webDir] : []),
    ...(analyzer ? ['--analyzer-exec', analyzer] : []), ...extraArgs];
  const env = { ...process.env };
  // The test chooses everything by flags; a systemd socket or an analyzer socket of the machine must not leak in.
  for (const k of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'PCAPD_ANALYZER_SOCKET', 'PCAPD_LISTEN', 'PCAPD_STATE_DIR']) delete env[k];
  const child = spawn(bin, args, { stdio: ['ignore', log, log], env });
  let exited = null;
  child.on('exit', (code, sig) => { exited = { code, sig }; });
  const cleanup = removeOnExit(() => {
    if (!exited) child.kill('SIGKILL');
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (exited) {
      cleanup();
      throw new Error(`pcapd-web exited during start-up (${JSON.stringify(exited)}); log:\n` + fs.readFileSync(logFile, 'utf8').slice(-3000));
    }
    try {
      const res = await fetch(base + '/api/queue/status');
      if (res.status < 500) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      cleanup();
      throw new Error('pcapd-web did not answer within 20 s; log:\n' + fs.readFileSync(logFile, 'utf8').slice(-3000));
    }
    await sleep(100);
  }
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    }
    cleanup();
    leftovers.delete(cleanup);
  };
  return { base, stop, stateDir, logFile, args };
}

export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} is missing (apt-get install chromium)`);
  // playwright-core gives every launch a fresh, empty --user-data-dir of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    timeout: 60000,
  });
}

// A page whose problems are collected: console errors, uncaught exceptions, failed requests, HTTP >= 400
// answers, dialogs (alert/confirm: none of our pages opens one, so any dialog means injected script ran).
export async function watchedPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', acceptDownloads: false, ...opts });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const problems = [];
  const dialogs = [];
  const requests = [];
  const allowed = []; // [{re, kind}] problems a test expects (e.g. a 413 it provoked)
  const note = (kind, text) => {
    if (allowed.some((a) => (!a.kind || a.kind === kind) && a.re.test(text))) return;
    problems.push(`${kind}: ${text}`);
  };
  page.on('console', (m) => { if (m.type() === 'error') note('console', `${m.text()} (${page.url()})`); });
  page.on('pageerror', (e) => note('pageerror', `${e.message} (${page.url()})`));
  page.on('dialog', async (d) => { dialogs.push(`${d.type()}: ${d.message()}`); note('dialog', d.message()); await d.dismiss().catch(() => {}); });
  page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
  // A GET still in flight when the page navigates away is cancelled by the browser (ERR_ABORTED): that is
  // the navigation's doing, not a failed request. Remember when each request started and when the main
  // frame last navigated.
  // The upload's POST is a case of its own: the page goes to /progress/{id} from the XHR's load event, and
  // under load Chromium has been seen (once, in CI) to report that completed POST as ERR_ABORTED by the
  // navigation it caused; a POST that really failed never leads to the progress page.
  const started = new WeakMap();
  let navigatedAt = 0;
  let navigatedTo = '';
  page.on('request', (r) => {
    started.set(r, Date.now());
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) {
      navigatedAt = Date.now();
      navigatedTo = r.url();
    }
  });
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) {
      navigatedAt = Date.now();
      navigatedTo = f.url();
    }
  });
  page.on('requestfailed', (r) => {
    const err = (r.failure() && r.failure().errorText) || '';
    // An event stream closed on purpose when the page moves on is not a failure.
    if (r.resourceType() === 'eventsource' && /ERR_ABORTED/.test(err)) return;
    if (/ERR_ABORTED/.test(err) && r.method() === 'GET' && navigatedAt >= (started.get(r) || Infinity)) return;
    if (/ERR_ABORTED/.test(err) && r.method() === 'POST' && /\/api\/upload$/.test(r.url()) &&
        navigatedAt >= (started.get(r) || Infinity) && /\/progress\/[0-9a-f]{32}$/.test(navigatedTo)) return;
    note('requestfailed', `${r.method()} ${r.url()} ${err}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) note('http', `${r.status()} ${r.request().method()} ${r.url()}`); });
  const origin = () => { try { const u = new URL(page.url()); return /^https?:$/.test(u.protocol) ? u.origin : ''; } catch { return ''; } };
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) return;
    if (origin() && u.origin !== origin()) note('offsite', r.url());
  });
  return {
    page, context, problems, dialogs, requests,
    allow(re, kind) { allowed.push({ re, kind }); },
    async close() { await context.close(); },
  };
}

export async function shot(page, name) {
  const file = path.join(artifactsDir(), name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log('     screenshot ' + file);
  return file;
}

export function fmtInt(v) {
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(Math.round(v));
}

export function taskIdOf(url) {
  const m = /\/(?:progress|report)\/([A-Za-z0-9_-]+)/.exec(url);
  return m ? m[1] : null;
}

// Uploads a file through the page's file input and follows it to the report. Returns the task id.
// via 'drop': dropped on the drop zone (a DataTransfer made in the page) instead of the file picker.
// throttle (bytes/s): the upload is slowed down in the browser, and the test sees the upload progress.
export async function uploadAndFollow(w, base, file, label, via = 'input', throttle = 0) {
  const { page } = w;
  let cdp = null;
  if (throttle) {
    cdp = await w.context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: throttle });
  }
  await page.goto(base + '/');
  await page.locator('#queue .dot').first().waitFor();
  if (via === 'drop') {
    const bytes = [...fs.readFileSync(file)];
    const dt = await page.evaluateHandle(([data, name]) => {
      const t = new DataTransfer();
      t.items.add(new File([new Uint8Array(data)], name, { type: 'application/vnd.tcpdump.pcap' }));
      return t;
    }, [bytes, path.basename(file)]);
    await page.dispatchEvent('#dropzone', 'dragenter', { dataTransfer: dt });
    const highlighted = await page.locator('#dropzone.dragover').count();
    check(highlighted === 1, `${label}: the drop zone lights up under a dragged file`);
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: dt });
  } else {
    await page.setInputFiles('#file', file);
  }
  if (throttle) {
    const seen = new Set();
    let pictured = false;
    const t0 = Date.now();
    while (!/\/progress\//.test(page.url()) && Date.now() - t0 < 60000) {
      const v = await page.locator('#up-bar').getAttribute('aria-valuenow', { timeout: 100 }).catch(() => null);
      if (v !== null) seen.add(Number(v));
      if (!pictured && Number(v) >= 30 && Number(v) < 90) {
        pictured = true;
        await page.screenshot({ path: path.join(artifactsDir(), `upload-sending-${label}.png`) }).catch(() => {});
      }
      await page.waitForTimeout(50);
    }
    const between = [...seen].filter((v) => v > 0 && v < 100);
    check(between.length >= 3, `${label}: the upload shows its progress (saw ${[...seen].sort((a, b) => a - b).join(', ')} %)`);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  }
  await page.waitForURL(/\/progress\/[A-Za-z0-9_-]+$/, { timeout: 60000, waitUntil: 'commit' });
  const id = taskIdOf(page.url());
  // The page shows 100 % (and the final figures) before it moves on to the report.
  const reached = await page.locator('#pct', { hasText: '100 %' }).waitFor({ timeout: 120000 }).then(() => true, () => false);
  check(reached, `${label}: progress reaches 100 %`);
  if (reached) {
    const now = await page.locator('#bar').getAttribute('aria-valuenow').catch(() => null);
    check(now === '100', `${label}: progress bar says 100`, now);
    await shot(page, `progress-${label}`).catch(() => {});
  }
  await page.waitForURL(/\/report\/[A-Za-z0-9_-]+$/, { timeout: 30000, waitUntil: 'commit' });
  check(taskIdOf(page.url()) === id, `${label}: report is the uploaded task's`);
  await page.locator('#findings').waitFor();
  return id;
}

// Loads axe-core into the page (through the DevTools protocol, so the page's CSP stays in force for the
// page itself) and returns the WCAG 2 A/AA violations.
export async function axeViolations(page) {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const src = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(src);
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\n').slice(0, 2).join(' ')) }));
  });
  return res;
}
