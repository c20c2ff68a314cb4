// End-to-end tests of the web UI in headless Chromium against the real pcapd-web.
// Usage: node e2e.mjs SCENARIO   (corpus | made | time | refusals | hostile | history | a11y | progress)
// Env: PCAPD_WEB (binary), PCAPD_WEB_DIR (web/ to serve), PCAPD_CORPUS_DIR, PCAPD_WEB_ARTIFACTS (screenshots).
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startServer, startThrottleProxy, launchBrowser, watchedPage, shot, check, failed, skip, fmtInt, uploadAndFollow, axeViolations,
  artifactsDir, removeOnExit,
} from './harness.mjs';
import { madeCapture, hostileCapture, httpCapture, dnsOnlyCapture, pcapHeader, HOSTILE_NAMES, HOSTILE_PATH } from './pcap.mjs';
import { loadSchema, recordReadsScript, undefinedReads } from './schema.mjs';

const scenario = process.argv[2];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pcapd-web-e2e-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
removeOnExit(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeTmp(name, bytes) {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
}

async function reportJson(w, base, id) {
  const res = await w.context.request.get(`${base}/api/reports/${id}/json`);
  check(res.status() === 200, `GET /api/reports/${id}/json answers 200`, res.status());
  return res.json();
}

// Text of the element showing a JSON member (data-metric); tiles hold the value in .v.
async function metric(page, name) {
  const loc = page.locator(`[data-metric="${name}"]`).first();
  if (!(await loc.count())) return null;
  const v = loc.locator('.v');
  return ((await v.count()) ? await v.textContent() : await loc.textContent()).trim();
}

const get = (o, p) => p.split('.').reduce((a, k) => (a && typeof a === 'object' ? a[k] : undefined), o);

// The figures of the JSON report must be the ones the page shows.
async function checkFigures(page, json, label, members) {
  for (const m of members) {
    const v = get(json, m);
    if (typeof v !== 'number') {
      check(false, `${label}: report JSON has ${m}`, v);
      continue;
    }
    const shown = await metric(page, m);
    check(shown === fmtInt(v), `${label}: page shows ${m} = ${fmtInt(v)}`, shown);
  }
}

// The schema REPORT-SCHEMA.md documents.
const SCHEMA = loadSchema();

// Every member the page read from the report (recorded by recordReadsScript) is one the schema defines.
let schemaParsed = false;
async function checkSchemaReads(page, label) {
  if (!schemaParsed) {
    // the parser must still understand the document: a few members it defines, a few it does not
    const yes = ['where_time_went.causes[].share_percent', 'transactions.items[].flow.sport', 'tcp.transfers.trace.seq', 'dns.rcodes.NOERROR', 'tcp.rtt_path_ms.p95', 'events.dns_errors.items[].name'];
    const no = ['capture.file', 'findings[].summary', 'tcp.worst_connections', 'series.rtt', 'transactions.items[].url'];
    check(SCHEMA.version && yes.every((p) => SCHEMA.allows(p)) && !no.some((p) => SCHEMA.allows(p)),
      `REPORT-SCHEMA.md (${SCHEMA.version}) parsed into ${SCHEMA.patterns.length} member paths`, { missing: yes.filter((p) => !SCHEMA.allows(p)), allowed: no.filter((p) => SCHEMA.allows(p)) });
    schemaParsed = true;
  }
  const { reads, bad } = await undefinedReads(page, SCHEMA);
  check(reads !== null && reads.length > 0, `${label}: the page's reads of the report were recorded`, reads && reads.length);
  check(bad.length === 0, `${label}: the page reads only members REPORT-SCHEMA.md defines (${reads ? reads.length : 0} read)`, bad);
}

async function checkReportPage(w, base, id, label) {
  const { page } = w;
  const json = await reportJson(w, base, id);
  check(json && json.schema === SCHEMA.version, `${label}: schema ${SCHEMA.version}`, json && json.schema);
  await checkSchemaReads(page, label);
  await checkFigures(page, json, label, ['capture.packets', 'health.score', ...(json.tcp && json.tcp.packets ? ['tcp.retransmissions'] : [])]);
  const findings = Array.isArray(json.findings) ? json.findings : [];
  const shownFindings = await page.locator('#findings li.finding').count();
  check(shownFindings === findings.length, `${label}: all ${findings.length} findings listed`, shownFindings);
  for (const f of findings.slice(0, 5)) {
    const titles = await page.locator('#findings .f-title').allTextContents();
    check(titles.includes(f.title), `${label}: finding "${f.title}" shown`);
    if (f.filter) {
      const codes = await page.locator('#findings .f-filter code').allTextContents();
      check(codes.includes(f.filter), `${label}: filter "${f.filter}" shown with a copy button`);
    }
  }
  // Charts drawn from the series, when the report has any.
  if (json.series && Object.keys(json.series).length) {
    const canvases = await page.locator('.uplot canvas').count();
    check(canvases > 0, `${label}: time-series charts drawn`, canvases);
  }
  // Download buttons lead to the two reports.
  for (const [sel, type] of [['#dl-json', /json/], ['#dl-html', /html/]]) {
    const href = await page.locator(sel).getAttribute('href');
    const res = await w.context.request.get(base + href);
    check(res.status() === 200 && type.test(res.headers()['content-type'] || ''), `${label}: ${sel} downloads ${href}`, `${res.status()} ${res.headers()['content-type']}`);
  }
  return json;
}

function finish(w, label) {
  check(w.problems.length === 0, `${label}: no console error, failed request, HTTP error or dialog`, w.problems);
  check(w.requests.every((r) => !/^(GET|POST) https?:\/\/(?!127\.0\.0\.1)/.test(r)), `${label}: no request left the server`, w.requests.filter((r) => !/127\.0\.0\.1/.test(r)));
}

// ---- scenarios -----------------------------------------------------------------------------------

async function corpus(browser) {
  const dir = process.env.PCAPD_CORPUS_DIR;
  const bulk = dir && path.join(dir, 'gen', 'tcp-bulk-loss-client.pcap');
  const dns = dir && path.join(dir, 'gen', 'dns.pcap');
  if (!bulk || !fs.existsSync(bulk) || !fs.existsSync(dns)) skip(`corpus captures not found under ${dir || '(PCAPD_CORPUS_DIR unset)'}`);
  const srv = await startServer('corpus');
  const w = await watchedPage(browser);
  await w.context.addInitScript(recordReadsScript);
  try {
    const id = await uploadAndFollow(w, srv.base, bulk, 'bulk-loss', 'input', 256 * 1024);
    const json = await checkReportPage(w, srv.base, id, 'bulk-loss');
    await checkFigures(w.page, json, 'bulk-loss', ['tcp.connections', 'tcp.fast_retransmissions', 'tcp.duplicate_acks', 'tcp.lost_segments']);
    check(json.tcp && json.tcp.retransmissions > 0, 'bulk-loss: the report holds retransmissions', json.tcp && json.tcp.retransmissions);
    await shot(w.page, 'report-bulk-loss');

    const id2 = await uploadAndFollow(w, srv.base, dns, 'dns');
    const j2 = await checkReportPage(w, srv.base, id2, 'dns');
    const rcodes = (j2.dns && j2.dns.rcodes) || {};
    check(Object.keys(rcodes).length >= 3, 'dns: report JSON has several rcodes', rcodes);
    await checkFigures(w.page, j2, 'dns', ['dns.queries', 'dns.responses', 'dns.unanswered', ...Object.keys(rcodes).map((k) => 'dns.rcodes.' + k)]);
    await shot(w.page, 'report-dns');

    // jitter (issue 14): a Teams call, whose audio is RTP of a dynamic payload type, with RTCP on its ports
    const teams = path.join(dir, 'real', 'nDPI__teams.pcap');
    if (fs.existsSync(teams)) {
      const id3 = await uploadAndFollow(w, srv.base, teams, 'teams');
      const j3 = await checkReportPage(w, srv.base, id3, 'teams');
      check(j3.jitter && j3.jitter.rtp_streams === 1, 'teams: the report holds the RTP stream', j3.jitter && j3.jitter.rtp_streams);
      await checkFigures(w.page, j3, 'teams', ['jitter.rtp_streams', 'jitter.rtp_lost', 'jitter.rtcp_packets']);
      const table = w.page.locator('#jitter [aria-label="Jitter per stream and flow direction"] tbody tr'); // not uPlot's legends
      const rows = await table.count();
      const want = Math.min(20, (j3.jitter.streams || []).length);
      check(rows === want, `teams: the jitter table lists ${want} streams and flow directions`, rows);
      const rtp = (j3.jitter.streams || []).find((e) => e.kind === 'rtp');
      const cells = await table.filter({ hasText: 'RFC 3550' }).first().textContent();
      check(rtp && cells && cells.includes('16,000 Hz (estimated)'), 'teams: the RTP stream with its estimated clock', cells);
      const charts = await w.page.locator('#jitter .uplot canvas').count();
      check(charts > 0 && (j3.jitter.charts || []).length > 0, `teams: the worst flows' jitter charted (${(j3.jitter.charts || []).length})`, charts);
      await shot(w.page, 'report-teams');
    }
    finish(w, 'corpus');
  } finally {
    await w.close();
    await srv.stop();
  }
}

async function made(browser) {
  const cap = madeCapture();
  const file = writeTmp('made-by-test.pcap', cap.bytes);
  const srv = await startServer('made');
  const w = await watchedPage(browser);
  await w.context.addInitScript(recordReadsScript);
  try {
    await w.page.goto(srv.base + '/');
    await w.page.locator('#queue .dot').first().waitFor();
    await shot(w.page, 'upload');
    const id = await uploadAndFollow(w, srv.base, file, 'made');
    const json = await checkReportPage(w, srv.base, id, 'made');
    check(json.capture && json.capture.packets === cap.packets, `made: the report counts the ${cap.packets} packets written`, json.capture && json.capture.packets);
    const rc = (json.dns && json.dns.rcodes) || {};
    check(rc.NOERROR === 2 && rc.NXDOMAIN === 1 && rc.SERVFAIL === 1, 'made: report JSON has the rcodes written (2 NOERROR, 1 NXDOMAIN, 1 SERVFAIL)', rc);
    await checkFigures(w.page, json, 'made', Object.keys(rc).map((k) => 'dns.rcodes.' + k));
    const op = (json.dns && json.dns.other_ports) || {};
    check(op.queries === 1 && op.responses === 1, 'made: the query and answer on port 5300 are in dns.other_ports', op);
    await checkFigures(w.page, json, 'made', ['dns.other_ports.queries', 'dns.other_ports.responses']);
    // timing (gaps, bursts) and the thresholds the diagnosis used, as the JSON has them
    await checkFigures(w.page, json, 'made', ['timing.gaps.total', 'timing.bursts']);
    const gapRows = await w.page.locator('#timing tr[data-gap]').count();
    check(gapRows === ((json.timing && json.timing.gaps && json.timing.gaps.items) || []).length,
      'made: the timing card lists the report\'s gaps', gapRows);
    const thNames = Object.keys(json.thresholds || {});
    const thRows = await w.page.locator('#thresholds tr[data-threshold]').count();
    check(thNames.length >= 10 && thRows === thNames.length, 'made: the thresholds card lists every threshold of the report', [thRows, thNames.length]);
    const firstTh = thNames[0] && await w.page.locator(`#thresholds tr[data-threshold="${thNames[0]}"] td`).nth(1).textContent();
    check(firstTh === String(json.thresholds[thNames[0]].value), 'made: a threshold\'s value as the JSON says', firstTh);
    // the connections table: the one TCP connection, closed by a FIN each way; every state's count as in the JSON
    const cx = json.connections || {};
    check(cx.total === 1 && cx.states && cx.states.fin === 1, 'made: connections: the one TCP connection ended by FIN each way', cx.states);
    await checkFigures(w.page, json, 'made', Object.keys(cx.states || {}).map((k) => 'connections.states.' + k));
    const items = Array.isArray(cx.items) ? cx.items : [];
    const rows = w.page.locator('#connections tbody tr');
    check((await rows.count()) === items.length && items.length === 1, `made: connections: the table lists the ${items.length} row(s) of the JSON`, await rows.count());
    if (items.length) {
      const cells = (await rows.first().locator('td').allTextContents()).map((s) => s.trim());
      check(cells[1] === 'Closed by FIN' && cells[9] === `${items[0].first_frame}–${items[0].last_frame}` && cells[7] === String(items[0].retransmissions),
        'made: connections: the row shows its state, retransmissions and first and last frames', cells);
    }
    await shot(w.page, 'report-made');
    // Copy button of a finding, if there is one.
    const copy = w.page.locator('#findings .f-filter button').first();
    if (await copy.count()) {
      await w.context.grantPermissions(['clipboard-read', 'clipboard-write']);
      await copy.click();
      await w.page.locator('.toast').waitFor();
      const clip = await w.page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
      const filter = await w.page.locator('#findings .f-filter code').first().textContent();
      check(clip === filter, 'made: copy button puts the Wireshark filter on the clipboard', clip);
    }
    finish(w, 'made');
  } finally {
    await w.close();
    await srv.stop();
  }
}

// The milliseconds a cell shows ("500 ms", "1.23 s", "0.5 ms"), or NaN.
function shownMs(text) {
  const m = /^([\d,.]+)\s*(ms|s)$/.exec(String(text || '').trim());
  return m ? parseFloat(m[1].replace(/,/g, '')) * (m[2] === 's' ? 1000 : 1) : NaN;
}
const near = (shown, ms) => Math.abs(shown - ms) <= Math.max(0.06, Math.abs(ms) * 0.011);

// "Where the time went" on the report of a capture with request/response traffic (section first, every
// part filled from the JSON, the server's 500 ms shown as a server component), on a DNS-only capture (a
// sentence, no empty chart), in light and dark, keyboard and narrow screens.
async function whereTime(browser) {
  const cap = httpCapture();
  const file = writeTmp('slow-server.pcap', cap.bytes);
  const dnsFile = writeTmp('dns-only.pcap', dnsOnlyCapture().bytes);
  const srv = await startServer('time');
  const w = await watchedPage(browser);
  await w.context.addInitScript(recordReadsScript);
  const { page } = w;
  try {
    const id = await uploadAndFollow(w, srv.base, file, 'slow-server');
    const json = await checkReportPage(w, srv.base, id, 'slow-server');
    const wtw = json.where_time_went;
    if (check(wtw && typeof wtw === 'object', 'slow-server: the report has where_time_went', Object.keys(json))) await checkWhereTime(page, json, cap);
    await shot(page, 'report-time');
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.reload();
      await page.locator('#findings').waitFor();
      await page.waitForLoadState('networkidle');
      const v = await axeViolations(page);
      check(v.length === 0, `a11y: report with "Where the time went" (${scheme}) passes axe-core WCAG 2.1 A/AA`, v);
    }
    await shot(page, 'report-time-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    if (wtw && await page.locator('#time details > summary').count()) {
      const summary = page.locator('#time details > summary').first();
      await summary.focus();
      await page.keyboard.press('Enter');
      check(await page.locator('#time details').first().evaluate((d) => d.open), 'keyboard: Enter opens the exchange quantiles');
    }
    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true });
    const np = await narrow.newPage();
    for (const scheme of ['light', 'dark']) {
      await np.emulateMedia({ colorScheme: scheme });
      await np.goto(`${srv.base}/report/${id}`);
      await np.locator('#findings').waitFor();
      await np.waitForLoadState('networkidle');
      const over = await np.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(over <= 0, `narrow screen: report with "Where the time went" (${scheme}) fits in 390 px`, over);
      await np.screenshot({ path: path.join(artifactsDir(), `narrow-${scheme}-report-time.png`), fullPage: true });
    }
    await narrow.close();

    // DNS over UDP only: a sentence instead of empty bars, tables and charts.
    const id2 = await uploadAndFollow(w, srv.base, dnsFile, 'dns-only');
    const j2 = await checkReportPage(w, srv.base, id2, 'dns-only');
    if (check(j2.where_time_went && typeof j2.where_time_went === 'object', 'dns-only: the report has where_time_went', Object.keys(j2))) {
      check(!(j2.transactions && j2.transactions.total > 0), 'dns-only: the report counts no request/response exchange', j2.transactions && j2.transactions.total);
      const empty = await page.locator('#time .empty').first().textContent().catch(() => '');
      check(/no request\/response exchange/i.test(empty || ''), 'dns-only: "Where the time went" says in a sentence that there is no exchange', empty);
      const drawn = await page.evaluate(() => ({
        bars: document.querySelectorAll('#time .stack-bar').length,
        tables: document.querySelectorAll('#time table').length,
        charts: document.querySelectorAll('#time .chart, #time canvas').length,
      }));
      check(drawn.bars === 0 && drawn.tables === 0 && drawn.charts === 0, 'dns-only: no empty bar, table or chart in the section', drawn);
    }
    await shot(page, 'report-time-dns-only');
    finish(w, 'time');
  } finally {
    await w.close();
    await srv.stop();
  }
}

async function checkWhereTime(page, json, cap) {
  const wtw = json.where_time_went;
  const tx = json.transactions || {};
  const label = 'slow-server';
  const order = await page.evaluate(() => Array.from(document.querySelectorAll('#report section.card')).map((s) => s.id));
  check(order[0] === 'time' && order.indexOf('findings') > 0, `${label}: "Where the time went" is the first section, before the findings`, order);
  check(typeof wtw.summary === 'string' && wtw.summary.length > 0, `${label}: the report has a summary sentence`, wtw.summary);
  check((await page.locator('#time [data-metric="where_time_went.summary"]').textContent()) === wtw.summary, `${label}: the summary sentence is shown`);

  // causes
  const causes = (wtw.causes || []).filter((c) => typeof c.ms === 'number');
  check(causes.some((c) => c.cause === 'server'), `${label}: the report names the server among the causes`, causes.map((c) => c.cause));
  const shownCauses = await page.locator('#time table.causes tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.cause, tr.querySelector('td').textContent]));
  check(shownCauses.length === causes.length && causes.every((c, i) => shownCauses[i][0] === c.cause && near(shownMs(shownCauses[i][1]), c.ms)),
    `${label}: every cause is listed with its time, largest first`, shownCauses);

  // capture point
  const cp = json.capture_point || {};
  const overall = await page.locator('#time [data-metric="capture_point.overall"]').textContent().catch(() => '');
  check(typeof cp.overall === 'string' && overall.length > 0, `${label}: the capture point is shown (${cp.overall})`, overall);
  if (cp.evidence) check((await page.locator('#time [data-metric="capture_point.evidence"]').textContent()) === cp.evidence, `${label}: the capture point's evidence is shown`);

  // one stacked bar per connection, the server's part among them
  const conns = tx.by_connection || [];
  check(conns.length >= 1, `${label}: the report splits the time of ${conns.length} connection(s)`, conns.length);
  const rows = page.locator('#time .stack-row');
  check(await rows.count() === Math.min(20, conns.length), `${label}: one bar per connection`, await rows.count());
  if (conns.length) {
    const parts = await rows.first().locator('.seg').evaluateAll((s) => s.map((x) => [x.dataset.part, Number(x.dataset.ms), x.getAttribute('title')]));
    const server = parts.find(([p]) => p === 'server');
    check(server && near(server[1], conns[0].server_ms) && /server/.test(server[2]), `${label}: the first connection's bar has a server part of ${conns[0].server_ms} ms, with its title`, parts);
    const aria = await rows.first().locator('.stack-bar').getAttribute('aria-label');
    check(/server/.test(aria || '') && /total/.test(aria || ''), `${label}: the bar has an accessible label with the times`, aria);
    check(await page.locator('#time .connections .legend .swatch').count() === 6, `${label}: the bars have a legend`);
  }

  // the slowest exchanges; the /slow one waited for the server
  const items = tx.items || [];
  const trs = page.locator('#time .exchanges tbody tr');
  check(items.length >= 2 && await trs.count() === Math.min(25, items.length), `${label}: the slowest exchanges are listed (${items.length})`, await trs.count());
  const slow = items.find((x) => x.path === cap.slowPath);
  check(slow && slow.server_ms >= cap.serverDelayMs * 0.9 && slow.server_ms <= cap.serverDelayMs * 1.1,
    `${label}: the report gives GET ${cap.slowPath} a server component of about ${cap.serverDelayMs} ms`, slow && slow.server_ms);
  if (slow) {
    const row = trs.filter({ hasText: `GET ${cap.slowPath}` }).first();
    const cell = await row.locator('td[data-label="Server"]').textContent().catch(() => '');
    check(near(shownMs(cell), slow.server_ms), `${label}: the page shows GET ${cap.slowPath}'s server time`, cell);
    check(/http/i.test(await row.locator('.badge').first().textContent()), `${label}: the exchange's protocol is shown`);
  }

  // bulk transfers and the time-sequence graph
  const tr = (json.tcp && json.tcp.transfers) || {};
  const titems = tr.items || [];
  check(titems.some((x) => x.bytes >= 64 * 1024), `${label}: the report lists the ${cap.bigBytes}-byte answer as a bulk transfer`, titems.map((x) => x.bytes));
  check(await page.locator('#time .transfers tbody tr').count() === Math.min(20, titems.length), `${label}: every transfer is listed`);
  if (tr.trace) {
    const block = page.locator('#time .chart-block', { hasText: 'Time-sequence' });
    await block.locator('.uplot canvas').first().waitFor().catch(() => {});
    check(await block.locator('.uplot canvas').count() > 0, `${label}: the time-sequence graph is drawn (${tr.trace.t.length} points)`);
  } else {
    check(await page.locator('#time .chart-block', { hasText: 'Time-sequence' }).count() === 0, `${label}: no time-sequence graph without a trace`);
  }

  // findings: cause and cost
  const findings = json.findings || [];
  const shown = await page.locator('#findings li.finding').evaluateAll((lis) => lis.map((li) => ({
    cause: li.querySelector('.cause') && li.querySelector('.cause').dataset.cause,
    cost: li.querySelector('.f-cost') && li.querySelector('.f-cost').textContent,
  })));
  check(findings.every((f, i) => shown[i] && (shown[i].cause || null) === (f.cause ?? null) && (typeof f.cost_ms === 'number' ? near(shownMs(shown[i].cost.replace(/^.*cost\s*/, '')), f.cost_ms) : !shown[i].cost)),
    `${label}: each finding shows its cause, and its cost when it has one, in the report's order`, { findings: findings.map((f) => [f.cause, f.cost_ms]), shown });
}

async function refusals(browser) {
  const srv = await startServer('refusals', ['--max-upload-mb', '1']);
  const w = await watchedPage(browser);
  const { page } = w;
  const uploads = () => w.requests.filter((r) => r.startsWith('POST ') && r.includes('/api/upload')).length;
  try {
    await page.goto(srv.base + '/');
    await page.locator('#queue .dot').first().waitFor();
    const alertText = async () => (await page.locator('#up-error .alert').waitFor().then(() => page.locator('#up-error .alert').innerText()));

    // 1. wrong extension: refused in the browser
    await page.setInputFiles('#file', writeTmp('notes.txt', Buffer.from('just some notes\n')));
    let t = await alertText();
    check(/not a capture file/i.test(t), 'wrong extension refused with an explanation', t);
    await shot(page, 'upload-refused-extension');

    // 2. right extension, wrong magic bytes
    await page.setInputFiles('#file', writeTmp('holiday.pcap', Buffer.from('GIF89a this is a picture, not a capture')));
    t = await alertText();
    check(/not a pcap or pcapng capture/i.test(t), 'wrong magic bytes refused with an explanation', t);

    // 3. empty file
    await page.setInputFiles('#file', writeTmp('empty.pcap', Buffer.alloc(0)));
    t = await alertText();
    check(/empty/i.test(t), 'empty file refused', t);
    check(uploads() === 0, 'nothing was sent for the three files the browser refused', uploads());

    // 4. over the server's limit (1 MB here): refused by the browser if it knows the limit, else by the server (413).
    // A server that answers 413 before reading the body may close while the browser still sends it, which the
    // browser also reports as an aborted request; the cancelled upload below is one too.
    w.allow(/\b413\b/);
    w.allow(/POST \S+\/api\/upload net::ERR_ABORTED/, 'requestfailed');
    const big = Buffer.concat([pcapHeader(), Buffer.alloc(1536 * 1024 - 24)]);
    await page.setInputFiles('#file', writeTmp('too-big.pcap', big));
    t = await alertText();
    check(/too large/i.test(t), `over-size capture refused (${uploads() ? 'by the server, 413' : 'in the browser'})`, t);
    await shot(page, 'upload-refused-size');

    // 5. a pcap header the server or the analyzer cannot read: a 400 explained, or a failed analysis with its reason
    w.allow(/\b400\b/);
    const bad = Buffer.concat([pcapHeader({ version: [77, 77] }), Buffer.alloc(40, 0x41)]); // no reader takes 77.77
    await page.setInputFiles('#file', writeTmp('damaged.pcap', bad));
    const outcome = await Promise.race([
      page.locator('#up-error .alert').waitFor({ timeout: 60000 }).then(() => 'refused'),
      page.locator('#error-message').waitFor({ timeout: 60000 }).then(() => 'failed'),
      page.waitForURL(/\/report\//, { timeout: 60000 }).then(() => 'report'),
    ]).catch(() => 'timeout');
    if (outcome === 'refused') {
      t = await page.locator('#up-error .alert').innerText();
      check(/refused|not a capture/i.test(t), 'damaged capture: the 400 is explained', t);
    } else if (outcome === 'failed') {
      t = await page.locator('#error-message').innerText();
      check(t.trim().length > 0 && !/stopped without saying why/.test(t), 'damaged capture: the progress page shows the analysis error', t);
      await shot(page, 'progress-failed');
      // its report address says the same, without asking for a report that does not exist
      const failedId = /\/progress\/([A-Za-z0-9_-]+)/.exec(page.url())[1];
      const before = w.requests.length;
      await page.goto(`${srv.base}/report/${failedId}`);
      const shown = await page.locator('#report .alert').innerText();
      check(shown.includes(t.trim()), 'damaged capture: its report page shows the same error', shown);
      check(!w.requests.slice(before).some((r) => r.includes(`/api/reports/${failedId}/json`)), 'damaged capture: no report is requested for a failed task');
    } else {
      check(false, 'damaged capture is refused or fails with a reason', outcome);
    }

    // 6. an upload cancelled half way: nothing stored. The page is loaded through a proxy that passes the
    // browser's bytes at 16 KiB/s, so the 256 KiB body is surely still on its way when the button is clicked
    // (the browser's own upload throttling did not always hold back a request body: the whole capture then
    // reached the server before the click and rightly became a task).
    const slow = await startThrottleProxy(srv.base, 16 * 1024);
    // moving to the proxy's address and back: navigations between the two origins, on purpose
    const escaped = (u) => u.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    w.allow(new RegExp(`^(${escaped(slow.base)}|${escaped(srv.base)})/$`), 'offsite');
    try {
      await page.goto(slow.base + '/');
      await page.locator('#queue .dot').first().waitFor();
      await page.setInputFiles('#file', writeTmp('cancelled.pcap', Buffer.concat([Buffer.from(madeCapture().bytes), Buffer.alloc(256 * 1024)])));
      await page.locator('#cancel').waitFor();
      check(await page.locator('#pick').isDisabled(), 'no second upload can start while one is sending');
      const sentBefore = slow.bytesUp();
      await page.locator('#cancel').click();
      t = await alertText();
      check(/cancelled/i.test(t), 'an upload can be cancelled', t);
      check(sentBefore < 256 * 1024, 'the upload was still on its way when cancelled', sentBefore);
    } finally {
      slow.close();
    }
    await sleep(500);
    const hist = await (await w.context.request.get(`${srv.base}/api/history?limit=50`)).json();
    check(!(hist.tasks || hist).some((x) => x.filename === 'cancelled.pcap'), 'the cancelled upload left no task');

    // 7. 503 with Retry-After and 507, as the server sends them (answered here by the test, because filling the
    // queue or the disk on purpose would take long): the explanation and the retry countdown.
    await page.goto(srv.base + '/');
    await page.locator('#queue .dot').first().waitFor();
    w.allow(/\b50[37]\b/);
    await page.route('**/api/upload', (route) => route.fulfill({ status: 503, headers: { 'Retry-After': '7', 'Content-Type': 'application/json' }, body: '{"error":"queue full"}' }));
    const good = Buffer.from(madeCapture().bytes);
    await page.setInputFiles('#file', writeTmp('busy.pcap', good));
    t = await alertText();
    check(/busy/i.test(t) && /7 seconds/.test(t), '503 + Retry-After explained with the wait', t);
    const retry = await page.locator('#retry').textContent();
    check(/\(\d s\)/.test(retry) && await page.locator('#retry').isDisabled(), 'retry waits for Retry-After', retry);
    await shot(page, 'upload-refused-busy');
    await page.unroute('**/api/upload');
    await page.route('**/api/upload', (route) => route.fulfill({ status: 507, headers: { 'Content-Type': 'application/json' }, body: '{"error":"disk full"}' }));
    await page.setInputFiles('#file', writeTmp('nospace.pcap', good));
    t = await alertText();
    check(/disk space/i.test(t), '507 explained', t);
    await page.unroute('**/api/upload');
    finish(w, 'refusals');
  } finally {
    await w.close();
    await srv.stop();
  }
}

async function hostile(browser) {
  const cap = hostileCapture();
  const fname = '<img src=x onerror=alert(9)>.pcap';
  const file = writeTmp(fname, cap.bytes);
  const srv = await startServer('hostile');
  const w = await watchedPage(browser);
  const { page } = w;
  try {
    const id = await uploadAndFollow(w, srv.base, file, 'hostile');
    const json = await reportJson(w, srv.base, id);
    const raw = JSON.stringify(json);
    await page.waitForTimeout(500); // let any injected handler fire, if one was injected
    const text = await page.locator('#report').innerText();
    let inReport = 0;
    for (const n of HOSTILE_NAMES) {
      if (!raw.includes(JSON.stringify(n).slice(1, -1))) continue;
      inReport++;
      check(text.includes(n), `hostile: name ${n} shown as text`);
    }
    check(inReport > 0, 'hostile: the report JSON carries the hostile names (so the page is tested with them)', inReport);
    if (json.transactions) {
      const item = (json.transactions.items || []).find((x) => x.path === HOSTILE_PATH);
      check(!!item, `hostile: the report JSON lists the exchange for ${HOSTILE_PATH}`, (json.transactions.items || []).map((x) => x.path));
      if (item) check(await page.locator('#time .exchanges').innerText().then((t) => t.includes(HOSTILE_PATH), () => false), `hostile: path ${HOSTILE_PATH} shown as text among the slowest exchanges`);
    }
    const injected = await page.evaluate(() => ({
      img: document.querySelectorAll('img:not([src="/favicon.svg"])').length,
      svgOnload: document.querySelectorAll('svg[onload], [onerror], [onload]').length,
      scripts: Array.from(document.scripts).map((s) => s.getAttribute('src') || 'INLINE'),
    }));
    check(injected.img === 0 && injected.svgOnload === 0, 'hostile: no element was made from a name', injected);
    check(injected.scripts.every((s) => s.startsWith('/')), 'hostile: only the page\'s own script files', injected.scripts);
    check(w.dialogs.length === 0, 'hostile: no dialog opened on the report', w.dialogs);
    await shot(page, 'report-hostile');

    // the same names in the history page and in the self-contained HTML report
    await page.goto(srv.base + '/history');
    await page.locator(`tr[data-task-id="${id}"]`).waitFor();
    const row = await page.locator(`tr[data-task-id="${id}"]`).innerText();
    const hist = await (await w.context.request.get(`${srv.base}/api/history?limit=5`)).json();
    const stored = (hist.tasks || hist).find((t) => t.task_id === id)?.filename;
    check(stored && row.includes(stored), `hostile: the file name (stored as ${JSON.stringify(stored)}) is shown as text in the history`, row);
    check(await page.locator('img:not([src="/favicon.svg"])').count() === 0, 'hostile: no element made from the file name');
    await page.goto(`${srv.base}/api/reports/${id}/html`);
    await page.waitForTimeout(700);
    const htmlInjected = await page.evaluate(() => document.querySelectorAll('[onerror], [onload]').length);
    check(htmlInjected === 0, 'hostile: the self-contained HTML report made no element from a name', htmlInjected);
    const htmlText = await page.locator('body').innerText();
    check(HOSTILE_NAMES.some((n) => htmlText.includes(n)), 'hostile: the HTML report shows the names as text');
    check(w.dialogs.length === 0, 'hostile: no dialog opened anywhere', w.dialogs);
    await shot(page, 'html-report-hostile');
    finish(w, 'hostile');
  } finally {
    await w.close();
    await srv.stop();
  }
}

async function history(browser) {
  const cap = madeCapture();
  const file = writeTmp('history-test.pcap', cap.bytes);
  const srv = await startServer('history');
  const w = await watchedPage(browser);
  const { page } = w;
  try {
    const id = await uploadAndFollow(w, srv.base, file, 'history', 'drop');
    const json = await reportJson(w, srv.base, id);
    await page.goto(srv.base + '/history');
    const row = page.locator(`tr[data-task-id="${id}"]`);
    await row.waitFor();
    const text = await row.innerText();
    check(/history-test\.pcap/.test(text), 'history lists the task by file name', text);
    check((await row.getAttribute('data-status')) === 'completed', 'history shows it completed');
    check(text.includes(fmtInt(json.capture.packets)), 'history shows its packet count', text);
    if (typeof json.health?.score === 'number') check(text.includes(`${json.health.score} / 100`), 'history shows its health score', text);
    check(/in \d+ (h|min|days)/.test(text), 'history shows when it expires', text);
    await shot(page, 'history');

    // open
    await row.getByRole('link', { name: /^Open/ }).click();
    await page.waitForURL(new RegExp(`/report/${id}$`));
    await page.locator('#findings').waitFor();
    check(true, 'history: Open leads to the report');

    // delete, through the confirmation dialog
    await page.goto(srv.base + '/history');
    await row.waitFor();
    await row.getByRole('button', { name: /^Delete/ }).click();
    await page.locator('dialog#confirm[open]').waitFor();
    await shot(page, 'history-delete-confirm');
    await page.locator('#confirm-ok').click();
    await row.waitFor({ state: 'detached' });
    check(true, 'history: the row disappears after Delete');
    const res = await w.context.request.get(`${srv.base}/api/reports/${id}/json`);
    check(res.status() === 404 || res.status() === 410, 'the deleted report is gone from the API', res.status());
    await page.reload();
    await page.locator('#list table, #list .empty').first().waitFor();
    check(await page.locator(`tr[data-task-id="${id}"]`).count() === 0, 'history: still gone after a reload');
    finish(w, 'history');
  } finally {
    await w.close();
    await srv.stop();
  }
}

async function a11y(browser) {
  const cap = madeCapture();
  const file = writeTmp('a11y.pcap', cap.bytes);
  const srv = await startServer('a11y');
  const w = await watchedPage(browser);
  const { page } = w;
  try {
    const id = await uploadAndFollow(w, srv.base, file, 'a11y');
    const pages = [['upload', '/'], ['report', `/report/${id}`], ['history', '/history'], ['progress', `/progress/${id}?stay`]];
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, url] of pages) {
        if (name === 'progress') continue; // a finished task's progress page moves on by itself
        await page.goto(srv.base + url);
        await page.waitForLoadState('networkidle');
        const v = await axeViolations(page);
        check(v.length === 0, `a11y: ${name} (${scheme}) passes axe-core WCAG 2.1 A/AA`, v);
      }
    }
    // Keyboard: from the top of the upload page, Tab reaches the skip link, the nav, then the file button.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(srv.base + '/');
    const seen = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      seen.push(await page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.textContent.trim())));
      if (seen[seen.length - 1] === 'pick') break;
    }
    check(seen.includes('pick'), 'keyboard: Tab reaches "Choose a file…"', seen);
    // Keyboard on the report: a finding's copy button works with Enter.
    await page.goto(`${srv.base}/report/${id}`);
    await page.locator('#findings').waitFor();
    const copy = page.locator('#findings .f-filter button').first();
    if (await copy.count()) {
      await copy.focus();
      await page.keyboard.press('Enter');
      await page.locator('.toast').waitFor();
      check(true, 'keyboard: Enter on "Copy filter" copies');
    }
    // Narrow screen: nothing wider than the viewport, in light and dark.
    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true });
    const np = await narrow.newPage();
    for (const scheme of ['light', 'dark']) {
      await np.emulateMedia({ colorScheme: scheme });
      for (const [name, url] of pages.filter(([n]) => n !== 'progress')) {
        await np.goto(srv.base + url);
        await np.waitForLoadState('networkidle');
        const over = await np.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        check(over <= 0, `narrow screen: ${name} (${scheme}) fits in 390 px`, over);
        await np.screenshot({ path: path.join(artifactsDir(), `narrow-${scheme}-${name}.png`), fullPage: true });
      }
    }
    await narrow.close();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${srv.base}/report/${id}`);
    await page.locator('#findings').waitFor();
    await shot(page, 'report-dark');
    finish(w, 'a11y');
  } finally {
    await w.close();
    await srv.stop();
  }
}

// A task that stays queued (--workers 0, --queue-max 1): the progress page while waiting, its accessibility,
// the fallback to polling /api/status when the event stream is blocked, and the real 503 + Retry-After of a
// full queue on the upload page.
async function progress(browser) {
  const srv = await startServer('progress', ['--workers', '0', '--queue-max', '1']);
  const w = await watchedPage(browser);
  const { page } = w;
  try {
    const up = await w.context.request.post(srv.base + '/api/upload', {
      multipart: { file: { name: 'queued.pcap', mimeType: 'application/vnd.tcpdump.pcap', buffer: madeCapture().bytes } },
    });
    check(up.status() === 202, 'upload through the API answers 202', up.status());
    const id = (await up.json()).task_id;
    await page.goto(`${srv.base}/progress/${id}`);
    await page.locator('#phase', { hasText: 'Waiting in the queue' }).waitFor();
    check(await page.locator('#steps li.current[data-phase="queued"]').count() === 1, 'progress: a queued task shows the Queued step');
    check(w.requests.some((r) => r.includes(`/api/progress/${id}`)), 'progress: the page follows the event stream');
    await shot(page, 'progress-queued');
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const v = await axeViolations(page);
      check(v.length === 0, `a11y: progress (${scheme}) passes axe-core WCAG 2.1 A/AA`, v);
    }
    await page.emulateMedia({ colorScheme: 'light' });

    // The stream blocked: network errors (the browser keeps retrying), then a proxy that answers 502.
    for (const [how, handler] of [['network errors', (route) => route.abort('failed')], ['HTTP 502', (route) => route.fulfill({ status: 502, body: 'bad gateway' })]]) {
      const b = await watchedPage(browser);
      b.allow(/\/api\/progress\//);
      b.allow(/Failed to load resource|EventSource|ERR_FAILED|502/, 'console');
      await b.page.route('**/api/progress/**', handler);
      await b.page.goto(`${srv.base}/progress/${id}`);
      const fell = await b.page.locator('#transport', { hasText: 'checking every second' }).waitFor({ timeout: 30000 }).then(() => true, () => false);
      check(fell, `progress: stream blocked by ${how} → falls back to polling`);
      const before = b.requests.filter((r) => r.includes(`/api/status/${id}`)).length;
      await b.page.waitForTimeout(2600);
      const after = b.requests.filter((r) => r.includes(`/api/status/${id}`)).length;
      check(after - before >= 2, `progress: polls /api/status every second (${how})`, after - before);
      check(await b.page.locator('#phase', { hasText: 'Waiting in the queue' }).count() === 1, `progress: polling shows the queued state (${how})`);
      check(b.problems.length === 0, `progress (${how}): no unexpected error`, b.problems);
      await b.close();
    }

    // The queue is full now: the upload page says so, and the server's 503 is explained with its Retry-After.
    await page.goto(srv.base + '/');
    await page.locator('#queue .dot.bad').waitFor();
    check(/queue full/i.test(await page.locator('#queue').innerText()), 'upload page: the service status shows the full queue');
    w.allow(/\b503\b/);
    await page.setInputFiles('#file', writeTmp('one-too-many.pcap', madeCapture().bytes));
    await page.locator('#up-error .alert').waitFor();
    const t = await page.locator('#up-error .alert').innerText();
    const ra = /try again in (\d+) seconds/i.exec(t);
    check(/busy/i.test(t) && ra, 'real 503 from a full queue explained with its Retry-After', t);
    check(await page.locator('#retry').isDisabled(), 'retry waits for Retry-After');
    await shot(page, 'upload-queue-full');
    finish(w, 'progress');
  } finally {
    await w.close();
    await srv.stop();
  }
}

// TOTP (RFC 6238, HMAC-SHA1, 30 s, 6 digits), written here again to check pcapd's against.
function totpCode(secretB32, stepOffset = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretB32.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const step = Math.floor(Date.now() / 1000 / 30) + stepOffset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

function pcapctl(stateDir, args, input) {
  const bin = process.env.PCAPCTL;
  if (!bin || !fs.existsSync(bin)) skip(`pcapctl not built (PCAPCTL=${bin || 'unset'})`);
  return execFileSync(bin, ['--state-dir', stateDir, ...args], { input, encoding: 'utf8' });
}

async function login(w, base, name, password, code) {
  const { page } = w;
  await page.fill('#username', name);
  await page.fill('#password', password);
  if (code !== undefined) await page.fill('#code', code);
  await page.click('#submit');
}

// Accounts in the browser (issue 13): the login page, per-user history, the admin's view with owners, and
// the second factor from enrolment (QR code, key, recovery codes) to a login that asks for the code.
async function accounts(browser) {
  const cap = madeCapture();
  const file = writeTmp('alice-capture.pcap', cap.bytes);
  const srv = await startServer('accounts', ['--auth', 'accounts']);
  const pw = { root: 'Admin-Ferret-7731-lantern', alice: 'Zebra-Quartz-1987-pillow', bob: 'Copper-Meadow-4410-violin' };
  pcapctl(srv.stateDir, ['user', 'add', 'root', '--role', 'admin', '--password-stdin'], pw.root + '\n');
  pcapctl(srv.stateDir, ['user', 'add', 'alice', '--password-stdin'], pw.alice + '\n');
  pcapctl(srv.stateDir, ['user', 'add', 'bob', '--password-stdin'], pw.bob + '\n');
  const a = await watchedPage(browser);
  const b = await watchedPage(browser);
  const r = await watchedPage(browser);
  // the login's own refusals, which the test provokes
  a.allow(/401 POST .*\/api\/login/, 'http');
  a.allow(/status of 401/, 'console');
  try {
    // anonymous: the upload page leads to the login page, which brings the user back after
    await a.page.goto(srv.base + '/');
    await a.page.waitForURL(/\/login\.html\?next=/);
    check(true, 'accounts: an anonymous visit to / lands on the login page');
    await shot(a.page, 'login');
    for (const scheme of ['light', 'dark']) {
      await a.page.emulateMedia({ colorScheme: scheme });
      const v = await axeViolations(a.page);
      check(v.length === 0, `accounts: the login page (${scheme}) passes axe-core WCAG 2.1 A/AA`, v);
    }
    await a.page.emulateMedia({ colorScheme: 'light' });
    await login(a, srv.base, 'alice', 'Not-Her-Password-1');
    await a.page.locator('#error:not([hidden])').waitFor();
    check(/wrong user name or password/.test(await a.page.locator('#error').innerText()), 'accounts: a wrong password is told');
    await login(a, srv.base, 'alice', pw.alice);
    await a.page.waitForURL(srv.base + '/');
    await a.page.locator('.topbar .account').waitFor();
    check(/alice/.test(await a.page.locator('.topbar .account').innerText()), 'accounts: the top bar names alice');
    const id = await uploadAndFollow(a, srv.base, file, 'accounts');
    await a.page.goto(srv.base + '/history');
    await a.page.locator(`tr[data-task-id="${id}"]`).waitFor();
    check(true, 'accounts: alice sees her upload in her history');

    // bob sees none of it
    await b.page.goto(srv.base + '/login.html');
    await login(b, srv.base, 'bob', pw.bob);
    await b.page.waitForURL(srv.base + '/');
    await b.page.goto(srv.base + '/history');
    await b.page.locator('#list table, #list .empty').first().waitFor();
    check(await b.page.locator(`tr[data-task-id="${id}"]`).count() === 0, 'accounts: bob does not see alice\'s upload');
    const res = await b.context.request.get(`${srv.base}/api/reports/${id}/json`);
    check(res.status() === 404, 'accounts: bob gets 404 for alice\'s report', res.status());
    // the admin sees it, with its owner
    await r.page.goto(srv.base + '/login.html?next=/history');
    await login(r, srv.base, 'root', pw.root);
    await r.page.waitForURL(srv.base + '/history');
    const row = r.page.locator(`tr[data-task-id="${id}"]`);
    await row.waitFor();
    check(/by alice/.test(await row.innerText()), 'accounts: the admin sees alice\'s upload, marked as hers');
    await shot(r.page, 'history-admin');
    // the admin page: bob disabled from it ends his session
    await r.page.goto(srv.base + '/admin.html');
    const brow = r.page.locator('tr[data-user="bob"]');
    await brow.waitFor();
    const vad = await axeViolations(r.page);
    check(vad.length === 0, 'accounts: the admin page passes axe-core WCAG 2.1 A/AA', vad);
    await brow.getByRole('button', { name: 'Disable' }).click();
    await r.page.locator('tr[data-user="bob"] td:nth-child(3)', { hasText: 'disabled' }).waitFor();
    const gone = await b.context.request.get(`${srv.base}/api/history`);
    check(gone.status() === 401, 'accounts: disabling bob on the admin page ends his session', gone.status());
    await shot(r.page, 'admin');

    // alice sets up a second factor
    await a.page.goto(srv.base + '/account.html');
    await a.page.click('#tf-start');
    await a.page.locator('#tf-enrol:not([hidden])').waitFor();
    const secret = (await a.page.locator('#tf-secret').innerText()).trim();
    const qrOk = await a.page.locator('#tf-qr').evaluate((img) => img.complete && img.naturalWidth > 0);
    check(/^[A-Z2-7]{32}$/.test(secret) && qrOk, 'accounts: enrolment shows the key and the QR code image', secret.length);
    await shot(a.page, 'account-enrol');
    const va = await axeViolations(a.page);
    check(va.length === 0, 'accounts: the account page during enrolment passes axe-core WCAG 2.1 A/AA', va);
    await a.page.fill('#tf-code', totpCode(secret));
    await a.page.click('#tf-confirm button[type=submit]');
    await a.page.locator('#tf-codes:not([hidden])').waitFor();
    const codes = await a.page.locator('#tf-codes-list code').allInnerTexts();
    check(codes.length === 10, 'accounts: ten recovery codes are shown once', codes.length);
    check(/^On\./.test(await a.page.locator('#tf-state').innerText()), 'accounts: the page says the second factor is on');
    // log out, then in again: the password, then the code
    await a.page.click('.topbar .account button');
    await a.page.waitForURL(/\/login\.html/);
    await login(a, srv.base, 'alice', pw.alice);
    await a.page.locator('#code-row:not([hidden])').waitFor();
    check(true, 'accounts: after the right password the login asks for the code');
    await shot(a.page, 'login-code');
    await a.page.fill('#code', totpCode(secret, 1));
    await a.page.click('#submit');
    await a.page.waitForURL(srv.base + '/');
    check(true, 'accounts: the code logs alice in');
    for (const w of [a, b, r]) finish(w, 'accounts');
  } finally {
    for (const w of [a, b, r]) await w.close();
    await srv.stop();
  }
}

const SCENARIOS = { corpus, made, time: whereTime, refusals, hostile, history, a11y, progress, accounts };

async function main() {
  const fn = SCENARIOS[scenario];
  if (!fn) {
    console.error(`usage: node e2e.mjs ${Object.keys(SCENARIOS).join('|')}`);
    process.exit(2);
  }
  const browser = await launchBrowser();
  const watchdog = setTimeout(() => { console.log('FAIL - scenario did not finish within 240 s'); process.exit(1); }, 240000);
  try {
    await fn(browser);
  } catch (e) {
    check(false, `${scenario}: ran to the end`, String(e && e.stack ? e.stack : e));
  } finally {
    clearTimeout(watchdog);
    await browser.close().catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const n = failed();
  console.log(n ? `${scenario}: ${n} check(s) failed` : `${scenario}: all checks passed`);
  process.exit(n ? 1 : 0);
}

main();
