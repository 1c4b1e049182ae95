// The Staffing pages (#staffing, #staffing/<tab>): how many agents each hour needs and who works
// when (docs/staffing.md "The console pages"). Tabs: Forecast (arrivals history + forecast with its
// band, its error against "same hour last week"), Coverage (a 7 × 24 heatmap of scheduled − required
// by local weekday × hour, under-staffed hours listed, a table view), Shifts (offices, agents' weekly
// shifts as bars in the office's time, add/edit/delete, rotations, .ics), Plans (the optimiser's
// suggestion: its shifts, the coverage it reaches, its cost; apply or discard) and What-if (arrivals,
// AHT by load, patience, goal → agents per hour per model). The queries, matrices, traces and form
// checks are in data/staffing.js; charts are drawn by plotly.js (charts.js drawPlot, served by this server)
// as on the Reports pages. Everything from the server is set as text: h().

import { api, csrf, get } from './api.js';
import { userDepartments } from './directory.js';
import { fullTime, h, icon, parseTime, replaceChildren } from './dom.js';
import { localTimeZone, timeZones } from './hours.js';
import { card as sharedCard, chartBox, csvLink, defInfo, empty, skeleton } from './cards.js';
import { drawPlot } from './charts.js';
import { fmtNumber, fmtSeconds, fmtShare, plainError, WEEKDAYS } from './data/reports.js';
import {
  accuracyText, beatsNaive, concurrencyPair, COVERAGE_COLORS, coverageColorscale, coverageMatrix, coverageRows,
  coverageSummary, DAY_NAMES, errorField, fmtCount, forecastDays, goalText, requiredTraces, forecastTraces, hhmm, mayManageStaffing, MODEL_COLORS, MODELS,
  normShift, parseRotationText, PLAN_RULES, planAgents, planBody, planCost, planCoverage, rotationBody, runsInWeek, shiftBars, shiftBody,
  shiftHours, shiftText, staffingHash, staffingUrl, startMinute, TABS, thisMonday, underStretches, weekChoices, weekLabel,
  sameEveryHour, whatifAgentHours, whatifBody, whatifRows, whatifTraces,
} from './data/staffing.js';

/** What a figure means when the answer carries no definition of its own (the answers' `definitions` win). */
const DEFS = {
  arrivals: 'Arrivals: chats started in the hour (UTC hours, drawn in the department’s time zone).',
  forecast: 'Expected arrivals per hour from the history: recent weeks weigh more; the weekly and daily rhythm, a trend, holidays and closed hours. The band is the likely range.',
  accuracy: 'Error = WAPE: the sum of |forecast − actual| over the sum of actual arrivals, on the last weeks held out of the fit. The naive forecast is the same hour of the week before.',
  required: 'Required agents: the smallest number that meets the department’s goal in the hour, by the chat model (agents hold several chats; visitors leave).',
  scheduled: 'Scheduled: agents on shift in the hour (a half-covered hour counts 0.5).',
  online: 'Online: agents actually online in the hour (time-weighted), for hours already over.',
  coverage: 'Scheduled − required per local hour. Red: under-staffed (the label says how many short); blue: over-staffed (scheduled ≥ required + max(2, 25 %)); grey: closed.',
  service_level: 'Service level (staffing): the share of ALL arrivals answered within the goal’s seconds; visitors who leave count as not answered.',
  abandonment: 'Abandonment: the share of arrivals who leave the queue before an agent accepts.',
  aht_by_load: 'AHTₖ: the mean time a chat holds its agent while the agent holds k chats (accepted → closed).',
  patience_s: 'Patience: the mean time a visitor waits before leaving (exponential); empty = visitors never leave.',
  agent_hours: 'Agent-hours: the agents each hour asks for, summed over the hours.',
  plan: 'The optimiser covers the required agents per hour with the fewest agent-hours (hours outside an agent’s local day cost more), within the shift lengths and rest.',
};
/** The models' names where room is short (chart categories). */
const SHORT_MODELS = ['Chat model', 'Erlang A', 'Erlang C'];
const SEVERITY = { optimal: 'tone-better', feasible: 'tone-neutral', infeasible: 'tone-worse' };

// ===== pieces ======================================================================================
/** A Staffing card (cards.js card with the page's own class). */
function card(title, opts = {}, ...content) { return sharedCard(title, { ...opts, cls: `stf-card ${opts.cls || ''}`.trim() }, ...content); }

/** A figure with its label and definition (the definition is the label's tooltip and an (i)). */
function figure(label, value, def, tone = '') {
  const info = defInfo(def);
  return h('div', { class: 'rep-tile-box' },
    h('div', { class: 'rep-tile stf-figure' },
      h('span', { class: 'rep-tile-label', title: def || null }, label),
      h('strong', { class: `rep-tile-value ${tone}`.trim() }, value)),
    info);
}

/** An error answer as the tab's error state: what failed, and what to do. */
function errorState(err, what) {
  if (err && err.status === 404) {
    return h('div', { class: 'stf-error', role: 'alert' }, icon('alert', 16),
      h('div', null, h('strong', null, `${what} is not available on this server yet.`),
        h('p', null, 'The server does not answer this page’s API route (404). The other tabs still work.')));
  }
  const msg = err && err.field ? `${err.field}: ${plainError(err.message)}` : (err && err.message) || 'Something went wrong.';
  return h('div', { class: 'stf-error', role: 'alert' }, icon('alert', 16), h('div', null, h('strong', null, `Could not load ${what.toLowerCase()}.`), h('p', null, msg)));
}

/** A labelled input with room for its error message (set by fieldError). */
function field(label, input, { cls = '', hint = null } = {}) {
  const box = h('label', { class: `field stf-field ${cls}`.trim() }, h('span', { class: 'field-label' }, label), input,
    hint ? h('span', { class: 'stf-hint' }, hint) : null);
  return box;
}

function fieldError(input, message) {
  const box = input.closest('.field') || input.parentElement;
  input.setAttribute('aria-invalid', 'true');
  box.classList.add('invalid');
  box.querySelector('.field-msg')?.remove();
  box.appendChild(h('span', { class: 'field-msg', role: 'alert' }, icon('alert', 13), message));
}

function clearErrors(root) {
  for (const el of root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of root.querySelectorAll('.invalid')) el.classList.remove('invalid');
  for (const el of root.querySelectorAll('.field-msg, .stf-form-error > *')) el.remove();
}

/**
 * Shows the errors of a form: `errors` {field: message} on the inputs named in `inputs`; the rest
 * (or a server error naming no known field) in `formError`. Returns whether there were any.
 */
function showErrors(errors, inputs, formError) {
  const keys = Object.keys(errors);
  let first = null;
  for (const k of keys) {
    const input = inputs[k];
    if (input) { fieldError(input, errors[k]); first = first || input; } else formError.appendChild(h('p', { class: 'form-error', role: 'alert' }, icon('alert', 14), errors[k]));
  }
  if (first) first.focus();
  return keys.length > 0;
}

/** A server error (ApiError) on the form: at the field it names, else above the buttons. */
function serverError(err, inputs, formError) {
  if (err && err.status === 401) return;
  const at = errorField(err && err.field, Object.keys(inputs));
  if (at) showErrors({ [at]: plainError(err.message) }, inputs, formError);
  else showErrors({ _: err && err.field ? `${err.field}: ${plainError(err.message)}` : (err && err.message) || 'Something went wrong.' }, {}, formError);
}

/** A chart in its box (charts.js), drawn inside `.stf-plot` at the box's width (`.stf-chart-x .js-plotly-plot`). */
function plot(el, data, layout, { summary } = {}) {
  return drawPlot(el, data, layout, { summary, wrapClass: 'stf-plot', fitWidth: true });
}


/** The coverage heatmap of a coverage-shaped answer into `el` (7 × 24; on a narrow screen 24 rows × 7). */
function drawCoverage(el, answer) {
  const m = coverageMatrix(answer);
  const narrow = (el.clientWidth || 800) < 560;
  const T = (a) => a[0].map((_, c) => a.map((row) => row[c]));
  const stretches = underStretches(answer);
  // the cells by index; the axes carry the labels (hours, weekdays) and the hover its "Tue 14:00"
  const cols = narrow ? m.y : m.x;
  const rowsAx = narrow ? m.x : m.y;
  const trace = {
    type: 'heatmap', z: narrow ? T(m.z) : m.z,
    text: narrow ? T(m.text) : m.text, texttemplate: '%{text}', textfont: { color: '#2a0603', size: narrow ? 11 : 10 },
    customdata: narrow ? T(m.customdata) : m.customdata, zmin: -4.5, zmax: 3.5, colorscale: coverageColorscale(), showscale: false,
    xgap: 2, ygap: 2, hoverongaps: false,
    hovertemplate: '%{customdata[4]}: %{customdata[3]}<br>required %{customdata[0]} · scheduled %{customdata[1]} · online %{customdata[2]}<extra></extra>',
  };
  const every = narrow ? 1 : 2;
  return plot(el, [trace], {
    height: narrow ? 560 : 300, margin: { l: 8, r: 8, t: 8, b: 8 },
    xaxis: {
      side: 'top', showgrid: false, zeroline: false, tickangle: 0, tickmode: 'array',
      tickvals: cols.map((_, i) => i).filter((i) => i % every === 0), ticktext: cols.filter((_, i) => i % every === 0),
    },
    yaxis: { autorange: 'reversed', showgrid: false, zeroline: false, tickmode: 'array', tickvals: rowsAx.map((_, i) => i), ticktext: rowsAx },
  }, {
    summary: stretches.length ? `Coverage by weekday and hour: under-staffed ${stretches.map((s) => s.text).join('; ')}.` : 'Coverage by weekday and hour: no under-staffed hour.',
  });
}

function legend() {
  const c = COVERAGE_COLORS;
  const chip = (color, text) => h('span', { class: 'stf-chip' }, h('span', { class: 'stf-swatch', style: `background:${color}`, 'aria-hidden': 'true' }), text);
  return h('div', { class: 'stf-legend', 'aria-label': 'Legend' },
    chip(c.under[2], 'under-staffed (−n: agents short)'), chip(c.ok, 'covered'), chip(c.over[1], 'over-staffed'), chip(c.closed, 'closed'));
}

function coverageTable(answer) {
  const rows = coverageRows(answer);
  return h('details', { class: 'stf-details' }, h('summary', null, 'Table view (every hour)'),
    h('div', { class: 'rep-table-wrap stf-table-wrap' }, h('table', { class: 'table rep-table' },
      h('caption', { class: 'sr-only' }, 'Required, scheduled and online agents per local hour'),
      h('thead', null, h('tr', null, ['Hour', 'Required', 'Scheduled', 'Online', 'Scheduled − required', 'Status'].map((t, i) => h('th', { scope: 'col', class: i && i < 5 ? 'num' : null }, t)))),
      h('tbody', null, rows.map((r) => h('tr', { class: `stf-row-${r.status.split(' ')[0].replace(/[^a-z-]/g, '')}` },
        h('th', { scope: 'row' }, r.when), h('td', { class: 'num' }, r.required), h('td', { class: 'num' }, r.scheduled),
        h('td', { class: 'num' }, r.online), h('td', { class: 'num' }, r.diff), h('td', null, r.status)))))));
}

// ===== the page ====================================================================================
export class StaffingPage {
  /** @param {object} data  the data modules  @param {object} act  the App's callbacks (App.viewActions) */
  constructor(data, act) {
    this.data = data;
    this.act = act;
    this.tab = 'forecast';
    this.defs = {};
    this.epoch = 0;
    this.department = '';
    this.myZone = localTimeZone();
    this.week = thisMonday(this.myZone);
    this.whatif = null; // the what-if form's values, kept across tab changes
    this.pending = []; // charts to draw once their boxes are on the page
    this.build();
  }

  get me() { return this.data.session.me; }
  mayManage() { return mayManageStaffing(this.me); }
  def(key) { return this.defs[key] || DEFS[key] || null; }

  zoneOf(id) {
    const d = this.data.directory.department(Number(id));
    const tz = d && d.hours && d.hours.timezone;
    return typeof tz === 'string' && tz ? tz : null;
  }

  get tz() { return (this.department && this.zoneOf(this.department)) || this.myZone; }

  build() {
    this.statusEl = h('p', { class: 'rep-range-text' });
    this.tabBar = h('nav', { class: 'rep-tabs', role: 'tablist', 'aria-label': 'Staffing' });
    this.deptSel = h('select', { class: 'input', name: 'stf-department', onchange: () => { this.department = this.deptSel.value; this.fillWeeks(); this.load(); } });
    this.weekSel = h('select', { class: 'input', name: 'stf-week', onchange: () => { this.week = this.weekSel.value; this.load(); } });
    this.deptBox = h('label', { class: 'field rep-field rep-f-department' }, h('span', { class: 'field-label' }, 'Department'), this.deptSel);
    this.weekBox = h('label', { class: 'field rep-field stf-f-week' }, h('span', { class: 'field-label' }, 'Week'), this.weekSel);
    this.filterBar = h('form', { class: 'rep-filters', role: 'search', 'aria-label': 'Staffing filters', onsubmit: (e) => e.preventDefault() },
      this.deptBox, this.weekBox);
    this.body = h('div', { class: 'rep-body stf-body', role: 'tabpanel', 'aria-live': 'polite', 'aria-busy': 'false' });
    this.root = h('section', { class: 'settings reports staffing', 'aria-label': 'Staffing' },
      h('header', { class: 'settings-head' },
        h('div', { class: 'settings-title' },
          h('span', { class: 'settings-icon' }, icon('clock', 18)),
          h('div', null, h('h1', null, 'Staffing'), this.statusEl)),
        h('button', { class: 'btn btn-secondary btn-sm rep-back', type: 'button', onclick: () => this.act.leaveScreen(true) },
          icon('arrowLeft', 15), 'Back to chats')),
      this.tabBar, this.filterBar, h('div', { class: 'rep-main' }, this.body));
  }

  /** Shown (or a tab chosen by the route). */
  show(tab = null) {
    this.tab = TABS.some(([id]) => id === tab) ? tab : 'forecast';
    this.fillTabs();
    this.fillSelects();
    Promise.all([this.data.directory.loadDepartments(), this.data.directory.loadUsers()])
      .then(() => { const had = this.department; this.fillSelects(); if (had !== this.department) this.load(); }, () => {});
    this.load();
  }

  start() { this.show(this.tab); }

  stop() { this.epoch++; clearInterval(this.progressTimer); }

  setTab(tab) {
    if (tab === this.tab) return;
    this.tab = tab;
    const hash = staffingHash(tab);
    if (location.hash !== hash) history.replaceState(null, '', hash);
    this.fillTabs();
    this.load();
  }

  fillTabs() {
    replaceChildren(this.tabBar, TABS.map(([id, label]) => h('button', {
      class: `stab rep-tab${id === this.tab ? ' active' : ''}`, type: 'button', role: 'tab', dataset: { tab: id },
      'aria-selected': String(id === this.tab), onclick: () => this.setTab(id),
    }, label)));
  }

  departments() {
    const all = [...(this.data.directory.departments || [])].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const me = this.me;
    if (!me || me.role !== 'supervisor') return all;
    const listed = me.departments ? me : this.data.directory.user(me.id);
    const mine = new Set(userDepartments(listed, this.data.directory).map((d) => Number(d.id)));
    return all.filter((d) => mine.has(Number(d.id)));
  }

  fillSelects() {
    const depts = this.departments();
    if (!this.department && depts.length) this.department = String(depts[0].id);
    replaceChildren(this.deptSel, depts.length ? depts.map((d) => h('option', { value: String(d.id) }, d.name || d.slug))
      : h('option', { value: '' }, 'No departments'));
    this.deptSel.value = this.department;
    this.fillWeeks();
  }

  fillWeeks() {
    const choices = weekChoices(this.tz, { back: 3, ahead: 4 });
    if (!choices.some(([m]) => m === this.week)) choices.push([this.week, weekLabel(this.week)]);
    replaceChildren(this.weekSel, choices.map(([v, t]) => h('option', { value: v }, t)));
    this.weekSel.value = this.week;
  }

  syncBar() {
    this.filterBar.hidden = this.tab === 'whatif';
    this.deptBox.hidden = this.tab === 'whatif';
    this.weekBox.hidden = this.tab === 'forecast' || this.tab === 'whatif';
    const dept = this.data.directory.department(Number(this.department));
    const where = dept ? `${dept.name} · ${this.tz}` : this.tz;
    this.statusEl.textContent = this.tab === 'whatif' ? 'A calculator: no history needed'
      : this.tab === 'forecast' ? `${where} · the next 2 weeks` : `${where} · week of ${weekLabel(this.week)}`;
  }

  async load() {
    if (!this.root.isConnected && this.epoch > 0) return;
    const epoch = ++this.epoch;
    clearInterval(this.progressTimer);
    this.syncBar();
    this.body.setAttribute('aria-busy', 'true');
    if (this.body.dataset.tab !== this.tab || !this.body.firstChild) replaceChildren(this.body, skeleton(2));
    else this.body.classList.add('rep-refreshing');
    this.body.dataset.tab = this.tab;
    this.pending = [];
    clearTimeout(this.slowTimer);
    this.slowTimer = setTimeout(() => { // a forecast over many weeks takes a while: say so
      if (epoch !== this.epoch) return;
      this.body.querySelector('.stf-slow')?.remove();
      this.body.prepend(h('p', { class: 'stf-slow', role: 'status' }, h('span', { class: 'spinner' }), 'Still computing: forecasts and required agents are worked out from the whole history…'));
    }, 3000);
    try {
      const view = await this[`load_${this.tab}`]();
      if (epoch !== this.epoch) return;
      replaceChildren(this.body, view);
      const jobs = this.pending;
      this.pending = [];
      await Promise.all(jobs.map((fn) => fn()));
    } catch (err) {
      if (epoch !== this.epoch) return;
      if (err && err.status === 401) return;
      replaceChildren(this.body, errorState(err, TABS.find(([id]) => id === this.tab)[1]));
    } finally {
      if (epoch === this.epoch) {
        clearTimeout(this.slowTimer);
        this.body.querySelector('.stf-slow')?.remove();
        this.body.setAttribute('aria-busy', 'false');
        this.body.classList.remove('rep-refreshing');
      }
    }
  }

  later(fn) { this.pending.push(fn); }

  async fetch(path, params = {}) {
    const url = staffingUrl(path, params);
    const r = await get(url);
    Object.assign(this.defs, (r && r.definitions) || {});
    return { r, url };
  }

  needDepartment() {
    return this.department ? null : card('No department', {}, empty('There is no department to staff yet (Settings → Departments).'));
  }

  // ----- Forecast ---------------------------------------------------------------------------------
  async load_forecast() {
    const none = this.needDepartment();
    if (none) return none;
    let r; let url;
    const fitted = this.fetch('parameters', { department: this.department }).catch(() => null); // meanwhile
    try {
      ({ r, url } = await this.fetch('forecast', { department: this.department, weeks: 2 }));
    } catch (err) {
      if (err && err.status === 400 && /department|history/.test(String(err.field || err.code))) {
        return card('Forecast', { def: this.def('forecast') },
          empty(`${plainError(err.message)}. The forecast needs at least one full week of chats in this department; the What-if tab works without history.`));
      }
      throw err;
    }
    const params = await fitted;
    const acc = r.accuracy;
    const better = beatsNaive(acc);
    const chart = chartBox('stf-chart-forecast');
    const traces = forecastTraces(r);
    const pts = r.points || [];
    const peak = pts.reduce((m, p) => (m == null || p.expected > m.expected ? p : m), null);
    this.later(() => plot(chart, traces, {
      height: 320, hovermode: 'x unified', xaxis: { type: 'date', tickformat: '%a %d %b', hoverformat: '%a %d %b %H:00' },
      yaxis: { rangemode: 'tozero', title: { text: 'chats per hour', font: { size: 11 } } },
      shapes: pts.length ? [{ type: 'line', xref: 'x', yref: 'paper', x0: pts[0].at, x1: pts[0].at, y0: 0, y1: 1, line: { color: '#9aa1ad', dash: 'dot', width: 1 } }] : [],
    }, {
      summary: `Arrivals per hour: ${(r.history || []).length} past hours and a forecast of ${pts.length} hours; `
        + `${peak ? `the busiest expected hour is ${String(peak.local || peak.at).slice(0, 16).replace('T', ' ')} with ${fmtCount(peak.expected)} chats` : 'no forecast'}. ${accuracyText(acc)}.`,
    }));
    const days = forecastDays(r);
    const dayName = (d) => new Date(`${d}T12:00:00Z`).toLocaleDateString('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
    const p = params && params.r;
    return [
      card('Arrivals per hour: past and forecast', { def: `${this.def('arrivals')} ${DEFS.forecast}`, csv: url },
        h('p', { class: `stf-accuracy ${better === true ? 'tone-better' : better === false ? 'tone-worse' : ''}`, title: this.def('accuracy') },
          icon(better === false ? 'alert' : 'check', 14), h('span', null, accuracyText(acc),
            better === false ? ' — the naive forecast did better on these weeks.' : '')),
        traces.length ? chart : empty('No history and no forecast for this department.'),
        h('p', { class: 'rep-foot stf-foot' }, icon('info', 12), `Method: ${r.method || '—'}; ${r.weeks_used ?? '—'} weeks of history used; times in ${r.timezone || this.tz}.`)),
      h('div', { class: 'rep-grid' },
        card('Expected chats per day', { def: this.def('forecast'), cls: 'rep-half' }, days.length ? h('div', { class: 'rep-table-wrap' }, h('table', { class: 'table rep-table' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col', class: 'num' }, 'Expected'), h('th', { scope: 'col', class: 'num' }, 'Likely range'), h('th', { scope: 'col', class: 'num' }, 'Busiest hour'))),
          h('tbody', null, days.map((d) => h('tr', null, h('td', { class: 'rep-name' }, dayName(d.day)), h('td', { class: 'num' }, fmtNumber(d.expected, 0)),
            h('td', { class: 'num' }, `${fmtNumber(d.low, 0)}–${fmtNumber(d.high, 0)}`), h('td', { class: 'num' }, d.peakHour == null || !d.peak ? '—' : hhmm(d.peakHour * 60)))))))
          : empty('No forecast days.')),
        p ? card('Fitted parameters', { def: this.def('aht_by_load'), cls: 'rep-half' },
          h('div', { class: 'rep-tiles stf-tiles' },
            (p.aht_by_load || []).map((s, k) => figure(`AHT with ${k + 1} chat${k ? 's' : ''}`, fmtSeconds(s), this.def('aht_by_load'))),
            figure('Patience', p.patience_s == null ? 'never leave' : fmtSeconds(p.patience_s), this.def('patience_s'))),
          h('p', { class: 'rep-foot stf-foot' }, icon('info', 12),
            `From ${fmtNumber(p.samples && p.samples.chats)} answered chats and ${fmtNumber(p.samples && p.samples.abandoned)} visitors who left, over ${p.days ?? 28} days.`,
            (p.defaults || []).length ? ` Defaults used for: ${p.defaults.join(', ')}.` : ''),
          (p.notes || []).map((n) => h('p', { class: 'rep-foot stf-foot' }, String(n)))) : null),
    ];
  }

  // ----- Coverage ---------------------------------------------------------------------------------
  async load_coverage() {
    const none = this.needDepartment();
    if (none) return none;
    const { r, url } = await this.fetch('coverage', { department: this.department, week: this.week });
    // the models' comparison after the coverage is drawn (one forecast computed at a time on the server)
    const slot = h('div', { class: 'stf-required-slot' });
    const epoch = this.epoch;
    this.later(async () => {
      const req = await this.fetch('required', { department: this.department, week: this.week }).catch(() => null);
      if (!req || epoch !== this.epoch || !slot.isConnected) return;
      const pending = this.pending;
      this.pending = [];
      slot.replaceWith(this.requiredCard(req.r, req.url));
      const jobs = this.pending;
      this.pending = pending;
      await Promise.all(jobs.map((fn) => fn()));
    });
    return [this.coverageView(r, url, 'Required vs scheduled, by hour'), slot];
  }

  /** The agents each model asks for, hour by hour, and their agent-hours: why the chat model. */
  requiredCard(r, url) {
    const chart = chartBox('stf-chart-required');
    const totals = r.agent_hours || {};
    const traces = requiredTraces(r);
    const top = Math.max(0, ...traces.slice(0, 3).flatMap((t) => t.y.filter((y) => y != null)));
    const days = (traces[0] ? traces[0].x : []).filter((v) => / 00:00$/.test(v));
    this.later(() => plot(chart, traces, {
      height: 300, hovermode: 'x unified', bargap: 0,
      // a tick at each local midnight, named by its day
      xaxis: { type: 'category', tickangle: 0, tickmode: 'array', tickvals: days, ticktext: days.map((v) => v.slice(0, 3)) },
      yaxis: { rangemode: 'tozero', tickformat: 'd', ...(top <= 10 ? { dtick: 1 } : {}), title: { text: 'agents', font: { size: 11 } } },
      yaxis2: {
        overlaying: 'y', side: 'right', rangemode: 'tozero', showgrid: false, tickformat: '.0f', nticks: 5,
        title: { text: 'chats', font: { size: 11 } }, fixedrange: true, automargin: true,
      },
    }, { summary: `Required agents per hour by model over the week; agent-hours: ${MODELS.map(([m, l]) => `${l} ${fmtNumber(totals[m])}`).join(', ')}.` }));
    return card('Required agents by model', { def: this.def('required'), csv: url },
      h('p', { class: 'stf-goal' }, `Goal: ${goalText(r.goal)}.`),
      h('div', { class: 'rep-tiles stf-tiles' }, MODELS.map(([m, l]) => figure(`${l}: agent-hours`, fmtNumber(totals[m]), this.def('required'), m === 'chat' ? 'stf-main' : ''))),
      chart,
      h('p', { class: 'rep-foot stf-foot' }, icon('info', 12), 'Coverage above uses the chat model; Erlang C (one chat per agent, scaled by the concurrency, nobody leaves) and Erlang A are shown for comparison.'));
  }

  coverageView(r, url, title) {
    const chart = chartBox('stf-chart-coverage');
    const stretches = underStretches(r);
    const s = coverageSummary(r);
    this.later(() => drawCoverage(chart, r));
    return [
      h('div', { class: 'rep-tiles stf-tiles' },
        figure('Under-staffed hours', fmtNumber(s.under), this.def('coverage'), s.under ? 'tone-worse' : 'tone-better'),
        figure('Over-staffed hours', fmtNumber(s.over), this.def('coverage')),
        figure('Agent-hours required', fmtNumber(s.required_hours, 1), this.def('required')),
        figure('Agent-hours scheduled', fmtNumber(s.scheduled_hours, 1), this.def('scheduled'))),
      card(title, { def: `${DEFS.coverage} ${this.defs.status || ''}`.trim(), csv: url }, legend(), chart,
        h('p', { class: 'rep-foot stf-foot' }, icon('info', 12), `Local weekday × hour (${r.timezone || this.tz}). Hover a cell for required / scheduled / online. `,
          'A clock change repeats an hour (averaged) or skips one (empty).')),
      card('Under-staffed hours', { def: this.def('required') }, stretches.length
        ? h('ul', { class: 'stf-under' }, stretches.map((x) => h('li', null, h('span', { class: 'stf-swatch', style: `background:${COVERAGE_COLORS.under[2]}`, 'aria-hidden': 'true' }), x.text)))
        : empty('Every open hour of this week is covered.'), coverageTable(r)),
    ];
  }

  // ----- Shifts -----------------------------------------------------------------------------------
  async load_shifts() {
    const [{ r: offR }, { r: shR }, rotR] = await Promise.all([
      this.fetch('offices'),
      this.fetch('shifts', this.department ? { department: this.department } : {}),
      this.fetch('rotations').catch(() => ({ r: null })),
    ]);
    this.offices = rowsOf(offR, 'offices');
    this.shifts = rowsOf(shR, 'shifts').map(normShift);
    const rotations = rowsOf(rotR.r, 'rotations');
    const agents = this.agents();
    const groups = new Map(this.offices.map((o) => [Number(o.id), []]));
    const none = [];
    for (const a of agents) {
      const oid = this.officeOf(a);
      if (oid != null && groups.has(oid)) groups.get(oid).push(a);
      else none.push(a);
    }
    const sections = this.offices.map((o) => this.officeSection(o, groups.get(Number(o.id))));
    if (none.length) sections.push(this.officeSection(null, none));
    return [
      h('p', { class: 'rep-foot stf-foot stf-lead' }, icon('info', 12), `Week of ${weekLabel(this.week)}: each office’s agents with their shifts, drawn in the office’s time. `,
        this.mayManage() ? 'Click a shift to change it.' : ''),
      sections.length ? sections : card('Shifts', {}, empty('No agents in this department yet.')),
      this.mayManage() ? this.officeForm() : null,
      this.rotationsCard(rotations, agents),
    ];
  }

  /** The department's agents (everyone active when no department is chosen), by name. */
  agents() {
    const users = (this.data.directory.users || []).filter((u) => u && u.active !== false && !u.deactivated_at);
    const dept = this.department;
    return users.filter((u) => !dept || userDepartments(u, this.data.directory).some((d) => String(d.id) === dept))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }

  /** An agent's office: the user's `office_id` when the answer has it, else the one set here, else their shifts' (the office now). */
  officeOf(user) {
    if (user.office_id !== undefined) return user.office_id == null ? null : Number(user.office_id);
    if (this.officeSet && this.officeSet.has(Number(user.id))) return this.officeSet.get(Number(user.id));
    for (const o of this.offices || []) {
      const list = Array.isArray(o.agents) ? o.agents : Array.isArray(o.agent_ids) ? o.agent_ids : [];
      if (list.some((a) => Number(a && typeof a === 'object' ? a.id : a) === Number(user.id))) return Number(o.id);
    }
    const s = (this.shifts || []).find((x) => x.agent_id === Number(user.id) && x.office_id != null);
    return s ? Number(s.office_id) : null;
  }

  officeSection(office, agents) {
    const tz = (office && office.timezone) || this.tz;
    const holidays = rowsOf(office, 'holidays');
    const shown = holidays.filter((x) => String(x.date) >= this.week).slice(0, 4);
    const head = office
      ? [h('span', { class: 'stf-office-tz' }, tz), shown.length ? h('span', { class: 'stf-office-hol', title: holidays.map((x) => `${x.date} ${x.name || ''}`).join('\n') },
        `Holidays: ${shown.map((x) => `${x.date}${x.name ? ` ${x.name}` : ''}`).join(', ')}${holidays.length > shown.length ? ' …' : ''}`) : null]
      : [h('span', { class: 'stf-office-tz' }, `no office · drawn in ${tz}`)];
    const tools = office && this.mayManage() ? [
      h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: (e) => this.editOffice(office, e.currentTarget.closest('.stf-card')) }, 'Edit office'),
    ] : null;
    return card(office ? office.name : 'Agents without an office', { cls: 'stf-office', extra: tools },
      h('p', { class: 'stf-office-meta' }, head),
      agents.length ? this.weekGrid(agents, tz) : empty('No agents in this office.'));
  }

  weekGrid(agents, tz) {
    const hours = (a) => shiftHours(this.shifts.filter((s) => Number(s.agent_id) === Number(a.id)), this.week);
    const rows = agents.map((a) => {
      const mine = this.shifts.filter((s) => Number(s.agent_id) === Number(a.id));
      const track = h('div', { class: 'stf-track' });
      for (const s of mine) {
        const off = !runsInWeek(s, this.week);
        for (const b of shiftBars(s, tz, this.week)) {
          const label = `${s.timezone && s.timezone !== tz ? `${shiftText(s)} ${s.timezone}` : shiftText(s)}${s.cycle_weeks > 1 ? ` · week ${Number(s.cycle_week) + 1} of ${s.cycle_weeks}` : ''}${off ? ' · not this week' : ''}`;
          const attrs = {
            class: `stf-bar${off ? ' stf-bar-off' : ''}`, style: `left:${(b.start / 10080) * 100}%;width:${((b.end - b.start) / 10080) * 100}%`,
            title: label, 'aria-label': `${a.name}: ${label}`, dataset: { shift: String(s.id) },
          };
          track.appendChild(this.mayManage()
            ? h('button', { ...attrs, type: 'button', onclick: (e) => this.shiftForm(a, s, e.currentTarget.closest('.stf-agent')) }, barText(b))
            : h('span', attrs, barText(b)));
        }
      }
      const officeSel = this.mayManage() ? h('select', {
        class: 'input stf-office-sel', 'aria-label': `${a.name}: office`, onchange: (e) => this.setOffice(a, e.target.value, e.target),
      }, h('option', { value: '' }, 'No office'), (this.offices || []).map((o) => h('option', { value: String(o.id) }, o.name))) : null;
      if (officeSel) officeSel.value = this.officeOf(a) == null ? '' : String(this.officeOf(a));
      return h('div', { class: 'stf-agent', dataset: { agent: String(a.id) } },
        h('div', { class: 'stf-agent-head' },
          h('strong', { class: 'stf-agent-name' }, a.name || a.email),
          h('span', { class: 'stf-agent-hours' }, `${fmtNumber(hours(a), 1)} h`),
          h('span', { class: 'stf-agent-tools' },
            officeSel,
            h('a', {
              class: 'rep-csv stf-ics', href: `/api/v1/staffing/agents/${encodeURIComponent(a.id)}/shifts.ics`, download: '',
              title: 'Download calendar (.ics): the weekly shifts, office holidays left out', 'aria-label': `Download ${a.name || 'the agent'}’s calendar (.ics)`,
            }, icon('download', 13), 'Calendar (.ics)'),
            this.mayManage() ? h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: (e) => this.shiftForm(a, null, e.currentTarget.closest('.stf-agent')) }, icon('plus', 13), 'Shift') : null)),
        h('div', { class: 'stf-track-wrap' }, track),
        mine.length ? h('p', { class: 'stf-agent-list' }, mine.filter((s) => runsInWeek(s, this.week)).map((s) => shiftText(s)).join(' · ') || 'No shift this week') : null);
    });
    return h('div', { class: 'stf-grid' },
      h('div', { class: 'stf-grid-head', 'aria-hidden': 'true' }, h('div', { class: 'stf-days' }, WEEKDAYS.map((d) => h('span', null, d)))), rows);
  }

  async setOffice(agent, value, select) {
    try {
      await api('PUT', `/api/v1/staffing/agents/${encodeURIComponent(agent.id)}/office`, { office_id: value ? Number(value) : null });
      this.act.toast(`${agent.name} ${value ? 'moved to another office' : 'has no office now'}.`, 'info');
      (this.officeSet = this.officeSet || new Map()).set(Number(agent.id), value ? Number(value) : null);
      this.load();
    } catch (err) {
      if (err.status !== 401) fieldError(select, err.field ? plainError(err.message) : err.message);
    }
  }

  /** Add or change a shift of `agent` (`shift` null: a new one), in a form under the agent's row. */
  shiftForm(agent, shift, row) {
    row.parentElement.querySelector('.stf-shift-form')?.remove();
    const tz = (shift && shift.timezone) || this.officeTz(agent);
    const day = h('select', { class: 'input', name: 'weekday' }, DAY_NAMES.map((d, i) => h('option', { value: String(i) }, d)));
    day.value = shift ? String(shift.weekday) : '0';
    const start = h('input', { class: 'input', type: 'time', name: 'start', value: shift ? hhmm(startMinute(shift)) : '09:00', required: true });
    const end = h('input', { class: 'input', type: 'time', name: 'end', value: shift ? hhmm((startMinute(shift) + Number(shift.minutes)) % 1440) : '17:00', required: true });
    // the length is the end time unless hours are typed here (a 24-hour shift ends when it starts: type 24)
    const hours = h('input', { class: 'input stf-num', name: 'hours', inputmode: 'decimal', value: shift && Number(shift.minutes) === 1440 ? '24' : '', placeholder: 'or hours' });
    const cycle = h('select', { class: 'input', name: 'cycle' },
      h('option', { value: '1:0' }, 'Every week'),
      [2, 3, 4].flatMap((n) => Array.from({ length: n }, (_, k) => h('option', { value: `${n}:${k}` }, `Week ${k + 1} of every ${n}`))));
    cycle.value = shift && shift.cycle_weeks > 1 ? `${shift.cycle_weeks}:${shift.cycle_week}` : '1:0';
    const formError = h('div', { class: 'stf-form-error' });
    const inputs = { weekday: day, start, end, minutes: hours, cycle_weeks: cycle, cycle_week: cycle, timezone: start };
    const save = h('button', { class: 'btn btn-primary btn-sm', type: 'submit' }, shift ? 'Save shift' : 'Add shift');
    const form = h('form', { class: 'stf-shift-form', novalidate: true, 'aria-label': `${shift ? 'Change' : 'Add'} a shift of ${agent.name}` },
      h('div', { class: 'stf-form-row' },
        field('Day', day), field('Starts', start), field('Ends', end, { hint: 'before the start: overnight' }), field('Or length (h)', hours),
        field('Repeats', cycle)),
      h('p', { class: 'rep-foot stf-foot' }, icon('info', 12), `Times in ${tz}.`),
      formError,
      h('div', { class: 'stf-form-foot' },
        shift ? h('button', { class: 'btn btn-danger btn-sm stf-delete', type: 'button', onclick: () => this.deleteShift(shift, formError) }, icon('trash', 13), 'Delete') : null,
        h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => form.remove() }, 'Cancel'), save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const [cw, ck] = cycle.value.split(':').map(Number);
      const values = { agent_id: agent.id, weekday: day.value, start: start.value, timezone: tz, cycle_weeks: cw, cycle_week: ck };
      if (hours.value.trim()) values.hours = hours.value; else values.end = end.value;
      const { body, errors } = shiftBody(values);
      if (showErrors(errors, inputs, formError)) return;
      if (shift) { delete body.agent_id; body.cycle_weeks = cw; body.cycle_week = ck; } // a change keeps its agent; "every week" resets a cycle
      save.disabled = true;
      try {
        if (shift) await api('PATCH', `/api/v1/staffing/shifts/${encodeURIComponent(shift.id)}`, body);
        else await api('POST', '/api/v1/staffing/shifts', body);
        this.act.toast(shift ? 'Shift saved.' : 'Shift added.', 'info');
        this.load();
      } catch (err) {
        serverError(err, inputs, formError);
      } finally {
        save.disabled = false;
      }
    });
    row.after(form);
    day.focus();
  }

  officeTz(agent) {
    const o = (this.offices || []).find((x) => Number(x.id) === this.officeOf(agent));
    return (o && o.timezone) || this.tz;
  }

  async deleteShift(shift, formError) {
    if (!window.confirm(`Delete the shift ${shiftText(shift)}?`)) return;
    try {
      await api('DELETE', `/api/v1/staffing/shifts/${encodeURIComponent(shift.id)}`);
      this.act.toast('Shift deleted.', 'info');
      this.load();
    } catch (err) {
      serverError(err, {}, formError);
    }
  }

  /** A new office (name, time zone), or an office's name, zone and holidays. */
  officeForm(office = null) {
    const name = h('input', { class: 'input', name: 'name', value: office ? office.name : '', maxlength: 100, required: true });
    const zone = h('select', { class: 'input', name: 'timezone' }, timeZones().map((z) => h('option', { value: z }, z)));
    zone.value = office ? office.timezone : this.tz;
    const hol = office ? h('textarea', {
      class: 'input stf-textarea', name: 'holidays', rows: 3, placeholder: '2026-12-25 Christmas Day',
    }) : null;
    if (hol) hol.value = rowsOf(office, 'holidays').map((x) => `${x.date}${x.name ? ` ${x.name}` : ''}`).join('\n');
    const formError = h('div', { class: 'stf-form-error' });
    const inputs = { name, timezone: zone, holidays: hol };
    const save = h('button', { class: 'btn btn-primary btn-sm', type: 'submit' }, office ? 'Save office' : 'Add office');
    const form = h('form', { class: 'stf-office-form', novalidate: true },
      h('div', { class: 'stf-form-row' }, field('Name', name), field('Time zone', zone),
        hol ? field('Holidays (one a line: date name)', hol, { cls: 'stf-wide' }) : null),
      formError,
      h('div', { class: 'stf-form-foot' },
        office ? h('button', { class: 'btn btn-danger btn-sm', type: 'button', onclick: () => this.deleteOffice(office, formError) }, icon('trash', 13), 'Delete office') : null,
        save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!name.value.trim()) { showErrors({ name: 'A name for the office.' }, inputs, formError); return; }
      const holidays = [];
      if (hol) {
        const bad = [];
        hol.value.split(/\r?\n/).forEach((line, i) => {
          const m = /^\s*(\d{4}-\d{2}-\d{2})\s*(.*)$/.exec(line);
          if (m) holidays.push({ date: m[1], name: m[2].trim() });
          else if (line.trim()) bad.push(i + 1);
        });
        if (bad.length) { showErrors({ holidays: `Line ${bad.join(', ')}: a date like 2026-12-25, then a name.` }, inputs, formError); return; }
      }
      save.disabled = true;
      try {
        if (office) {
          await api('PATCH', `/api/v1/staffing/offices/${encodeURIComponent(office.id)}`, { name: name.value.trim(), timezone: zone.value });
          await api('PUT', `/api/v1/staffing/offices/${encodeURIComponent(office.id)}/holidays`, { holidays });
        } else await api('POST', '/api/v1/staffing/offices', { name: name.value.trim(), timezone: zone.value });
        this.act.toast(office ? 'Office saved.' : 'Office added.', 'info');
        this.load();
      } catch (err) {
        const f = String(err.field || '');
        serverError(f.startsWith('holidays') ? { ...err, field: 'holidays', message: `${f}: ${plainError(err.message)}`, status: err.status } : err, inputs, formError);
      } finally {
        save.disabled = false;
      }
    });
    return office ? form : card('Add an office', { def: 'An office is a place with its own time zone and holidays; agents belong to one. Offices in different zones hand the queue over as the sun moves.' }, form);
  }

  editOffice(office, section) {
    const open = section.querySelector('.stf-office-form');
    if (open) { open.remove(); return; }
    section.querySelector('.stf-office-meta').after(this.officeForm(office));
  }

  async deleteOffice(office, formError) {
    if (!window.confirm(`Delete the office ${office.name}? Its agents keep their shifts and have no office.`)) return;
    try {
      await api('DELETE', `/api/v1/staffing/offices/${encodeURIComponent(office.id)}`);
      this.act.toast('Office deleted.', 'info');
      this.load();
    } catch (err) {
      serverError(err, {}, formError);
    }
  }

  rotationsCard(rotations, agents) {
    const list = rotations.length ? h('ul', { class: 'stf-rotations' }, rotations.map((rot) => {
      const weeks = rowsOf(rot, 'pattern', 'weeks');
      return h('li', null,
        h('div', { class: 'stf-rot-head' }, h('strong', null, rot.name || `Rotation #${rot.id}`),
          h('span', { class: 'muted' }, `${weeks.length} week${weeks.length === 1 ? '' : 's'}`),
          this.mayManage() ? h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: (e) => this.applyRotation(rot, agents, e.currentTarget.closest('li')) }, 'Apply to agents…') : null,
          this.mayManage() ? h('button', { class: 'btn btn-ghost btn-sm', type: 'button', 'aria-label': `Delete the rotation ${rot.name}`, onclick: () => this.deleteRotation(rot) }, icon('trash', 13)) : null),
        h('ol', { class: 'stf-rot-weeks' }, weeks.map((w) => h('li', null, (Array.isArray(w) ? w : []).map((s) => shiftText(s)).join(' · ') || 'off'))));
    })) : empty('No rotation templates yet.');
    if (!this.mayManage()) return card('Rotation templates', { def: 'A rotation is a template of weeks (e.g. days, then nights); applied to agents it gives each a staggered start, so nights and weekends are shared.' }, list);
    const name = h('input', { class: 'input', name: 'rot-name', placeholder: 'Days / nights' });
    const text = h('textarea', { class: 'input stf-textarea', name: 'rot-pattern', rows: 4, placeholder: '1 Mon 07:00-15:00\n1 Tue 07:00-15:00\n2 Mon 23:00-07:00' });
    const formError = h('div', { class: 'stf-form-error' });
    const inputs = { name, pattern: text };
    const form = h('form', { class: 'stf-rot-form', novalidate: true },
      h('div', { class: 'stf-form-row' }, field('Name', name), field('Weeks (one shift a line: week day start-end)', text, { cls: 'stf-wide' })),
      formError, h('div', { class: 'stf-form-foot' }, h('button', { class: 'btn btn-primary btn-sm', type: 'submit' }, 'Create rotation')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const parsed = parseRotationText(text.value);
      if (Object.keys(parsed.errors).length) { showErrors({ pattern: Object.values(parsed.errors).join(' ') }, inputs, formError); return; }
      const { body, errors } = rotationBody({ name: name.value, weeks: parsed.weeks });
      const named = {};
      for (const [k, v] of Object.entries(errors)) named[k.startsWith('pattern') ? 'pattern' : k] = `${k.startsWith('pattern') ? `${k}: ` : ''}${v}`;
      if (showErrors(named, inputs, formError)) return;
      try {
        await api('POST', '/api/v1/staffing/rotations', body);
        this.act.toast('Rotation created.', 'info');
        this.load();
      } catch (err) {
        const f = String(err.field || '');
        serverError(f.startsWith('pattern') ? { ...err, field: 'pattern', message: `${f}: ${plainError(err.message)}`, status: err.status } : err, inputs, formError);
      }
    });
    return card('Rotation templates', { def: 'A rotation is a template of weeks (e.g. days, then nights); applied to agents it gives each a staggered start, so nights and weekends are shared.' }, list, form);
  }

  applyRotation(rot, agents, li) {
    li.querySelector('.stf-apply')?.remove();
    const boxes = agents.map((a) => h('label', { class: 'stf-check' }, h('input', { type: 'checkbox', value: String(a.id) }), a.name || a.email));
    const replace = h('input', { type: 'checkbox', name: 'replace', checked: true });
    const formError = h('div', { class: 'stf-form-error' });
    const form = h('form', { class: 'stf-apply', novalidate: true },
      h('fieldset', { class: 'stf-checks' }, h('legend', null, 'Agents (each starts one week later than the one before)'), boxes),
      h('label', { class: 'stf-check' }, replace, 'Replace their shifts in this department'),
      formError,
      h('div', { class: 'stf-form-foot' }, h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => form.remove() }, 'Cancel'),
        h('button', { class: 'btn btn-primary btn-sm', type: 'submit' }, 'Apply rotation')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const ids = boxes.map((b) => b.querySelector('input')).filter((x) => x.checked).map((x) => Number(x.value));
      if (!ids.length) { showErrors({ _: 'Choose at least one agent.' }, {}, formError); return; }
      try {
        await api('POST', `/api/v1/staffing/rotations/${encodeURIComponent(rot.id)}/apply`, { agents: ids, department_id: this.department ? Number(this.department) : null, replace: replace.checked });
        this.act.toast(`Rotation applied to ${ids.length} agent${ids.length === 1 ? '' : 's'}.`, 'info');
        this.load();
      } catch (err) {
        serverError(err, {}, formError);
      }
    });
    li.appendChild(form);
  }

  async deleteRotation(rot) {
    if (!window.confirm(`Delete the rotation ${rot.name}? Shifts already made from it stay.`)) return;
    try {
      await api('DELETE', `/api/v1/staffing/rotations/${encodeURIComponent(rot.id)}`);
      this.load();
    } catch (err) {
      if (err.status !== 401) this.act.toast(err.message, 'error');
    }
  }

  // ----- Plans ------------------------------------------------------------------------------------
  async load_plans() {
    const none = this.needDepartment();
    if (none) return none;
    const [{ r: offR }, plansR] = await Promise.all([
      this.fetch('offices'),
      this.fetch('plans', { department: this.department }),
    ]);
    this.offices = rowsOf(offR, 'offices');
    const plans = rowsOf(plansR.r, 'plans');
    this.planOut = h('div', { class: 'stf-plan-out', 'aria-live': 'polite' });
    // the newest plan still waiting for a decision for this department and week is shown again
    const open = [...plans].sort((a, b) => Number(b.id) - Number(a.id)).find((p) => p.status === 'suggested'
      && (p.week == null || p.week === this.week) && Number(p.department_id ?? this.department) === Number(this.department));
    if (open) this.later(() => this.showPlan(open));
    return [
      this.mayManage() ? this.planForm() : card('Suggest shifts', { def: this.def('plan') }, empty('Only managers and admins can ask for and apply plans.')),
      this.planOut,
      this.plansList(plans),
    ];
  }

  planForm() {
    const offices = this.offices.map((o) => h('label', { class: 'stf-check' }, h('input', { type: 'checkbox', value: String(o.id), checked: true }), `${o.name} (${o.timezone})`));
    const rules = {};
    const ruleFields = PLAN_RULES.map(([key, label, unit, dflt]) => {
      const value = unit === 'time' ? hhmm(dflt) : unit === 'hours' ? String(dflt / 60) : String(dflt);
      rules[key] = h('input', { class: 'input stf-num', name: `rules.${key}`, value, inputmode: unit === 'count' ? 'numeric' : 'decimal' });
      if (unit === 'time') rules[key].type = 'time';
      return field(`${label}${unit === 'hours' ? ' (h)' : ''}`, rules[key]);
    });
    const officeSet = h('fieldset', { class: 'stf-checks', name: 'offices' }, h('legend', null, 'Offices (their agents in this department)'),
      offices.length ? offices : h('span', { class: 'muted' }, 'No offices yet: add them on the Shifts tab.'));
    const formError = h('div', { class: 'stf-form-error' });
    const inputs = { offices: officeSet, ...Object.fromEntries(Object.entries(rules).map(([k, v]) => [`rules.${k}`, v])) };
    const go = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Suggest shifts');
    const form = h('form', { class: 'stf-plan-form', novalidate: true }, officeSet, h('div', { class: 'stf-form-row' }, ruleFields), formError,
      h('div', { class: 'stf-form-foot' }, h('span', { class: 'muted' }, `For the week of ${weekLabel(this.week)}.`), go));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const values = {
        department_id: this.department, week: this.week,
        offices: offices.map((l) => l.querySelector('input')).filter((x) => x.checked).map((x) => x.value),
        rules: Object.fromEntries(Object.entries(rules).map(([k, v]) => [k, v.value])),
      };
      const { body, errors } = planBody(values);
      if (errors.offices) { fieldErrorSet(officeSet, errors.offices); delete errors.offices; }
      if (showErrors(errors, inputs, formError) || officeSet.classList.contains('invalid')) return;
      go.disabled = true;
      const epoch = this.epoch;
      const limit = Number(body.rules.time_limit_s) || 10;
      const started = Date.now();
      const bar = h('progress', { class: 'stf-progress', max: String(limit * 10), 'aria-label': 'Optimising' });
      const said = h('span', null, 'Optimising the shifts…');
      replaceChildren(this.planOut, card('Suggesting shifts', {}, h('div', { class: 'stf-running', role: 'status' }, h('span', { class: 'spinner' }), said), bar));
      clearInterval(this.progressTimer);
      this.progressTimer = setInterval(() => {
        const s = (Date.now() - started) / 1000;
        bar.value = Math.min(limit * 10, s * 10);
        said.textContent = `Optimising the shifts… ${Math.floor(s)} s (stops by about ${limit} s and keeps the best plan found)`;
      }, 250);
      try {
        const plan = await api('POST', staffingUrl('plans'), body);
        if (epoch !== this.epoch) return;
        await this.showPlan(plan);
        this.refreshPlansList();
      } catch (err) {
        if (epoch !== this.epoch) return;
        replaceChildren(this.planOut);
        if (err.field === 'offices') fieldErrorSet(officeSet, plainError(err.message));
        else serverError(err, inputs, formError);
      } finally {
        clearInterval(this.progressTimer);
        go.disabled = false;
      }
    });
    return card('Suggest shifts', { def: this.def('plan') }, form);
  }

  async refreshPlansList() {
    try {
      const { r } = await this.fetch('plans', { department: this.department });
      const old = this.body.querySelector('.stf-plans');
      if (old) old.replaceWith(this.plansList(rowsOf(r, 'plans')));
    } catch { /* the list stays as it was */ }
  }

  async showPlan(planIn) {
    let plan = planIn;
    if (!plan.shifts && !(plan.result && plan.result.shifts) && plan.id != null) plan = await get(staffingUrl(`plans/${encodeURIComponent(plan.id)}`));
    Object.assign(this.defs, plan.definitions || {});
    const cost = planCost(plan);
    const nameOf = (id) => { const u = this.data.directory.user(id); return u ? u.name || u.email : `#${id}`; };
    const agents = planAgents(plan, nameOf);
    let cover = planCoverage(plan);
    if (!cover) {
      try { cover = (await this.fetch('coverage', { department: plan.department_id || this.department, week: plan.week || this.week })).r; } catch { cover = null; }
    }
    const chart = chartBox('stf-chart-coverage');
    if (cover) this.later(() => drawCoverage(chart, cover));
    const settled = plan.status === 'applied' || plan.status === 'discarded' || plan.applied_at || plan.discarded_at;
    const confirm = h('div', { class: 'stf-confirm', hidden: true, role: 'alertdialog', 'aria-label': 'Confirm' });
    const ask = (what) => {
      confirm.hidden = false;
      const apply = what === 'apply';
      replaceChildren(confirm,
        h('p', null, apply
          ? `Apply this plan? It replaces the shifts of ${agents.length} agent${agents.length === 1 ? '' : 's'} in this department by the ${agents.reduce((n, a) => n + a.shifts.length, 0)} suggested ones.`
          : 'Discard this plan? Nothing changes in the shifts.'),
        h('div', { class: 'stf-form-foot' },
          h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => { confirm.hidden = true; } }, 'Cancel'),
          h('button', { class: `btn btn-sm ${apply ? 'btn-primary' : 'btn-danger'}`, type: 'button', onclick: () => this.settlePlan(plan, what, confirm) }, apply ? 'Yes, apply' : 'Yes, discard')));
      confirm.querySelector('.btn-primary, .btn-danger').focus();
    };
    const tz = this.tz;
    const view = card(`Suggested shifts · week of ${weekLabel(plan.week || this.week)}`, {
      def: this.def('plan'), cls: 'stf-plan',
      extra: h('span', { class: `rep-pill ${SEVERITY[cost.status] || ''}` }, cost.status === 'infeasible' ? 'cannot cover every hour' : cost.status || String(plan.status || '')),
    },
    h('div', { class: 'rep-tiles stf-tiles' },
      figure('Agent-hours', fmtNumber(cost.agent_hours, 1), this.def('agent_hours')),
      figure('Hours short', fmtNumber(cost.short_hours), 'Hours of the week where the plan still has fewer agents than required.', cost.short_hours ? 'tone-worse' : 'tone-better'),
      figure('Agents', fmtNumber(agents.length), 'Agents given at least one shift.'),
      plan.cost != null ? figure('Cost', fmtNumber(plan.cost, 1), 'Agent-hours plus the night weight × hours outside each agent’s local day.') : null),
    h('p', { class: 'stf-cost' }, cost.text),
    agents.length ? h('div', { class: 'stf-grid' },
      h('div', { class: 'stf-grid-head', 'aria-hidden': 'true' }, h('div', { class: 'stf-days' }, WEEKDAYS.map((d) => h('span', null, d)))),
      agents.map((a) => {
        const track = h('div', { class: 'stf-track' });
        for (const s of a.shifts) {
          for (const b of shiftBars(s, tz, plan.week || this.week)) {
            track.appendChild(h('span', { class: 'stf-bar stf-bar-plan', style: `left:${(b.start / 10080) * 100}%;width:${((b.end - b.start) / 10080) * 100}%`, title: `${shiftText(s)} ${s.timezone || ''}` }, barText(b)));
          }
        }
        return h('div', { class: 'stf-agent' },
          h('div', { class: 'stf-agent-head' }, h('strong', { class: 'stf-agent-name' }, a.name),
            h('span', { class: 'stf-agent-hours' }, `${fmtNumber(a.hours, 1)} h`), a.office ? h('span', { class: 'muted' }, a.office) : null,
            h('span', { class: 'muted stf-agent-tools' }, `${a.shifts.map((s) => shiftText(s)).join(' · ')}${a.timezone && a.timezone !== tz ? ` (${a.timezone})` : ''}`)),
          h('div', { class: 'stf-track-wrap' }, track));
      })) : empty('The plan gives nobody a shift.'),
    h('p', { class: 'rep-foot stf-foot' }, icon('info', 12), `Bars in ${tz}; each agent works in their office’s time.`),
    cover ? [h('h4', { class: 'stf-sub' }, plan.coverage || plan.hours ? 'The coverage it reaches' : 'The coverage now (before applying)'), legend(), chart] : null,
    settled ? h('p', { class: 'rep-foot stf-foot' }, `This plan was ${plan.status || (plan.applied_at ? 'applied' : 'discarded')}.`)
      : this.mayManage() ? h('div', { class: 'stf-form-foot' },
        h('button', { class: 'btn btn-secondary', type: 'button', onclick: () => ask('discard') }, 'Discard'),
        h('button', { class: 'btn btn-primary stf-apply-plan', type: 'button', onclick: () => ask('apply') }, 'Apply…')) : null,
    confirm);
    this.planShown = plan;
    replaceChildren(this.planOut, view);
    if (!this.pending.length) return;
    const jobs = this.pending;
    this.pending = [];
    await Promise.all(jobs.map((fn) => fn()));
  }

  async settlePlan(plan, what, confirm) {
    try {
      await api('POST', staffingUrl(`plans/${encodeURIComponent(plan.id)}/${what}`), {});
      this.act.toast(what === 'apply' ? 'Plan applied: the shifts are in place.' : 'Plan discarded.', 'info');
      if (what === 'apply') { this.setTab('coverage'); return; }
      this.load();
    } catch (err) {
      if (err.status === 401) return;
      replaceChildren(confirm, h('p', { class: 'form-error', role: 'alert' }, icon('alert', 14), err.field ? `${err.field}: ${plainError(err.message)}` : err.message));
    }
  }

  plansList(plans) {
    const rows = [...plans].sort((a, b) => String(b.created_at || '').localeCompare(String(a.created_at || '')));
    return card('Plans', { cls: 'stf-plans' }, rows.length ? h('div', { class: 'rep-table-wrap' }, h('table', { class: 'table rep-table' },
      h('thead', null, h('tr', null, ['Week', 'Status', 'Agent-hours', 'Hours short', 'Made', ''].map((t, i) => h('th', { scope: 'col', class: i === 2 || i === 3 ? 'num' : null }, t)))),
      h('tbody', null, rows.map((p) => {
        const c = planCost(p);
        return h('tr', null, h('th', { scope: 'row' }, weekLabel(p.week) || String(p.week || '—')),
          h('td', null, String(p.status || '—')), h('td', { class: 'num' }, fmtNumber(c.agent_hours, 1)), h('td', { class: 'num' }, fmtNumber(c.short_hours)),
          h('td', null, p.created_at ? fullTime(parseTime(p.created_at)) : '—'),
          h('td', null, h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => this.showPlan(p).then(() => this.planOut.scrollIntoView({ block: 'start' })) }, 'Show')));
      })))) : empty('No plans for this department yet.'));
  }

  // ----- What-if ----------------------------------------------------------------------------------
  async load_whatif() {
    const v = this.whatif || {
      arrivals: '40', hours: '24', aht_by_load: ['300', '360', '450'], patience_s: '180', service_level: '80', seconds: '60', max_abandon: '5',
    };
    this.whatif = v;
    const arrivals = h('textarea', { class: 'input stf-textarea', name: 'arrivals', rows: 3 });
    arrivals.value = v.arrivals;
    const hours = h('select', { class: 'input', name: 'hours' }, h('option', { value: '24' }, 'a day (24 hours)'), h('option', { value: '168' }, 'a week (168 hours)'), h('option', { value: '1' }, 'one hour'));
    hours.value = v.hours;
    const ahtBox = h('div', { class: 'stf-aht' });
    const aht = [];
    const addAht = (value = '') => {
      const k = aht.length;
      const input = h('input', { class: 'input stf-num', name: `aht_by_load[${k}]`, inputmode: 'decimal', value, 'aria-label': `Handle time with ${k + 1} chats, seconds` });
      aht.push(input);
      ahtBox.appendChild(field(`${k + 1} chat${k ? 's' : ''}`, input));
    };
    v.aht_by_load.forEach((x) => addAht(x));
    const more = h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => { if (aht.length < 10) addAht(''); aht[aht.length - 1].focus(); } }, icon('plus', 13), 'one more chat at once');
    const fewer = h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => { if (aht.length > 1) { aht.pop(); ahtBox.lastChild.remove(); } } }, 'one fewer');
    const patience = h('input', { class: 'input stf-num', name: 'patience_s', inputmode: 'decimal', value: v.patience_s });
    const sl = h('input', { class: 'input stf-num', name: 'goal.service_level', inputmode: 'decimal', value: v.service_level });
    const secs = h('input', { class: 'input stf-num', name: 'goal.seconds', inputmode: 'decimal', value: v.seconds });
    const ab = h('input', { class: 'input stf-num', name: 'goal.max_abandon', inputmode: 'decimal', value: v.max_abandon });
    const formError = h('div', { class: 'stf-form-error' });
    const out = h('div', { class: 'stf-whatif-out', 'aria-live': 'polite' });
    const inputs = () => ({ arrivals, patience_s: patience, 'goal.service_level': sl, 'goal.seconds': secs, 'goal.max_abandon': ab, ...Object.fromEntries(aht.map((x, k) => [`aht_by_load[${k}]`, x])) });
    const read = () => {
      this.whatif = { arrivals: arrivals.value, hours: hours.value, aht_by_load: aht.map((x) => x.value), patience_s: patience.value, service_level: sl.value, seconds: secs.value, max_abandon: ab.value };
      return whatifBody(this.whatif);
    };
    const calc = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Calculate');
    const compare = h('button', { class: 'btn btn-secondary', type: 'button' }, 'Holds 2 vs 3 chats');
    const form = h('form', { class: 'stf-whatif-form', novalidate: true },
      h('div', { class: 'stf-form-row' },
        field('Arrivals per hour', arrivals, { cls: 'stf-wide', hint: 'One number for every hour, or a list pasted from a sheet (one per hour, up to 168).' }),
        field('One number covers', hours)),
      h('fieldset', { class: 'stf-fieldset' }, h('legend', { title: this.def('aht_by_load') }, 'Handle time (seconds) while the agent holds …'), ahtBox, h('div', { class: 'stf-aht-tools' }, more, fewer)),
      h('div', { class: 'stf-form-row' },
        field('Patience (s)', patience, { hint: 'empty: visitors never leave' }),
        field('Goal: answered (%)', sl), field('within (s)', secs), field('Abandonment at most (%)', ab, { hint: 'empty: no limit' })),
      formError,
      h('div', { class: 'stf-form-foot' }, compare, calc));
    const run = async (bodies) => {
      clearErrors(form);
      calc.disabled = true;
      compare.disabled = true;
      replaceChildren(out, skeleton(1));
      try {
        const answers = await Promise.all(bodies.map((b) => api('POST', staffingUrl('whatif'), b)));
        for (const a of answers) Object.assign(this.defs, (a && a.definitions) || {});
        return answers;
      } catch (err) {
        replaceChildren(out);
        if (err.status === 404) replaceChildren(out, errorState(err, 'The what-if calculator'));
        else serverError(err, inputs(), formError);
        return null;
      } finally {
        calc.disabled = false;
        compare.disabled = false;
      }
    };
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const { body, errors } = read();
      if (showErrors(errors, inputs(), formError)) return;
      const answers = await run([body]);
      if (answers) { replaceChildren(out, this.whatifResult(answers[0], body)); await this.flush(); }
    });
    compare.addEventListener('click', async () => {
      clearErrors(form);
      const { body, errors } = read();
      if (showErrors(errors, inputs(), formError)) return;
      const pair = concurrencyPair(body);
      const answers = await run([pair.two, pair.three]);
      if (answers) { replaceChildren(out, this.compareResult(answers, pair)); await this.flush(); }
    });
    return [card('What-if calculator', { def: 'No history needed: the agents each model asks for, hour by hour, from the arrivals, the handle times by load, the patience and the goal.' }, form), out];
  }

  async flush() {
    const jobs = this.pending;
    this.pending = [];
    await Promise.all(jobs.map((fn) => fn()));
  }

  whatifResult(r, body) {
    const flat = sameEveryHour(r);
    const all = whatifRows(r);
    const rows = flat ? all.slice(0, 1) : all;
    const totals = whatifAgentHours(r);
    const chart = chartBox('stf-chart-whatif');
    const traces = whatifTraces(r);
    const many = rows.length > 24;
    const top = Math.max(0, ...traces.flatMap((t) => t.y.filter((y) => y != null)));
    this.later(() => plot(chart, traces, {
      barmode: 'group', bargap: many ? 0.1 : 0.25, height: flat ? 240 : 300, xaxis: { type: 'category', tickangle: 0, nticks: many ? 14 : 24 },
      yaxis: { rangemode: 'tozero', tickformat: 'd', ...(top <= 10 ? { dtick: 1 } : {}), title: { text: 'agents', font: { size: 11 } } },
      legend: { orientation: 'h', y: -0.25, x: 0 },
    }, { summary: `Agents per hour by model${flat ? `, the same in each of the ${all.length} hours` : ''}: ${MODELS.map(([m, l]) => `${l} ${fmtNumber(totals[m], 0)} agent-hours`).join(', ')}.` }));
    return [
      h('div', { class: 'rep-tiles stf-tiles' }, MODELS.map(([m, label]) => figure(`${label}: agent-hours`, fmtNumber(totals[m], 1), this.def('agent_hours')))),
      card('Agents per hour, per model', { def: this.def('required'), extra: this.csvWhatif(body) },
        chart,
        h('div', { class: 'rep-table-wrap' }, h('table', { class: 'table rep-table stf-whatif-table' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Hour'), h('th', { scope: 'col', class: 'num' }, 'Arrivals'),
            MODELS.map(([m, l]) => h('th', { scope: 'col', class: 'num', title: this.def(m) || null }, l)), h('th', { scope: 'col', class: 'num', title: this.def('service_level') }, 'Service level (chat model)'),
            h('th', { scope: 'col', class: 'num', title: this.def('abandonment') }, 'Abandonment (chat model)'))),
          h('tbody', null, rows.map((row) => {
            const p = row.detail.chat || {};
            return h('tr', null, h('td', { class: 'rep-name' }, traces[0] ? traces[0].x[flat ? 0 : row.hour] : String(row.hour + 1)), h('td', { class: 'num' }, fmtCount(row.arrivals)),
              MODELS.map(([m]) => h('td', { class: 'num' }, row[m] == null ? '—' : String(row[m]))),
              h('td', { class: 'num' }, fmtShare(p.service_level)), h('td', { class: 'num' }, fmtShare(p.abandonment)));
          }))))),
    ];
  }

  csvWhatif(body) {
    // a POST answers the CSV: a small form posting the same body with format=csv would need a page
    // load; the button fetches it and saves it as a file instead
    return h('button', {
      class: 'rep-csv stf-link', type: 'button', title: 'Download these figures as CSV',
      onclick: async () => {
        try {
          const res = await fetch(staffingUrl('whatif', { format: 'csv' }), {
            method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() || '' }, body: JSON.stringify(body),
          });
          if (!res.ok) throw new Error(`The server answered ${res.status}.`);
          const url = URL.createObjectURL(await res.blob());
          const a = h('a', { href: url, download: 'whatif.csv' });
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 5000);
        } catch (err) {
          this.act.toast(err.message, 'error');
        }
      },
    }, icon('download', 13), 'CSV');
  }

  compareResult([two, three], pair) {
    const t2 = whatifAgentHours(two);
    const t3 = whatifAgentHours(three);
    const chart = chartBox('stf-chart-compare');
    this.later(() => plot(chart, [
      { type: 'bar', name: 'At most 2 chats each', x: SHORT_MODELS, y: MODELS.map(([m]) => t2[m]), marker: { color: '#8b95c9' }, hovertemplate: '%{x}: %{y:.0f} agent-hours<extra>2 chats</extra>' },
      { type: 'bar', name: 'At most 3 chats each', x: SHORT_MODELS, y: MODELS.map(([m]) => t3[m]), marker: { color: MODEL_COLORS.chat }, hovertemplate: '%{x}: %{y:.0f} agent-hours<extra>3 chats</extra>' },
    ], { barmode: 'group', height: 260, xaxis: { type: 'category', tickangle: 0 }, yaxis: { rangemode: 'tozero', title: { text: 'agent-hours', font: { size: 11 } } } }, {
      summary: `Agent-hours with at most 2 vs 3 chats per agent: ${MODELS.map(([m, l]) => `${l} ${fmtNumber(t2[m], 0)} vs ${fmtNumber(t3[m], 0)}`).join('; ')}.`,
    }));
    const diff = (m) => (t2[m] == null || t3[m] == null ? '—' : `${t3[m] <= t2[m] ? '−' : '+'}${fmtNumber(Math.abs(t3[m] - t2[m]), 1)}`);
    return card('Holds 2 vs 3 chats', { def: 'The same arrivals and goal, agents holding at most 2 or at most 3 chats at once (AHT₁…AHT₂ or AHT₁…AHT₃). Erlang C scales by the concurrency; the chat model also counts the slower handling of a third chat.' },
      pair.note ? h('p', { class: 'rep-foot stf-foot' }, icon('info', 12), pair.note) : null,
      chart,
      h('div', { class: 'rep-table-wrap' }, h('table', { class: 'table rep-table' },
        h('caption', { class: 'stf-caption' }, 'Agent-hours per model, agents holding at most 2 or 3 chats'),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col', class: 'num' }, '2 chats'), h('th', { scope: 'col', class: 'num' }, '3 chats'), h('th', { scope: 'col', class: 'num' }, 'Difference'))),
        h('tbody', null, MODELS.map(([m, l]) => h('tr', null, h('th', { scope: 'row' }, l), h('td', { class: 'num' }, fmtNumber(t2[m], 1)), h('td', { class: 'num' }, fmtNumber(t3[m], 1)), h('td', { class: 'num' }, diff(m))))))));
  }
}

/** A bar's start time, when the bar is long enough to hold it (6 h; its title says it all). */
function barText(b) {
  if (b.end - b.start < 360 || (b.start === 0 && b.overnight && b.end < 10080)) return null;
  return h('span', null, hhmm(b.start % 1440));
}

/** A fieldset's error (the office checkboxes). */
function fieldErrorSet(set, message) {
  set.classList.add('invalid');
  set.querySelector('.field-msg')?.remove();
  set.appendChild(h('span', { class: 'field-msg', role: 'alert' }, icon('alert', 13), message));
}

/** The list in an answer under one of `keys` (or the answer itself when it is a list). */
function rowsOf(r, ...keys) {
  for (const k of [...keys, 'items', 'rows']) if (r && Array.isArray(r[k])) return r[k];
  return Array.isArray(r) ? r : [];
}

