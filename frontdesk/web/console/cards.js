// The figure cards of the console's report-style pages (Reports, Staffing): a card with its title,
// the (i) that holds the figure's definition, a CSV link; the loading skeleton, the empty note and the
// box a chart is drawn in (charts.js). Everything is text (h()); the styles are reports.css's `rep-*`.

import { csvUrl } from './data/reports.js';
import { h, icon } from './dom.js';

let uid = 0;

/** The (i) of a figure: its definition as a tooltip and, for screen readers, its description. [button, note] */
export function defInfo(text) {
  if (!text) return null;
  const id = `rep-def-${++uid}`;
  const note = h('span', { class: 'rep-def', id, role: 'note', hidden: true }, text);
  const btn = h('button', {
    class: 'rep-info', type: 'button', title: text, 'aria-label': 'What this means', 'aria-describedby': id, 'aria-expanded': 'false',
    onclick: () => { note.hidden = !note.hidden; btn.setAttribute('aria-expanded', String(!note.hidden)); },
  }, icon('info', 13));
  return [btn, note];
}

/** A link that downloads the figures of `url` (an API report URL) as CSV. */
export function csvLink(url, label = 'CSV') {
  return h('a', { class: 'rep-csv', href: csvUrl(url), download: '', title: 'Download these figures as CSV' }, icon('download', 13), label);
}

/** A card holding one figure: title, (i), CSV link and `extra` tools, then the content. */
export function card(title, { def = null, csv = null, cls = '', extra = null } = {}, ...content) {
  const info = defInfo(def);
  const head = h('div', { class: 'rep-card-head' },
    h('h3', { title: def || null }, title), info && info[0], h('span', { class: 'rep-card-tools' }, extra, csv ? csvLink(csv) : null));
  return h('section', { class: `rep-card ${cls}`.trim() }, head, info && info[1], ...content);
}

/** A loading placeholder of `n` grey bars. */
export function skeleton(n = 3) {
  return h('div', { class: 'rep-loading', role: 'status', 'aria-label': 'Loading' },
    h('span', { class: 'spinner' }), Array.from({ length: n }, () => h('div', { class: 'rep-skel' })));
}

/** What a card says when it has nothing to show. */
export function empty(text) { return h('p', { class: 'rep-empty' }, icon('info', 14), text); }

/** A box a chart is drawn in (charts.js drawPlot). */
export function chartBox(cls = '') { return h('div', { class: `rep-chart ${cls}`.trim() }); }
