// The Staffing pages' data (staffing.js draws them): the route `#staffing/<tab>`, the queries of
// /api/v1/staffing (docs/api.md "Staffing"), weeks as local Mondays, the forecast's traces and its
// accuracy in words, the coverage heatmap's 7 × 24 matrices (DST weeks folded by local weekday ×
// hour), the under-staffed hours, shifts as bars on a week grid in an office's time zone, the shift,
// plan and what-if forms checked before they are sent (each error naming its field, as the server's
// do), and the what-if answer as chart traces and table rows. No DOM; tested in
// tests/js/console/staffing.test.mjs.

import { addDays, fmtNumber, isDate, localDate, WEEKDAYS } from './reports.js';

export const API = '/api/v1/staffing';

/** The tabs, in order: [id, label]. The route is `#staffing/<id>` (`#staffing` is the first). */
export const TABS = [
  ['forecast', 'Forecast'], ['coverage', 'Coverage'], ['shifts', 'Shifts'], ['plans', 'Plans'], ['whatif', 'What-if'],
];
const TAB_IDS = TABS.map(([id]) => id);

/** The roles that may see the page (the `staffing.view` permission), and those that may change shifts (`staffing.manage`). */
export const VIEW_ROLES = ['admin', 'manager', 'supervisor'];
export const MANAGE_ROLES = ['admin', 'manager'];
export const mayViewStaffing = (me) => !!me && VIEW_ROLES.includes(me.role);
export const mayManageStaffing = (me) => !!me && MANAGE_ROLES.includes(me.role);

/** `#staffing`, `#staffing/coverage` → {kind: 'staffing', tab}; anything else → null. */
export function parseStaffingRoute(hash) {
  const m = /^#staffing(?:\/([a-z]+))?$/.exec(String(hash || ''));
  if (!m) return null;
  return { kind: 'staffing', tab: TAB_IDS.includes(m[1]) ? m[1] : TAB_IDS[0] };
}

export function staffingHash(tab) {
  return tab && tab !== TAB_IDS[0] ? `#staffing/${tab}` : '#staffing';
}

/** A staffing route's URL: /api/v1/staffing/<path>?<query>; empty parameters are left out. */
export function staffingUrl(path, params = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v == null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.set(k, String(v));
  }
  const q = p.toString();
  return `${API}/${path}${q ? `?${q}` : ''}`;
}

// ===== weeks ===================================================================================
/** The Monday (YYYY-MM-DD) of the week holding the calendar day `date`. */
export function mondayOf(date) {
  const [y, m, d] = date.split('-').map(Number);
  const wd = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // 0 = Monday
  return addDays(date, -wd);
}

/** This local week's Monday at `now` in `tz`. */
export function thisMonday(tz, now = Date.now()) { return mondayOf(localDate(now, tz)); }

/** The week picker's choices: [monday, label] from `back` weeks ago to `ahead` weeks on. */
export function weekChoices(tz, { now = Date.now(), back = 2, ahead = 4 } = {}) {
  const first = thisMonday(tz, now);
  const out = [];
  for (let i = -back; i <= ahead; i++) {
    const monday = addDays(first, 7 * i);
    const label = weekLabel(monday);
    const short = label.replace(/ \d{4}$/, '');
    out.push([monday, i === 0 ? `This week (${short})` : i === 1 ? `Next week (${short})` : i === -1 ? `Last week (${short})` : label]);
  }
  return out;
}

/** "7–13 Dec 2026", "28 Dec – 3 Jan 2027". */
export function weekLabel(monday) {
  if (!isDate(monday)) return '';
  const sunday = addDays(monday, 6);
  const fmt = (d, opts) => new Date(`${d}T12:00:00Z`).toLocaleDateString('en-GB', { timeZone: 'UTC', ...opts });
  if (monday.slice(0, 7) === sunday.slice(0, 7)) return `${fmt(monday, { day: 'numeric' })}–${fmt(sunday, { day: 'numeric', month: 'short', year: 'numeric' })}`;
  if (monday.slice(0, 4) === sunday.slice(0, 4)) return `${fmt(monday, { day: 'numeric', month: 'short' })} – ${fmt(sunday, { day: 'numeric', month: 'short', year: 'numeric' })}`;
  return `${fmt(monday, { day: 'numeric', month: 'short', year: 'numeric' })} – ${fmt(sunday, { day: 'numeric', month: 'short', year: 'numeric' })}`;
}

/** Whole weeks since 2024-01-01 (domain/schedule.EPOCH_MONDAY) of the week holding `date`. */
export function weekIndex(date) {
  const m = mondayOf(date).split('-').map(Number);
  return Math.round((Date.UTC(m[0], m[1] - 1, m[2]) - Date.UTC(2024, 0, 1)) / (7 * 864e5));
}

/** Whether a shift of a rotation cycle runs in the week of `monday` (week_index % cycle_weeks == cycle_week). */
export function runsInWeek(shift, monday) {
  const n = Math.max(1, Number(shift.cycle_weeks) || 1);
  const k = Number(shift.cycle_week) || 0;
  return ((weekIndex(monday) % n) + n) % n === k;
}

// ===== numbers in words ========================================================================
/** 0.142 → "14 %" (a whole percent; the accuracy sentence). */
export function pct(v) {
  const n = Number(v);
  return v == null || v === '' || !Number.isFinite(n) ? '—' : `${fmtNumber(n * 100, 0)} %`;
}

/** A count that may be fractional (a half-covered hour counts 0.5): 2 → "2", 1.5 → "1.5". */
export function fmtCount(v) {
  const n = Number(v);
  return v == null || v === '' || !Number.isFinite(n) ? '—' : fmtNumber(n, 1);
}

/** "this forecast's error on the last 2 weeks: 14 % (same hour last week: 22 %)" — WAPE of both. */
export function accuracyText(acc) {
  if (!acc || acc.model_wape == null) return 'No held-out weeks to measure this forecast’s error yet.';
  const weeks = Number(acc.held_out_weeks) || 0;
  const span = weeks === 1 ? 'the last week' : `the last ${weeks} weeks`;
  const naive = acc.naive_wape == null ? '' : ` (same hour last week: ${pct(acc.naive_wape)})`;
  return `This forecast’s error on ${span}: ${pct(acc.model_wape)}${naive}`;
}

/** Whether the forecast beat the naive one on the held-out weeks: true / false / null (unknown). */
export function beatsNaive(acc) {
  if (!acc || acc.model_wape == null || acc.naive_wape == null) return null;
  return Number(acc.model_wape) <= Number(acc.naive_wape);
}

// ===== the forecast as chart traces ============================================================
/**
 * The forecast answer as plotly traces: the history (arrivals per hour), the band (low..high, a
 * filled area: the upper edge drawn after the lower one with fill 'tonexty') and the expected
 * line. `at` instants are kept as ISO strings (plotly's date axis).
 */
export function forecastTraces(answer, { colors = {} } = {}) {
  const hist = (answer && answer.history) || [];
  const pts = (answer && answer.points) || [];
  const c = { history: '#6b7280', expected: '#4054d6', band: 'rgba(64,84,214,0.16)', ...colors };
  const traces = [];
  if (hist.length) {
    traces.push({
      type: 'scatter', mode: 'lines', name: 'Arrivals (past)', x: hist.map((p) => p.at), y: hist.map((p) => num(p.arrivals)),
      line: { color: c.history, width: 1.2 }, hovertemplate: '%{x|%a %d %b %H:00}: %{y:.0f} chats<extra>past</extra>',
    });
  }
  if (pts.length) {
    const x = pts.map((p) => p.at);
    traces.push({
      type: 'scatter', mode: 'lines', name: 'Low', x, y: pts.map((p) => num(p.low)), line: { width: 0, color: c.band },
      showlegend: false, hoverinfo: 'skip',
    });
    traces.push({
      type: 'scatter', mode: 'lines', name: 'Likely range', x, y: pts.map((p) => num(p.high)), line: { width: 0, color: c.band },
      fill: 'tonexty', fillcolor: c.band, hoverinfo: 'skip',
    });
    traces.push({
      type: 'scatter', mode: 'lines', name: 'Forecast', x, y: pts.map((p) => num(p.expected)), line: { color: c.expected, width: 2 },
      customdata: pts.map((p) => [fmtCount(p.low), fmtCount(p.high), p.local || '']),
      hovertemplate: '%{customdata[2]}: %{y:.1f} expected (%{customdata[0]}–%{customdata[1]})<extra>forecast</extra>',
    });
  }
  return traces;
}

/** The forecast in figures: expected chats per local day (the table beside the chart). */
export function forecastDays(answer) {
  const days = new Map();
  for (const p of (answer && answer.points) || []) {
    const day = String(p.local || p.at || '').slice(0, 10);
    if (!day) continue;
    const d = days.get(day) || { day, expected: 0, low: 0, high: 0, peak: null, peakHour: null };
    d.expected += num(p.expected) || 0;
    d.low += num(p.low) || 0;
    d.high += num(p.high) || 0;
    const e = num(p.expected);
    if (e != null && (d.peak == null || e > d.peak)) { d.peak = e; d.peakHour = localHour(p.local); }
    days.set(day, d);
  }
  return [...days.values()];
}

// ===== coverage ================================================================================
export const STATUS_WORDS = { under: 'under-staffed', over: 'over-staffed', ok: 'covered', closed: 'closed' };
const STATUS_RANK = { under: 3, over: 2, ok: 1, closed: 0 };

/** The weekday (0 = Monday) and hour of an hour of the coverage answer: its fields, else its `local` time. */
function cellOf(row) {
  let wd = row.weekday;
  let hr = row.hour;
  if ((wd == null || hr == null) && row.local) {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})/.exec(String(row.local));
    if (m) {
      const [y, mo, d] = m[1].split('-').map(Number);
      wd = (new Date(Date.UTC(y, mo - 1, d)).getUTCDay() + 6) % 7;
      hr = Number(m[2]);
    }
  }
  wd = Number(wd);
  hr = Number(hr);
  return wd >= 0 && wd < 7 && hr >= 0 && hr < 24 ? [wd, hr] : null;
}

const mean = (xs) => {
  const v = xs.filter((x) => x != null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/**
 * The coverage answer folded into 7 × 24 cells by local weekday × hour. A week with a DST change
 * has an hour twice (autumn: the figures averaged, the worse status kept) or not at all (spring:
 * the cell stays empty, null). Each cell: {weekday, hour, required, scheduled, online, diff
 * (scheduled − required), status, n (real hours folded)}.
 */
export function coverageCells(answer) {
  const grid = Array.from({ length: 7 }, () => Array(24).fill(null));
  const acc = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => []));
  for (const row of (answer && answer.hours) || []) {
    const at = cellOf(row);
    if (at) acc[at[0]][at[1]].push(row);
  }
  for (let d = 0; d < 7; d++) {
    for (let hr = 0; hr < 24; hr++) {
      const rows = acc[d][hr];
      if (!rows.length) continue;
      const required = mean(rows.map((r) => num(r.required)));
      const scheduled = mean(rows.map((r) => num(r.scheduled)));
      const online = mean(rows.map((r) => num(r.online)));
      let status = 'ok';
      let rank = -1;
      for (const r of rows) {
        const s = r.status in STATUS_RANK ? r.status : statusOf(num(r.required), num(r.scheduled));
        if (STATUS_RANK[s] > rank) { rank = STATUS_RANK[s]; status = s; }
      }
      const diff = required == null || scheduled == null ? null : scheduled - required;
      grid[d][hr] = { weekday: d, hour: hr, required, scheduled, online, diff, status, n: rows.length };
    }
  }
  return grid;
}

/** A status when the server sends none: under when fewer are scheduled than required, over at ≥ required + max(2, 25 %). */
export function statusOf(required, scheduled) {
  if (required == null || scheduled == null) return 'ok';
  if (scheduled < required - 1e-9) return 'under';
  if (scheduled >= required + Math.max(2, 0.25 * required)) return 'over';
  return 'ok';
}

/** The colour value of a cell: closed −4, under −1…−3 (by how many are short), ok 0, over 1…3; null when empty. */
export function colorValue(cell) {
  if (!cell) return null;
  if (cell.status === 'closed') return -4;
  const d = cell.diff ?? 0;
  if (cell.status === 'under') return -Math.min(3, Math.max(1, Math.ceil(-d - 1e-9)));
  if (cell.status === 'over') return Math.min(3, Math.max(1, Math.floor(d)));
  return 0;
}

/** The stepped colour scale for colorValue over [−4, 3]: grey, three reds, neutral, three blues. */
export const COVERAGE_COLORS = {
  closed: '#d9dce1', under: ['#f2a59b', '#e97b6f', '#dc5547'], ok: '#f4f5f7', over: ['#d6e0f8', '#a9bcf0', '#7d97e6'],
};
export function coverageColorscale(c = COVERAGE_COLORS) {
  const steps = [c.closed, c.under[2], c.under[1], c.under[0], c.ok, c.over[0], c.over[1], c.over[2]]; // values −4 … 3
  const scale = [];
  steps.forEach((color, i) => { scale.push([i / 8, color], [(i + 1) / 8, color]); });
  return scale; // with zmin −4.5 and zmax 3.5 each whole value sits inside its own step
}

/** "−2" for a cell short of 2 agents (1.5 → "−1.5"); "" otherwise. The minus is U+2212. */
export function shortLabel(cell) {
  if (!cell || cell.status !== 'under' || cell.diff == null) return '';
  return `−${fmtCount(Math.abs(cell.diff))}`;
}

/**
 * The heatmap's matrices (rows Monday..Sunday, columns 0..23): z (colour values), text (the "−n"
 * labels), customdata (required, scheduled, online, status words, "Tue 14:00") for the hover; x and
 * y are the axes' labels (hours, weekdays).
 */
export function coverageMatrix(answer) {
  const cells = coverageCells(answer);
  return {
    cells,
    z: cells.map((row) => row.map(colorValue)),
    text: cells.map((row) => row.map(shortLabel)),
    customdata: cells.map((row, d) => row.map((c, hr) => [
      ...(c ? [fmtCount(c.required), fmtCount(c.scheduled), c.online == null ? 'not yet' : fmtCount(c.online), STATUS_WORDS[c.status] || c.status]
        : ['—', '—', '—', 'no such hour (clock change)']),
      `${WEEKDAYS[d]} ${String(hr).padStart(2, '0')}:00`,
    ])),
    x: Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, '0')}:00`),
    y: WEEKDAYS,
  };
}

/** The under-staffed hours, in week order: [{weekday, hour, label ("Tue 14:00"), short, required, scheduled}]. */
export function underStaffed(answer) {
  const out = [];
  for (const row of coverageCells(answer)) {
    for (const c of row) {
      if (!c || c.status !== 'under') continue;
      out.push({ ...c, label: `${WEEKDAYS[c.weekday]} ${String(c.hour).padStart(2, '0')}:00`, short: c.diff == null ? null : -c.diff });
    }
  }
  return out;
}

/** Consecutive under-staffed hours of a day joined: "Tue 14:00–17:00 (up to 2 short)". */
export function underStretches(answer) {
  const list = underStaffed(answer);
  const out = [];
  for (const c of list) {
    const last = out[out.length - 1];
    if (last && last.weekday === c.weekday && last.to === c.hour) {
      last.to = c.hour + 1;
      last.worst = Math.max(last.worst, c.short ?? 0);
    } else out.push({ weekday: c.weekday, from: c.hour, to: c.hour + 1, worst: c.short ?? 0 });
  }
  return out.map((s) => ({
    ...s,
    text: `${WEEKDAYS[s.weekday]} ${hhmm(s.from * 60)}–${hhmm(s.to * 60)} (${s.to - s.from === 1 ? '' : 'up to '}${fmtCount(s.worst)} short)`,
  }));
}

/** The table view (screen readers): one row per hour of the week that exists, in order. */
export function coverageRows(answer) {
  const rows = [];
  for (const row of coverageCells(answer)) {
    for (const c of row) {
      if (!c) continue;
      rows.push({
        when: `${WEEKDAYS[c.weekday]} ${String(c.hour).padStart(2, '0')}:00`, required: fmtCount(c.required),
        scheduled: fmtCount(c.scheduled), online: c.online == null ? '—' : fmtCount(c.online),
        diff: c.diff == null ? '—' : `${c.diff > 0 ? '+' : c.diff < 0 ? '−' : ''}${fmtCount(Math.abs(c.diff))}`,
        status: STATUS_WORDS[c.status] || c.status,
      });
    }
  }
  return rows;
}

/** The week's totals in words: hours under / over, agent-hours required vs scheduled. */
export function coverageSummary(answer) {
  let under = 0; let over = 0; let ok = 0; let closed = 0; let req = 0; let sch = 0;
  for (const row of coverageCells(answer)) {
    for (const c of row) {
      if (!c) continue;
      if (c.status === 'under') under++;
      else if (c.status === 'over') over++;
      else if (c.status === 'closed') closed++;
      else ok++;
      req += c.required || 0;
      sch += c.scheduled || 0;
    }
  }
  const t = (answer && answer.totals) || {};
  return {
    under, over, ok, closed,
    required_hours: num(t.required_hours ?? t.required) ?? req,
    scheduled_hours: num(t.scheduled_hours ?? t.scheduled) ?? sch,
  };
}

/** "80 % answered within 60 s, at most 5 % abandoning (the defaults: no goal set)". */
export function goalText(goal) {
  if (!goal) return '';
  const g = `${fmtNumber((Number(goal.service_level) || 0) * 100, 1)} % answered within ${fmtNumber(goal.seconds, 0)} s`;
  const ab = goal.max_abandon == null ? ', no limit on abandonment' : `, at most ${fmtNumber(Number(goal.max_abandon) * 100, 1)} % abandoning`;
  const d = goal.defaults || [];
  const note = d.length === 3 ? ' (the defaults: the department has no goal set)' : d.length ? ` (defaults for: ${d.join(', ')})` : '';
  return `${g}${ab}${note}`;
}

/**
 * The required answer as step lines, one per model, over the week's real hours (x: the local
 * time "Mon 14:00"), the expected arrivals on a second axis.
 */
export function requiredTraces(answer) {
  const hours = (answer && answer.hours) || [];
  const x = hours.map((hr) => {
    const c = cellOf(hr);
    return c ? `${WEEKDAYS[c[0]]} ${hhmm(c[1] * 60)}` : String(hr.at);
  });
  const uniq = x.map((v, i) => (x.indexOf(v) === i ? v : `${v} (2nd)`)); // the autumn hour twice
  const traces = MODELS.map(([m, label]) => ({
    type: 'scatter', mode: 'lines', line: { shape: 'hv', width: m === 'chat' ? 2.2 : 1.4, color: MODEL_COLORS[m] }, name: label,
    x: uniq, y: hours.map((hr) => num(hr.required && hr.required[m])), hovertemplate: `%{x}: %{y} agents<extra>${label}</extra>`,
  }));
  traces.push({
    type: 'bar', name: 'Expected arrivals', x: uniq, y: hours.map((hr) => num(hr.arrivals)), yaxis: 'y2',
    marker: { color: 'rgba(107,114,128,0.22)' }, hovertemplate: '%{x}: %{y:.1f} chats expected<extra></extra>',
  });
  return traces;
}

// ===== shifts ==================================================================================
export const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const WEEK_MIN = 7 * 1440;

/**
 * A shift of the API in one shape: `agent_id` (from `agent: {id, name}` too), `agent_name`, the
 * numbers as numbers, cycle defaults filled in.
 */
export function normShift(s) {
  const agent = s && s.agent && typeof s.agent === 'object' ? s.agent : null;
  return {
    ...s,
    agent_id: Number(s.agent_id ?? (agent && agent.id)),
    agent_name: s.agent_name ?? (agent && agent.name) ?? null,
    weekday: Number(s.weekday),
    minutes: Number(s.minutes),
    cycle_weeks: Number(s.cycle_weeks) || 1,
    cycle_week: Number(s.cycle_week) || 0,
  };
}

/** 450 → "07:30"; 1440 → "24:00". */
export function hhmm(minute) {
  const m = Math.round(Number(minute) || 0);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** "07:30" → 450; null when not a time. */
export function parseHhmm(s) {
  const m = /^(\d{1,2}):(\d{2})$/.exec(String(s || '').trim());
  if (!m || +m[1] > 23 || +m[2] > 59) return null;
  return +m[1] * 60 + +m[2];
}

/** A shift's start minute of its local day, from `start_minute` or `start` ("HH:MM"). */
export function startMinute(shift) {
  if (shift.start_minute != null) return Number(shift.start_minute);
  const m = parseHhmm(shift.start);
  return m == null ? 0 : m;
}

/** "Tue 22:00–06:00 (8 h)". */
export function shiftText(shift) {
  const s = startMinute(shift);
  const len = Number(shift.minutes) || 0;
  const hours = len % 60 ? `${Math.floor(len / 60)} h ${len % 60} min` : `${len / 60} h`;
  return `${WEEKDAYS[Number(shift.weekday)] || '?'} ${hhmm(s)}–${hhmm((s + len) % 1440)} (${hours})`;
}

/** The UTC offset in minutes of zone `tz` at instant `ms` (Europe/Oslo in summer: 120). */
export function zoneOffset(tz, ms) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz || 'UTC', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t) => Number(parts.find((p) => p.type === t).value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'));
  return Math.round((asUtc - Math.floor(ms / 60000) * 60000) / 60000);
}

/** The instant (ms) of local wall time `date` + `minute` in `tz` (a skipped time moves forward by the change). */
export function zonedInstant(date, minute, tz) {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d) + minute * 60000;
  let ms = wall - zoneOffset(tz, wall) * 60000;
  ms = wall - zoneOffset(tz, ms) * 60000; // again: the offset at the instant itself
  return ms;
}

/**
 * A shift as bars on a week grid (minutes 0..10080 from Monday 00:00) in zone `viewTz`, for the
 * week of `monday`: [{start, end, text, overnight}]. A shift in another zone is moved to the
 * grid's zone at that week's offsets; one crossing the week's end is cut in two (the part past
 * Sunday midnight drawn from Monday 00:00: the shift recurs every week).
 */
export function shiftBars(shift, viewTz, monday) {
  const s = startMinute(shift);
  const len = Math.max(0, Number(shift.minutes) || 0);
  const wd = Number(shift.weekday) || 0;
  let start = wd * 1440 + s;
  const own = shift.timezone || viewTz;
  if (viewTz && own !== viewTz && isDate(monday)) {
    const at = zonedInstant(addDays(monday, wd), s, own);
    const gridStart = zonedInstant(monday, 0, viewTz);
    start = Math.round((at - gridStart) / 60000);
  }
  start = ((start % WEEK_MIN) + WEEK_MIN) % WEEK_MIN;
  const end = start + len;
  const text = shiftText(shift);
  if (end <= WEEK_MIN) return [{ start, end, text, overnight: Math.floor(start / 1440) !== Math.floor((end - 1) / 1440) }];
  return [{ start, end: WEEK_MIN, text, overnight: true }, { start: 0, end: end - WEEK_MIN, text, overnight: true }];
}

/** Agent-hours of a list of shifts (for a week; a cycle's shifts count in their weeks only when `monday` is given). */
export function shiftHours(shifts, monday = null) {
  return shifts.filter((s) => !monday || runsInWeek(s, monday)).reduce((n, s) => n + (Number(s.minutes) || 0), 0) / 60;
}

/**
 * The shift form checked before it is sent: {body, errors: {field: message}}. Field names are the
 * server's (weekday, start, minutes, timezone, cycle_weeks, cycle_week), so the server's own
 * errors land on the same inputs. `end` ("HH:MM", may be past midnight) or `hours` gives the length.
 */
export function shiftBody(form) {
  const errors = {};
  const body = {};
  if (form.agent_id != null && form.agent_id !== '') body.agent_id = Number(form.agent_id);
  else errors.agent_id = 'Choose an agent.';
  const wd = Number(form.weekday);
  if (form.weekday === '' || form.weekday == null || !Number.isInteger(wd) || wd < 0 || wd > 6) errors.weekday = 'Choose a day.';
  else body.weekday = wd;
  const start = parseHhmm(form.start);
  if (start == null) errors.start = 'A time like 09:00.';
  else body.start = hhmm(start);
  let minutes = null;
  if (form.end != null && form.end !== '') {
    const end = parseHhmm(form.end);
    if (end == null) errors.end = 'A time like 17:00.';
    else if (start != null) minutes = end > start ? end - start : end + 1440 - start; // 22:00–06:00 runs overnight
  } else if (form.hours != null && form.hours !== '') {
    const hrs = Number(String(form.hours).replace(',', '.'));
    if (!Number.isFinite(hrs) || hrs <= 0) errors.minutes = 'A number of hours above 0.';
    else minutes = Math.round(hrs * 60);
  } else if (form.minutes != null && form.minutes !== '') {
    minutes = Number(form.minutes);
  } else errors.minutes = 'How long the shift is.';
  if (minutes != null) {
    if (!Number.isFinite(minutes) || minutes < 15) errors.minutes = 'A shift is at least 15 minutes.';
    else if (minutes > 1440) errors.minutes = 'A shift is at most 24 hours.';
    else body.minutes = minutes;
  }
  if (form.timezone) body.timezone = String(form.timezone);
  const cw = form.cycle_weeks == null || form.cycle_weeks === '' ? 1 : Number(form.cycle_weeks);
  const ck = form.cycle_week == null || form.cycle_week === '' ? 0 : Number(form.cycle_week);
  if (!Number.isInteger(cw) || cw < 1 || cw > 8) errors.cycle_weeks = '1 to 8 weeks.';
  else if (!Number.isInteger(ck) || ck < 0 || ck >= cw) errors.cycle_week = `A week of the cycle: 1 to ${cw}.`;
  else if (cw > 1) { body.cycle_weeks = cw; body.cycle_week = ck; }
  if (form.department_id != null && form.department_id !== '') body.department_id = Number(form.department_id);
  return { body, errors };
}

/** The form field a server error names ("minutes", "shifts[0].start", "goal.seconds" → its last part's input). */
export function errorField(field, known) {
  const f = String(field || '');
  if (!f) return null;
  if (known.includes(f)) return f;
  const tail = f.replace(/\[\d+\]/g, '').split('.');
  for (let i = tail.length - 1; i >= 0; i--) {
    const joined = tail.slice(i).join('.');
    if (known.includes(joined)) return joined;
  }
  const alias = { start_minute: 'start', department: 'department_id', agent: 'agent_id', office: 'office_id' }[tail[tail.length - 1]];
  return alias && known.includes(alias) ? alias : null;
}

/** A rotation template from the form's weeks: [[{weekday, start, minutes}], …] with errors named `pattern[w][i].field`. */
export function rotationBody(form) {
  const errors = {};
  const name = String(form.name || '').trim();
  if (!name) errors.name = 'A name for the rotation.';
  const weeks = Array.isArray(form.weeks) ? form.weeks : [];
  if (!weeks.length) errors.pattern = 'At least one week.';
  const pattern = weeks.map((week, w) => (week || []).map((row, i) => {
    const { body, errors: e } = shiftBody({ ...row, agent_id: 0 });
    for (const [k, v] of Object.entries(e)) if (k !== 'agent_id') errors[`pattern[${w}][${i}].${k}`] = v;
    return { weekday: body.weekday, start: body.start, minutes: body.minutes };
  }));
  return { body: { name, pattern }, errors };
}

/**
 * A rotation typed as lines "<week> <day> <start>-<end>" ("1 Mon 07:00-15:00", "2 Tue 23:00-07:00")
 * → {weeks: [[{weekday, start, end}], …], errors: {line: message}} (lines counted from 1).
 */
export function parseRotationText(text) {
  const weeks = [];
  const errors = {};
  String(text || '').split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = /^(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/.exec(line);
    const wd = m ? WEEKDAYS.findIndex((d) => d.toLowerCase() === m[2].toLowerCase()) : -1;
    const w = m ? Number(m[1]) : 0;
    if (!m || wd < 0 || w < 1 || w > 8 || parseHhmm(m[3]) == null || parseHhmm(m[4]) == null) {
      errors[i + 1] = `Line ${i + 1}: write it as “1 Mon 07:00-15:00” (week 1 to 8, a day, start-end).`;
      return;
    }
    while (weeks.length < w) weeks.push([]);
    weeks[w - 1].push({ weekday: wd, start: m[3].padStart(5, '0'), end: m[4].padStart(5, '0') });
  });
  return { weeks, errors };
}

// ===== plans ===================================================================================
/** The plan rules the form shows: [field, label, unit, default] (domain/shift_planner.PlanRules). */
export const PLAN_RULES = [
  ['min_minutes', 'Shortest shift', 'hours', 240], ['max_minutes', 'Longest shift', 'hours', 540],
  ['rest_minutes', 'Rest between shifts', 'hours', 660], ['day_start', 'Local day starts', 'time', 420],
  ['day_end', 'Local day ends', 'time', 1260], ['max_shifts', 'Shifts per agent per week', 'count', 5],
  ['time_limit_s', 'Optimiser time limit (s)', 'number', 10],
];

/** The "Suggest shifts" body {department_id, week, offices, rules} and errors by field (rules.min_minutes…). */
export function planBody(form) {
  const errors = {};
  const body = { department_id: Number(form.department_id) || null, week: form.week, offices: (form.offices || []).map(Number), rules: {} };
  if (!body.department_id) errors.department_id = 'Choose a department.';
  if (!isDate(form.week) || mondayOf(form.week) !== form.week) errors.week = 'A week (its Monday).';
  if (!body.offices.length) errors.offices = 'Choose at least one office.';
  for (const [key, , unit] of PLAN_RULES) {
    const raw = form.rules && form.rules[key];
    if (raw == null || raw === '') continue;
    let v;
    if (unit === 'time') v = parseHhmm(raw) ?? (String(raw).trim() === '24:00' ? 1440 : null);
    else if (unit === 'hours') { const n = Number(String(raw).replace(',', '.')); v = Number.isFinite(n) ? Math.round(n * 60) : null; } else if (unit === 'number') { const n = Number(String(raw).replace(',', '.')); v = Number.isFinite(n) && n > 0 && n <= 60 ? n : null; } else { const n = Number(raw); v = Number.isInteger(n) ? n : null; }
    if (v == null || v < 0) { errors[`rules.${key}`] = unit === 'time' ? 'A time like 07:00.' : unit === 'number' ? 'Seconds, above 0 and at most 60.' : 'A number of 0 or more.'; continue; }
    body.rules[key] = v;
  }
  const r = body.rules;
  const min = r.min_minutes ?? 240;
  const max = r.max_minutes ?? 540;
  if (!errors['rules.max_minutes'] && max > 1440) errors['rules.max_minutes'] = 'A shift is at most 24 hours.';
  else if (!errors['rules.min_minutes'] && min > max) errors['rules.min_minutes'] = 'Not longer than the longest shift.';
  if (!errors['rules.day_end'] && (r.day_start ?? 420) >= (r.day_end ?? 1260)) errors['rules.day_end'] = 'After the day’s start.';
  return { body, errors };
}

/** A plan's suggested shifts grouped by agent: [{agent_id, name, office, shifts, hours}], by name. */
export function planAgents(plan, nameOf = (id) => `#${id}`) {
  const by = new Map();
  for (const raw of (plan && (plan.shifts || (plan.result && plan.result.shifts))) || []) {
    const s = normShift(raw);
    const id = s.agent_id;
    const a = by.get(id) || { agent_id: id, name: s.agent_name || nameOf(id), office: s.office || '', timezone: s.timezone || '', shifts: [] };
    a.shifts.push(s);
    by.set(id, a);
  }
  return [...by.values()].map((a) => ({
    ...a, shifts: a.shifts.sort((x, y) => x.weekday - y.weekday || startMinute(x) - startMinute(y)), hours: shiftHours(a.shifts),
  })).sort((x, y) => String(x.name).localeCompare(String(y.name)));
}

/** A plan's cost in words and figures: {agent_hours, short_hours, short_agent_hours, status, text}. */
export function planCost(plan) {
  const p = plan || {};
  const res = p.result || p;
  const uncovered = res.uncovered || [];
  const shortHours = uncovered.length;
  const shortAgentHours = uncovered.reduce((n, u) => n + (Number(Array.isArray(u) ? u[1] : u.short ?? u.agents) || 0), 0);
  const hours = num(res.agent_hours ?? p.agent_hours);
  const status = res.status || p.status || '';
  const text = `${fmtCount(hours)} agent-hours; ${shortHours ? `${shortHours} hour${shortHours === 1 ? '' : 's'} short (${fmtCount(shortAgentHours)} agent-hours missing)` : 'every hour covered'}`;
  return { agent_hours: hours, short_hours: shortHours, short_agent_hours: shortAgentHours, status, text };
}

/** A plan's coverage as a coverage answer (so the same heatmap draws it), when it carries `hours` or `coverage` + `required`. */
export function planCoverage(plan) {
  const p = plan || {};
  if (p.coverage && Array.isArray(p.coverage.hours)) return p.coverage;
  if (Array.isArray(p.hours)) return { hours: p.hours };
  return null;
}

// ===== what-if =================================================================================
export const MODELS = [['chat', 'Chat model'], ['erlang_a', 'Erlang A'], ['erlang_c', 'Erlang C (concurrency)']];
export const MODEL_COLORS = { chat: '#4054d6', erlang_a: '#16894a', erlang_c: '#d08a1e' };

/** Numbers from pasted text: commas, semicolons, spaces, tabs or new lines between them; "1,5" is not a decimal here. */
export function parseNumberList(text) {
  const parts = String(text || '').trim().split(/[\s,;]+/).filter(Boolean);
  return parts.map((p) => (/^-?\d+(\.\d+)?$/.test(p) ? Number(p) : NaN));
}

/**
 * The what-if body and errors by field (the server's names: arrivals, aht_by_load[k], patience_s,
 * goal.service_level, goal.seconds, goal.max_abandon). Arrivals: one number for every hour (`hours`
 * of them, 24 by default) or a pasted list of 1..168. AHT in seconds, shares in percent.
 */
export function whatifBody(form) {
  const errors = {};
  const body = {};
  const list = parseNumberList(form.arrivals);
  if (!list.length) errors.arrivals = 'Arrivals per hour: one number, or a list (one per hour).';
  else if (list.some((x) => !Number.isFinite(x) || x < 0)) errors.arrivals = 'Numbers of 0 or more, separated by spaces, commas or new lines.';
  else if (list.length > 168) errors.arrivals = `At most 168 hours (a week); ${list.length} given.`;
  else if (list.some((x) => x > 10000)) errors.arrivals = 'At most 10,000 chats an hour.';
  else {
    const hours = Math.min(168, Math.max(1, Number(form.hours) || 24));
    body.arrivals = list.length === 1 ? Array(hours).fill(list[0]) : list;
  }
  const aht = (form.aht_by_load || []).map((x) => String(x ?? '').trim());
  while (aht.length && aht[aht.length - 1] === '') aht.pop();
  if (!aht.length) errors['aht_by_load[0]'] = 'The handle time with one chat, in seconds.';
  body.aht_by_load = aht.map((x, k) => {
    const n = Number(x);
    if (x === '' || !Number.isFinite(n) || n <= 0) errors[`aht_by_load[${k}]`] = 'Seconds, above 0.';
    return n;
  });
  if (aht.length > 10) errors['aht_by_load[10]'] = 'At most 10 chats at once.';
  const pat = String(form.patience_s ?? '').trim();
  if (pat === '') body.patience_s = null;
  else {
    const n = Number(pat);
    if (!Number.isFinite(n) || n <= 0) errors.patience_s = 'Seconds, above 0 (empty: visitors never leave).';
    else body.patience_s = n;
  }
  const goal = {};
  const sl = Number(form.service_level);
  if (!Number.isFinite(sl) || sl <= 0 || sl > 100) errors['goal.service_level'] = 'A share above 0 and at most 100 %.';
  else goal.service_level = sl / 100;
  const secs = Number(form.seconds);
  if (String(form.seconds ?? '').trim() === '' || !Number.isFinite(secs) || secs < 0) errors['goal.seconds'] = 'Seconds, 0 or more.';
  else goal.seconds = secs;
  if (goal.service_level === 1 && goal.seconds === 0 && !errors['goal.seconds']) errors['goal.seconds'] = '100 % within 0 s cannot be met.';
  const ma = String(form.max_abandon ?? '').trim();
  if (ma === '') goal.max_abandon = null;
  else {
    const n = Number(ma);
    if (!Number.isFinite(n) || n < 0 || n > 100) errors['goal.max_abandon'] = 'A share from 0 to 100 % (empty: no limit).';
    else goal.max_abandon = n / 100;
  }
  body.goal = goal;
  return { body, errors };
}

/**
 * "Holds 2 vs 3 chats": two what-if bodies, agents holding at most 2 and at most 3 chats (the AHT
 * vector cut to 2 or 3 values; a missing third extended by the step from 1 to 2 chats, said in
 * `note`). Null when the handle times are not there.
 */
export function concurrencyPair(body) {
  const aht = (body && body.aht_by_load) || [];
  if (!aht.length) return null;
  let note = '';
  const v = [...aht];
  if (v.length < 2) { v.push(v[0] * 1.25); note = 'AHT with 2 chats assumed 25 % longer than with 1.'; }
  if (v.length < 3) {
    const step = Math.max(0, v[1] - v[0]);
    v.push(v[1] + step);
    note = `${note ? `${note} ` : ''}AHT with 3 chats assumed ${fmtNumber(v[2], 0)} s (one more step of ${fmtNumber(step, 0)} s).`;
  }
  return { two: { ...body, aht_by_load: v.slice(0, 2) }, three: { ...body, aht_by_load: v.slice(0, 3) }, note };
}

/** The agents each model asks for, hour by hour: [{hour, arrivals, chat, erlang_a, erlang_c, detail: {model: prediction}}]. */
export function whatifRows(answer) {
  return ((answer && answer.hours) || []).map((hr, i) => {
    const row = { hour: i, arrivals: num(hr.arrivals), detail: hr.models || {} };
    for (const [m] of MODELS) { const p = (hr.models || {})[m]; row[m] = p ? num(p.agents) : null; }
    return row;
  });
}

/** Whether every hour of a what-if answer has the same arrivals (then one row says it all). */
export function sameEveryHour(answer) {
  const rows = whatifRows(answer);
  return rows.length > 1 && rows.every((r) => r.arrivals === rows[0].arrivals);
}

/** Agent-hours per model: the answer's, else the sum of the rows. */
export function whatifAgentHours(answer) {
  const given = (answer && answer.agent_hours) || {};
  const rows = whatifRows(answer);
  const out = {};
  for (const [m] of MODELS) out[m] = num(given[m]) ?? (rows.some((r) => r[m] != null) ? rows.reduce((n, r) => n + (r[m] || 0), 0) : null);
  return out;
}

/** A grouped bar chart's traces: one per model, x = the hour ("h1" … or local hours when 24 of them). */
export function whatifTraces(answer) {
  const all = whatifRows(answer);
  const rows = sameEveryHour(answer) ? all.slice(0, 1) : all;
  const x = rows.length === 1 && all.length > 1 ? [`each of the ${all.length} hours`] : rows.map((r) => hourLabel(r.hour, rows.length));
  return MODELS.filter(([m]) => rows.some((r) => r[m] != null)).map(([m, label]) => ({
    type: 'bar', name: label, x, y: rows.map((r) => r[m]), marker: { color: MODEL_COLORS[m] },
    customdata: rows.map((r) => {
      const p = r.detail[m] || {};
      return [fmtNumber((num(p.service_level) ?? 0) * 100, 1), fmtNumber((num(p.abandonment) ?? 0) * 100, 1), fmtNumber(p.avg_wait_s, 0), fmtNumber((num(p.occupancy) ?? 0) * 100, 0)];
    }),
    hovertemplate: `%{x}: %{y} agents<br>service level %{customdata[0]} %, abandonment %{customdata[1]} %<br>average wait %{customdata[2]} s, occupancy %{customdata[3]} %<extra>${label}</extra>`,
  }));
}

/** An hour's label: "00:00".."23:00" for a day of 24, "Mon 00:00".. for a week of 168, else "hour 1".. */
export function hourLabel(i, n) {
  if (n === 24) return hhmm(i * 60);
  if (n === 168) return `${WEEKDAYS[Math.floor(i / 24)]} ${hhmm((i % 24) * 60)}`;
  return `hour ${i + 1}`;
}

// ===== helpers =================================================================================
function num(v) {
  if (v == null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function localHour(local) {
  const m = /T(\d{2}):/.exec(String(local || ''));
  return m ? Number(m[1]) : null;
}
