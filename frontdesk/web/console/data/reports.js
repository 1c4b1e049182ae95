// The Reports pages' data (reports.js draws them): the filter (a range preset or custom dates,
// department, agent, time zone), the query every report route takes (docs/api.md "Reports"),
// the preset ranges as local dates in a time zone, the previous period's deltas (an arrow, and
// whether the change is better or worse), the words and numbers a figure shows, the leaderboard's
// sort, the drill-down's filters and the goals form's body. No DOM; tested in
// tests/js/console/reports.test.mjs.

import { Observable } from './observable.js';

export const API = '/api/v1/reports';

/** The tabs, in order: [id, label]. The route is `#reports/<id>` (`#reports` is the first). */
export const TABS = [
  ['dashboard', 'Dashboard'], ['overview', 'Overview'], ['times', 'Times'], ['agents', 'Agents'],
  ['departments', 'Departments'], ['heatmap', 'Heatmap'], ['goals', 'Goals'], ['transfers', 'Transfers & escalations'],
];
const TAB_IDS = TABS.map(([id]) => id);

export const PRESETS = [
  ['today', 'Today'], ['yesterday', 'Yesterday'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days'],
  ['month', 'This month'], ['custom', 'Custom…'],
];

/** `#reports`, `#reports/agents` → {kind: 'reports', tab}; anything else → null. */
export function parseReportsRoute(hash) {
  const m = /^#reports(?:\/([a-z]+))?$/.exec(String(hash || ''));
  if (!m) return null;
  return { kind: 'reports', tab: TAB_IDS.includes(m[1]) ? m[1] : TAB_IDS[0] };
}

export function reportsHash(tab) {
  return tab && tab !== TAB_IDS[0] ? `#reports/${tab}` : '#reports';
}

// ===== dates in a time zone ===================================================================
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `s` is a real calendar date written YYYY-MM-DD. */
export function isDate(s) {
  const m = DATE_RE.exec(String(s || ''));
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/** The local date (YYYY-MM-DD) at instant `now` (ms) in the IANA zone `tz`. */
export function localDate(now, tz) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz || 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date(now));
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** A date moved by `n` calendar days (no time zone involved: dates are calendar days). */
export function addDays(date, n) {
  const m = DATE_RE.exec(date);
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3] + n));
  return d.toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both counted (1 for a single day). */
export function dayCount(from, to) {
  const a = DATE_RE.exec(from);
  const b = DATE_RE.exec(to);
  return Math.round((Date.UTC(+b[1], +b[2] - 1, +b[3]) - Date.UTC(+a[1], +a[2] - 1, +a[3])) / 864e5) + 1;
}

/** A preset's local dates {from, to} (both included) at `now` in `tz`; null for custom. */
export function presetRange(preset, tz, now = Date.now()) {
  const today = localDate(now, tz);
  switch (preset) {
    case 'today': return { from: today, to: today };
    case 'yesterday': { const y = addDays(today, -1); return { from: y, to: y }; }
    case '7d': return { from: addDays(today, -6), to: today };
    case '30d': return { from: addDays(today, -29), to: today };
    case 'month': return { from: `${today.slice(0, 8)}01`, to: today };
    default: return null;
  }
}

/** The previous period of the same length, ending the day before `from` (what the API compares with). */
export function previousRange({ from, to }) {
  const n = dayCount(from, to);
  return { from: addDays(from, -n), to: addDays(from, -1) };
}

/** "3 Dec 2026", "1–7 Dec 2026", "28 Nov – 4 Dec 2026". */
export function rangeText({ from, to }) {
  if (!isDate(from) || !isDate(to)) return '';
  const fmt = (d, opts) => new Date(`${d}T12:00:00Z`).toLocaleDateString('en-GB', { timeZone: 'UTC', ...opts });
  if (from === to) return fmt(from, { day: 'numeric', month: 'short', year: 'numeric' });
  if (from.slice(0, 7) === to.slice(0, 7)) return `${fmt(from, { day: 'numeric' })}–${fmt(to, { day: 'numeric', month: 'short', year: 'numeric' })}`;
  if (from.slice(0, 4) === to.slice(0, 4)) return `${fmt(from, { day: 'numeric', month: 'short' })} – ${fmt(to, { day: 'numeric', month: 'short', year: 'numeric' })}`;
  return `${fmt(from, { day: 'numeric', month: 'short', year: 'numeric' })} – ${fmt(to, { day: 'numeric', month: 'short', year: 'numeric' })}`;
}

// ===== the filter ==============================================================================
/**
 * The filter bar's state. `department`/`agent` are ids as strings ('' = all); `tzMode` is
 * 'department' (the chosen department's zone) or 'mine' (the browser's). An agent's filter is
 * always their own id (`lockAgent`): the server would refuse anything else.
 */
export class ReportFilter extends Observable {
  constructor({ myZone = 'UTC', now = () => Date.now(), zoneOf = () => null } = {}) {
    super();
    this.myZone = myZone;
    this.now = now;
    this.zoneOf = zoneOf; // department id → its IANA zone (business hours), or null
    this.preset = '7d';
    this.from = '';
    this.to = '';
    this.department = '';
    this.agent = '';
    this.lockedAgent = '';
    this.tzMode = 'department';
    this.applyPreset();
  }

  /** The zone the figures are in: the department's when chosen and known (and asked for), else mine. */
  get tz() {
    if (this.tzMode === 'department' && this.department) return this.zoneOf(this.department) || this.myZone;
    return this.myZone;
  }

  applyPreset() {
    const r = presetRange(this.preset, this.tz, this.now());
    if (r) { this.from = r.from; this.to = r.to; }
  }

  lockAgent(id) {
    this.lockedAgent = id == null ? '' : String(id);
    this.agent = this.lockedAgent;
  }

  /** Changes one field; returns whether it changed (and then tells the subscribers). */
  set(key, value) {
    const v = value == null ? '' : String(value);
    if (!['preset', 'from', 'to', 'department', 'agent', 'tzMode'].includes(key) || this[key] === v) return false;
    if (key === 'agent' && this.lockedAgent) return false;
    if (key === 'preset' && !PRESETS.some(([p]) => p === v)) return false;
    this[key] = v;
    if (key === 'from' || key === 'to') this.preset = 'custom';
    else if (this.preset !== 'custom') this.applyPreset(); // a zone change can move "today"
    this.notify('filter', key);
    return true;
  }

  /** The common parameters (from, to, tz, department, agent) plus `extra`, as a query string. */
  query(extra = {}, { range = true } = {}) {
    const p = new URLSearchParams();
    if (range) { p.set('from', this.from); p.set('to', this.to); }
    p.set('tz', this.tz);
    if (this.department) p.set('department', this.department);
    if (this.agent) p.set('agent', this.agent);
    for (const [k, v] of Object.entries(extra)) if (v != null && v !== '') p.set(k, String(v));
    return p.toString();
  }

  /** The interval a chart over time uses: hours for one day, weeks past 92 days, else days. */
  interval() {
    if (!isDate(this.from) || !isDate(this.to)) return 'day';
    const n = dayCount(this.from, this.to);
    return n <= 1 ? 'hour' : n > 92 ? 'week' : 'day';
  }
}

/** A report route's URL: /api/v1/reports/<path>?<query>. */
export function reportUrl(path, query) { return `${API}/${path}?${query}`; }

/** The same report as CSV (the same URL with format=csv). */
export function csvUrl(url) {
  const [path, q = ''] = String(url).split('?');
  const p = new URLSearchParams(q);
  p.set('format', 'csv');
  return `${path}?${p}`;
}

/** The chats behind a figure: the report's filters plus the figure's own (outcome, metric + min_s, weekday + hour, day). */
export function drillQuery(filter, figure = {}) {
  const extra = {};
  for (const k of ['outcome', 'metric', 'min_s', 'weekday', 'hour', 'day', 'department', 'agent']) {
    if (figure[k] != null && figure[k] !== '') extra[k] = figure[k];
  }
  return filter.query(extra);
}

// ===== figures: words, numbers, deltas =========================================================
/** Which way is good for a metric: 1 = more is better, -1 = less is better, 0 = neither. */
export const BETTER = {
  answered: 1, service_level: 1, satisfaction: 1, rating_average: 1, review_score: 1, invitations_accepted: 1,
  answered_share: 1, acceptance: 1,
  missed: -1, dropped: -1, missed_share: -1, dropped_share: -1, queue_wait: -1, first_response: -1, reply: -1,
  transfers: -1, escalations: -1, offline_messages: -1, wait_p90: -1, first_response_p50: -1, first_response_p90: -1,
  handle_p50: -1,
};

/** Differences too small to show in a unit's words count as no change (half a second, 0.05 points). */
const SAME_BELOW = { seconds: 0.5, share: 0.0005, score: 0.005 };

/**
 * The change from the previous period: {diff, pct, arrow: '▲'|'▼'|'', tone: 'better'|'worse'|
 * 'same'|'none', text}. `better` is 1, -1 or 0 (BETTER); `unit` formats the difference.
 */
export function delta(current, previous, { better = 0, unit = 'count' } = {}) {
  const cur = num(current);
  const prev = num(previous);
  if (cur == null || prev == null) return { diff: null, pct: null, arrow: '', tone: 'none', text: 'no previous figure' };
  const diff = cur - prev;
  const pct = prev !== 0 ? diff / Math.abs(prev) : null;
  if (Math.abs(diff) < (SAME_BELOW[unit] ?? 1e-9)) return { diff: 0, pct: 0, arrow: '', tone: 'same', text: 'same as before' };
  const arrow = diff > 0 ? '▲' : '▼';
  const tone = better === 0 ? 'neutral' : Math.sign(diff) === Math.sign(better) ? 'better' : 'worse';
  const sign = diff > 0 ? '+' : '−';
  let text;
  if (unit === 'share') text = `${sign}${fmtNumber(Math.abs(diff) * 100, 1)} pt`;
  else if (unit === 'seconds') text = `${sign}${fmtSeconds(Math.abs(diff))}`;
  else if (unit === 'score') text = `${sign}${fmtNumber(Math.abs(diff), 2)}`;
  else text = `${sign}${fmtNumber(Math.abs(diff), Number.isInteger(diff) ? 0 : 1)}`;
  if (pct != null && unit !== 'share' && Math.abs(pct) >= 0.005) text += ` (${sign}${fmtNumber(Math.abs(pct) * 100, 0)} %)`;
  return { diff, pct, arrow, tone, text };
}

function num(v) {
  if (v == null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function fmtNumber(v, digits = 0) {
  const n = num(v);
  if (n == null) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

/** 42 → "42 s", 185 → "3 min 5 s", 3900 → "1 h 5 min"; null → "—". */
export function fmtSeconds(v) {
  const s = num(v);
  if (s == null) return '—';
  if (s < 10) return `${fmtNumber(s, 1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const total = Math.round(s);
  if (total < 3600) {
    const m = Math.floor(total / 60);
    const r = total % 60;
    return r ? `${m} min ${r} s` : `${m} min`;
  }
  const hrs = Math.floor(total / 3600);
  const m = Math.round((total % 3600) / 60);
  return m ? `${hrs} h ${m} min` : `${hrs} h`;
}

/** 0.834 → "83.4 %". */
export function fmtShare(v) {
  const n = num(v);
  return n == null ? '—' : `${fmtNumber(n * 100, 1)} %`;
}

/** A value in its unit's words (count, seconds, share, score, hours). */
export function fmtValue(v, unit = 'count') {
  if (unit === 'seconds') return fmtSeconds(v);
  if (unit === 'share') return fmtShare(v);
  if (unit === 'score') return fmtNumber(v, 2);
  if (unit === 'hours') return num(v) == null ? '—' : `${fmtNumber(v, 1)} h`;
  return fmtNumber(v, 1);
}

/**
 * A name as plotly.js shows it: plotly reads a few HTML-like tags in its labels (<b>, <a href>,
 * <br>), so a department called "<b>x</b>" would be drawn bold; its entities are shown as the
 * characters they stand for, so escaping keeps the name exactly as typed.
 */
export function plotText(s) {
  return String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ===== answers → what is drawn ==================================================================
/** A duration summary {n, mean, p50, p90} (or a bare number) in one shape. */
export function summaryOf(x) {
  if (x == null) return { n: 0, mean: null, p50: null, p90: null };
  if (typeof x === 'number') return { n: null, mean: x, p50: null, p90: null };
  return { n: x.n ?? null, mean: x.mean ?? null, p50: x.p50 ?? null, p90: x.p90 ?? null, approx: !!x.approx };
}

/** The headline number of a figure: a summary's median, a count, a share. */
export function headline(x) {
  if (x != null && typeof x === 'object') return x.p50 ?? x.value ?? x.mean ?? null;
  return x;
}

/**
 * Sorts leaderboard rows by `key` (a dotted path: `first_response.p50`), `desc` or not; rows
 * without a figure always last; ties by name.
 */
export function sortRows(rows, key, desc) {
  const pick = (row) => {
    let v = row;
    for (const part of String(key).split('.')) v = v == null ? null : v[part];
    return v;
  };
  return [...rows].sort((a, b) => {
    const x = pick(a);
    const y = pick(b);
    const xn = x == null || x === '';
    const yn = y == null || y === '';
    if (xn || yn) return xn && yn ? nameCmp(a, b) : xn ? 1 : -1;
    const c = typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y)) : x - y;
    return c === 0 ? nameCmp(a, b) : desc ? -c : c;
  });
}

function nameCmp(a, b) { return String(a.name ?? a.agent_name ?? '').localeCompare(String(b.name ?? b.agent_name ?? '')); }

/** Weekdays as the heatmap's rows (ISO: 0 = Monday). */
export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * The heatmap's 7 × 24 grid of numbers (null where there is no figure) from the API's cells:
 * either `cells: [{weekday, hour, value}]` or `grid`/`values: [[...24] × 7]`.
 */
export function heatmapGrid(answer) {
  const grid = Array.from({ length: 7 }, () => Array(24).fill(null));
  const rows = answer && (answer.grid || answer.values || answer.matrix);
  if (Array.isArray(rows)) {
    rows.slice(0, 7).forEach((row, d) => (Array.isArray(row) ? row : []).slice(0, 24).forEach((v, hr) => { grid[d][hr] = num(v); }));
    return grid;
  }
  for (const c of (answer && answer.cells) || []) {
    const d = Number(c.weekday);
    const hr = Number(c.hour);
    if (d >= 0 && d < 7 && hr >= 0 && hr < 24) grid[d][hr] = num(c.value ?? c.count ?? c.chats);
  }
  return grid;
}

// ===== goals ====================================================================================
/** The goals a department may have: [metric, label, unit, kind] (kind: min = at least, max = at most). */
export const GOAL_METRICS = [
  ['service_level', 'Service level', 'share', 'min'],
  ['missed_share', 'Missed chats', 'share', 'max'],
  ['satisfaction', 'Satisfaction (good ratings)', 'share', 'min'],
  ['first_response_p90', 'First response, 90th percentile', 'seconds', 'max'],
  ['handle_p50', 'Active handle time, median', 'seconds', 'max'],
];

/** The form's draft from the API's goals: {metric: {on, target (as typed: % for shares), seconds}}. */
export function goalDraft(goals) {
  const list = Array.isArray(goals) ? goals : (goals && Array.isArray(goals.goals) ? goals.goals : []);
  const draft = {};
  for (const [metric, , unit] of GOAL_METRICS) {
    const g = list.find((x) => x && x.metric === metric);
    draft[metric] = {
      on: !!g,
      target: g && g.target != null ? String(unit === 'share' ? +(Number(g.target) * 100).toFixed(2) : g.target) : '',
      seconds: g && g.seconds != null ? String(g.seconds) : (metric === 'service_level' ? '30' : ''),
    };
  }
  return draft;
}

/**
 * The PUT body {goals: [...]} from the draft, and for each goal sent its index (errors name
 * `goals[i].target`). A number that is not one is sent as typed, so the server names the field.
 */
export function goalsBody(draft) {
  const goals = [];
  const index = {};
  for (const [metric, , unit] of GOAL_METRICS) {
    const d = draft[metric];
    if (!d || !d.on) continue;
    const raw = String(d.target ?? '').trim();
    const n = raw === '' ? null : Number(raw);
    let target = raw === '' ? null : Number.isFinite(n) ? n : raw;
    if (unit === 'share' && typeof target === 'number') target = Math.round(target * 100) / 10000; // 80 (%) → 0.8
    const goal = { metric, target };
    if (metric === 'service_level') {
      const s = String(d.seconds ?? '').trim();
      goal.seconds = s === '' ? null : Number.isFinite(Number(s)) ? Number(s) : s;
    }
    index[metric] = goals.length;
    goals.push(goal);
  }
  return { body: { goals }, index };
}

/** Where a server error about the goals points: {metric, part: 'target'|'seconds'|null} or null. */
export function goalErrorField(field, body) {
  const m = /^goals\[(\d+)\](?:\.(\w+))?/.exec(String(field || ''));
  if (!m) return null;
  const goal = body && body.goals && body.goals[Number(m[1])];
  if (!goal) return null;
  return { metric: goal.metric, part: m[2] || null };
}

/** A server message without its leading field name ("to: must not be before from" → "Must not be before from"). */
export function plainError(message) {
  const s = String(message || '').replace(/^[\w.[\]]+:\s*/, '');
  return s ? s[0].toUpperCase() + s.slice(1) : 'Something went wrong.';
}
