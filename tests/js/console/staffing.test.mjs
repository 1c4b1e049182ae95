// The Staffing pages' data (data/staffing.js): the route, weeks as local Mondays, the forecast's
// accuracy in words and its traces, the coverage heatmap folded by local weekday × hour (DST weeks),
// shifts as bars in an office's zone, and the shift / plan / what-if forms' checks naming fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  accuracyText, beatsNaive, colorValue, concurrencyPair, coverageColorscale, coverageMatrix, coverageRows, coverageSummary,
  errorField, forecastDays, goalText, requiredTraces, forecastTraces, hourLabel, mayManageStaffing, mayViewStaffing, mondayOf, parseNumberList,
  normShift, parseRotationText, parseStaffingRoute, planAgents, planBody, planCost, rotationBody, runsInWeek, shiftBars, shiftBody, shiftText, staffingHash,
  staffingUrl, underStaffed, underStretches, weekChoices, weekIndex, weekLabel, whatifAgentHours, whatifBody, whatifRows,
  whatifTraces, sameEveryHour, zonedInstant, zoneOffset,
} from '../../../frontdesk/web/console/data/staffing.js';

test('the route: #staffing/<tab>, unknown tabs fall back to the first; the hash of a tab', () => {
  assert.deepEqual(parseStaffingRoute('#staffing'), { kind: 'staffing', tab: 'forecast' });
  assert.deepEqual(parseStaffingRoute('#staffing/coverage'), { kind: 'staffing', tab: 'coverage' });
  assert.deepEqual(parseStaffingRoute('#staffing/whatif'), { kind: 'staffing', tab: 'whatif' });
  assert.deepEqual(parseStaffingRoute('#staffing/nope'), { kind: 'staffing', tab: 'forecast' });
  assert.equal(parseStaffingRoute('#reports/goals'), null);
  assert.equal(parseStaffingRoute('#staffingx'), null);
  assert.equal(staffingHash('forecast'), '#staffing');
  assert.equal(staffingHash('plans'), '#staffing/plans');
  for (const role of ['admin', 'manager', 'supervisor']) assert.ok(mayViewStaffing({ role }));
  assert.ok(!mayViewStaffing({ role: 'agent' }) && !mayViewStaffing(null));
  assert.ok(mayManageStaffing({ role: 'manager' }) && !mayManageStaffing({ role: 'supervisor' }));
});

test('URLs leave out empty parameters and repeat lists', () => {
  assert.equal(staffingUrl('forecast', { department: 3, weeks: 2, tz: '' }), '/api/v1/staffing/forecast?department=3&weeks=2');
  assert.equal(staffingUrl('offices'), '/api/v1/staffing/offices');
  assert.equal(staffingUrl('shifts', { office: [1, 2] }), '/api/v1/staffing/shifts?office=1&office=2');
  assert.equal(staffingUrl('coverage', { tz: 'America/New_York' }), '/api/v1/staffing/coverage?tz=America%2FNew_York');
});

test('weeks are local Mondays; the picker starts this week in the zone', () => {
  assert.equal(mondayOf('2026-12-07'), '2026-12-07');
  assert.equal(mondayOf('2026-12-13'), '2026-12-07'); // Sunday
  assert.equal(mondayOf('2027-01-01'), '2026-12-28');
  // Monday 7 Dec 2026 03:00 UTC: still Sunday 6 Dec in Los Angeles
  const now = Date.UTC(2026, 11, 7, 3, 0);
  assert.equal(weekChoices('Europe/Oslo', { now })[2][0], '2026-12-07');
  assert.equal(weekChoices('America/Los_Angeles', { now })[2][0], '2026-11-30');
  assert.equal(weekChoices('UTC', { now })[2][1], 'This week (7–13 Dec)');
  assert.equal(weekChoices('UTC', { now })[4][1], '21–27 Dec 2026');
  assert.equal(weekLabel('2026-12-07'), '7–13 Dec 2026');
  assert.equal(weekLabel('2026-12-28'), '28 Dec 2026 – 3 Jan 2027');
  assert.equal(weekIndex('2024-01-01'), 0);
  assert.equal(weekIndex('2024-01-14'), 1);
  // a 2-week rotation: week 0 of the cycle runs in even weeks since 2024-01-01
  assert.ok(runsInWeek({ cycle_weeks: 2, cycle_week: 0 }, '2024-01-15'));
  assert.ok(!runsInWeek({ cycle_weeks: 2, cycle_week: 0 }, '2024-01-08'));
  assert.ok(runsInWeek({}, '2024-01-08'));
});

test('the accuracy is said in words, against the same hour last week', () => {
  const acc = { held_out_weeks: 2, model_wape: 0.1419, naive_wape: 0.2204, model_mae: 1.2, naive_mae: 1.9 };
  assert.equal(accuracyText(acc), 'This forecast’s error on the last 2 weeks: 14 % (same hour last week: 22 %)');
  assert.equal(accuracyText({ ...acc, held_out_weeks: 1 }), 'This forecast’s error on the last week: 14 % (same hour last week: 22 %)');
  assert.match(accuracyText(null), /No held-out weeks/);
  assert.equal(beatsNaive(acc), true);
  assert.equal(beatsNaive({ model_wape: 0.3, naive_wape: 0.2 }), false);
  assert.equal(beatsNaive({ model_wape: 0.3 }), null);
});

test('the forecast as traces: history, a band filled between low and high, the expected line; days summed', () => {
  const answer = {
    history: [{ at: '2026-12-06T10:00:00Z', arrivals: 4 }, { at: '2026-12-06T11:00:00Z', arrivals: 6 }],
    points: [
      { at: '2026-12-07T09:00:00Z', local: '2026-12-07T10:00', expected: 5, low: 3, high: 8 },
      { at: '2026-12-07T10:00:00Z', local: '2026-12-07T11:00', expected: 7.5, low: 5, high: 10 },
      { at: '2026-12-07T23:00:00Z', local: '2026-12-08T00:00', expected: 1, low: 0, high: 2 },
    ],
  };
  const t = forecastTraces(answer);
  assert.deepEqual(t.map((x) => x.name), ['Arrivals (past)', 'Low', 'Likely range', 'Forecast']);
  assert.deepEqual(t[0].y, [4, 6]);
  assert.deepEqual(t[1].y, [3, 5, 0]);
  assert.equal(t[2].fill, 'tonexty'); // the band fills down to the low line drawn just before it
  assert.deepEqual(t[3].y, [5, 7.5, 1]);
  assert.deepEqual(forecastTraces({}), []);
  const days = forecastDays(answer);
  assert.deepEqual(days.map((d) => [d.day, d.expected, d.low, d.high, d.peakHour]), [['2026-12-07', 12.5, 8, 18, 11], ['2026-12-08', 1, 0, 2, 0]]);
});

/** A coverage answer with one row per local hour of a normal week (Monday 00:00 first). */
function week(fn) {
  const hours = [];
  for (let i = 0; i < 168; i++) {
    const weekday = Math.floor(i / 24);
    const hour = i % 24;
    hours.push({ at: `h${i}`, local: `2026-12-${String(7 + weekday).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00`, weekday, hour, ...fn(weekday, hour) });
  }
  return { hours };
}

test('coverage: a 7 × 24 matrix of scheduled − required; under red with "−n", over blue, ok neutral, closed grey', () => {
  const answer = week((d, hr) => {
    if (hr < 6) return { required: 0, scheduled: 0, online: null, status: 'closed' };
    if (d === 1 && hr === 14) return { required: 3, scheduled: 1, online: 1, status: 'under' };
    if (d === 1 && hr === 15) return { required: 2.5, scheduled: 2, online: null, status: 'under' };
    if (d === 4 && hr === 9) return { required: 1, scheduled: 6, online: null, status: 'over' };
    return { required: 2, scheduled: 2, online: null, status: 'ok' };
  });
  const m = coverageMatrix(answer);
  assert.equal(m.z.length, 7);
  assert.ok(m.z.every((row) => row.length === 24));
  assert.equal(m.z[0][3], -4); // closed
  assert.equal(m.z[1][14], -2); // 2 short
  assert.equal(m.z[1][15], -1); // half an agent short: still under
  assert.equal(m.z[4][9], 3); // 5 over, capped
  assert.equal(m.z[2][10], 0);
  assert.equal(m.text[1][14], '−2');
  assert.equal(m.text[1][15], '−0.5');
  assert.equal(m.text[4][9], '');
  assert.deepEqual(m.customdata[1][14], ['3', '1', '1', 'under-staffed', 'Tue 14:00']);
  assert.deepEqual(m.customdata[2][10], ['2', '2', 'not yet', 'covered', 'Wed 10:00']);
  assert.equal(m.x[0], '00:00');
  assert.deepEqual(m.y, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
  assert.deepEqual(underStaffed(answer).map((c) => [c.label, c.short]), [['Tue 14:00', 2], ['Tue 15:00', 0.5]]);
  assert.deepEqual(underStretches(answer).map((s) => s.text), ['Tue 14:00–16:00 (up to 2 short)']);
  const rows = coverageRows(answer);
  assert.equal(rows.length, 168);
  assert.deepEqual(rows[24 + 14], { when: 'Tue 14:00', required: '3', scheduled: '1', online: '1', diff: '−2', status: 'under-staffed' });
  const s = coverageSummary(answer);
  assert.deepEqual([s.under, s.over, s.closed, s.ok], [2, 1, 42, 123]);
  // the colour scale has a step per whole value from −4 to 3, each colour once
  const scale = coverageColorscale();
  assert.equal(scale.length, 16);
  assert.equal(scale[0][0], 0);
  assert.equal(scale[15][0], 1);
});

test('coverage without a status from the server: under when fewer are scheduled, over from required + max(2, 25 %)', () => {
  const answer = { hours: [
    { weekday: 0, hour: 9, required: 4, scheduled: 3 },
    { weekday: 0, hour: 10, required: 4, scheduled: 6 },
    { weekday: 0, hour: 11, required: 4, scheduled: 5.5 },
  ] };
  const m = coverageMatrix(answer);
  assert.deepEqual([m.z[0][9], m.z[0][10], m.z[0][11]], [-1, 2, 0]);
  assert.equal(m.z[0][12], null); // no such hour in the answer: an empty cell
});

test('a DST week: the repeated hour is averaged (worse status kept), the skipped hour stays empty', () => {
  // autumn (Europe/Oslo, Sunday 25 Oct 2026): 02:00 local twice; spring (29 Mar 2026): no 02:00
  const autumn = { hours: [
    { local: '2026-10-25T02:00', required: 2, scheduled: 2, status: 'ok' },
    { local: '2026-10-25T02:00', required: 4, scheduled: 2, status: 'under' },
    { local: '2026-10-25T03:00', required: 1, scheduled: 1, status: 'ok' },
  ] };
  const a = coverageMatrix(autumn);
  assert.equal(a.cells[6][2].n, 2);
  assert.equal(a.cells[6][2].required, 3);
  assert.equal(a.cells[6][2].status, 'under');
  assert.equal(a.text[6][2], '−1');
  const spring = { hours: [
    { local: '2026-03-29T01:00', required: 1, scheduled: 1, status: 'ok' },
    { local: '2026-03-29T03:00', required: 1, scheduled: 1, status: 'ok' },
  ] };
  const s = coverageMatrix(spring);
  assert.equal(s.z[6][2], null);
  assert.equal(s.customdata[6][2][3], 'no such hour (clock change)');
  assert.equal(colorValue(null), null);
});

test('zone offsets and local instants, DST-correct', () => {
  assert.equal(zoneOffset('Europe/Oslo', Date.UTC(2026, 6, 1, 12)), 120);
  assert.equal(zoneOffset('Europe/Oslo', Date.UTC(2026, 0, 1, 12)), 60);
  assert.equal(zoneOffset('America/New_York', Date.UTC(2026, 0, 1, 12)), -300);
  assert.equal(zoneOffset('Asia/Kolkata', Date.UTC(2026, 0, 1, 12)), 330);
  assert.equal(new Date(zonedInstant('2026-12-07', 9 * 60, 'Europe/Oslo')).toISOString(), '2026-12-07T08:00:00.000Z');
  assert.equal(new Date(zonedInstant('2026-07-06', 9 * 60, 'America/New_York')).toISOString(), '2026-07-06T13:00:00.000Z');
});

test('shifts as bars on a week grid: overnight, across the week end, moved to the office zone', () => {
  const tue = { weekday: 1, start: '22:00', minutes: 480, timezone: 'Europe/Oslo' };
  assert.equal(shiftText(tue), 'Tue 22:00–06:00 (8 h)');
  assert.deepEqual(shiftBars(tue, 'Europe/Oslo', '2026-12-07').map((b) => [b.start, b.end, b.overnight]), [[1440 + 1320, 1440 + 1800, true]]);
  const sun = { weekday: 6, start_minute: 20 * 60, minutes: 600, timezone: 'UTC' };
  assert.deepEqual(shiftBars(sun, 'UTC', '2026-12-07').map((b) => [b.start, b.end]), [[6 * 1440 + 1200, 7 * 1440], [0, 360]]);
  // a New York shift (Mon 09:00 EST = 14:00 UTC = 15:00 in Oslo) on an Oslo grid
  const ny = { weekday: 0, start: '09:00', minutes: 480, timezone: 'America/New_York' };
  assert.deepEqual(shiftBars(ny, 'Europe/Oslo', '2026-12-07').map((b) => [b.start, b.end]), [[15 * 60, 23 * 60]]);
  // Mon 03:00 in New York = 08:00 UTC = Monday 13:30 in Kolkata (a half-hour zone)
  assert.deepEqual(shiftBars({ ...ny, start: '03:00' }, 'Asia/Kolkata', '2026-12-07').map((b) => b.start), [13 * 60 + 30]);
  // Mon 01:00 in Kolkata = Sunday 14:30 in New York: drawn at the end of the same (recurring) week
  assert.deepEqual(shiftBars({ weekday: 0, start: '01:00', minutes: 60, timezone: 'Asia/Kolkata' }, 'America/New_York', '2026-12-07').map((b) => b.start), [6 * 1440 + 14 * 60 + 30]);
});

test('the shift form: errors name the server fields; an end before the start runs overnight; 24 h at most', () => {
  const ok = shiftBody({ agent_id: '7', weekday: '1', start: '22:00', end: '06:00', timezone: 'Europe/Oslo' });
  assert.deepEqual(ok.errors, {});
  assert.deepEqual(ok.body, { agent_id: 7, weekday: 1, start: '22:00', minutes: 480, timezone: 'Europe/Oslo' });
  assert.equal(shiftBody({ agent_id: 1, weekday: 0, start: '09:00', hours: '25' }).errors.minutes, 'A shift is at most 24 hours.');
  assert.equal(shiftBody({ agent_id: 1, weekday: 0, start: '09:00', hours: '24' }).body.minutes, 1440);
  assert.equal(shiftBody({ agent_id: 1, weekday: 0, start: '09:00', hours: '7,5' }).body.minutes, 450);
  const bad = shiftBody({ agent_id: '', weekday: '', start: '9', end: '' });
  assert.deepEqual(Object.keys(bad.errors).sort(), ['agent_id', 'minutes', 'start', 'weekday']);
  assert.equal(shiftBody({ agent_id: 1, weekday: 7, start: '09:00', hours: 8 }).errors.weekday, 'Choose a day.');
  assert.equal(shiftBody({ agent_id: 1, weekday: 0, start: '24:00', hours: 8 }).errors.start, 'A time like 09:00.');
  const cyc = shiftBody({ agent_id: 1, weekday: 0, start: '09:00', hours: 8, cycle_weeks: 2, cycle_week: 1 });
  assert.deepEqual([cyc.body.cycle_weeks, cyc.body.cycle_week], [2, 1]);
  assert.ok(shiftBody({ agent_id: 1, weekday: 0, start: '09:00', hours: 8, cycle_weeks: 2, cycle_week: 2 }).errors.cycle_week);
  assert.equal(errorField('minutes', ['start', 'minutes']), 'minutes');
  assert.equal(errorField('shift.start', ['start', 'minutes']), 'start');
  assert.equal(errorField('start_minute', ['start', 'minutes']), 'start');
  assert.equal(errorField('goal.seconds', ['goal.seconds', 'arrivals']), 'goal.seconds');
  assert.equal(errorField('aht_by_load[2]', ['aht_by_load[2]']), 'aht_by_load[2]');
  assert.equal(errorField('nothing', ['start']), null);
  const rot = rotationBody({ name: ' Day/night ', weeks: [[{ weekday: 0, start: '07:00', hours: 8 }], [{ weekday: 0, start: '23:00', hours: 30 }]] });
  assert.equal(rot.body.name, 'Day/night');
  assert.deepEqual(rot.errors, { 'pattern[1][0].minutes': 'A shift is at most 24 hours.' });
});

test('the plan form: rules in hours and times become minutes; min ≤ max; the day ends after it starts', () => {
  const { body, errors } = planBody({ department_id: '2', week: '2026-12-14', offices: ['1', '3'], rules: { min_minutes: '4', max_minutes: '8', day_start: '07:00', day_end: '21:00', max_shifts: '5', rest_minutes: '' } });
  assert.deepEqual(errors, {});
  assert.deepEqual(body, { department_id: 2, week: '2026-12-14', offices: [1, 3], rules: { min_minutes: 240, max_minutes: 480, day_start: 420, day_end: 1260, max_shifts: 5 } });
  const bad = planBody({ department_id: '', week: '2026-12-15', offices: [], rules: { min_minutes: '10', max_minutes: '8', day_start: '22:00', day_end: '21:00' } });
  assert.deepEqual(Object.keys(bad.errors).sort(), ['department_id', 'offices', 'rules.day_end', 'rules.min_minutes', 'week']);
  assert.equal(planBody({ department_id: 1, week: '2026-12-14', offices: [1], rules: { max_minutes: '25' } }).errors['rules.max_minutes'], 'A shift is at most 24 hours.');
  assert.equal(planBody({ department_id: 1, week: '2026-12-14', offices: [1], rules: { time_limit_s: '2.5' } }).body.rules.time_limit_s, 2.5);
  assert.ok(planBody({ department_id: 1, week: '2026-12-14', offices: [1], rules: { time_limit_s: '0' } }).errors['rules.time_limit_s']);
});

test('a plan: shifts per agent, its cost and the hours it leaves short', () => {
  const plan = {
    status: 'infeasible', agent_hours: 40, uncovered: [[3, 1], [4, 2]],
    shifts: [
      { agent_id: 2, weekday: 1, start_minute: 540, minutes: 480, timezone: 'America/New_York', office: 'NYC' },
      { agent_id: 1, weekday: 2, start_minute: 420, minutes: 480, timezone: 'Europe/Oslo', office: 'Oslo' },
      { agent_id: 1, weekday: 0, start_minute: 420, minutes: 480, timezone: 'Europe/Oslo', office: 'Oslo' },
    ],
  };
  const agents = planAgents(plan, (id) => ({ 1: 'Ada', 2: 'Bo' }[id]));
  assert.deepEqual(agents.map((a) => [a.name, a.shifts.map((s) => s.weekday), a.hours]), [['Ada', [0, 2], 16], ['Bo', [1], 8]]);
  const cost = planCost(plan);
  assert.deepEqual([cost.agent_hours, cost.short_hours, cost.short_agent_hours, cost.status], [40, 2, 3, 'infeasible']);
  assert.equal(cost.text, '40 agent-hours; 2 hours short (3 agent-hours missing)');
  assert.equal(planCost({ agent_hours: 12, uncovered: [] }).text, '12 agent-hours; every hour covered');
});

test('what-if: one number for every hour or a pasted list; AHT fields; goal in percent; each error names its field', () => {
  assert.deepEqual(parseNumberList('1, 2;3\n4\t5  6'), [1, 2, 3, 4, 5, 6]);
  assert.ok(Number.isNaN(parseNumberList('1 x')[1]));
  const one = whatifBody({ arrivals: '12', hours: 24, aht_by_load: ['300', '420', ''], patience_s: '180', service_level: '80', seconds: '60', max_abandon: '5' });
  assert.deepEqual(one.errors, {});
  assert.equal(one.body.arrivals.length, 24);
  assert.ok(one.body.arrivals.every((x) => x === 12));
  assert.deepEqual(one.body.aht_by_load, [300, 420]);
  assert.deepEqual(one.body.goal, { service_level: 0.8, seconds: 60, max_abandon: 0.05 });
  assert.equal(one.body.patience_s, 180);
  const list = whatifBody({ arrivals: '3 5 8', aht_by_load: ['300'], patience_s: '', service_level: '90', seconds: '30', max_abandon: '' });
  assert.deepEqual(list.body.arrivals, [3, 5, 8]);
  assert.equal(list.body.patience_s, null);
  assert.equal(list.body.goal.max_abandon, null);
  const bad = whatifBody({ arrivals: '3 -1', aht_by_load: ['0', 'x'], patience_s: '-5', service_level: '100', seconds: '0', max_abandon: '120' });
  assert.deepEqual(Object.keys(bad.errors).sort(), ['aht_by_load[0]', 'aht_by_load[1]', 'arrivals', 'goal.max_abandon', 'goal.seconds', 'patience_s']);
  assert.equal(bad.errors['goal.seconds'], '100 % within 0 s cannot be met.');
  assert.match(whatifBody({ arrivals: Array(169).fill(1).join(' '), aht_by_load: ['1'], service_level: 80, seconds: 60 }).errors.arrivals, /168/);
  assert.ok(whatifBody({ arrivals: '', aht_by_load: [], service_level: 80, seconds: 60 }).errors['aht_by_load[0]']);
});

test('"holds 2 vs 3 chats": the AHT vector cut to 2 and 3; a missing third extended by one more step', () => {
  const p = concurrencyPair({ arrivals: [10], aht_by_load: [300, 360] });
  assert.deepEqual(p.two.aht_by_load, [300, 360]);
  assert.deepEqual(p.three.aht_by_load, [300, 360, 420]);
  assert.match(p.note, /420 s/);
  const q = concurrencyPair({ aht_by_load: [300, 360, 500, 600] });
  assert.deepEqual(q.three.aht_by_load, [300, 360, 500]);
  assert.equal(q.note, '');
  assert.equal(concurrencyPair({ aht_by_load: [] }), null);
});

test('what-if answers: agents per hour per model as rows, grouped bar traces and agent-hours', () => {
  const pred = (agents) => ({ agents, service_level: 0.83, abandonment: 0.02, avg_wait_s: 14, occupancy: 0.7, prob_wait: 0.3 });
  const answer = { hours: [
    { arrivals: 10, models: { chat: pred(3), erlang_a: pred(4), erlang_c: pred(5) } },
    { arrivals: 20, models: { chat: pred(5), erlang_a: pred(7), erlang_c: pred(9) } },
  ] };
  assert.deepEqual(whatifRows(answer).map((r) => [r.arrivals, r.chat, r.erlang_a, r.erlang_c]), [[10, 3, 4, 5], [20, 5, 7, 9]]);
  assert.deepEqual(whatifAgentHours(answer), { chat: 8, erlang_a: 11, erlang_c: 14 });
  assert.deepEqual(whatifAgentHours({ ...answer, agent_hours: { chat: 7.5, erlang_a: 11, erlang_c: 14 } }).chat, 7.5);
  const t = whatifTraces(answer);
  assert.deepEqual(t.map((x) => x.name), ['Chat model', 'Erlang A', 'Erlang C (concurrency)']);
  assert.deepEqual(t[2].y, [5, 9]);
  assert.deepEqual(t[0].x, ['hour 1', 'hour 2']);
  assert.deepEqual(t[0].customdata[0], ['83', '2', '14', '70']);
  assert.equal(hourLabel(13, 24), '13:00');
  assert.equal(hourLabel(25, 168), 'Tue 01:00');
});

test('a rotation typed as lines: weeks of shifts; a bad line is named', () => {
  const r = parseRotationText('1 Mon 07:00-15:00\n1 Tue 7:00-15:00\n\n2 monday 23:00 – 07:00');
  assert.deepEqual(r.errors, {});
  assert.deepEqual(r.weeks, [
    [{ weekday: 0, start: '07:00', end: '15:00' }, { weekday: 1, start: '07:00', end: '15:00' }],
    [{ weekday: 0, start: '23:00', end: '07:00' }],
  ]);
  const body = rotationBody({ name: 'Days/nights', weeks: r.weeks });
  assert.deepEqual(body.body.pattern[1], [{ weekday: 0, start: '23:00', minutes: 480 }]);
  assert.deepEqual(Object.keys(parseRotationText('1 Mon 07:00-15:00\n9 Mon 07:00-15:00\nx').errors), ['2', '3']);
});

test('shifts of the API in one shape: the agent reference, numbers, cycle defaults', () => {
  const s = normShift({ id: 45, agent: { id: 11, name: 'Dan Rivera' }, office_id: 2, weekday: '0', start: '08:00', start_minute: 480, minutes: 360, cycle_weeks: 1, cycle_week: 0 });
  assert.deepEqual([s.agent_id, s.agent_name, s.weekday, s.minutes, s.cycle_weeks, s.cycle_week], [11, 'Dan Rivera', 0, 360, 1, 0]);
  assert.equal(normShift({ agent_id: '4', weekday: 2, minutes: 60 }).agent_id, 4);
  assert.equal(planAgents({ shifts: [{ agent: { id: 3, name: 'Kari' }, weekday: 0, start_minute: 0, minutes: 60 }] })[0].name, 'Kari');
});

test('a what-if with the same arrivals every hour collapses to one row', () => {
  const pred = (agents) => ({ agents, service_level: 0.9, abandonment: 0.01, avg_wait_s: 5, occupancy: 0.6 });
  const flat = { hours: Array.from({ length: 24 }, () => ({ arrivals: 40, models: { chat: pred(4), erlang_a: pred(6), erlang_c: pred(5) } })) };
  assert.ok(sameEveryHour(flat));
  const t = whatifTraces(flat);
  assert.deepEqual(t[0].x, ['each of the 24 hours']);
  assert.deepEqual(t.map((x) => x.y), [[4], [6], [5]]);
  assert.deepEqual(whatifAgentHours(flat), { chat: 96, erlang_a: 144, erlang_c: 120 });
  assert.ok(!sameEveryHour({ hours: [{ arrivals: 1 }] }));
  assert.ok(!sameEveryHour({ hours: [{ arrivals: 1 }, { arrivals: 2 }] }));
});

test('the goal in words and the required agents per model as step lines', () => {
  assert.equal(goalText({ service_level: 0.8, seconds: 60, max_abandon: 0.05, defaults: ['service_level', 'seconds', 'max_abandon'] }),
    '80 % answered within 60 s, at most 5 % abandoning (the defaults: the department has no goal set)');
  assert.equal(goalText({ service_level: 0.9, seconds: 30, max_abandon: null, defaults: [] }), '90 % answered within 30 s, no limit on abandonment');
  const answer = { hours: [
    { local: '2026-10-25T01:00+02:00', arrivals: 3, required: { chat: 1, erlang_a: 2, erlang_c: 1 } },
    { local: '2026-10-25T02:00+02:00', arrivals: 5, required: { chat: 2, erlang_a: 3, erlang_c: 2 } },
    { local: '2026-10-25T02:00+01:00', arrivals: 6, required: { chat: 2, erlang_a: 3, erlang_c: 2 } },
  ] };
  const t = requiredTraces(answer);
  assert.deepEqual(t.map((x) => x.name), ['Chat model', 'Erlang A', 'Erlang C (concurrency)', 'Expected arrivals']);
  assert.deepEqual(t[0].x, ['Sun 01:00', 'Sun 02:00', 'Sun 02:00 (2nd)']);
  assert.deepEqual(t[1].y, [2, 3, 3]);
  assert.equal(t[3].yaxis, 'y2');
});
