// Report page: the findings (in the engine's order, each with its cause, the time it cost and its
// Wireshark filter) and the health score with the penalty behind each lost point.
import { el, svg, isNum, fmtInt, fmtNum, fmtMs, copyText, toast } from './common.js';
import { card, flowText, causeName, causeClass } from './report-widgets.js';
import { renderFindingCommands } from './report-timeline.js';

// The engine ranks the findings (pcapd.report/2: by the time they cost, those that cost none after, most
// severe first); the page keeps its order.
export function renderFindings(r, status) {
  const list = Array.isArray(r.findings) ? r.findings.filter((f) => f && typeof f === 'object') : [];
  const costed = list.some((f) => isNum(f.cost_ms));
  const c = card('findings', 'Findings', list.length
    ? `${list.length} problem${list.length === 1 ? '' : 's'} found, ${costed ? 'the one that cost the most time first' : 'the most serious first'}. Each comes with a Wireshark display filter that shows the packets concerned.`
    : null);
  if (!list.length) {
    c.appendChild(el('div', { class: 'no-findings' },
      svg('svg', { viewBox: '0 0 24 24', width: 28, height: 28, 'aria-hidden': 'true' }, svg('path', { d: 'M5 12.5l4.5 4.5L19 7.5', fill: 'none', stroke: 'currentColor', 'stroke-width': 2.5, 'stroke-linecap': 'round' })),
      el('span', { text: 'No problem found: nothing in this capture points to loss, delay or errors.' })));
    return c;
  }
  const ul = el('ul', { class: 'findings' });
  list.forEach((f, i) => {
    const sev = SEVERITIES.includes(f.severity) ? f.severity : 'info';
    const head = el('div', { class: 'f-head' }, el('span', { class: 'badge ' + sev, text: sev }), el('h3', { class: 'f-title', text: f.title || 'Finding' }));
    if (f.cause) head.appendChild(el('span', { class: 'cause ' + causeClass(f.cause), title: 'Cause', dataset: { cause: String(f.cause) } }, el('span', { class: 'visually-hidden', text: 'Cause: ' }), causeName(f.cause)));
    if (isNum(f.cost_ms)) head.appendChild(el('span', { class: 'f-cost', dataset: { metric: 'findings.cost_ms' } }, el('span', { class: 'visually-hidden', text: 'Time it cost: ' }), 'cost ' + fmtMs(f.cost_ms)));
    const li = el('li', { class: 'finding ' + sev, dataset: { severity: sev, id: String(f.id ?? '') } },
      head, f.detail ? el('p', { class: 'f-detail', text: f.detail }) : null);
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
    if (Array.isArray(f.flow_details)) {
      li.append(...renderFindingCommands(f, r, status)); // tshark commands, each flow with its timeline
    } else if (Array.isArray(f.flows) && f.flows.length) {
      const n = f.flows.length;
      li.appendChild(el('details', { class: 'f-flows' }, el('summary', { text: `${fmtInt(n)} flow${n === 1 ? '' : 's'} concerned` }),
        el('ul', {}, f.flows.slice(0, 20).map((x) => el('li', { class: 'mono', text: flowText(x) })))));
    }
    ul.appendChild(li);
  });
  c.appendChild(ul);
  return c;
}

const SEVERITIES = ['critical', 'warning', 'info'];

function scoreVerdict(s) {
  if (!isNum(s)) return ['neutral', 'No score'];
  if (s >= 90) return ['ok', 'Healthy'];
  if (s >= 70) return ['warn', 'Some problems'];
  if (s >= 40) return ['bad', 'Serious problems'];
  return ['bad', 'Severe problems'];
}

export function renderHealth(r) {
  const score = r.health ? r.health.score : undefined;
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
  const pens = r.health ? r.health.penalties : undefined;
  if (Array.isArray(pens) && pens.length) {
    c.appendChild(el('h3', { text: 'Why not 100' }));
    const byId = new Map((Array.isArray(r.findings) ? r.findings : []).map((f) => [f.id, f]));
    c.appendChild(el('ul', { class: 'penalties' }, pens.map((p) => {
      const f = p.finding ? byId.get(p.finding) : null;
      return el('li', {}, el('span', { class: 'pts', text: isNum(p.points) ? '−' + fmtNum(Math.abs(p.points)) : '' }), el('span', { class: 'why', text: (f && f.title) || String(p.finding ?? '') }));
    })));
  } else if (isNum(score) && score >= 100) {
    c.appendChild(el('p', { class: 'card-sub', text: 'No penalty: no loss, delay or error crossed a threshold.' }));
  }
  return c;
}
