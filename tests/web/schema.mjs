// The members the report page may read: parsed from lib/engine/REPORT-SCHEMA.md (the contract), and the
// page's reads recorded in the browser, so a test fails when the page reads a member the schema does not define.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCHEMA_MD = path.join(here, '..', '..', 'lib', 'engine', 'REPORT-SCHEMA.md');

// "a.{b, c.{d, e}}" → ["a.b", "a.c.d", "a.c.e"]; "x[] {a, b}" → ["x[]", "x[].a", "x[].b"]; "a b c" → three
// names; "<name>" and "\"T/C\"" placeholders become "*".
function expand(expr, shapes) {
  const s = expr.replace(/<[^>]*>|"[^"]*"/g, '*').replace(/\s+\{/g, '.{').replace(/\.\.+/g, '.');
  const out = [];
  const rec = (prefix, list) => {
    for (const item of splitTop(list)) {
      const i = item.indexOf('{');
      if (i < 0) { out.push(prefix + item); continue; }
      const head = item.slice(0, i).replace(/\.$/, '');
      if (head) out.push(prefix + head);
      // a single name with its members ("flow {src, dst}") defines that name's shape wherever it appears
      if (shapes && /^\w+(\[\])?$/.test(head)) {
        const name = head.replace(/\[\]$/, '');
        if (!shapes.has(name)) shapes.set(name, new Set());
        for (const m of expand(item.slice(i + 1, item.lastIndexOf('}')))) shapes.get(name).add(m);
      }
      rec(head ? prefix + head + '.' : prefix, item.slice(i + 1, item.lastIndexOf('}')));
    }
  };
  rec('', s);
  return out.filter((p) => p && !/\.$/.test(p));
}

// Splits on commas and blanks outside braces.
function splitTop(s) {
  const parts = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '{') depth++;
    else if (ch === '}') depth--;
    if (depth === 0 && /[,\s]/.test(ch)) {
      if (cur) parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur) parts.push(cur);
  return parts;
}

const ticks = (s) => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

// Returns {allows(path), patterns, version}: every member path the schema defines, with "*" for named placeholders.
// The members named in a row's meaning belong to the items of its lists (or to its one member); a member
// described there with its own members (`flow {src, …}`) has them wherever it appears; rows whose meaning
// says "quantiles" get the quantile members. Loose on purpose where the prose is (a value named in the
// meaning, like `http`, passes as a member of the items), strict on every name the page could guess.
export function loadSchema(file = SCHEMA_MD) {
  const md = fs.readFileSync(file, 'utf8');
  const body = md.split(/^## /m)[0]; // the member tables; the vocabulary of causes names values, not members
  const patterns = new Set();
  const shapes = new Map(); // name → [relative member paths]
  let quantiles = null;
  const rows = [];
  for (const line of body.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1);
    if (cells.length < 2) continue;
    const bases = ticks(cells[0]).flatMap((t) => expand(t));
    const meaning = cells.slice(1).join('|');
    const rel = ticks(meaning).flatMap((t) => (/^[\w.[\]{}<>", -]+$/.test(t) ? expand(t, shapes) : []));
    rows.push({ bases, rel, meaning });
    for (const t of ticks(meaning)) {
      const m = /^\{\s*count\b[^}]*\}$/.exec(t.trim());
      if (m && /quantiles/.test(meaning)) quantiles = expand(t);
    }
  }
  for (const { bases, rel, meaning } of rows) {
    for (const b of bases) {
      patterns.add(b);
      // the members named in the meaning belong to a list's items, or to the row's one member
      if (b.endsWith('[]') || bases.length === 1) for (const r of rel) patterns.add(b + '.' + r);
      const leaf = !bases.some((o) => o.startsWith(b + '.'));
      if (/quantiles/.test(meaning) && quantiles && leaf) for (const q of quantiles) patterns.add(b + '.' + q);
    }
  }
  for (const p of [...patterns]) {
    const last = p.split('.').pop().replace(/\[\]$/, '');
    const sub = shapes.get(last);
    if (sub && sub.size) for (const s of sub) patterns.add(p + '.' + s);
  }
  const trie = { kids: new Map() };
  for (const p of patterns) {
    let n = trie;
    for (const seg of p.split('.')) {
      if (!n.kids.has(seg)) n.kids.set(seg, { kids: new Map() });
      n = n.kids.get(seg);
    }
  }
  // A path is allowed when every segment matches (a "*" matches any name; "x" also matches "x[]" items and
  // the reverse, since reading a list and reading its items are both reading that member).
  const allows = (p) => {
    let nodes = [trie];
    for (const seg of p.split('.')) {
      const bare = seg.replace(/\[\]$/, '');
      const next = [];
      for (const n of nodes) {
        for (const key of [seg, bare, bare + '[]', '*', '*[]']) if (n.kids.has(key)) next.push(n.kids.get(key));
      }
      if (!next.length) return false;
      nodes = next;
    }
    return true;
  };
  const version = (/schema `([^`]+)`/.exec(md) || [])[1];
  return { allows, patterns: [...patterns].sort(), version };
}

// Injected before any page script (the DevTools protocol bypasses the page's CSP for it): the report JSON
// the page parses is wrapped so that every member it reads is recorded in window.__pcapdReportReads.
export function recordReadsScript() {
  const IGNORE = ['then', 'toJSON', 'constructor', '__proto__', 'valueOf', 'toString', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'];
  window.__pcapdReportReads = [];
  const seen = new Set();
  const note = (p) => { if (!seen.has(p)) { seen.add(p); window.__pcapdReportReads.push(p); } };
  const cache = new WeakMap();
  const wrap = (v, path) => {
    if (v === null || typeof v !== 'object') return v;
    let byPath = cache.get(v);
    if (!byPath) cache.set(v, (byPath = new Map()));
    if (byPath.has(path)) return byPath.get(path);
    const isArr = Array.isArray(v);
    const member = (k) => (isArr ? (/^\d+$/.test(k) ? path + '[]' : null) : (path ? path + '.' + k : k));
    const px = new Proxy(v, {
      get(t, k, recv) {
        if (typeof k !== 'string' || IGNORE.includes(k)) return Reflect.get(t, k, recv);
        if (isArr && !/^\d+$/.test(k)) return Reflect.get(t, k, recv); // length, map, …
        const p = member(k);
        note(p);
        return wrap(Reflect.get(t, k, recv), p);
      },
      has(t, k) {
        if (typeof k === 'string' && !IGNORE.includes(k) && (!isArr || /^\d+$/.test(k))) note(member(k));
        return Reflect.has(t, k);
      },
    });
    byPath.set(path, px);
    return px;
  };
  const parse = JSON.parse;
  JSON.parse = function (text, reviver) {
    const v = parse.call(this, text, reviver);
    if (v && typeof v === 'object' && typeof v.schema === 'string' && v.schema.startsWith('pcapd.report/')) return wrap(v, '');
    return v;
  };
}

// The members the page read that the schema does not define.
export async function undefinedReads(page, schema) {
  const reads = await page.evaluate(() => window.__pcapdReportReads || null);
  if (!reads) return { reads: null, bad: [] };
  return { reads, bad: reads.filter((p) => !schema.allows(p)) };
}
