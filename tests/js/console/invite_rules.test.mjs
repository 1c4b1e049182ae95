import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  blockedText, codeList, CONDITIONS, draftFromRule, dropped, fieldName, FINAL_OUTCOMES, moved, newDraft, ordered, OUTCOMES,
  plainMessage, rateText, reportRow, reportTables, resolveField, ruleFromDraft, rulePlainText, sameRule, simulationView,
  wholeNumber,
} from '../../../frontdesk/web/console/data/invite_rules.js';

// A rule as the API stores and returns it (domain/invitation_rules.py's docstring).
const stored = {
  id: 7,
  department_id: 2,
  position: 1,
  name: 'Pricing, 30 s',
  enabled: true,
  conditions: [
    { field: 'url', op: 'matches', value: '/pricing*' },
    { field: 'time_on_page', op: 'gte', value: 30 },
    { field: 'returning', op: 'is', value: false },
    { field: 'country', op: 'in', value: ['NO', 'SE'] },
    { field: 'device', op: 'in', value: ['desktop', 'tablet'] },
    { field: 'language', op: 'prefix', value: ['en'] },
    { field: 'schedule', op: 'within', value: { days: ['mon', 'fri'], from: '09:00', to: '17:30' } },
    { field: 'referrer_domain', op: 'is', value: 'google.com' },
    { field: 'title', op: 'contains', value: 'Plans' },
    { field: 'pages', op: 'gte', value: 3 },
    { field: 'time_on_site', op: 'gte', value: 120 },
  ],
  gates: { accepting: true, free_slot: true, max_wait_s: 45 },
  action: { text: 'Questions about our plans?', as: 'agent', agent_id: 4, delay_s: 5 },
  caps: { once_per_visit: true, min_days_between: 7, quiet_after_chat_min: 0 },
};

function body(rule) {
  const { id, position, ...rest } = rule; // what the API takes: no id or position
  return rest;
}

test('a stored rule round-trips through the editor draft unchanged', () => {
  const draft = draftFromRule(stored);
  assert.equal(draft.conditions.length, stored.conditions.length);
  assert.equal(draft.conditions[3].value, 'NO, SE'); // codes are typed as a comma list
  assert.equal(draft.conditions[1].value, '30'); // numbers as typed text
  assert.equal(draft.caps.every, true);
  assert.equal(draft.caps.after_chat, false);
  assert.equal(draft.gates.wait, true);
  assert.deepEqual(ruleFromDraft(draft), body(stored));
  assert.ok(sameRule(draft, draftFromRule(stored)));
});

test('every condition the editor offers has the operator the server wants', () => {
  const ops = {
    url: 'matches', title: 'contains', time_on_page: 'gte', time_on_site: 'gte', pages: 'gte', returning: 'is',
    referrer_domain: 'is', country: 'in', device: 'in', language: 'prefix', schedule: 'within',
  };
  assert.deepEqual(Object.fromEntries(Object.entries(CONDITIONS).map(([k, v]) => [k, v.op])), ops);
});

test('switches off in the editor are the API\'s "no limit" values', () => {
  const d = draftFromRule(stored);
  d.gates.wait = false;
  d.caps.every = false;
  d.caps.after_chat = true;
  d.caps.quiet_after_chat_min = '15';
  d.action.as = 'team';
  const r = ruleFromDraft(d);
  assert.equal(r.gates.max_wait_s, null);
  assert.equal(r.caps.min_days_between, 0);
  assert.equal(r.caps.quiet_after_chat_min, 15);
  assert.deepEqual(r.action, { text: 'Questions about our plans?', as: 'team', agent_id: null, delay_s: 5 });
  assert.equal(sameRule(d, draftFromRule(stored)), false);
});

test('a new draft: pricing page and time on page, shown as the team, once per visit', () => {
  const r = ruleFromDraft(newDraft(3));
  assert.equal(r.department_id, 3);
  assert.deepEqual(r.conditions, [
    { field: 'url', op: 'matches', value: '/pricing*' },
    { field: 'time_on_page', op: 'gte', value: 30 },
  ]);
  assert.deepEqual(r.gates, { accepting: true, free_slot: false, max_wait_s: null });
  assert.deepEqual(r.caps, { once_per_visit: true, min_days_between: 0, quiet_after_chat_min: 30 });
});

test('what was typed is sent as typed when it is not a whole number, so the server names the field', () => {
  assert.equal(wholeNumber(' 30 '), 30);
  assert.equal(wholeNumber('30s'), '30s');
  assert.equal(wholeNumber(''), '');
  assert.equal(wholeNumber(12), 12);
  assert.deepEqual(codeList('no, se  dk;fi,,'), ['no', 'se', 'dk', 'fi']);
  const d = newDraft(1);
  d.conditions[1].value = 'half a minute';
  assert.equal(ruleFromDraft(d).conditions[1].value, 'half a minute');
});

test('a server error path finds its input, or the nearest one above it', () => {
  const known = new Set(['name', 'conditions', 'conditions[0].value', 'conditions[2].value', 'conditions[2].value.to', 'action.text']);
  const has = (p) => known.has(p);
  assert.equal(resolveField('conditions[2].value', has), 'conditions[2].value');
  assert.equal(resolveField('conditions[2].pattern', has), 'conditions[2].value'); // another name for a URL's value
  assert.equal(resolveField('rule.conditions[2].value', has), 'conditions[2].value'); // the simulator's body
  assert.equal(resolveField('conditions[2].value.to', has), 'conditions[2].value.to');
  assert.equal(resolveField('conditions[2].value.days[1]', has), 'conditions[2].value');
  assert.equal(resolveField('conditions[0].value[3]', has), 'conditions[0].value');
  assert.equal(resolveField('conditions[5].field', has), 'conditions'); // a row the form no longer has
  assert.equal(resolveField('action.text', has), 'action.text');
  assert.equal(resolveField('caps.min_days_between', has), null); // nothing of it: the form's own message
  assert.equal(resolveField('', has), null);
});

test('server messages in plain words: at the field without the path, elsewhere naming the field', () => {
  const conds = draftFromRule(stored).conditions;
  assert.equal(plainMessage('conditions[0].value', 'conditions[0].value: must be a non-empty text such as /pricing*'),
    'Must be a non-empty text such as /pricing*.');
  assert.equal(plainMessage('conditions[0].pattern', 'conditions[0].pattern: at most 10 * wildcards'), 'At most 10 * wildcards.');
  assert.equal(plainMessage('conditions[6].value.to', 'conditions[6].value.to: must be later than from', { atField: false, conditions: conds }),
    'Condition 7 (Day and time), to: must be later than from.');
  assert.equal(plainMessage('caps.min_days_between', 'caps.min_days_between: must be a whole number from 0 to 365', { atField: false }),
    'Days between invitations: must be a whole number from 0 to 365.');
  assert.equal(plainMessage(null, 'action.text: must not be empty', { atField: false }), 'Message: must not be empty.');
  assert.equal(plainMessage(null, 'Not allowed.'), 'Not allowed.');
  assert.equal(fieldName('conditions[3].value[0]', conds), 'Condition 4 (Country)');
});

test('rules in order; moving up, down and dropping before another', () => {
  const rules = [{ id: 3, position: 2 }, { id: 1, position: 1 }, { id: 9, position: 2 }];
  assert.deepEqual(ordered(rules).map((r) => r.id), [1, 3, 9]);
  assert.deepEqual(moved([1, 3, 9], 9, -1), [1, 9, 3]);
  assert.deepEqual(moved([1, 3, 9], 1, -1), [1, 3, 9]); // already at the top
  assert.deepEqual(moved([1, 3, 9], 9, 1), [1, 3, 9]); // already at the bottom
  assert.deepEqual(dropped([1, 3, 9], 9, 1), [9, 1, 3]);
  assert.deepEqual(dropped([1, 3, 9], 1, null), [3, 9, 1]);
  assert.deepEqual(dropped([1, 3, 9], 1, 9), [3, 1, 9]);
});

test('a rule in words for the list', () => {
  assert.equal(rulePlainText({ conditions: stored.conditions.slice(0, 2) }), 'URL matches /pricing* · 30 s on the page');
  assert.equal(rulePlainText({ conditions: [stored.conditions[6], stored.conditions[10]] }), 'Mon, Fri 09:00–17:30 · 2 min on the site');
  assert.equal(rulePlainText({ conditions: [] }), 'every visitor');
});

test('the simulator: figures with their definitions and 24 hourly bars (averages per day)', () => {
  const per = Array(24).fill(0);
  per[14] = 1.29;
  per[9] = 0.43;
  const v = simulationView({ days: 7, visits: 400, matched_visits: 30, invitations: 12, per_hour: per, peak_per_hour: 4, truncated: false });
  assert.deepEqual(v.figures.map((f) => [f.key, f.value]), [['visits', '400'], ['matched', '30'], ['invitations', '12'], ['peak', '4']]);
  assert.equal(v.figures[1].sub, '7.5 % of visits');
  assert.equal(v.figures[2].sub, 'about 1.7 a day');
  assert.equal(v.figures[3].sub, 'most often 14:00–15:00');
  assert.ok(v.figures.every((f) => f.definition.length > 20));
  assert.match(v.figures[2].definition, /gates open/);
  assert.equal(v.hours.length, 24);
  assert.equal(v.hours[9], '09:00');
  assert.deepEqual(v.perHour, per);
  assert.equal(v.truncated, false);
  const none = simulationView({ days: 7, visits: 0, matched_visits: 0, invitations: 0, per_hour: [], peak_per_hour: 0, truncated: true });
  assert.equal(none.figures[1].sub, null);
  assert.equal(none.figures[3].sub, null);
  assert.equal(none.perHour.length, 24);
  assert.equal(none.truncated, true);
});

test('report rows: counts, acceptance rate of those sent, names; the final outcomes split every invitation', () => {
  assert.equal(reportRow({ sent: 10, accepted: 3 }).rate, 0.3);
  assert.equal(reportRow({ sent: 0, accepted: 0, blocked: 4 }).rate, null);
  assert.equal(reportRow({ sent: 4, accepted: 1, acceptance_rate: 0.3333 }).rate, 0.3333); // the server's own
  assert.equal(rateText(0.3), '30 %');
  assert.equal(rateText(0.025), '2.5 %');
  assert.equal(rateText(null), '—');
  // as actions/invitations.invitation_report answers
  const counts = (sent, shown, accepted, dismissed, expired, pending, blocked) => ({
    sent, shown, accepted, dismissed, expired, pending, blocked, acceptance_rate: sent ? accepted / sent : null,
  });
  const t = reportTables({
    total: counts(9, 8, 3, 2, 2, 2, 3),
    rules: [{ rule_id: 7, name: 'Pricing', blocked_reasons: { no_free_slot: 3 }, ...counts(6, 6, 2, 1, 2, 1, 3) },
      { rule_id: null, name: null, blocked_reasons: {}, ...counts(3, 2, 1, 1, 0, 1, 0) }],
    agents: [{ agent_id: 4, name: null, ...counts(3, 2, 1, 1, 0, 1, 0) }, { agent_id: null, name: null, ...counts(6, 6, 2, 1, 2, 1, 3) }],
    departments: [{ department_id: 2, name: 'Sales', ...counts(9, 8, 3, 2, 2, 2, 3) }],
  }, { agentName: (id) => (id === 4 ? 'Ada' : null) });
  assert.deepEqual(t.rules.map((r) => r.label), ['Pricing', 'No rule: by hand, or a deleted rule']);
  assert.deepEqual(t.agents.map((r) => r.label), ['Ada', 'The team']);
  assert.equal(t.departments[0].label, 'Sales');
  assert.equal(t.total.sent, 9);
  assert.equal(t.total.rate, 3 / 9);
  for (const row of [...t.rules, t.total]) {
    const split = FINAL_OUTCOMES.reduce((n, k) => n + row[k], 0);
    assert.equal(split, row.sent + row.blocked, row.label); // each invitation in exactly one final outcome
  }
  assert.equal(blockedText(t.rules[0].blocked_reasons), 'no free slot 3');
  assert.equal(blockedText({ wait_too_long: 1, department_closed: 4, no_free_slot: 0 }), 'not accepting chats 4 · wait too long 1');
  assert.equal(blockedText({}), '');
  assert.deepEqual(OUTCOMES.map(([k]) => k), ['sent', 'shown', 'accepted', 'dismissed', 'expired', 'pending', 'blocked']);
  const summed = reportTables({ departments: [{ department_id: 1, ...counts(2, 2, 1, 1, 0, 0, 0) }, { department_id: 3, ...counts(2, 1, 0, 0, 1, 1, 5) }] });
  assert.equal(summed.total.sent, 4); // no total from the server: the departments added up
  assert.equal(summed.total.blocked, 5);
  assert.equal(summed.total.rate, 0.25);
});
