// Satisfaction, privacy and the audit log in the console: a chat's rating (live, from
// `chat.rated`), "Delete this visitor's data" in a conversation's details, and three Settings
// sections: Satisfaction (report, widget rating settings), Privacy (retention), Audit log.
// Contract: docs/api.md and docs/protocol.md. Everything a visitor wrote is set as text.

import { api, get } from './api.js';
import { fullTime, h, icon, parseTime, replaceChildren } from './dom.js';
import { MAIL_SECTION } from './mail.js';
import { trackingCard } from './tracking_settings.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const SHAPES = {
  up: 'M7 22V11l4-9a3 3 0 0 1 3 3v4h5.7a2 2 0 0 1 2 2.3l-1.4 9a2 2 0 0 1-2 1.7zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3',
  down: 'M17 2v11l-4 9a3 3 0 0 1-3-3v-4H4.3a2 2 0 0 1-2-2.3l1.4-9a2 2 0 0 1 2-1.7zM17 2h3a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2h-3',
  star: 'M12 2.5l2.9 6 6.6.9-4.8 4.6 1.2 6.5L12 17.4l-5.9 3.1 1.2-6.5-4.8-4.6 6.6-.9z',
};

function shape(name, cls) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', cls);
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', SHAPES[name]);
  svg.appendChild(path);
  return svg;
}

/** "Good", "Bad" or "4 of 5": ratings are 1–5, the thumbs are stored as 5 and 1. */
export function ratingLabel(r) {
  if (!r) return 'Not rated';
  if (r.score === 5) return 'Good · 5 of 5';
  if (r.score === 1) return 'Bad · 1 of 5';
  return `${r.score} of 5`;
}

/** The rating as the console shows it: thumb or stars, label and the visitor's comment. */
export function ratingNode(r, { compact = false } = {}) {
  const good = r.score >= 4;
  const marks = h('span', { class: `rating-marks ${good ? 'good' : r.score <= 2 ? 'bad' : 'mid'}`, role: 'img', 'aria-label': ratingLabel(r) });
  if (r.score === 5 || r.score === 1) marks.appendChild(shape(r.score === 5 ? 'up' : 'down', 'rating-thumb'));
  else for (let i = 1; i <= 5; i++) marks.appendChild(shape('star', `rating-star${i <= r.score ? ' on' : ''}`));
  return h('div', { class: `rating${compact ? ' rating-compact' : ''}` },
    h('div', { class: 'rating-top' }, marks, h('span', { class: 'rating-label' }, ratingLabel(r))),
    r.comment ? h('blockquote', { class: 'rating-comment' }, r.comment) : null,
    !compact && r.rated_at ? h('div', { class: 'rating-when' }, `Rated ${fullTime(parseTime(r.rated_at))}`) : null);
}

/** A small chip for the conversation header: the thumb or the score. */
export function ratingChip(r) {
  const good = r.score >= 4;
  return h('span', { class: `rating-chip ${good ? 'good' : r.score <= 2 ? 'bad' : 'mid'}`, title: r.comment ? `Rated: “${r.comment}”` : 'Rated by the visitor' },
    r.score === 5 || r.score === 1 ? shape(r.score === 5 ? 'up' : 'down', 'rating-chip-icon') : shape('star', 'rating-chip-icon'),
    r.score === 5 ? 'Good' : r.score === 1 ? 'Bad' : `${r.score} / 5`);
}

/** The details panel's "Satisfaction" section of a closed chat. */
export function ratingSection(summary) {
  if (!summary || summary.status !== 'closed') return null;
  return h('div', { class: 'details-section', dataset: { section: 'rating' } },
    h('h3', null, 'Satisfaction'),
    summary.rating ? ratingNode(summary.rating) : h('p', { class: 'details-muted' }, 'The visitor has not rated this chat.'));
}

/** `chat.rated`: the visitor rated a chat this agent handled (docs/protocol.md). */
export function onRated({ toast, openChat }, f) {
  if (!f || !f.chat || f.chat.id == null) return;
  const r = f.chat.rating;
  if (!r) return;
  const name = (f.chat.visitor && f.chat.visitor.name) || 'A visitor';
  const text = `${name} ${f.changed ? 'changed their rating to' : 'rated the chat'}: ${ratingLabel(r)}`;
  toast(text, r.score >= 4 ? 'success' : r.score <= 2 ? 'warn' : 'info', {
    action: { label: 'Open', run: () => openChat(f.chat.id) },
  });
}

/** Admins only: delete everything about this chat's visitor (refused while a chat is open).
 * The details panel is rebuilt on every update (a summary, the journey arriving), so the
 * two-click state lives on the conversation (`conv.visitorDelete`), not in the button. */
export function visitorDataSection(data, act, conv) {
  const s = conv.summary;
  const me = data.session.me;
  if (!me || me.role !== 'admin' || !s || !s.visitor || s.visitor.id == null) return null;
  const st = conv.visitorDelete || (conv.visitorDelete = { armedUntil: 0, timer: 0, busy: false, error: null });
  const rerender = () => {
    if (!conv.view) return;
    const focused = document.activeElement && document.activeElement.dataset.action === 'delete-visitor';
    conv.view.renderDetails();
    const again = focused && conv.view.details.querySelector('[data-action="delete-visitor"]');
    if (again) again.focus(); // keyboard users keep their place
  };
  const armed = !st.busy && st.armedUntil > Date.now();
  const msg = h('div', { class: 'field-msg', role: 'alert', hidden: !st.error },
    st.error ? [icon('alert', 13), h('span', null, st.error)] : null);
  const label = st.busy ? 'Deleting…' : armed ? 'Click again: delete for good' : 'Delete this visitor’s data';
  const btn = h('button', {
    class: `btn btn-danger-ghost btn-block${armed ? ' armed' : ''}`, type: 'button', disabled: st.busy,
    dataset: { action: 'delete-visitor' },
  }, icon('trash', 15), h('span', null, label));
  btn.addEventListener('click', async () => {
    if (st.busy) return;
    if (!(st.armedUntil > Date.now())) {
      st.armedUntil = Date.now() + 5000;
      st.error = null;
      clearTimeout(st.timer);
      st.timer = setTimeout(() => { st.armedUntil = 0; rerender(); }, 5000);
      rerender();
      return;
    }
    clearTimeout(st.timer);
    st.armedUntil = 0;
    st.busy = true;
    rerender();
    try {
      const r = await api('DELETE', `/api/v1/visitors/${encodeURIComponent(s.visitor.id)}`);
      const n = (r && r.deleted && r.deleted.chats) || 0;
      act.toast(`Visitor data deleted: ${n} chat${n === 1 ? '' : 's'} and everything in them.`, 'success');
      st.busy = false;
      act.forgetVisitor(s.visitor.id);
    } catch (err) {
      st.busy = false;
      if (err.status !== 401) st.error = err.message;
      rerender();
    }
  });
  return h('div', { class: 'details-section', dataset: { section: 'privacy' } },
    h('h3', null, 'Privacy'),
    h('p', { class: 'details-muted' }, 'Removes the visitor, all their chats and messages, files and offline messages. This cannot be undone.'),
    btn, msg);
}

// ===== Settings sections =========================================================================
const LEADS = ['admin', 'manager', 'supervisor'];

/** Sections settings.js adds to its navigation: {id, label, icon, visible(me), Page}. */
export const SETTINGS_SECTIONS = [
  { id: 'satisfaction', label: 'Satisfaction', icon: 'chat', visible: (me) => !!me && LEADS.includes(me.role), Page: null },
  { id: 'privacy', label: 'Privacy', icon: 'lock', visible: (me) => !!me && me.role === 'admin', Page: null },
  { id: 'audit', label: 'Audit log', icon: 'archive', visible: (me) => !!me && (me.role === 'admin' || me.role === 'manager'), Page: null },
  MAIL_SECTION, // mail.js: failed e-mail, admins only
];

function card(title, sub, ...children) {
  return h('section', { class: 'card form-card' },
    h('div', { class: 'card-head' }, h('div', null, h('h2', null, title), sub ? h('p', { class: 'card-sub' }, sub) : null)),
    ...children);
}

function errorAt(container, text) {
  for (const old of container.querySelectorAll('.field-msg')) old.remove();
  if (text) container.appendChild(h('div', { class: 'field-msg', role: 'alert' }, icon('alert', 13), h('span', null, text)));
}

function isoDay(d) { return d.toISOString().slice(0, 10); }

class SatisfactionPage {
  constructor(page) {
    this.data = page.data;
    this.act = page.act;
    const today = new Date();
    this.from = h('input', { type: 'date', class: 'input input-date', id: 'sat-from', value: isoDay(new Date(today - 29 * 864e5)) });
    this.to = h('input', { type: 'date', class: 'input input-date', id: 'sat-to', value: isoDay(today) });
    this.out = h('div', { class: 'sat-out' });
    const form = h('form', { class: 'sat-range', novalidate: true },
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'From'), this.from),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'To'), this.to),
      h('button', { class: 'btn btn-secondary', type: 'submit' }, icon('retry', 14), 'Show'));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.load(); });
    this.settingsSlot = h('div', { class: 'privacy-slot' });
    this.root = h('div', { class: 'privacy-page' },
      card('Satisfaction', 'Ratings visitors gave after their chats, by the agent who handled them and by department. Thumbs count as 5 (good) and 1 (bad); good means 4 or 5.', form, this.out),
      this.settingsSlot);
  }

  show() {
    this.load();
    if (this.data.session.me.role === 'admin') this.loadSettings();
  }

  async load() {
    replaceChildren(this.out, h('div', { class: 'aside-empty' }, h('span', { class: 'spinner spinner-xs' }), 'Loading…'));
    try {
      const q = new URLSearchParams({ from: this.from.value, to: this.to.value });
      const r = await get(`/api/v1/reports/satisfaction?${q}`);
      const figures = (x) => [
        h('td', { class: 'num' }, String(x.count)),
        h('td', { class: 'num' }, x.average == null ? '—' : x.average.toFixed(2)),
        h('td', { class: 'num' }, x.good_percent == null ? '—' : `${x.good_percent.toFixed(0)} %`)];
      const table = (title, rows, name) => h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'aria-label': title },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, title), h('th', { scope: 'col', class: 'num' }, 'Rated chats'),
          h('th', { scope: 'col', class: 'num' }, 'Average'), h('th', { scope: 'col', class: 'num' }, 'Good'))),
        h('tbody', null, rows.length ? rows.map((x) => h('tr', null, h('td', null, name(x)), ...figures(x)))
          : h('tr', null, h('td', { colspan: '4', class: 'muted-cell' }, 'No ratings in this period.')))));
      const t = r.total;
      replaceChildren(this.out,
        h('div', { class: 'live-stats sat-stats' },
          stat(String(t.count), 'Rated chats'),
          stat(t.average == null ? '—' : `${t.average.toFixed(2)} / 5`, 'Average'),
          stat(t.good_percent == null ? '—' : `${t.good_percent.toFixed(0)} %`, 'Good')),
        table('Agent', r.agents, (x) => (x.agent ? x.agent.name : 'Nobody (unassigned)')),
        table('Department', r.departments, (x) => x.department.name));
    } catch (err) {
      if (err.status === 401) return;
      replaceChildren(this.out);
      errorAt(this.out, err.message);
    }
  }

  async loadSettings() {
    let conf;
    try { conf = ((await get('/api/v1/settings/widget')) || {}).widget || {}; } catch { return; }
    const r = { enabled: true, scale: 'thumbs', transcript: true, ...(conf.rating || {}) };
    const enabled = h('input', { type: 'checkbox', id: 'rating-enabled' });
    enabled.checked = !!r.enabled;
    const transcript = h('input', { type: 'checkbox', id: 'rating-transcript' });
    transcript.checked = !!r.transcript;
    const radio = (value, title, sub) => {
      const input = h('input', { type: 'radio', name: 'rating-scale', value });
      input.checked = r.scale === value;
      return h('label', { class: 'radio-card' }, input, h('span', null, h('strong', null, title), h('span', { class: 'check-sub' }, sub)));
    };
    const save = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save');
    const form = h('form', { class: 'form-stack', novalidate: true },
      h('label', { class: 'check', for: 'rating-enabled' }, enabled, h('span', null, h('strong', null, 'Ask for a rating when a chat ends'),
        h('span', { class: 'check-sub' }, 'The widget asks the visitor once the chat is closed, by either side.'))),
      h('div', { class: 'radio-cards', role: 'radiogroup', 'aria-label': 'Rating scale' },
        radio('thumbs', 'Thumbs up or down', 'Stored as 5 (good) or 1 (bad).'),
        radio('stars', 'One to five stars', 'Finer, but asks a little more of the visitor.')),
      h('label', { class: 'check', for: 'rating-transcript' }, transcript, h('span', null, h('strong', null, 'Offer the transcript by e-mail'),
        h('span', { class: 'check-sub' }, 'Internal notes and whispers are never in it.'))),
      h('div', { class: 'form-actions' }, save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const scale = form.querySelector('input[name="rating-scale"]:checked');
      save.disabled = true;
      try {
        await api('PUT', '/api/v1/settings/widget', { rating: { enabled: enabled.checked, scale: scale ? scale.value : 'thumbs', transcript: transcript.checked } });
        this.act.toast('Rating settings saved', 'success');
      } catch (err) {
        if (err.status !== 401) errorAt(form, err.message);
      } finally { save.disabled = false; }
    });
    replaceChildren(this.settingsSlot, card('After a chat', 'What the widget offers the visitor when a chat has ended.', form));
  }
}

function stat(value, label) {
  return h('div', { class: 'stat' }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
}

class PrivacyPage {
  constructor(page) {
    this.data = page.data;
    this.act = page.act;
    this.root = h('div', { class: 'privacy-page' });
  }

  async show() {
    replaceChildren(this.root, h('div', { class: 'aside-empty' }, h('span', { class: 'spinner spinner-xs' }), 'Loading…'));
    let p;
    try { p = (await get('/api/v1/settings/privacy')).privacy; } catch (err) {
      replaceChildren(this.root);
      if (err.status !== 401) errorAt(this.root, err.message);
      return;
    }
    const days = h('input', { type: 'number', class: 'input input-num', id: 'retention-days', min: '0', max: '3650', step: '1', value: String(p.retention_days) });
    const daysField = h('label', { class: 'field', for: 'retention-days' }, h('span', { class: 'field-label' }, 'Keep chats for (days)'), days,
      h('span', { class: 'field-hint' }, '0 keeps everything forever. Counted from when a chat closed.'));
    const radio = (value, title, sub) => {
      const input = h('input', { type: 'radio', name: 'retention-mode', value });
      input.checked = p.mode === value;
      return h('label', { class: 'radio-card' }, input, h('span', null, h('strong', null, title), h('span', { class: 'check-sub' }, sub)));
    };
    const modes = h('div', { class: 'radio-cards', role: 'radiogroup', 'aria-label': 'After the retention period' },
      radio('anonymise', 'Anonymise', 'Chats stay for reports (times, agent, department, rating score); every text is replaced by “[removed]”, the visitor’s name, e-mail, pages and browser are cleared, files are deleted.'),
      radio('delete', 'Delete', 'Chats, their messages and files are deleted, and visitors with no chat left.'));
    const save = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save');
    const form = h('form', { class: 'form-stack', novalidate: true }, daysField, modes,
      h('p', { class: 'card-sub' }, 'Handled offline messages and sent e-mail older than the period go too. A background job applies this every few minutes; each run is in the audit log.'),
      h('div', { class: 'form-actions' }, save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const mode = form.querySelector('input[name="retention-mode"]:checked');
      errorAt(daysField, null);
      save.disabled = true;
      try {
        const r = await api('PUT', '/api/v1/settings/privacy', { retention_days: Number(days.value), mode: mode ? mode.value : p.mode });
        p = r.privacy;
        this.act.toast(p.retention_days ? `Chats are kept for ${p.retention_days} days, then ${p.mode === 'delete' ? 'deleted' : 'anonymised'}.` : 'Chats are kept forever.', 'success');
      } catch (err) {
        if (err.status !== 401) errorAt(err.field === 'retention_days' ? daysField : form, err.message);
      } finally { save.disabled = false; }
    });
    replaceChildren(this.root, card('Retention', 'How long transcripts and visitor data are kept.', form),
      card('Deleting one visitor’s data', null,
        h('p', { class: 'card-sub' }, 'When a visitor asks, open one of their chats and use “Delete this visitor’s data” in its details. It removes the visitor, their chats, messages, files and offline messages, and is refused while they have an open chat.')),
      trackingCard(this.act));
  }
}

const AUDIT_FILTERS = [
  ['', 'Everything'], ['auth.', 'Logins'], ['settings.', 'Settings'], ['user.', 'Users'], ['department.', 'Departments'],
  ['visitor.', 'Visitor data deletions'], ['retention.', 'Retention runs'],
];

function detailsText(details) {
  return Object.entries(details || {}).map(([k, v]) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const inner = Object.entries(v).map(([a, b]) => (b && typeof b === 'object' && 'from' in b ? `${a} ${JSON.stringify(b.from)} → ${JSON.stringify(b.to)}` : `${a} ${JSON.stringify(b)}`));
      return `${k}: ${inner.join(', ')}`;
    }
    return `${k}: ${Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : x)).join(', ') : v}`;
  }).join(' · ');
}

class AuditPage {
  constructor(page) {
    this.data = page.data;
    this.act = page.act;
    this.filter = h('select', { class: 'input input-kind', 'aria-label': 'Show' },
      AUDIT_FILTERS.map(([value, label]) => h('option', { value }, label)));
    this.filter.addEventListener('change', () => this.load(true));
    this.body = h('tbody', null);
    this.more = h('button', { class: 'btn btn-secondary btn-sm', type: 'button', hidden: true, onclick: () => this.load(false) }, 'Load older entries');
    this.msg = h('div', null);
    this.root = h('div', { class: 'privacy-page' },
      h('section', { class: 'card agents-card' },
        h('div', { class: 'card-head' },
          h('div', null, h('h2', null, 'Audit log'), h('p', { class: 'card-sub' }, 'Who did what and when: logins, settings, users, departments, visitor data deletions and retention runs.')),
          h('div', { class: 'audit-tools' }, this.filter,
            h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => this.load(true) }, icon('retry', 14), 'Refresh'))),
        h('div', { class: 'table-wrap' }, h('table', { class: 'table audit-table' },
          h('thead', null, h('tr', null, ['When', 'Who', 'Action', 'Target', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
          this.body)),
        this.msg, h('div', { class: 'audit-more' }, this.more)));
    this.next = null;
  }

  show() {
    this.load(true);
    this.data.directory.loadUsers();
  }

  /** "user 4" reads better as the user's name when the directory knows them. */
  target(t) {
    if (!t) return '—';
    const user = t.type === 'user' && this.data.directory.user(Number(t.id));
    if (user) return h('span', null, user.name, h('span', { class: 'mono-sm muted-cell' }, ` #${t.id}`));
    return h('span', { class: 'mono-sm' }, `${t.type} ${t.id}`);
  }

  async load(fresh) {
    if (fresh) { this.next = null; replaceChildren(this.body); }
    const q = new URLSearchParams({ limit: '50' });
    if (this.filter.value) q.set('action', this.filter.value);
    if (!fresh && this.next) q.set('before', String(this.next));
    errorAt(this.msg, null);
    try {
      const r = await get(`/api/v1/audit?${q}`);
      for (const e of r.entries) {
        this.body.appendChild(h('tr', null,
          h('td', { class: 'nowrap' }, fullTime(parseTime(e.at))),
          h('td', { class: 'nowrap' }, e.actor ? e.actor.name || `User ${e.actor.id}` : h('span', { class: 'muted-cell' }, 'System')),
          h('td', null, h('code', null, e.action)),
          h('td', null, this.target(e.target)),
          h('td', { class: 'audit-details' }, detailsText(e.details))));
      }
      if (fresh && !r.entries.length) this.body.appendChild(h('tr', null, h('td', { colspan: '5', class: 'muted-cell' }, 'Nothing recorded yet.')));
      this.next = r.next_before;
      this.more.hidden = this.next == null;
    } catch (err) {
      if (err.status !== 401) errorAt(this.msg, err.message);
    }
  }
}

SETTINGS_SECTIONS[0].Page = SatisfactionPage;
SETTINGS_SECTIONS[1].Page = PrivacyPage;
SETTINGS_SECTIONS[2].Page = AuditPage;
