// The Reports pages' data (data/reports.js): the query every report asks, the preset ranges as
// local dates in a time zone, the previous period's deltas, the leaderboard's sort, the goals form.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  addDays, csvUrl, dayCount, delta, drillQuery, fmtSeconds, fmtShare, goalDraft, goalErrorField, goalsBody, heatmapGrid,
  isDate, localDate, parseReportsRoute, plainError, plotText, presetRange, previousRange, rangeText, ReportFilter, reportsHash, sortRows,
} from '../../../frontdesk/web/console/data/reports.js';

// 2026-03-29 00:30 UTC: already Sunday 29 March in Oslo (01:30 CET; the clocks go forward at 02:00),
// still Saturday 28 March in New York (20:30 EDT).
const NIGHT = Date.UTC(2026, 2, 29, 0, 30);

test('local dates follow the time zone, not the browser', () => {
  assert.equal(localDate(NIGHT, 'Europe/Oslo'), '2026-03-29');
  assert.equal(localDate(NIGHT, 'America/New_York'), '2026-03-28');
  assert.equal(localDate(NIGHT, 'UTC'), '2026-03-29');
  assert.equal(localDate(Date.UTC(2026, 11, 31, 23, 30), 'Asia/Kolkata'), '2027-01-01'); // +05:30
});

test('presets are whole local days ending today in the zone', () => {
  assert.deepEqual(presetRange('today', 'America/New_York', NIGHT), { from: '2026-03-28', to: '2026-03-28' });
  assert.deepEqual(presetRange('today', 'Europe/Oslo', NIGHT), { from: '2026-03-29', to: '2026-03-29' });
  assert.deepEqual(presetRange('yesterday', 'Europe/Oslo', NIGHT), { from: '2026-03-28', to: '2026-03-28' });
  assert.deepEqual(presetRange('7d', 'Europe/Oslo', NIGHT), { from: '2026-03-23', to: '2026-03-29' });
  assert.deepEqual(presetRange('30d', 'Europe/Oslo', NIGHT), { from: '2026-02-28', to: '2026-03-29' });
  assert.deepEqual(presetRange('month', 'Europe/Oslo', NIGHT), { from: '2026-03-01', to: '2026-03-29' });
  assert.deepEqual(presetRange('month', 'Europe/Oslo', Date.UTC(2026, 2, 31, 23, 0)), { from: '2026-04-01', to: '2026-04-01' });
  assert.equal(presetRange('custom', 'UTC', NIGHT), null);
  assert.equal(dayCount('2026-03-23', '2026-03-29'), 7); // the DST night counts as one day
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.equal(addDays('2026-01-01', -1), '2025-12-31');
  assert.deepEqual(previousRange({ from: '2026-03-23', to: '2026-03-29' }), { from: '2026-03-16', to: '2026-03-22' });
  assert.ok(isDate('2024-02-29') && !isDate('2026-02-29') && !isDate('2026-3-1'));
  assert.equal(rangeText({ from: '2026-03-23', to: '2026-03-29' }), '23–29 Mar 2026');
  assert.equal(rangeText({ from: '2026-03-29', to: '2026-03-29' }), '29 Mar 2026');
});

test('the filter builds the query every report takes; the department zone is used when asked for', () => {
  const zones = { 3: 'Europe/Oslo' };
  const f = new ReportFilter({ myZone: 'America/New_York', now: () => NIGHT, zoneOf: (id) => zones[id] || null });
  const seen = [];
  f.subscribe((what, key) => seen.push(key));
  assert.equal(f.tz, 'America/New_York');
  assert.equal(f.query(), 'from=2026-03-22&to=2026-03-28&tz=America%2FNew_York');

  assert.ok(f.set('department', 3));
  assert.equal(f.tz, 'Europe/Oslo');
  assert.equal(f.to, '2026-03-29', 'today moved with the zone');
  assert.equal(f.query({ interval: 'day', empty: '' }), 'from=2026-03-23&to=2026-03-29&tz=Europe%2FOslo&department=3&interval=day');
  assert.ok(f.set('tzMode', 'mine'));
  assert.equal(f.tz, 'America/New_York');
  assert.equal(f.set('tzMode', 'mine'), false, 'no change, no refetch');
  assert.ok(f.set('department', 4)); // a department without business hours: my zone
  f.set('tzMode', 'department');
  assert.equal(f.tz, 'America/New_York');

  f.set('from', '2026-01-01');
  assert.equal(f.preset, 'custom');
  f.set('department', '');
  assert.equal(f.from, '2026-01-01', 'a custom range stays');
  assert.equal(f.set('preset', 'bogus'), false);
  f.set('preset', 'today');
  assert.deepEqual([f.from, f.to], ['2026-03-28', '2026-03-28']);
  assert.equal(f.interval(), 'hour');
  f.set('preset', '30d');
  assert.equal(f.interval(), 'day');
  f.set('from', '2025-01-01');
  assert.equal(f.interval(), 'week');
  assert.deepEqual(seen, ['department', 'tzMode', 'department', 'tzMode', 'from', 'department', 'preset', 'preset', 'from']);
});

test('an agent is locked to their own figures', () => {
  const f = new ReportFilter({ myZone: 'UTC', now: () => NIGHT });
  f.lockAgent(7);
  assert.equal(f.set('agent', 8), false);
  assert.match(f.query(), /&agent=7$/);
});

test('CSV and drill-down links carry the same filters', () => {
  const f = new ReportFilter({ myZone: 'UTC', now: () => NIGHT });
  f.set('agent', 5);
  assert.equal(csvUrl('/api/v1/reports/volume?from=2026-03-23&interval=day'), '/api/v1/reports/volume?from=2026-03-23&interval=day&format=csv');
  assert.equal(csvUrl('/api/v1/reports/volume?format=json'), '/api/v1/reports/volume?format=csv');
  assert.equal(drillQuery(f, { outcome: 'missed', weekday: 1, hour: 14, bogus: 1 }),
    'from=2026-03-23&to=2026-03-29&tz=UTC&agent=5&outcome=missed&weekday=1&hour=14');
  assert.equal(drillQuery(f, { metric: 'first_response', min_s: 90.5, weekday: 0, hour: 0 }),
    'from=2026-03-23&to=2026-03-29&tz=UTC&agent=5&metric=first_response&min_s=90.5&weekday=0&hour=0');
  assert.match(drillQuery(f, { agent: 9 }), /agent=9/, 'a leaderboard row names its agent');
});

test('deltas: the arrow follows the number, the colour whether it is better', () => {
  assert.deepEqual(delta(120, 100, { better: 1 }), { diff: 20, pct: 0.2, arrow: '▲', tone: 'better', text: '+20 (+20 %)' });
  assert.equal(delta(120, 100, { better: -1 }).tone, 'worse');
  assert.equal(delta(80, 100, { better: -1 }).tone, 'better');
  assert.equal(delta(80, 100, { better: -1 }).arrow, '▼');
  assert.equal(delta(80, 100).tone, 'neutral');
  assert.equal(delta(5, 5).tone, 'same');
  assert.equal(delta(5, null).tone, 'none');
  assert.equal(delta(null, 5).tone, 'none');
  assert.equal(delta(3, 0, { better: 1 }).text, '+3', 'no percentage of nothing');
  assert.equal(delta(0.85, 0.8, { better: 1, unit: 'share' }).text, '+5 pt');
  assert.equal(delta(45, 150, { better: -1, unit: 'seconds' }).text, '−1 min 45 s (−70 %)');
  assert.equal(delta(24.2, 24, { better: -1, unit: 'seconds' }).tone, 'same', 'a fifth of a second is no change in words');
  assert.equal(delta(0.6094, 0.6091, { better: 1, unit: 'share' }).tone, 'same');
  assert.equal(delta(1001, 1000, { better: 1 }).text, '+1', 'a change under half a percent has no percentage');
});

test('numbers in words', () => {
  assert.equal(fmtSeconds(4.25), '4.3 s');
  assert.equal(fmtSeconds(42), '42 s');
  assert.equal(fmtSeconds(185), '3 min 5 s');
  assert.equal(fmtSeconds(3900), '1 h 5 min');
  assert.equal(fmtSeconds(null), '—');
  assert.equal(fmtShare(0.8345), '83.5 %');
  assert.equal(fmtShare(undefined), '—');
});

test('the leaderboard sorts by any column, rows without a figure last', () => {
  const rows = [
    { name: 'Bea', chats: 5, first_response: { p50: 30 } },
    { name: 'Al', chats: 9, first_response: { p50: null } },
    { name: 'Cy', chats: 5, first_response: { p50: 12 } },
  ];
  assert.deepEqual(sortRows(rows, 'chats', true).map((r) => r.name), ['Al', 'Bea', 'Cy']);
  assert.deepEqual(sortRows(rows, 'first_response.p50', false).map((r) => r.name), ['Cy', 'Bea', 'Al']);
  assert.deepEqual(sortRows(rows, 'first_response.p50', true).map((r) => r.name), ['Bea', 'Cy', 'Al']);
  assert.deepEqual(sortRows(rows, 'name', false).map((r) => r.name), ['Al', 'Bea', 'Cy']);
});

test('the heatmap grid from cells or rows', () => {
  const g = heatmapGrid({ cells: [{ weekday: 1, hour: 14, value: 7 }, { weekday: 9, hour: 0, value: 1 }] });
  assert.equal(g.length, 7);
  assert.equal(g[1][14], 7);
  assert.equal(g[0][0], null);
  assert.equal(heatmapGrid({ grid: [[1, 2]] })[0][1], 2);
});

test('routes', () => {
  assert.deepEqual(parseReportsRoute('#reports'), { kind: 'reports', tab: 'dashboard' });
  assert.deepEqual(parseReportsRoute('#reports/agents'), { kind: 'reports', tab: 'agents' });
  assert.deepEqual(parseReportsRoute('#reports/nope'), { kind: 'reports', tab: 'dashboard' });
  assert.equal(parseReportsRoute('#reportsx'), null);
  assert.equal(reportsHash('dashboard'), '#reports');
  assert.equal(reportsHash('heatmap'), '#reports/heatmap');
});

test('the goals form: shares typed in percent, errors pointed at their field', () => {
  const draft = goalDraft({ goals: [{ metric: 'service_level', target: 0.8, seconds: 30 }, { metric: 'first_response_p90', target: 120 }] });
  assert.deepEqual(draft.service_level, { on: true, target: '80', seconds: '30' });
  assert.deepEqual(draft.missed_share, { on: false, target: '', seconds: '' });
  draft.missed_share = { on: true, target: '5', seconds: '' };
  draft.first_response_p90.target = 'soon';
  const { body, index } = goalsBody(draft);
  assert.deepEqual(body, { goals: [
    { metric: 'service_level', target: 0.8, seconds: 30 },
    { metric: 'missed_share', target: 0.05 },
    { metric: 'first_response_p90', target: 'soon' },
  ] });
  assert.equal(index.first_response_p90, 2);
  assert.deepEqual(goalErrorField('goals[2].target', body), { metric: 'first_response_p90', part: 'target' });
  assert.deepEqual(goalErrorField('goals[0].seconds', body), { metric: 'service_level', part: 'seconds' });
  assert.equal(goalErrorField('goals[7].target', body), null);
  assert.equal(goalErrorField('to', body), null);
  assert.equal(plainError('to: must not be before from'), 'Must not be before from');
  assert.equal(plainError('goals[1].target: at most 1'), 'At most 1');
});

test('names reach plotly escaped, so its label markup cannot restyle them', () => {
  assert.equal(plotText('<b>Bold</b> & <a href="javascript:x">co</a>'), '&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;a href="javascript:x"&gt;co&lt;/a&gt;');
  assert.equal(plotText(null), '');
});
