// Report page: the findings (most serious first, each with its Wireshark filter) and the health score
// with the penalty behind each lost point.
import { el, svg, first, isNum, fmtInt, fmtNum, copyText, toast } from './common.js';
import { card, flowText } from './report-widgets.js';

const SEV_ORDER = { critical: 0, error: 0, high: 0, warning: 1, warn: 1, medium: 1, notice: 2, info: 2, low: 3 };

export function renderFindings(r) {
  const list = Array.isArray(r.findings) ? r.findings.slice() : [];
  list.sort((a, b) => (SEV_ORDER[String(a.severity).toLowerCase()] ?? 5) - (SEV_ORDER[String(b.severity).toLowerCase()] ?? 5));
  const c = card('findings', 'Findings', list.length
    ? `${list.length} problem${list.length === 1 ? '' : 's'} found, the most serious first. Each comes with a Wireshark display filter that shows the packets concerned.`
    : null);
  if (!list.length) {
    c.appendChild(el('div', { class: 'no-findings' },
      svg('svg', { viewBox: '0 0 24 24', width: 28, height: 28, 'aria-hidden': 'true' }, svg('path', { d: 'M5 12.5l4.5 4.5L19 7.5', fill: 'none', stroke: 'currentColor', 'stroke-width': 2.5, 'stroke-linecap': 'round' })),
      el('span', { text: 'No problem found: nothing in this capture points to loss, delay or errors.' })));
    return c;
  }
  const ul = el('ul', { class: 'findings' });
  list.forEach((f, i) => {
    const sev = String(f.severity || 'info').toLowerCase();
    const li = el('li', { class: 'finding ' + sev, dataset: { severity: sev } },
      el('div', { class: 'f-head' }, el('span', { class: 'badge ' + sev, text: sev }), el('h3', { class: 'f-title', text: f.title || f.summary || 'Finding' })),
      f.detail || f.description ? el('p', { class: 'f-detail', text: f.detail || f.description }) : null);
    if (isNum(f.count)) li.appendChild(el('p', { class: 'chart-note', text: `${fmtInt(f.count)} occurrence${f.count === 1 ? '' : 's'}` }));
    if (f.filter) {
      const code = el('code', { id: 'filter-' + i, text: f.filter });
      const btn = el('button', { type: 'button', class: 'small', 'aria-describedby': 'filter-' + i, text: 'Copy filter' });
      btn.addEventListener('click', async () => {
        const ok = await copyText(String(f.filter));
        btn.textContent = ok ? 'Copied' : 'Select and copy';
        toast(ok ? 'Filter copied to the clipboard' : 'Copy failed: select the filter and copy it');
        setTimeout(() => { btn.textContent = 'Copy filter'; }, 1600);
      });
      li.appendChild(el('div', { class: 'f-filter' }, el('span', { class: 'lbl', text: 'Wireshark' }), code, btn));
    }
    if (Array.isArray(f.flows) && f.flows.length) {
      const n = f.flows_total ?? f.flows.length;
      li.appendChild(el('details', { class: 'f-flows' }, el('summary', { text: `${fmtInt(n)} flow${n === 1 ? '' : 's'} concerned` }),
        el('ul', {}, f.flows.slice(0, 20).map((x) => el('li', { class: 'mono', text: typeof x === 'string' ? x : flowText(x.flow || x) })))));
    }
    ul.appendChild(li);
  });
  c.appendChild(ul);
  return c;
}

function scoreVerdict(s) {
  if (!isNum(s)) return ['neutral', 'No score'];
  if (s >= 90) return ['ok', 'Healthy'];
  if (s >= 70) return ['warn', 'Some problems'];
  if (s >= 40) return ['bad', 'Serious problems'];
  return ['bad', 'Severe problems'];
}

export function renderHealth(r) {
  const score = first(r, 'health.score', 'health_score');
  const [cls, verdict] = scoreVerdict(score);
  const R = 45;
  const C = 2 * Math.PI * R;
  const val = svg('circle', { class: 'val', cx: 55, cy: 55, r: R, 'stroke-dasharray': C.toFixed(2), 'stroke-dashoffset': (C * (1 - (isNum(score) ? score : 0) / 100)).toFixed(2), transform: 'rotate(-90 55 55)' });
  const ring = svg('svg', { class: 'score-ring ' + cls, viewBox: '0 0 110 110', 'aria-hidden': 'true' },
    svg('circle', { class: 'track', cx: 55, cy: 55, r: R }), val,
    svg('text', { x: 55, y: 65, 'text-anchor': 'middle', text: isNum(score) ? String(Math.round(score)) : '–' }));
  const c = card('health', 'Health score', null,
    el('div', { class: 'score' }, ring, el('div', {},
      el('div', { class: 'score-verdict', text: verdict }),
      el('p', {}, el('span', { class: 'visually-hidden', text: 'Score: ' }), el('span', { dataset: { metric: 'health.score' }, text: isNum(score) ? String(Math.round(score)) : '—' }), ' / 100'))));
  const pens = first(r, 'health.penalties', 'health.reasons', 'health.deductions');
  if (Array.isArray(pens) && pens.length) {
    c.appendChild(el('h3', { text: 'Why not 100' }));
    const byId = new Map((Array.isArray(r.findings) ? r.findings : []).map((f) => [f.id, f]));
    c.appendChild(el('ul', { class: 'penalties' }, pens.map((p) => {
      const pts = typeof p === 'object' ? (p.points ?? p.penalty ?? p.deduction ?? p.value) : undefined;
      const f = typeof p === 'object' && p.finding ? byId.get(p.finding) : null;
      const why = typeof p === 'object' ? (p.reason || (f && f.title) || p.title || p.detail || p.why || p.description || p.finding || p.name) : String(p);
      return el('li', {}, el('span', { class: 'pts', text: isNum(pts) ? '−' + fmtNum(Math.abs(pts)) : '' }), el('span', { class: 'why', text: why || '' }));
    })));
  } else if (isNum(score) && score >= 100) {
    c.appendChild(el('p', { class: 'card-sub', text: 'No penalty: no loss, delay or error crossed a threshold.' }));
  }
  return c;
}
