// The Reports pages (#reports, #reports/<tab>): the figures of /api/v1/reports drawn as pictures a
// manager reads at a glance. A filter bar (range preset or dates, department, agent, time zone)
// shared by every tab; each change asks again. Every figure carries its definition (the API's
// `definitions`: a tooltip and an (i) described for screen readers), a CSV link (the same URL
// with format=csv), and the previous period beside it. A click on a KPI, a bar or a heatmap cell
// lists the chats behind it (GET /api/v1/reports/chats); a row opens the transcript (Archive).
// The filter, the queries and the numbers are in data/reports.js; charts are drawn by plotly.js
// (charts.js drawPlot, served by this server). Names (agents, departments, visitors) are set as text: h().

import { api, get } from './api.js';
import { userDepartments } from './directory.js';
import { fullTime, h, icon, parseTime, replaceChildren } from './dom.js';
import { localTimeZone } from './hours.js';
import { card, chartBox, csvLink, defInfo, empty, skeleton } from './cards.js';
import { drawPlot } from './charts.js';
import {
  addDays, API, BETTER, delta, drillQuery, fmtNumber, fmtSeconds, fmtShare, fmtValue, GOAL_METRICS, goalDraft, goalErrorField,
  goalsBody, headline, heatmapGrid, plainError, plotText, PRESETS, rangeText, ReportFilter, reportsHash, reportUrl, sortRows,
  summaryOf, TABS, WEEKDAYS,
} from './data/reports.js';

const LEADS = ['admin', 'manager', 'supervisor'];
/** "Answered within T seconds": T is one of the roll-ups' bucket edges (domain/metric_buckets.EDGES). */
const SERVICE_SECONDS = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600];
const AGENT_TABS = ['overview', 'times', 'agents', 'heatmap', 'transfers'];
const COLORS = { answered: '#16894a', missed: '#c8372d', dropped: '#d08a1e', previous: '#6b7280', p50: '#4054d6', p90: '#8b5cf6' };
const DURATIONS = [
  ['queue_wait', 'Queue wait'], ['first_response', 'First response'], ['reply', 'Reply time'],
  ['handle', 'Active handle time'], ['duration', 'Chat duration'],
];
/** The unit of each figure the summary may carry (the API's units win when it sends them). */
const UNITS = {
  chats: 'count', answered: 'count', missed: 'count', dropped: 'count', offline_messages: 'count', transfers: 'count',
  escalations: 'count', service_level: 'share', satisfaction: 'share', rating_average: 'score', review_score: 'score',
  invitations_sent: 'count', invitations_accepted: 'count', concurrency: 'score', online_hours: 'hours',
  chatting_hours: 'hours', idle_hours: 'hours', queue_wait: 'seconds', first_response: 'seconds', reply: 'seconds',
  handle: 'seconds', duration: 'seconds',
};
const LABELS = {
  chats: 'Chats started', answered: 'Answered', missed: 'Missed', dropped: 'Dropped', offline_messages: 'Offline messages',
  transfers: 'Transfers', escalations: 'Escalations', service_level: 'Service level', satisfaction: 'Satisfaction',
  rating_average: 'Average rating', review_score: 'Review score', invitations_sent: 'Invitations sent',
  invitations_accepted: 'Invitations accepted', concurrency: 'Concurrency', online_hours: 'Online hours',
  chatting_hours: 'Chatting hours', idle_hours: 'Idle hours', ...Object.fromEntries(DURATIONS), taken_over: 'Taken over',
};
/** The Overview's tiles in reading order: volume and outcomes, speed, quality, moves, the rest. */
const KPI_ORDER = [
  'chats', 'answered', 'missed', 'dropped', 'service_level', 'first_response', 'queue_wait', 'reply', 'handle', 'duration',
  'satisfaction', 'rating_average', 'review_score', 'transfers', 'escalations', 'offline_messages', 'invitations_sent',
  'invitations_accepted', 'concurrency', 'online_hours', 'chatting_hours', 'idle_hours',
];
/** The drill-down that lists a KPI's chats. */
const KPI_DRILL = {
  chats: { outcome: 'all' }, answered: { outcome: 'answered' }, missed: { outcome: 'missed' }, dropped: { outcome: 'dropped' },
};

// ===== pieces ======================================================================================
function deltaEl(cur, prev, key, unit) {
  const d = delta(cur, prev, { better: BETTER[key] || 0, unit });
  if (d.tone === 'none') return h('span', { class: 'rep-delta tone-none' }, 'no figure before');
  const was = `before: ${fmtValue(prev, unit)}`;
  return h('span', { class: `rep-delta tone-${d.tone}`, title: `${d.tone === 'better' ? 'Better' : d.tone === 'worse' ? 'Worse' : 'Changed'} than the previous period (${was})` },
    d.arrow ? h('span', { class: 'rep-arrow', 'aria-hidden': 'true' }, d.arrow) : null,
    d.tone === 'same' ? 'same as before' : d.text, h('span', { class: 'rep-was' }, h('span', { class: 'rep-sep' }, ' · '), was));
}

/** A table cell's change from the previous period: an arrow and the difference, the figure before as its tooltip. */
function miniDelta(cur, prev, key, unit) {
  const d = delta(cur, prev, { better: BETTER[key] || 0, unit });
  if (d.tone === 'none' || d.tone === 'same') return null;
  return h('span', { class: `rep-cell-delta tone-${d.tone}`, title: `Previous period: ${fmtValue(prev, unit)}` },
    h('span', { 'aria-hidden': 'true' }, d.arrow), ` ${d.text.replace(/ \(.*\)$/, '')}`);
}

/** A KPI tile: its value, the previous period's delta, and for durations median / p90 / mean and count. */
function tile({ key, label, value, prev, unit, def, onClick }) {
  const isSummary = unit === 'seconds' && value != null && typeof value === 'object';
  const s = isSummary ? summaryOf(value) : null;
  const main = isSummary ? s.p50 : headline(value);
  const before = isSummary ? summaryOf(prev).p50 : headline(prev);
  const info = defInfo(def);
  const body = [
    h('span', { class: 'rep-tile-label', title: def || null }, label, isSummary ? h('span', { class: 'rep-tile-sub' }, ' median') : null),
    h('strong', { class: 'rep-tile-value' }, fmtValue(main, unit)),
    isSummary ? h('span', { class: 'rep-tile-more' },
      `p90 ${fmtSeconds(s.p90)} · mean ${fmtSeconds(s.mean)} · n ${fmtNumber(s.n)}${s.approx ? ' · ≈' : ''}`) : null,
    deltaEl(main, before, key, unit),
  ];
  const el = onClick
    ? h('button', { class: 'rep-tile rep-tile-drill', type: 'button', dataset: { kpi: key }, onclick: onClick, title: def ? `${def} — click for the chats` : 'Click for the chats' }, body)
    : h('div', { class: 'rep-tile', dataset: { kpi: key } }, body);
  return h('div', { class: 'rep-tile-box' }, el, info);
}

/** A chart in its box (charts.js): y from zero, clicks to the drill-down. */
function plot(el, data, layout, { summary, onClick = null } = {}) {
  return drawPlot(el, data, layout, { summary, onClick, zeroBased: true });
}

// ===== answers: tolerant readers of the API's shapes ================================================
const rowsOf = (r, ...keys) => {
  for (const k of [...keys, 'rows', 'items', 'series', 'buckets']) if (r && Array.isArray(r[k])) return r[k];
  return Array.isArray(r) ? r : [];
};
/** The id of a row's agent or department ({agent: {id}} or agent_id). */
const idOf = (row, kind) => {
  const ref = row && row[kind] && typeof row[kind] === 'object' ? row[kind] : null;
  const id = (ref && ref.id) ?? (row && (row[`${kind}_id`] ?? row.id));
  return id == null ? null : String(id);
};
/** The figures of an answer (or of its `previous`): `figures`/`metrics`/`totals`, else the answer itself. */
const figuresOf = (r) => (r && (r.figures || r.metrics || r.totals)) || r || {};
/** The activity hours of an agent ({online_s, …} seconds) as hours, the leaderboard's columns. */
function activityHours(x) {
  const out = {};
  for (const k of ['online', 'away', 'chatting', 'idle']) {
    const v = x && (x[`${k}_hours`] ?? (x[`${k}_s`] != null ? x[`${k}_s`] / 3600 : undefined));
    if (v !== undefined) out[`${k}_hours`] = v;
  }
  if (x && x.concurrency !== undefined) out.concurrency = x.concurrency;
  return out;
}
const labelOf = (row) => String(row.label ?? row.start ?? row.day ?? row.date ?? row.at ?? '');

/** A bucket's start as a short label: "Mon 3", "14:00", or the week's first day. */
function bucketLabel(row, interval, many = false) {
  const raw = typeof row === 'string' ? row : labelOf(row);
  const d = /^\d{4}-\d{2}-\d{2}/.test(raw) ? raw.slice(0, 10) : null;
  if (interval === 'hour') {
    const m = /T(\d{2}):/.exec(raw);
    return m ? `${m[1]}:00` : raw;
  }
  if (!d) return raw;
  const date = new Date(`${d}T12:00:00Z`);
  const opts = interval === 'week' || many ? { day: 'numeric', month: 'short' } : { weekday: 'short', day: 'numeric' };
  return (interval === 'week' ? 'wk ' : '') + date.toLocaleDateString('en-GB', { timeZone: 'UTC', ...opts });
}

function nameOf(row, kind, directory) {
  const ref = row[kind] && typeof row[kind] === 'object' ? row[kind] : null;
  if (row[kind] === null && !(`${kind}_id` in row)) return kind === 'agent' ? 'No agent (never answered)' : 'No department';
  const n = (ref && (ref.name || ref.slug)) ?? row.name ?? row[`${kind}_name`];
  if (n) return String(n);
  const id = (ref && ref.id) ?? row[`${kind}_id`] ?? row.id;
  const known = kind === 'agent' ? directory.user(Number(id)) : directory.department(Number(id));
  return known ? String(known.name || known.slug) : id == null ? '—' : `#${id}`;
}

// ===== the page ====================================================================================
export class ReportsPage {
  /** @param {object} data  the data modules  @param {object} act  the App's callbacks (App.viewActions) */
  constructor(data, act) {
    this.data = data;
    this.act = act;
    this.tab = 'dashboard';
    this.defs = {};
    this.epoch = 0;
    this.timer = 0;
    this.sort = { key: 'chats', desc: true };
    this.filter = new ReportFilter({ myZone: localTimeZone(), zoneOf: (id) => this.zoneOf(id) });
    this.filter.subscribe(() => { this.syncFilters(); this.load(); });
    this.build();
  }

  get me() { return this.data.session.me; }
  isLead() { return !!this.me && LEADS.includes(this.me.role); }
  mayEditGoals() { return !!this.me && ['admin', 'manager'].includes(this.me.role); }
  tabs() { return TABS.filter(([id]) => this.isLead() || AGENT_TABS.includes(id)); }

  zoneOf(id) {
    const d = this.data.directory.department(Number(id));
    const tz = d && d.hours && d.hours.timezone;
    return typeof tz === 'string' && tz ? tz : null;
  }

  build() {
    this.statusEl = h('p', { class: 'rep-range-text' });
    this.tabBar = h('nav', { class: 'rep-tabs', role: 'tablist', 'aria-label': 'Reports' });
    const f = this.filter;
    const field = (name, label, input, cls = '') => {
      const box = h('label', { class: `field rep-field rep-f-${name} ${cls}`.trim() }, h('span', { class: 'field-label' }, label), input);
      this.fields[name] = { input, box };
      return box;
    };
    this.fields = {};
    this.presetSel = h('select', { class: 'input', name: 'rep-preset', onchange: () => f.set('preset', this.presetSel.value) },
      PRESETS.map(([v, t]) => h('option', { value: v }, t)));
    // the range's dates are always shown; changing one makes the range custom (a date input fires
    // `input` only once a whole date is typed)
    const dateIn = (name, key) => {
      const input = h('input', { class: 'input', type: 'date', name, required: true });
      const apply = () => { if (input.value) f.set(key, input.value); };
      input.addEventListener('change', apply);
      input.addEventListener('input', apply);
      return input;
    };
    this.fromIn = dateIn('rep-from', 'from');
    this.toIn = dateIn('rep-to', 'to');
    this.deptSel = h('select', { class: 'input', name: 'rep-department', onchange: () => f.set('department', this.deptSel.value) });
    this.agentSel = h('select', { class: 'input', name: 'rep-agent', onchange: () => f.set('agent', this.agentSel.value) });
    this.tzSel = h('select', { class: 'input', name: 'rep-tz', onchange: () => f.set('tzMode', this.tzSel.value) });
    this.filterBar = h('form', { class: 'rep-filters rep-filter', role: 'search', 'aria-label': 'Report filters', onsubmit: (e) => e.preventDefault() },
      field('preset', 'Range', this.presetSel),
      field('from', 'From', this.fromIn),
      field('to', 'To', this.toIn),
      field('department', 'Department', this.deptSel),
      field('agent', 'Agent', this.agentSel),
      field('tz', 'Time zone', this.tzSel));
    this.body = h('div', { class: 'rep-body', role: 'tabpanel', 'aria-live': 'polite', 'aria-busy': 'false' });
    this.drill = h('aside', { class: 'rep-drill', hidden: true, 'aria-label': 'Chats behind a figure' });
    this.root = h('section', { class: 'settings reports', 'aria-label': 'Reports' },
      h('header', { class: 'settings-head' },
        h('div', { class: 'settings-title' },
          h('span', { class: 'settings-icon' }, icon('chart', 18)),
          h('div', null, h('h1', null, 'Reports'), this.statusEl)),
        h('button', { class: 'btn btn-secondary btn-sm rep-back', type: 'button', onclick: () => this.act.leaveScreen(true) },
          icon('arrowLeft', 15), 'Back to chats')),
      this.tabBar, this.filterBar,
      h('div', { class: 'rep-main' }, this.body, this.drill));
    document.addEventListener('visibilitychange', () => this.schedule());
  }

  /** Shown (or a tab chosen by the route). */
  show(tab = null) {
    const me = this.me;
    if (me && !this.isLead()) this.filter.lockAgent(me.id);
    const allowed = this.tabs().map(([id]) => id);
    this.tab = allowed.includes(tab) ? tab : (this.isLead() ? 'dashboard' : 'overview');
    this.fillTabs();
    this.fillSelects();
    Promise.all([this.data.directory.loadDepartments(), this.isLead() ? this.data.directory.loadUsers() : null])
      .then(() => { this.fillSelects(); }, () => {});
    this.syncFilters();
    this.load();
  }

  start() { this.show(this.tab); }

  stop() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.epoch++;
  }

  setTab(tab) {
    if (tab === this.tab) return;
    this.tab = tab;
    const hash = reportsHash(tab);
    if (location.hash !== hash) history.replaceState(null, '', hash);
    this.closeDrill();
    this.fillTabs();
    this.syncFilters();
    this.load();
  }

  fillTabs() {
    const tabs = this.tabs();
    replaceChildren(this.tabBar,
      tabs.map(([id, label]) => h('button', {
        class: `stab rep-tab${id === this.tab ? ' active' : ''}`, type: 'button', role: 'tab', dataset: { tab: id },
        'aria-selected': String(id === this.tab), onclick: () => this.setTab(id),
      }, label)),
      this.isLead() ? h('a', {
        class: 'stab rep-tab rep-tab-link', href: '#settings/invitereport', title: 'The invitation report (Settings → Invitation report)',
      }, 'Invitations', icon('send', 12)) : null);
  }

  departments() {
    const all = [...(this.data.directory.departments || [])].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const me = this.me;
    if (!me || me.role !== 'supervisor') return all;
    const listed = me.departments ? me : this.data.directory.user(me.id);
    const mine = new Set(userDepartments(listed, this.data.directory).map((d) => Number(d.id)));
    return all.filter((d) => mine.has(Number(d.id)));
  }

  agents() {
    const users = this.data.directory.users || [];
    const dept = this.filter.department;
    return users.filter((u) => u && u.active !== false && !u.deactivated_at)
      .filter((u) => !dept || userDepartments(u, this.data.directory).some((d) => String(d.id) === dept))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }

  fillSelects() {
    const f = this.filter;
    const depts = this.departments();
    replaceChildren(this.deptSel,
      h('option', { value: '' }, this.me && this.me.role === 'supervisor' ? 'All my departments' : 'All departments'),
      depts.map((d) => h('option', { value: String(d.id) }, d.name || d.slug)));
    this.deptSel.value = f.department;
    const agents = this.agents();
    replaceChildren(this.agentSel, h('option', { value: '' }, 'All agents'), agents.map((u) => h('option', { value: String(u.id) }, u.name || u.email)));
    this.agentSel.value = f.agent;
    this.fillZones();
  }

  fillZones() {
    const f = this.filter;
    const deptZone = f.department ? this.zoneOf(f.department) : null;
    // without a department (or one without business hours) the figures are in my zone
    replaceChildren(this.tzSel,
      h('option', { value: 'department', disabled: !deptZone }, deptZone ? `The department’s (${deptZone})` : 'The department’s (none set)'),
      h('option', { value: 'mine' }, `Mine (${f.myZone})`));
    this.tzSel.value = deptZone ? f.tzMode : 'mine';
  }

  /** The inputs show the filter; fields a tab does not use are hidden. */
  syncFilters() {
    const f = this.filter;
    this.presetSel.value = f.preset;
    this.fromIn.value = f.from;
    this.toIn.value = f.to;
    this.deptSel.value = f.department;
    this.agentSel.value = f.agent;
    this.fillZones();
    const dash = this.tab === 'dashboard';
    const goals = this.tab === 'goals';
    this.fields.preset.box.hidden = dash;
    for (const k of ['from', 'to']) this.fields[k].box.hidden = dash;
    this.fields.department.box.hidden = !this.isLead();
    this.fields.agent.box.hidden = !this.isLead() || dash || goals || this.tab === 'departments';
    this.statusEl.textContent = dash ? `Now and today · ${f.tz}` : `${rangeText(f)} · ${f.tz}`;
    this.clearFieldErrors();
  }

  clearFieldErrors() {
    for (const { input, box } of Object.values(this.fields)) {
      input.removeAttribute('aria-invalid');
      box.classList.remove('invalid');
      for (const m of box.querySelectorAll('.field-msg')) m.remove();
    }
  }

  /** An error from the server: at the filter field it names, else in the body. */
  showError(err, where = this.body) {
    if (err && err.status === 401) return;
    const name = String((err && err.field) || '').split(/[.[]/)[0];
    const target = this.fields[name === 'department_id' ? 'department' : name === 'agent_id' ? 'agent' : name];
    const msg = err && err.field ? plainError(err.message) : (err && err.message) || 'Something went wrong.';
    if (target && !target.box.hidden) {
      target.input.setAttribute('aria-invalid', 'true');
      target.box.classList.add('invalid');
      target.box.appendChild(h('span', { class: 'field-msg', role: 'alert' }, icon('alert', 13), msg));
      replaceChildren(where, empty('Fix the filter above to see the figures.'));
      return;
    }
    replaceChildren(where, h('p', { class: 'form-error', role: 'alert' }, icon('alert', 14),
      err && err.field ? `${err.field}: ${msg}` : msg));
  }

  /** Asks for the tab's figures; answers to an older question are dropped. */
  async load() {
    if (!this.root.isConnected && this.epoch > 0) return;
    const epoch = ++this.epoch;
    clearTimeout(this.timer);
    this.timer = 0;
    this.syncFilters();
    this.body.setAttribute('aria-busy', 'true');
    if (!this.body.dataset.tab || this.body.dataset.tab !== this.tab || !this.body.firstChild) replaceChildren(this.body, skeleton());
    else this.body.classList.add('rep-refreshing');
    this.body.dataset.tab = this.tab;
    try {
      const view = await this[`load_${this.tab}`]();
      if (epoch !== this.epoch) return;
      replaceChildren(this.body, view);
      await this.afterDraw();
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.showError(err);
    } finally {
      if (epoch === this.epoch) {
        this.body.setAttribute('aria-busy', 'false');
        this.body.classList.remove('rep-refreshing');
        this.schedule();
      }
    }
  }

  /** The dashboard refreshes every 30 s while it is shown and the browser tab visible. */
  schedule() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (this.tab !== 'dashboard' || !this.root.isConnected || document.visibilityState === 'hidden') return;
    this.timer = setTimeout(() => { if (this.root.isConnected && this.tab === 'dashboard') this.load(); }, 30_000);
  }

  async fetch(path, extra = {}, opts = {}) {
    const url = reportUrl(path, this.filter.query(extra, opts));
    const r = await get(url);
    Object.assign(this.defs, (r && r.definitions) || {});
    return { r, url };
  }

  def(key) { return this.defs[key] || null; }

  /** Charts are drawn once their boxes are on the page (plotly needs their width). */
  async afterDraw() {
    const jobs = this.pending || [];
    this.pending = [];
    await Promise.all(jobs.map((fn) => fn()));
  }

  later(fn) { (this.pending = this.pending || []).push(fn); }

  // ----- Dashboard -------------------------------------------------------------------------
  async load_dashboard() {
    const { r, url } = await this.fetch('dashboard', {}, { range: false });
    const now = r.now || {};
    const today = r.today || {};
    const last = r.last_week || r.same_weekday_last_week || r.previous || {};
    const byStatus = now.agents || now.agents_online || {};
    const slNow = now.service_level && typeof now.service_level === 'object' ? now.service_level : { actual: now.service_level };
    const goal = slNow.target ?? null;
    const sl = slNow.actual ?? today.service_level;
    const within = slNow.seconds != null ? ` (within ${slNow.seconds} s)` : '';
    const nowTiles = [
      ['visitors_online', 'Visitors online', now.visitors_online, 'count'],
      ['chats_in_progress', 'Chats in progress', now.chats_in_progress ?? now.active, 'count'],
      ['waiting', 'Waiting', now.waiting, 'count'],
      ['longest_wait', 'Longest wait', now.longest_wait_s ?? now.longest_wait, 'seconds'],
    ];
    const agentText = typeof byStatus === 'object'
      ? ['online', 'away', 'offline'].filter((k) => byStatus[k] != null).map((k) => `${byStatus[k]} ${k}`).join(' · ')
      : String(byStatus);
    const slTile = h('div', { class: `rep-tile rep-tile-sl${goal != null && sl != null ? (sl >= goal ? ' met' : ' missed') : ''}`, dataset: { kpi: 'service_level' } },
      h('span', { class: 'rep-tile-label', title: this.def('service_level') }, `Service level today${within}`),
      h('strong', { class: 'rep-tile-value' }, fmtShare(sl)),
      h('span', { class: 'rep-tile-more' }, goal != null ? `goal ${fmtShare(goal)}${sl != null ? (sl >= goal ? ' · met' : ' · below the goal') : ''}` : 'no goal set'));
    const compare = [
      ['chats', 'Chats', 'count'], ['answered', 'Answered', 'count'], ['missed', 'Missed', 'count'],
      ['service_level', 'Service level', 'share'], ['first_response_p50', 'First response (median)', 'seconds'],
    ];
    const pick = (o, k) => (k === 'first_response_p50' ? (o.first_response_p50 ?? (o.first_response && o.first_response.p50)) : o[k]);
    const chart = chartBox('rep-chart-today');
    const counts = [['chats', 'Chats'], ['answered', 'Answered'], ['missed', 'Missed']];
    const dayName = (d, fallback) => (d ? new Date(`${d}T12:00:00Z`).toLocaleDateString('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }) : fallback);
    this.later(() => plot(chart, [
      {
        type: 'bar', name: `${dayName(last.day, 'Last week')} (same time)`, x: counts.map(([, l]) => l), y: counts.map(([k]) => Number(last[k]) || 0),
        marker: { color: '#c4c8d0' }, hovertemplate: '%{x}: %{y}<extra>last week</extra>',
      },
      {
        type: 'bar', name: `Today, ${dayName(today.day, '')}`, x: counts.map(([, l]) => l), y: counts.map(([k]) => Number(today[k]) || 0),
        marker: { color: counts.map(([k]) => (k === 'missed' ? COLORS.missed : k === 'answered' ? COLORS.answered : COLORS.p50)) },
        hovertemplate: '%{x}: %{y}<extra>today</extra>',
      },
    ], { barmode: 'group', height: 240, xaxis: { type: 'category' }, yaxis: { tickformat: 'd' }, showlegend: true }, {
      summary: `Today so far: ${counts.map(([k, l]) => `${l.toLowerCase()} ${today[k] ?? 0}`).join(', ')}; the same weekday last week by this time: ${counts.map(([k, l]) => `${l.toLowerCase()} ${last[k] ?? 0}`).join(', ')}.`,
      onClick: (p) => {
        const k = counts[p.pointIndex ?? p.pointNumber];
        if (k && p.curveNumber === 1) this.openDrill(`${k[1]} today`, { ...KPI_DRILL[k[0]] }, { today: true });
      },
    }));
    return [
      card('Now', { def: this.def('now'), cls: 'rep-now' },
        h('div', { class: 'rep-tiles' },
          nowTiles.map(([k, label, v, unit]) => h('div', { class: 'rep-tile-box' }, h('div', { class: 'rep-tile', dataset: { kpi: k } },
            h('span', { class: 'rep-tile-label', title: this.def(k) }, label),
            h('strong', { class: `rep-tile-value${k === 'waiting' && v > 0 ? ' warn' : ''}` }, fmtValue(v, unit))))),
          h('div', { class: 'rep-tile-box' }, h('div', { class: 'rep-tile', dataset: { kpi: 'agents' } },
            h('span', { class: 'rep-tile-label' }, 'Agents'),
            h('strong', { class: 'rep-tile-value' }, fmtNumber(typeof byStatus === 'object' ? byStatus.online : byStatus)),
            h('span', { class: 'rep-tile-more' }, agentText || '—'))),
          h('div', { class: 'rep-tile-box' }, slTile, defInfo(this.def('service_level'))))),
      card('Today so far vs the same weekday last week', { csv: url, def: this.def('today') },
        h('div', { class: 'rep-tiles' }, compare.map(([k, label, unit]) => tile({
          key: k, label, value: pick(today, k), prev: pick(last, k), unit, def: this.def(k.replace('_p50', '')),
          onClick: KPI_DRILL[k] ? () => this.openDrill(`${label} today`, { ...KPI_DRILL[k] }, { today: true }) : null,
        }))), chart),
      h('p', { class: 'rep-foot' }, icon('clock', 12), `Refreshed every 30 seconds · ${new Date().toLocaleTimeString()}`),
    ];
  }

  // ----- Overview ------------------------------------------------------------------------------
  async load_overview() {
    const interval = this.filter.interval();
    const [{ r: sum, url: sumUrl }, { r: vol, url: volUrl }] = await Promise.all([
      this.fetch('summary'), this.fetch('volume', { interval }),
    ]);
    const cur = figuresOf(sum);
    const prev = figuresOf(sum.previous);
    const keys = KPI_ORDER.filter((k) => cur[k] !== undefined && !(cur[k] === null && (k.endsWith('_hours') || k === 'concurrency' || k === 'offline_messages')));
    const tiles = keys.map((k) => {
      const unit = (sum.units && sum.units[k]) || UNITS[k] || 'count';
      const drill = KPI_DRILL[k] || (unit === 'seconds' && cur[k] && cur[k].p90 != null ? { metric: k, min_s: cur[k].p90 } : null);
      const title = unit === 'seconds' ? `${LABELS[k]}: slower than p90` : LABELS[k];
      const label = k === 'service_level' && cur[k] && cur[k].seconds != null ? `Answered within ${cur[k].seconds} s` : LABELS[k];
      return tile({ key: k, label, value: cur[k], prev: prev[k], unit, def: this.def(k), onClick: drill ? () => this.openDrill(title, drill) : null });
    });
    const rows = rowsOf(vol, 'buckets', 'series', 'volume');
    const prevRows = rowsOf(vol.previous || {}, 'buckets', 'series', 'volume');
    const chart = chartBox('rep-chart-volume');
    const exportUrl = reportUrl('export', this.filter.query());
    const total = rows.reduce((n, x) => n + (Number(x.chats) || 0), 0);
    if (rows.length) {
      const labels = rows.map((x) => bucketLabel(x, vol.interval || interval, rows.length > 14));
      const bar = (k) => ({
        type: 'bar', name: LABELS[k], x: labels, y: rows.map((x) => Number(x[k]) || 0), marker: { color: COLORS[k] },
        customdata: rows.map((x) => labelOf(x)), hovertemplate: `%{x}: %{y} ${k}<extra></extra>`,
      });
      const data = [bar('answered'), bar('missed'), bar('dropped')];
      if (prevRows.length) {
        data.push({
          type: 'scatter', mode: 'lines+markers', name: 'Chats, previous period', x: labels.slice(0, prevRows.length),
          y: prevRows.slice(0, labels.length).map((x) => Number(x.chats) || 0), line: { color: COLORS.previous, dash: 'dot', width: 2 },
          marker: { size: 4 }, hovertemplate: '%{y} chats the period before<extra></extra>',
        });
      }
      this.later(() => plot(chart, data, {
        barmode: 'stack', xaxis: { type: 'category' }, yaxis: { tickformat: 'd' }, bargap: 0.2, legend: { orientation: 'h', y: -0.2, x: 0, traceorder: 'normal' },
      }, {
        summary: `Chats by ${vol.interval || interval}: ${total} in all; answered, missed and dropped stacked, the previous period as a dotted line.`,
        onClick: (p) => {
          const row = rows[p.pointIndex ?? p.pointNumber];
          if (!row || p.data.type !== 'bar') return;
          const outcome = ['answered', 'missed', 'dropped'][p.curveNumber] || 'all';
          this.openDrill(`${LABELS[outcome]} · ${bucketLabel(row, vol.interval || interval)}`, { outcome, ...this.bucketFilter(row, vol.interval || interval) });
        },
      }));
    }
    return [
      card('Key figures', {
        csv: sumUrl, extra: h('a', { class: 'rep-csv rep-export', href: exportUrl, download: '', title: 'Every chat of the range, one row each, for a spreadsheet' }, icon('download', 13), 'Export one row per chat'),
      }, keys.length ? h('div', { class: 'rep-tiles' }, tiles) : empty('No chats in this range.')),
      card('Volume and outcomes', { def: this.def('chats'), csv: volUrl },
        rows.length && total ? chart : empty('No chats in this range. Chats started in it would show here by day.')),
    ];
  }

  /** The drill-down filter of one bucket of a chart over time. */
  bucketFilter(row, interval) {
    const raw = labelOf(row);
    const day = /^\d{4}-\d{2}-\d{2}/.test(raw) ? raw.slice(0, 10) : null;
    if (interval === 'hour' && day) {
      const m = /T(\d{2}):/.exec(raw);
      const wd = (new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7;
      return m ? { day, hour: Number(m[1]), weekday: wd } : { day };
    }
    if (interval === 'day' && day) return { day };
    return {};
  }

  // ----- Times -----------------------------------------------------------------------------------
  async load_times() {
    const interval = this.filter.interval() === 'hour' ? 'day' : this.filter.interval();
    const { r, url } = await this.fetch('times', { interval });
    const rows = rowsOf(r, 'buckets', 'series', 'times');
    const cards = DURATIONS.map(([k, label]) => {
      const box = chartBox('rep-chart-times');
      const pts = rows.map((x) => summaryOf(x[k] || (x.metrics && x.metrics[k])));
      const any = pts.some((s) => s.p50 != null);
      if (any) {
        const labels = rows.map((x) => bucketLabel(x, r.interval || interval, rows.length > 14));
        const line = (q, dash) => ({
          type: 'scatter', mode: 'lines+markers', name: q === 'p50' ? 'Median' : '90th percentile', x: labels,
          y: pts.map((s) => s[q]), line: { color: COLORS[q], dash, width: 2 }, marker: { size: 5 }, connectgaps: false,
          customdata: pts.map((s) => s.n ?? ''), hovertemplate: `%{x}: %{y:.0f} s (n %{customdata})<extra>${q}</extra>`,
        });
        this.later(() => plot(box, [line('p50', 'solid'), line('p90', 'dash')], {
          height: 220, xaxis: { type: 'category' }, yaxis: { ticksuffix: ' s' },
        }, {
          summary: `${label} by ${r.interval || interval}: median and 90th percentile in seconds.`,
          onClick: (p) => {
            const row = rows[p.pointIndex ?? p.pointNumber];
            const s = pts[p.pointIndex ?? p.pointNumber];
            if (row && s && s.p90 != null) this.openDrill(`${label} slower than p90 · ${bucketLabel(row, r.interval || interval)}`, { metric: k, min_s: s.p90, ...this.bucketFilter(row, r.interval || interval) });
          },
        }));
      }
      const now = summaryOf(r.totals && r.totals[k]);
      const before = summaryOf(r.previous && r.previous.totals && r.previous.totals[k]);
      const line = now.n ? h('p', { class: 'rep-period' },
        h('span', null, `Median ${fmtSeconds(now.p50)} `), deltaEl(now.p50, before.p50, k, 'seconds'),
        h('span', null, ` · p90 ${fmtSeconds(now.p90)} `), deltaEl(now.p90, before.p90, k, 'seconds'),
        h('span', { class: 'muted' }, ` · n ${fmtNumber(now.n)}${now.approx ? ' · ≈ from hourly roll-ups' : ''}`)) : null;
      return card(label, { def: this.def(k), csv: url, cls: 'rep-half' }, line, any ? box : empty(`No ${label.toLowerCase()} in this range: it comes from answered chats.`));
    });
    // the service level per interval (its T is the department's goal's, else 30 s)
    const sl = rows.map((x) => x.service_level || {});
    const slBox = chartBox('rep-chart-times');
    const slNow = (r.totals && r.totals.service_level) || {};
    const slBefore = (r.previous && r.previous.totals && r.previous.totals.service_level) || {};
    const slLabel = `Answered within ${slNow.seconds ?? 30} s`;
    if (sl.some((x) => x.value != null)) {
      const labels = rows.map((x) => bucketLabel(x, r.interval || interval, rows.length > 14));
      this.later(() => plot(slBox, [{
        type: 'scatter', mode: 'lines+markers', name: slLabel, x: labels, y: sl.map((x) => (x.value == null ? null : x.value * 100)),
        line: { color: COLORS.answered, width: 2 }, marker: { size: 5 }, customdata: sl.map((x) => x.answered ?? ''),
        hovertemplate: '%{x}: %{y:.1f} % of %{customdata} answered<extra></extra>',
      }], { height: 220, xaxis: { type: 'category' }, yaxis: { ticksuffix: ' %', range: [0, 105] }, showlegend: false },
      { summary: `${slLabel}, share of answered chats by ${r.interval || interval}.` }));
    }
    cards.unshift(card(`Service level: ${slLabel.toLowerCase()}`, { def: this.def('service_level'), csv: url, cls: 'rep-half' },
      slNow.value != null ? h('p', { class: 'rep-period' }, h('span', null, `${fmtShare(slNow.value)} of ${fmtNumber(slNow.answered)} answered `),
        deltaEl(slNow.value, slBefore.value, 'service_level', 'share')) : null,
      sl.some((x) => x.value != null) ? slBox : empty('No answered chats in this range.')));
    return h('div', { class: 'rep-grid' }, cards);
  }

  // ----- Agents ----------------------------------------------------------------------------------
  async load_agents() {
    const [{ r, url }, activity] = await Promise.all([
      this.fetch('agents'),
      this.fetch('activity').catch(() => null), // the activity hours (REPORTS-B); the table works without
    ]);
    const hours = new Map(rowsOf(activity && activity.r, 'agents').map((x) => [String((x.agent && x.agent.id) ?? x.agent_id ?? x.id), activityHours(x)]));
    this.agentRows = rowsOf(r, 'agents').map((x) => {
      const id = idOf(x, 'agent');
      const a = hours.get(id) || {};
      // the activity report's hours fill the leaderboard's (null there: a seam of /reports/agents)
      return { ...x, ...Object.fromEntries(Object.entries(a).filter(([k]) => x[k] == null)), id, name: nameOf(x, 'agent', this.data.directory) };
    });
    this.agentsBefore = new Map(rowsOf(r.previous || {}, 'agents').map((x) => [idOf(x, 'agent'), x]));
    this.agentsUrl = url;
    this.activityUrl = activity && activity.url;
    return this.agentsView();
  }

  agentsView() {
    const cols = [
      ['name', 'Agent', 'text'], ['chats', 'Chats', 'count'], ['answered', 'Answered', 'count'], ['missed', 'Missed', 'count'],
      ['first_response.p50', 'First response p50', 'seconds'], ['first_response.p90', 'p90', 'seconds'],
      ['handle.p50', 'Handle p50', 'seconds'], ['service_level.value', 'Service level', 'share'], ['concurrency.mean', 'Concurrency', 'score'],
      ['satisfaction', 'Satisfaction', 'share'],
      ['transfers', 'Transfers', 'count'], ['online_hours', 'Online h', 'hours'], ['chatting_hours', 'Chatting h', 'hours'], ['idle_hours', 'Idle h', 'hours'],
    ];
    const pick = (row, key) => key.split('.').reduce((v, p) => (v == null ? null : v[p]), row);
    const all = this.agentRows || [];
    const rows = [...sortRows(all.filter((x) => x.id != null), this.sort.key, this.sort.desc), ...all.filter((x) => x.id == null)]; // missed chats (no agent) last
    const most = Math.max(1, ...all.map((x) => Number(x.chats) || 0));
    const cell = (x, k, unit) => {
      if (k === 'name') return h('td', { class: 'rep-name' }, x.name);
      if (k !== 'chats') return h('td', { class: 'num' }, fmtValue(pick(x, k), unit));
      const bar = h('span', { class: 'rep-bar', 'aria-hidden': 'true' });
      bar.style.setProperty('--w', `${Math.round(((Number(x.chats) || 0) / most) * 100)}%`);
      const before = this.agentsBefore && this.agentsBefore.get(x.id);
      return h('td', { class: 'num rep-chats-cell' }, bar, fmtValue(x.chats, unit), before ? miniDelta(x.chats, before.chats, 'chats', 'count') : null);
    };
    const present = cols.filter(([k]) => k === 'name' || rows.some((x) => pick(x, k) !== undefined));
    const th = ([key, label]) => {
      const on = this.sort.key === key;
      return h('th', { scope: 'col', class: key === 'name' ? '' : 'num', 'aria-sort': on ? (this.sort.desc ? 'descending' : 'ascending') : 'none', title: this.def(key.split('.')[0]) },
        h('button', {
          class: 'rep-sort', type: 'button', dataset: { sort: key },
          onclick: () => { this.sort = { key, desc: on ? !this.sort.desc : key !== 'name' }; replaceChildren(this.body, this.agentsView()); },
        }, label, h('span', { class: 'rep-sort-mark', 'aria-hidden': 'true' }, on ? (this.sort.desc ? '↓' : '↑') : '')));
    };
    const table = h('div', { class: 'rep-table-wrap' }, h('table', { class: 'table rep-table rep-leaderboard' },
      h('thead', null, h('tr', null, present.map(th))),
      h('tbody', null, rows.map((x) => h('tr', {
        class: x.id == null ? 'rep-row-none' : 'rep-row', tabindex: x.id == null ? null : '0', dataset: { agent: x.id ?? '' }, title: x.id == null ? null : 'Open the day timeline',
        onclick: () => x.id != null && this.openTimeline(x), onkeydown: (e) => { if (e.key === 'Enter' && x.id != null) this.openTimeline(x); },
      }, present.map(([k, , unit]) => cell(x, k, unit)))))));
    this.timelineSlot = this.timelineSlot && this.timelineSlot.isConnected ? this.timelineSlot : h('div', { class: 'rep-timeline-slot' });
    return [
      card('Agents', { csv: this.agentsUrl, def: 'Click a column to sort; click an agent for their day.', extra: this.activityUrl ? csvLink(this.activityUrl, 'Activity CSV') : null },
        rows.length ? table : empty('No agent had chats in this range.')),
      this.timelineSlot,
    ];
  }

  /** The agent's day: `day`, or else the latest day of the range (a week back at most) they were online or away. */
  async openTimeline(row, day = null) {
    const f = this.filter;
    const seq = (this.timelineSeq = (this.timelineSeq || 0) + 1);
    let date = day || f.to;
    const slot = this.timelineSlot;
    const dayIn = h('input', { class: 'input', type: 'date', name: 'rep-day', value: date, 'aria-label': 'Day', onchange: () => dayIn.value && this.openTimeline(row, dayIn.value) });
    replaceChildren(slot, card(`${row.name} · day timeline`, { def: this.def('timeline') || 'The agent’s status (online, away, offline) and the chats they held through the day, in local time.', extra: dayIn }, skeleton(1)));
    slot.scrollIntoView({ block: 'nearest' });
    const urlOf = (d) => `${API}/agents/${encodeURIComponent(row.id)}/timeline?${new URLSearchParams({ day: d, tz: f.tz })}`;
    const worked = (x) => rowsOf(x, 'segments').some((sg) => sg.status !== 'offline');
    let r;
    try {
      r = await get(urlOf(date));
      if (!day && !worked(r)) { // none found: the range's last day, offline
        let d = date;
        for (let back = 1; back < 7 && d > f.from; back++) {
          d = addDays(d, -1);
          const earlier = await get(urlOf(d));
          if (seq !== this.timelineSeq) return;
          if (worked(earlier)) { r = earlier; date = d; break; }
        }
      }
    } catch (err) {
      const box = slot.querySelector('.rep-card');
      replaceChildren(box.querySelector('.rep-loading')?.parentNode || box, box.firstChild, h('p', { class: 'form-error', role: 'alert' }, icon('alert', 14), plainError(err.message)));
      return;
    }
    if (seq !== this.timelineSeq) return; // another agent or day was asked for since
    const url = urlOf(date);
    dayIn.value = date;
    Object.assign(this.defs, (r && r.definitions) || {});
    const segs = rowsOf(r, 'segments');
    const chart = chartBox('rep-chart-timeline');
    const hrs = activityHours(r);
    const totals = h('p', { class: 'rep-foot' }, ['online', 'chatting', 'idle', 'away'].map((k) => {
      const v = hrs[`${k}_hours`];
      return v == null ? null : h('span', { class: 'rep-pill', title: this.def(`${k}_hours`) }, `${k[0].toUpperCase()}${k.slice(1)}: ${fmtNumber(v, 1)} h`);
    }), hrs.concurrency != null ? h('span', { class: 'rep-pill', title: this.def('concurrency') }, `Concurrency: ${fmtNumber(hrs.concurrency, 2)}`) : null);
    replaceChildren(slot, card(`${row.name} · day timeline`, { def: this.def('timeline') || 'The agent’s status and the chats they held through the day, in local time.', csv: url, extra: dayIn },
      segs.length ? chart : empty('No status changes recorded that day: the agent was offline.'), totals));
    if (!segs.length) return;
    const STATUS = { online: '#16894a', away: '#d08a1e', offline: '#c4c8d0' };
    const data = Object.keys(STATUS).map((st) => {
      const own = segs.filter((s) => s.status === st);
      return {
        type: 'bar', orientation: 'h', name: st[0].toUpperCase() + st.slice(1), y: own.map(() => 'Status'),
        base: own.map((s) => s.start), x: own.map((s) => parseTime(s.end) - parseTime(s.start)), marker: { color: STATUS[st], line: { width: 0 } },
        hovertemplate: `${st} %{base|%H:%M}–%{x}<extra></extra>`, yaxis: 'y2',
      };
    });
    const steps = [];
    for (const s of segs) { steps.push([s.start, s.load ?? 0]); steps.push([s.end, s.load ?? 0]); }
    data.push({
      type: 'scatter', mode: 'lines', name: 'Chats held', x: steps.map((p) => p[0]), y: steps.map((p) => p[1]),
      line: { color: COLORS.p50, width: 2, shape: 'hv' }, fill: 'tozeroy', fillcolor: 'rgba(64,84,214,.12)',
      hovertemplate: '%{x|%H:%M}: %{y} chats<extra></extra>',
    });
    await plot(chart, data, {
      height: 260, barmode: 'overlay', showlegend: true,
      xaxis: { type: 'date', tickformat: '%H:%M', range: [segs[0].start, segs[segs.length - 1].end] },
      yaxis: { domain: [0, 0.62], title: { text: 'chats' }, tickformat: 'd', dtick: 1 },
      yaxis2: { domain: [0.74, 1], showticklabels: true, fixedrange: true, automargin: true, gridcolor: 'rgba(0,0,0,0)' },
    }, { summary: `${row.name}’s day: ${segs.length} periods of status and load.` });
  }

  // ----- Departments ------------------------------------------------------------------------------
  async load_departments() {
    const { r, url } = await this.fetch('departments');
    const rows = rowsOf(r, 'departments').map((x) => ({ ...x, name: nameOf(x, 'department', this.data.directory) }));
    const before = new Map(rowsOf(r.previous || {}, 'departments').map((x) => [idOf(x, 'department'), x]));
    const chart = chartBox('rep-chart-depts');
    if (rows.length) {
      const names = rows.map((x) => plotText(x.name));
      this.later(() => plot(chart, ['answered', 'missed', 'dropped'].map((k) => ({
        type: 'bar', orientation: 'h', name: LABELS[k], y: names, x: rows.map((x) => Number(x[k]) || 0), marker: { color: COLORS[k] },
        hovertemplate: `%{y}: %{x} ${k}<extra></extra>`,
      })), {
        barmode: 'stack', legend: { orientation: 'h', y: -0.2, x: 0, traceorder: 'normal' }, height: Math.max(180, 90 + 36 * rows.length), yaxis: { type: 'category', autorange: 'reversed', rangemode: 'normal' },
        xaxis: { tickformat: 'd' },
      }, {
        summary: `Chats by department: ${rows.map((x) => `${x.name} ${x.chats ?? 0}`).join(', ')}.`,
        onClick: (p) => {
          const row = rows[p.pointIndex ?? p.pointNumber];
          const outcome = ['answered', 'missed', 'dropped'][p.curveNumber];
          if (row && idOf(row, 'department')) this.openDrill(`${LABELS[outcome]} · ${row.name}`, { outcome, department: idOf(row, 'department') });
        },
      }));
    }
    const cols = [
      ['chats', 'Chats', 'count'], ['answered', 'Answered', 'count'], ['missed', 'Missed', 'count'], ['dropped', 'Dropped', 'count'],
      ['service_level', 'Service level', 'share'], ['first_response', 'First response p50', 'seconds'],
      ['satisfaction', 'Satisfaction', 'share'], ['transfers', 'Transfers', 'count'], ['escalations', 'Escalations', 'count'],
    ].filter(([k]) => rows.some((x) => x[k] !== undefined));
    const table = h('div', { class: 'rep-table-wrap' }, h('table', { class: 'table rep-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Department'), cols.map(([k, label]) => h('th', { scope: 'col', class: 'num', title: this.def(k) }, label)))),
      h('tbody', null, rows.map((x) => h('tr', null, h('td', { class: 'rep-name' }, x.name),
        cols.map(([k, , unit]) => {
          const was = before.get(idOf(x, 'department'));
          return h('td', { class: 'num' }, fmtValue(headline(x[k]), unit),
            was && ['chats', 'missed', 'service_level', 'first_response', 'satisfaction'].includes(k) ? miniDelta(headline(x[k]), headline(was[k]), k, unit) : null);
        }))))));
    return [
      card('Chats by department', { def: this.def('chats'), csv: url }, rows.length ? chart : empty('No chats in this range.')),
      rows.length ? card('Department figures', { csv: url }, table) : null,
    ];
  }

  // ----- Heatmap ------------------------------------------------------------------------------------
  async load_heatmap() {
    this.heatMetric = this.heatMetric || 'chats';
    const { r, url } = await this.fetch('heatmap', { metric: this.heatMetric });
    const grid = heatmapGrid(r);
    const any = grid.some((row) => row.some((v) => v != null && v !== 0));
    const chart = chartBox('rep-chart-heat');
    const names = { chats: 'Chats', missed: 'Missed chats', wait_p90: 'Queue wait p90' };
    const sw = h('div', { class: 'rep-switch', role: 'radiogroup', 'aria-label': 'Heatmap of' },
      Object.entries(names).map(([k, label]) => h('button', {
        class: `btn btn-sm ${k === this.heatMetric ? 'btn-primary' : 'btn-secondary'}`, type: 'button', role: 'radio',
        'aria-checked': String(k === this.heatMetric), dataset: { metric: k },
        onclick: () => { if (k !== this.heatMetric) { this.heatMetric = k; this.load(); } },
      }, label)));
    if (any) {
      const hours = Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, '0')}:00`);
      const seconds = this.heatMetric === 'wait_p90';
      this.later(() => plot(chart, [{ // (a phone's chart labels every 6th hour)
        type: 'heatmap', z: grid, xgap: 2, ygap: 2, hoverongaps: false,
        text: grid.map((row, d) => row.map((_, hr) => `${WEEKDAYS[d]} ${hours[hr]}`)),
        colorscale: this.heatMetric === 'chats' ? [[0, '#f3f4fd'], [1, '#3443bd']] : [[0, '#fff6e6'], [1, '#b02e25']],
        colorbar: { thickness: 10, outlinewidth: 0, ticksuffix: seconds ? ' s' : '' },
        hovertemplate: `%{text}: %{z}${seconds ? ' s' : ''}<extra></extra>`,
      }], {
        height: 300,
        xaxis: {
          tickmode: 'array', tickvals: hours.map((_, i) => i).filter((i) => i % (chart.clientWidth < 520 ? 6 : 3) === 0),
          ticktext: hours.filter((_, i) => i % (chart.clientWidth < 520 ? 6 : 3) === 0), tickangle: 0, gridcolor: 'rgba(0,0,0,0)', zeroline: false,
        },
        yaxis: { tickmode: 'array', tickvals: WEEKDAYS.map((_, i) => i), ticktext: WEEKDAYS, autorange: 'reversed', gridcolor: 'rgba(0,0,0,0)', rangemode: 'normal', zeroline: false },
      }, {
        summary: `${names[this.heatMetric]} by hour of the day and weekday, in ${this.filter.tz}.`,
        onClick: (p) => {
          const wd = Number(p.y);
          const hr = Number(p.x);
          if (!(wd >= 0 && wd < 7) || !(hr >= 0 && hr < 24)) return;
          const f = this.heatMetric === 'missed' ? { outcome: 'missed' }
            : this.heatMetric === 'wait_p90' ? { metric: 'queue_wait', min_s: p.z ?? 0 } : { outcome: 'all' };
          this.openDrill(`${names[this.heatMetric]} · ${WEEKDAYS[wd]} ${hours[hr]}`, { ...f, weekday: wd, hour: hr });
        },
      }));
    }
    const metricDef = { chats: 'chats', missed: 'missed', wait_p90: 'queue_wait' }[this.heatMetric];
    return card('When chats come', { def: this.def(metricDef), csv: url, extra: sw },
      any ? chart : empty(`No ${names[this.heatMetric].toLowerCase()} in this range.`),
      any ? h('p', { class: 'rep-foot' }, icon('info', 12), `Hours of the day in ${this.filter.tz}. Click a cell for its chats.`) : null);
  }

  // ----- Goals --------------------------------------------------------------------------------------
  /** Goals are per department: the chosen one's, else every department's that has goals. */
  async load_goals() {
    const f = this.filter;
    const depts = f.department ? [f.department] : this.departments().map((d) => String(d.id));
    if (!depts.length) return empty('Goals belong to a department: add one first.');
    const answers = await Promise.all(depts.map((d) => this.fetch('goals', { department: d })));
    const sections = answers.map(({ r, url }, i) => {
      const goals = rowsOf(r, 'goals');
      if (!goals.length && !f.department) return null;
      const name = (r.department && (r.department.name || r.department.slug)) || nameOf({ department_id: depts[i] }, 'department', this.data.directory);
      return h('div', { class: 'rep-goal-dept', dataset: { department: depts[i] } },
        depts.length > 1 || !f.department ? h('h2', { class: 'rep-section-title' }, name) : null,
        goals.length ? h('div', { class: 'rep-grid' }, this.goalCharts(goals, url)) : card('Goals', {}, empty(`${name} has no goals yet.`)));
    }).filter(Boolean);
    return [
      sections.length ? sections : card('Goals', {}, empty('No department has goals yet. Choose a department above to set its goals.')),
      this.mayEditGoals() && f.department ? await this.goalForm(f.department)
        : this.mayEditGoals() ? h('p', { class: 'rep-foot' }, icon('info', 12), 'Choose a department above to edit its goals.') : null,
    ];
  }

  goalCharts(goals, url) {
    return goals.map((g) => {
      const metric = g.metric;
      const known = GOAL_METRICS.find(([m]) => m === metric) || [metric, metric, 'share', 'min'];
      const meta = [metric, g.label || known[1], g.unit || known[2], g.direction || known[3]];
      const unit = meta[2];
      const days = rowsOf(g, 'days', 'series');
      const box = chartBox('rep-chart-goal');
      const label = `${meta[1]}${metric === 'service_level' && g.seconds != null ? ` (within ${g.seconds} s)` : ''}`;
      const target = g.target;
      const scale = (v) => (v == null ? null : unit === 'share' ? v * 100 : v);
      const missed = days.filter((d) => d.met === false).length;
      if (days.length) {
        const x = days.map((d) => bucketLabel(String(d.day ?? d.date), 'day', days.length > 14));
        const actual = days.map((d) => scale(d.actual ?? d.value));
        this.later(() => plot(box, [
          {
            type: 'bar', name: 'Actual', x, y: actual, marker: { color: days.map((d) => (d.met === false ? COLORS.missed : d.met ? COLORS.answered : '#c4c8d0')) },
            hovertemplate: `%{x}: %{y:.1f}${unit === 'share' ? ' %' : ' s'}<extra></extra>`,
          },
          {
            type: 'scatter', mode: 'lines', name: `Goal (${meta[3] === 'min' ? 'at least' : 'at most'})`, x, y: x.map(() => scale(target)),
            line: { color: '#1b1f27', dash: 'dash', width: 2 }, hoverinfo: 'skip',
          },
          {
            type: 'scatter', mode: 'markers', name: 'Missed the goal', x: x.filter((_, i) => days[i].met === false),
            y: actual.filter((_, i) => days[i].met === false), marker: { symbol: 'x', size: 9, color: COLORS.missed }, hoverinfo: 'skip',
          },
        ], {
          height: 230, xaxis: { type: 'category' },
          yaxis: { ticksuffix: unit === 'share' ? ' %' : ' s', ...(unit === 'share' ? { range: [0, 105] } : {}) },
        }, {
          summary: `${label}: daily figure against the goal ${fmtValue(target, unit)}; ${missed} of ${days.length} days missed it.`,
          onClick: (p) => {
            const d = days[p.pointIndex ?? p.pointNumber];
            if (!d) return;
            const drill = metric === 'missed_share' ? { outcome: 'missed' } : metric.startsWith('first_response') ? { metric: 'first_response', min_s: target }
              : metric.startsWith('handle') ? { metric: 'handle', min_s: target } : { outcome: 'all' };
            this.openDrill(`${label} · ${d.day ?? d.date}`, { ...drill, day: d.day ?? d.date });
          },
        }));
      }
      const whole = g.actual ?? g.range_actual ?? g.value;
      return card(label, { def: g.definition || this.def(metric), csv: url, cls: 'rep-half' },
        h('p', { class: 'rep-goal-line' },
          h('span', null, `Goal: ${meta[3] === 'min' ? 'at least' : 'at most'} ${fmtValue(target, unit)}`),
          whole !== undefined ? h('span', { class: `rep-pill ${g.met === false ? 'tone-worse' : g.met ? 'tone-better' : ''}` }, `Range: ${fmtValue(whole, unit)}`) : null,
          days.length ? h('span', { class: `rep-pill ${missed ? 'tone-worse' : 'tone-better'}` }, `${missed} of ${days.length} days missed`) : null),
        days.length ? box : empty('No chats in this range to measure against the goal.'));
    });
  }

  async goalForm(dept) {
    let current = [];
    try {
      const r = await get(`/api/v1/departments/${encodeURIComponent(dept)}/goals`);
      current = rowsOf(r, 'goals');
    } catch { current = []; }
    const draft = goalDraft(current);
    const rows = {};
    const formError = h('div', { class: 'rep-form-error' });
    const form = h('form', { class: 'rep-goal-form', novalidate: true });
    for (const [metric, label, unit, kind] of GOAL_METRICS) {
      const d = draft[metric];
      const on = h('input', { type: 'checkbox', class: 'switch', name: `goal-${metric}-on`, checked: d.on || null, 'aria-label': `${label}: a goal` });
      const target = h('input', {
        class: 'input input-num', name: `goal-${metric}-target`, inputmode: 'decimal', value: d.target, 'aria-label': `${label}: target${unit === 'share' ? ' in percent' : ' in seconds'}`,
      });
      const edges = [...new Set([...SERVICE_SECONDS, Number(d.seconds) || 30])].sort((a, b) => a - b);
      const seconds = metric === 'service_level' ? h('select', { class: 'input input-num', name: 'goal-service_level-seconds', 'aria-label': 'Answered within, seconds' },
        edges.map((n) => h('option', { value: String(n) }, String(n)))) : null;
      if (seconds) seconds.value = String(Number(d.seconds) || 30);
      const msg = h('span', { class: 'rep-goal-msg' });
      const sync = () => { target.disabled = !on.checked; if (seconds) seconds.disabled = !on.checked; };
      on.addEventListener('change', sync);
      sync();
      rows[metric] = { on, target, seconds, msg };
      form.appendChild(h('div', { class: 'rep-goal-row', dataset: { metric } },
        h('label', { class: 'rep-goal-name' }, on, h('span', null, label)),
        h('span', { class: 'rep-goal-inputs' },
          h('span', { class: 'muted' }, kind === 'min' ? 'at least' : 'at most'), target, h('span', { class: 'muted' }, unit === 'share' ? '%' : 's'),
          seconds ? [h('span', { class: 'muted' }, 'within'), seconds, h('span', { class: 'muted' }, 's')] : null),
        msg));
    }
    const save = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save goals');
    form.append(formError, h('div', { class: 'rep-goal-foot' }, save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      for (const x of Object.values(rows)) { x.msg.textContent = ''; x.target.removeAttribute('aria-invalid'); x.seconds?.removeAttribute('aria-invalid'); }
      replaceChildren(formError);
      const now = {};
      for (const [m, x] of Object.entries(rows)) now[m] = { on: x.on.checked, target: x.target.value, seconds: x.seconds ? x.seconds.value : '' };
      const { body } = goalsBody(now);
      save.disabled = true;
      try {
        await api('PUT', `/api/v1/departments/${encodeURIComponent(dept)}/goals`, body);
        this.act.toast('Goals saved.', 'info');
        this.load();
      } catch (err) {
        const at = goalErrorField(err.field, body);
        const row = at && rows[at.metric];
        if (row) {
          const input = at.part === 'seconds' && row.seconds ? row.seconds : row.target;
          input.setAttribute('aria-invalid', 'true');
          row.msg.replaceChildren(h('span', { class: 'field-msg', role: 'alert' }, icon('alert', 13), plainError(err.message)));
          input.focus();
        } else if (err.status !== 401) {
          formError.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, icon('alert', 14), err.field ? `${err.field}: ${plainError(err.message)}` : err.message));
        }
      } finally {
        save.disabled = false;
      }
    });
    const name = this.data.directory.department(Number(dept));
    return card(`Goals of ${name ? name.name : 'the department'}`, { def: 'Shares in percent; times in seconds. A day without the figure neither meets nor misses its goal.', cls: 'rep-goals-edit' }, form);
  }

  // ----- Transfers & escalations ------------------------------------------------------------------------
  async load_transfers() {
    const { r, url } = await this.fetch('transfers');
    const rows = rowsOf(r, 'reasons', 'by_reason').map((x) => ({ ...x, kind: x.type || x.kind || 'transfer', why: String(x.label || x.reason || 'none') }));
    const kinds = [...new Set(rows.map((x) => x.kind))];
    const reasons = [...new Set(rows.map((x) => x.why))];
    const KIND = { transfer: 'Transfers', escalation: 'Escalations', take_over: 'Taken over' };
    const chart = chartBox('rep-chart-transfers');
    const color = { transfer: '#4054d6', escalation: '#c8372d', take_over: '#d08a1e' };
    if (rows.length) {
      this.later(() => plot(chart, kinds.map((k) => ({
        type: 'bar', orientation: 'h', name: KIND[k] || k, y: reasons.map(plotText),
        x: reasons.map((re) => rows.filter((x) => x.kind === k && x.why === re).reduce((n, x) => n + (Number(x.count ?? x.n) || 0), 0)),
        marker: { color: color[k] || '#8b95c9' }, hovertemplate: '%{y}: %{x}<extra></extra>',
      })), {
        barmode: 'stack', bargap: 0.35, legend: { orientation: 'h', y: -0.2, x: 0, traceorder: 'normal' }, height: Math.max(180, 70 + 34 * reasons.length), yaxis: { type: 'category', autorange: 'reversed', rangemode: 'normal' }, xaxis: { tickformat: 'd' },
      }, { summary: `Transfers and escalations by reason: ${rows.map((x) => `${KIND[x.kind] || x.kind} ${x.why}: ${x.count ?? x.n}`).join('; ')}.` }));
    }
    const totals = figuresOf(r);
    const prev = figuresOf(r.previous);
    return [
      totals.transfers !== undefined || totals.escalations !== undefined ? card('Totals', {}, h('div', { class: 'rep-tiles' },
        ['transfers', 'escalations', 'taken_over'].filter((k) => totals[k] !== undefined).map((k) => tile({ key: k, label: LABELS[k] || KIND.take_over, value: totals[k], prev: prev[k], unit: 'count', def: this.def(k) })))) : null,
      card('By reason', { def: this.def('transfers'), csv: url }, rows.length ? chart : empty('No transfers or escalations in this range.')),
      rowsOf(r, 'routes').length ? card('Transfers between departments', { csv: url, def: this.def('transfers') }, h('div', { class: 'rep-table-wrap' }, h('table', { class: 'table rep-table' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'From'), h('th', { scope: 'col' }, 'To'), h('th', { scope: 'col', class: 'num' }, 'Transfers'))),
        h('tbody', null, rowsOf(r, 'routes').map((x) => h('tr', null,
          h('td', { class: 'rep-name' }, x.from_department_name || nameOf({ department_id: x.from_department_id }, 'department', this.data.directory)),
          h('td', { class: 'rep-name' }, x.to_department_name || nameOf({ department_id: x.to_department_id }, 'department', this.data.directory)),
          h('td', { class: 'num' }, fmtNumber(x.count)))))))) : null,
      rows.length ? card('By reason, in figures', { csv: url }, h('div', { class: 'rep-table-wrap' }, h('table', { class: 'table rep-table' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'Reason'), h('th', { scope: 'col', class: 'num' }, 'Count'))),
        h('tbody', null, rows.map((x) => h('tr', null, h('td', null, KIND[x.kind] || x.kind), h('td', null, x.why), h('td', { class: 'num' }, fmtNumber(x.count ?? x.n)))))))) : null,
    ];
  }

  // ----- drill-down ---------------------------------------------------------------------------------------
  /** Lists the chats behind a figure beside the report; a row opens the transcript. */
  async openDrill(title, figure, { today = false, before = null, append = false } = {}) {
    const f = this.filter;
    let q = drillQuery(f, figure);
    if (today) {
      const p = new URLSearchParams(q);
      const t = new Intl.DateTimeFormat('en-CA', { timeZone: f.tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
      p.set('from', t);
      p.set('to', t);
      q = p.toString();
    }
    if (before != null) q += `&before=${encodeURIComponent(before)}`;
    const url = `${API}/chats?${q}&limit=50`;
    this.drillState = { title, figure, today };
    this.drill.hidden = false;
    this.root.classList.add('drill-open');
    const close = h('button', { class: 'btn btn-icon btn-ghost btn-sm', type: 'button', 'aria-label': 'Close the list', onclick: () => this.closeDrill() }, icon('x', 15));
    if (!append) {
      replaceChildren(this.drill, h('div', { class: 'rep-drill-head' }, h('h3', null, title), csvLink(url.replace(/&limit=50$/, '')), close), skeleton(2));
      close.focus();
    }
    let r;
    try {
      r = await get(url);
    } catch (err) {
      this.drill.querySelector('.rep-loading')?.remove();
      this.drill.appendChild(h('p', { class: 'form-error', role: 'alert' }, icon('alert', 14), err.field ? `${err.field}: ${plainError(err.message)}` : err.message));
      return;
    }
    this.drill.querySelector('.rep-loading')?.remove();
    this.drill.querySelector('.rep-more')?.remove();
    const items = rowsOf(r, 'chats');
    let list = this.drill.querySelector('.rep-drill-list');
    if (!list) {
      list = h('ul', { class: 'rep-drill-list' });
      this.drill.appendChild(items.length ? list : empty('No chats behind this figure.'));
    }
    for (const c of items) {
      const id = c.chat_id ?? c.id;
      const visitor = (c.visitor && (c.visitor.name || c.visitor.id)) || c.visitor_name || `Visitor #${id}`;
      const agent = (c.agent && c.agent.name) || c.agent_name || '';
      const dept = (c.department && c.department.name) || c.department_name || '';
      const outcome = c.outcome || (c.missed ? 'missed' : c.dropped ? 'dropped' : c.answered ? 'answered' : '');
      const fr = c.first_response_s ?? (c.first_response != null && typeof c.first_response !== 'object' ? c.first_response : null);
      list.appendChild(h('li', null, h('button', {
        class: 'rep-drill-row', type: 'button', dataset: { chat: String(id) }, onclick: () => this.act.showArchive(Number(id)),
        title: 'Open the transcript',
      },
      h('span', { class: 'rep-drill-top' }, h('strong', null, String(visitor)), outcome ? h('span', { class: `rep-outcome o-${outcome}` }, outcome) : null),
      h('span', { class: 'rep-drill-sub' },
        fullTime(parseTime(c.started_at ?? c.created_at)),
        agent ? ` · ${agent}` : '', dept ? ` · ${dept}` : '',
        c.queue_wait_s != null ? ` · wait ${fmtSeconds(c.queue_wait_s)}` : '',
        fr != null ? ` · first reply ${fmtSeconds(fr)}` : ''))));
    }
    const next = r.next_before ?? r.before ?? null;
    if (next != null && items.length) {
      this.drill.appendChild(h('button', {
        class: 'btn btn-secondary btn-sm rep-more', type: 'button', onclick: () => this.openDrill(title, figure, { today, before: next, append: true }),
      }, 'More chats'));
    }
  }

  closeDrill() {
    this.drill.hidden = true;
    this.root.classList.remove('drill-open');
    replaceChildren(this.drill);
  }
}
