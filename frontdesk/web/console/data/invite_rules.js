// Automatic invitation rules in the console (Settings → Invitations), without DOM: the editor's
// draft and the API's rule (domain/invitation_rules.py: conditions, gates, action, caps), where
// a server error's field path (`conditions[2].value: …`) points in the form and how it reads
// there, the rule list's order, the simulator's figures and the invitation report's rows.
// Everything here is plain data in, plain data out (tests/js/console/invite_rules.test.mjs).

export const DAYS = [['mon', 'Mon'], ['tue', 'Tue'], ['wed', 'Wed'], ['thu', 'Thu'], ['fri', 'Fri'], ['sat', 'Sat'], ['sun', 'Sun']];
export const DEVICES = [['desktop', 'Desktop'], ['phone', 'Phone'], ['tablet', 'Tablet'], ['other', 'Other']];

/**
 * The conditions a rule can have, in the order the editor offers them: each field has one
 * operator (the server's OPS) and an editor `kind`:
 * text (one line), seconds / count (a whole number), bool (yes / no), codes (a comma list),
 * choices (check boxes), schedule (days and an hour window).
 */
export const CONDITIONS = {
  url: {
    label: 'Page URL', op: 'matches', kind: 'text', verb: 'matches', placeholder: '/pricing*', blank: '',
    hint: '* stands for any characters and ? for one; case does not matter. A pattern starting with / is matched against the path (and query), any other against the whole address.',
  },
  title: { label: 'Page title', op: 'contains', kind: 'text', verb: 'contains', placeholder: 'Pricing', blank: '', hint: 'Case does not matter.' },
  time_on_page: { label: 'Time on this page', op: 'gte', kind: 'seconds', verb: 'at least', unit: 'seconds', blank: 30, hint: 'Visible time: a tab in the background does not count.' },
  time_on_site: { label: 'Time on the site', op: 'gte', kind: 'seconds', verb: 'at least', unit: 'seconds', blank: 60, hint: 'Visible time this visit, all pages together.' },
  pages: { label: 'Pages this visit', op: 'gte', kind: 'count', verb: 'at least', unit: 'pages', blank: 3 },
  returning: { label: 'Returning visitor', op: 'is', kind: 'bool', blank: true, yes: 'Has visited before', no: 'First visit' },
  referrer_domain: { label: 'Came from', op: 'is', kind: 'text', verb: 'site', placeholder: 'google.com', blank: '', hint: 'The site of the link they followed, or any of its subdomains.' },
  country: { label: 'Country', op: 'in', kind: 'codes', verb: 'one of', placeholder: 'NO, SE, DK', blank: '', hint: 'Two-letter codes, separated by commas.' },
  device: { label: 'Device', op: 'in', kind: 'choices', verb: 'one of', choices: DEVICES, blank: ['desktop'] },
  language: { label: 'Browser language', op: 'prefix', kind: 'codes', verb: 'one of', placeholder: 'en, de', blank: '', hint: 'Language tags, separated by commas: en also matches en-GB and en-US.' },
  schedule: { label: 'Day and time', op: 'within', kind: 'schedule', blank: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }, hint: 'In the department’s time zone (its business hours).' },
};

export const DEFAULT_CAPS = { once_per_visit: true, min_days_between: 0, quiet_after_chat_min: 30 };
export const DEFAULT_GATES = { accepting: true, free_slot: false, max_wait_s: null };

let uidSeq = 0;
function uid() { uidSeq += 1; return `c${uidSeq}`; }

function clone(v) { return v == null || typeof v !== 'object' ? v : JSON.parse(JSON.stringify(v)); }

/** A new condition row of the editor. */
export function blankCondition(field = 'url') {
  const spec = CONDITIONS[field] || CONDITIONS.url;
  return { uid: uid(), field: CONDITIONS[field] ? field : 'url', value: clone(spec.blank) };
}

/** The editor's value of a stored condition value. */
function draftValue(field, value) {
  const spec = CONDITIONS[field];
  if (!spec) return value;
  if (spec.kind === 'codes') return Array.isArray(value) ? value.join(', ') : String(value ?? '');
  if (spec.kind === 'seconds' || spec.kind === 'count') return value == null ? '' : String(value);
  if (spec.kind === 'choices') return Array.isArray(value) ? [...value] : [];
  if (spec.kind === 'schedule') return { ...clone(spec.blank), ...(value || {}) };
  if (spec.kind === 'bool') return value !== false;
  return value == null ? '' : String(value);
}

/** The draft of a new rule for a department. */
export function newDraft(departmentId) {
  return {
    id: null,
    department_id: departmentId == null ? null : Number(departmentId),
    name: '',
    enabled: true,
    conditions: [{ ...blankCondition('url'), value: '/pricing*' }, blankCondition('time_on_page')],
    gates: { accepting: true, free_slot: false, wait: false, max_wait_s: '60' },
    action: { text: '', as: 'team', agent_id: null, delay_s: '0' },
    caps: { once_per_visit: true, every: false, min_days_between: '7', after_chat: true, quiet_after_chat_min: '30' },
  };
}

/** The editor's draft of a stored rule (the API's shape). */
export function draftFromRule(rule) {
  const gates = { ...DEFAULT_GATES, ...(rule.gates || {}) };
  const caps = { ...DEFAULT_CAPS, ...(rule.caps || {}) };
  const action = rule.action || {};
  return {
    id: rule.id ?? null,
    department_id: rule.department_id == null ? null : Number(rule.department_id),
    name: rule.name || '',
    enabled: rule.enabled !== false,
    conditions: (rule.conditions || []).map((c) => ({ uid: uid(), field: c.field, value: draftValue(c.field, c.value) })),
    gates: {
      accepting: gates.accepting !== false,
      free_slot: !!gates.free_slot,
      wait: gates.max_wait_s != null,
      max_wait_s: gates.max_wait_s != null ? String(gates.max_wait_s) : '60',
    },
    action: {
      text: action.text || '',
      as: action.as === 'agent' ? 'agent' : 'team',
      agent_id: action.agent_id ?? null,
      delay_s: String(action.delay_s ?? 0),
    },
    caps: {
      once_per_visit: caps.once_per_visit !== false,
      every: Number(caps.min_days_between) > 0,
      min_days_between: Number(caps.min_days_between) > 0 ? String(caps.min_days_between) : '7',
      after_chat: Number(caps.quiet_after_chat_min) > 0,
      quiet_after_chat_min: Number(caps.quiet_after_chat_min) > 0 ? String(caps.quiet_after_chat_min) : '30',
    },
  };
}

/**
 * A whole number typed in a field, as a number; anything else is sent as typed, so the server
 * refuses it naming the field (one set of rules, the server's).
 */
export function wholeNumber(v) {
  if (typeof v === 'number') return v;
  const s = String(v ?? '').trim();
  return /^-?\d+$/.test(s) ? Number(s) : s;
}

/** "NO, se  dk" → ["NO", "se", "dk"] (the server normalises case). */
export function codeList(v) {
  if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter(Boolean);
  return String(v ?? '').split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);
}

function apiValue(field, value) {
  const spec = CONDITIONS[field];
  if (!spec) return value;
  switch (spec.kind) {
    case 'seconds': case 'count': return wholeNumber(value);
    case 'codes': return codeList(value);
    case 'choices': return Array.isArray(value) ? [...value] : [];
    case 'bool': return value !== false;
    case 'schedule': return { days: [...((value && value.days) || [])], from: (value && value.from) || '', to: (value && value.to) || '' };
    default: return String(value ?? '').trim();
  }
}

/** The API's rule body (POST / PUT /api/v1/invitation-rules, and `rule` of /simulate). */
export function ruleFromDraft(d) {
  const asAgent = d.action.as === 'agent';
  return {
    department_id: d.department_id,
    name: String(d.name || '').trim(),
    enabled: !!d.enabled,
    conditions: d.conditions.map((c) => ({ field: c.field, op: (CONDITIONS[c.field] || {}).op, value: apiValue(c.field, c.value) })),
    gates: {
      accepting: !!d.gates.accepting,
      free_slot: !!d.gates.free_slot,
      max_wait_s: d.gates.wait ? wholeNumber(d.gates.max_wait_s) : null,
    },
    action: {
      text: String(d.action.text || ''),
      as: asAgent ? 'agent' : 'team',
      agent_id: asAgent ? (d.action.agent_id == null || d.action.agent_id === '' ? null : wholeNumber(d.action.agent_id)) : null,
      delay_s: wholeNumber(d.action.delay_s),
    },
    caps: {
      once_per_visit: !!d.caps.once_per_visit,
      min_days_between: d.caps.every ? wholeNumber(d.caps.min_days_between) : 0,
      quiet_after_chat_min: d.caps.after_chat ? wholeNumber(d.caps.quiet_after_chat_min) : 0,
    },
  };
}

/** Whether two drafts would save the same rule (the editor's "unsaved changes"). */
export function sameRule(a, b) {
  return JSON.stringify(ruleFromDraft(a)) === JSON.stringify(ruleFromDraft(b));
}

// ---- server errors at their field ---------------------------------------------------------

/**
 * The server names the field it refused by its path in the rule it was sent:
 * `conditions[2].value`, `conditions[2].value.days[1]`, `action.text`, `caps.min_days_between`.
 * The simulator's errors may say `rule.` first; `pattern` is another name for a URL
 * condition's value. Returns the path as the editor registers its inputs.
 */
export function normalisePath(path) {
  let p = String(path || '').trim();
  if (p.startsWith('rule.')) p = p.slice(5);
  return p.replace(/^(conditions\[\d+\])\.pattern\b/, '$1.value');
}

/** The nearest registered path for a server path (the path, then its parents), or null. */
export function resolveField(path, has) {
  let p = normalisePath(path);
  while (p) {
    if (has(p)) return p;
    const cut = Math.max(p.lastIndexOf('['), p.lastIndexOf('.'));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  return null;
}

const FIELD_NAMES = {
  name: 'Name',
  enabled: 'Enabled',
  department_id: 'Department',
  conditions: 'Conditions',
  gates: 'Capacity',
  'gates.accepting': 'Only while the department accepts chats',
  'gates.free_slot': 'An agent has a free slot',
  'gates.max_wait_s': 'Estimated wait',
  action: 'Invitation',
  'action.text': 'Message',
  'action.as': 'Shown as',
  'action.agent_id': 'Agent',
  'action.delay_s': 'Delay',
  caps: 'How often',
  'caps.once_per_visit': 'Once per visit',
  'caps.min_days_between': 'Days between invitations',
  'caps.quiet_after_chat_min': 'Minutes after a chat',
};

/** Words for a field path: "Condition 3 (Page URL)", "Message", "Condition 2 (Day and time), from". */
export function fieldName(path, conditions = []) {
  const p = normalisePath(path);
  const m = /^conditions\[(\d+)\](?:\.(\w+))?(.*)$/.exec(p);
  if (m) {
    const i = Number(m[1]);
    const c = conditions[i];
    const spec = c && CONDITIONS[c.field];
    const what = `Condition ${i + 1}${spec ? ` (${spec.label})` : ''}`;
    const sub = /^\.(days|from|to)/.exec(m[3] || '');
    return sub ? `${what}, ${sub[1] === 'days' ? 'days' : sub[1]}` : what;
  }
  return FIELD_NAMES[p] || FIELD_NAMES[p.replace(/\[\d+\].*$/, '')] || p;
}

/**
 * A server message in plain words. At its own field the path is dropped
 * ("conditions[2].value: must be …" → "Must be …"); elsewhere it is named in words
 * ("Condition 3 (Page URL): must be …").
 */
export function plainMessage(path, message, { atField = true, conditions = [] } = {}) {
  let text = String(message || 'The server refused this.').trim();
  const m = /^([\w.[\]-]+): (.+)$/s.exec(text);
  if (m) {
    const said = normalisePath(m[1]);
    const named = path ? normalisePath(path) : '';
    if (named && (said.startsWith(named) || named.startsWith(said))) text = m[2];
    else if (!named && (/[.[]/.test(said) || said in FIELD_NAMES)) { text = m[2]; path = m[1]; }
  }
  text = text.charAt(0).toUpperCase() + text.slice(1);
  if (!/[.!?]$/.test(text)) text += '.';
  if (atField || !path) return text;
  return `${fieldName(path, conditions)}: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

// ---- the list -------------------------------------------------------------------------------

/** The rules of one department in their order (position, then id). */
export function ordered(rules) {
  return [...(rules || [])].sort((a, b) => (Number(a.position) - Number(b.position)) || (Number(a.id) - Number(b.id)));
}

/** The ids after moving `id` by `delta` places (up: -1, down: +1); the same order at an end. */
export function moved(ids, id, delta) {
  const out = [...ids];
  const i = out.findIndex((x) => Number(x) === Number(id));
  const j = i + delta;
  if (i < 0 || j < 0 || j >= out.length) return out;
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

/** The ids after dropping `id` before `beforeId` (null: at the end). */
export function dropped(ids, id, beforeId) {
  const out = ids.filter((x) => Number(x) !== Number(id));
  const j = beforeId == null ? out.length : out.findIndex((x) => Number(x) === Number(beforeId));
  out.splice(j < 0 ? out.length : j, 0, ids.find((x) => Number(x) === Number(id)));
  return out;
}

function seconds(n) {
  const v = Number(n);
  if (!Number.isFinite(v)) return String(n);
  if (v >= 3600 && v % 3600 === 0) return `${v / 3600} h`;
  if (v >= 60 && v % 60 === 0) return `${v / 60} min`;
  return `${v} s`;
}

/** One condition in words, for the rule list: "URL matches /pricing*", "on the page 30 s+". */
export function conditionText(c) {
  const v = c.value;
  switch (c.field) {
    case 'url': return `URL matches ${v}`;
    case 'title': return `title contains “${v}”`;
    case 'time_on_page': return `${seconds(v)} on the page`;
    case 'time_on_site': return `${seconds(v)} on the site`;
    case 'pages': return `${v}+ pages`;
    case 'returning': return v ? 'returning visitor' : 'first visit';
    case 'referrer_domain': return `from ${v}`;
    case 'country': return `in ${codeList(v).join(', ')}`;
    case 'device': return codeList(v).join(' or ');
    case 'language': return `language ${codeList(v).join(', ')}`;
    case 'schedule': {
      const days = (v && v.days) || [];
      const names = days.length === 7 ? 'every day'
        : days.join(',') === 'mon,tue,wed,thu,fri' ? 'Mon–Fri'
          : DAYS.filter(([k]) => days.includes(k)).map(([, l]) => l).join(', ');
      return `${names} ${v && v.from}–${v && v.to}`;
    }
    default: return `${c.field} ${c.op} ${JSON.stringify(v)}`;
  }
}

/** The rule's conditions in words ("always" when it has none). */
export function rulePlainText(rule) {
  const conds = (rule.conditions || []).map(conditionText);
  return conds.length ? conds.join(' · ') : 'every visitor';
}

/** The action in words: "as the team, after 5 s" / "as Ada". */
export function actionText(rule, agentName = () => null) {
  const a = rule.action || {};
  const who = a.as === 'agent' ? `as ${agentName(a.agent_id) || `agent ${a.agent_id}`}` : 'as the team';
  return Number(a.delay_s) > 0 ? `${who}, after ${seconds(a.delay_s)}` : who;
}

// ---- the simulator ------------------------------------------------------------------------

/**
 * The simulator's answer (POST /api/v1/invitation-rules/simulate; how it is computed:
 * domain/invitation_rules.simulate) as the figures the editor shows, each with its definition,
 * and the 24 hourly bars (the average per day of each hour, in the department's time zone).
 */
export function simulationView(r) {
  const days = Number(r.days) || 7;
  const visits = Number(r.visits) || 0;
  const matched = Number(r.matched_visits) || 0;
  const sent = Number(r.invitations) || 0;
  const perHour = Array.from({ length: 24 }, (_, h) => Number((r.per_hour || [])[h]) || 0);
  const share = visits ? (matched / visits) * 100 : null;
  return {
    days,
    figures: [
      {
        key: 'visits', label: 'Visits', value: String(visits),
        definition: `Visits of the last ${days} days to this department’s pages (pages that name no department count for the default one). A visit ends after 30 minutes without activity.`,
      },
      {
        key: 'matched', label: 'Matched', value: String(matched),
        sub: share == null ? null : `${share < 10 && share > 0 ? share.toFixed(1) : Math.round(share)} % of visits`,
        definition: 'Visits it would have invited: at one of their page views every condition held while the visitor was still on that page (times counted from when the page opened), and “once every N days” let it through.',
      },
      {
        key: 'invitations', label: 'Invitations', value: String(sent), sub: `about ${perDay(sent, days)} a day`,
        definition: 'What it would have sent: one per matched visit with “once per visit”, else up to one per page view. Capacity gates and “not right after a chat” are not replayed (who was online then is not stored): these are the figures with the gates open.',
      },
      {
        key: 'peak', label: 'Busiest hour', value: String(Number(r.peak_per_hour) || 0), sub: peakHourLabel(perHour),
        definition: `The most invitations it would have sent within one clock hour of the ${days} days.`,
      },
    ],
    hours: perHour.map((_, h) => `${String(h).padStart(2, '0')}:00`),
    perHour,
    chartTitle: `Invitations per hour of the day: the average of the last ${days} days, in the department’s time`,
    truncated: !!r.truncated,
  };
}

function perDay(n, days) {
  const v = n / days;
  return v >= 10 || v === 0 ? String(Math.round(v)) : v.toFixed(1);
}

function peakHourLabel(perHour) {
  let best = -1;
  perHour.forEach((v, h) => { if (v > 0 && (best < 0 || v > perHour[best])) best = h; });
  return best < 0 ? null : `most often ${String(best).padStart(2, '0')}:00–${String((best + 1) % 24).padStart(2, '0')}:00`;
}

// ---- the report ---------------------------------------------------------------------------

/**
 * The report's columns (GET /api/v1/reports/invitations, actions/invitations.invitation_report):
 * [key, label, definition]. `sent` and `shown` overlap the final outcomes; `accepted`,
 * `dismissed`, `expired`, `pending` and `blocked` split every invitation into one each.
 */
export const OUTCOMES = [
  ['sent', 'Sent', 'Invitations that reached the visitor’s browser: all but the blocked ones.'],
  ['shown', 'Shown', 'Those the widget showed on screen, whatever came of them.'],
  ['accepted', 'Accepted', 'The visitor answered: a chat started from it.'],
  ['dismissed', 'Dismissed', 'The visitor closed it.'],
  ['expired', 'Expired', 'Nobody answered before it ran out, or the visitor left.'],
  ['pending', 'Open', 'Still on the visitor’s screen (or on its way).'],
  ['blocked', 'Blocked', 'A rule matched but a capacity gate was shut (department not accepting chats, no free slot, or the wait too long): the visitor was not invited.'],
];
/** The outcomes that split the invitations (the chart's stacked bars). */
export const FINAL_OUTCOMES = ['accepted', 'dismissed', 'expired', 'pending', 'blocked'];
export const RATE_DEFINITION = 'Accepted, out of those sent.';

/**
 * A report row with its counts as numbers and the acceptance rate (accepted of those sent, a
 * fraction, or null when none was sent); the server's own rate is used when it sends one.
 */
export function reportRow(x) {
  const row = { ...x };
  for (const [k] of OUTCOMES) row[k] = Number(x[k]) || 0;
  const serverRate = x.acceptance_rate;
  row.rate = serverRate != null && Number.isFinite(Number(serverRate)) ? Number(serverRate) : (row.sent ? row.accepted / row.sent : null);
  return row;
}

const BLOCKED_WORDS = {
  department_closed: 'not accepting chats', no_free_slot: 'no free slot', wait_too_long: 'wait too long',
};

/** Why a rule's invitations were blocked, in words: "no free slot 3 · wait too long 1" ('' for none). */
export function blockedText(reasons) {
  return Object.entries(reasons || {}).filter(([, n]) => Number(n) > 0)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map(([k, n]) => `${BLOCKED_WORDS[k] || k.replace(/_/g, ' ')} ${n}`).join(' · ');
}

/** "37 %" or "—". */
export function rateText(rate) {
  if (rate == null) return '—';
  const p = rate * 100;
  return `${p > 0 && p < 10 ? p.toFixed(1) : Math.round(p)} %`;
}

/** The report's three tables' rows, each with a display name, and the total. */
export function reportTables(r, { agentName = () => null, departmentName = () => null } = {}) {
  const name = {
    rules: (x) => x.name || (x.rule_id == null ? 'No rule: by hand, or a deleted rule' : `Rule ${x.rule_id}`),
    agents: (x) => x.name || (x.agent_id == null ? 'The team' : agentName(x.agent_id) || `Agent ${x.agent_id}`),
    departments: (x) => x.name || departmentName(x.department_id) || `Department ${x.department_id}`,
  };
  const out = {};
  for (const key of ['rules', 'agents', 'departments']) {
    out[key] = ((r && r[key]) || []).map((x) => ({ ...reportRow(x), label: name[key](x) }));
  }
  out.total = reportRow((r && r.total) || sum(out.departments));
  return out;
}

function sum(rows) {
  const t = {};
  for (const [k] of OUTCOMES) t[k] = rows.reduce((n, r) => n + (Number(r[k]) || 0), 0);
  return t;
}

// ---- tracking settings --------------------------------------------------------------------

export const TRACKING_MODES = [
  ['on', 'On', 'The widget reports page views, time on the page and on the site, language and screen size on every page that has the snippet, chat open or not.'],
  ['respect_dnt', 'Respect Do-Not-Track', 'As “On”, except for browsers that send Do-Not-Track or Global Privacy Control: those are not tracked at all.'],
  ['consent', 'After consent', 'Nothing beyond what a chat needs until the page calls Frontdesk.consent(true), for example from your cookie banner.'],
  ['off', 'Off', 'No page views are recorded: visitors appear only once they chat, and automatic invitations cannot fire.'],
];
