// The Archive page: search every conversation you may see (your departments' chats, or all of
// them for managers and admins), filter, read a transcript, export. Contract: docs/api.md
// (/api/v1/archive/...). Message text is only ever put in the page as text nodes; a match is a
// <mark> element around a text node (the server sends snippets as plain/matched parts).

import { get } from './api.js';
import {
  deptTag, fullTime, h, icon, parseTime, plural, replaceChildren, visitorName,
} from './dom.js';

const LEADS = ['admin', 'manager', 'supervisor'];
const PAGE = 20;
const RATINGS = [
  ['', 'Any rating'], ['good', 'Good (4–5)'], ['neutral', 'Neutral (3)'], ['bad', 'Bad (1–2)'],
];
const RATING_RANGE = { good: [4, 5], neutral: [3, 3], bad: [1, 2] };
const STATUSES = [['', 'Any status'], ['closed', 'Closed'], ['active', 'Active'], ['queued', 'Waiting']];
const WORD = /[\p{L}\p{N}]+/gu;

/** The words of a search as the server reads them: words, "phrases", prefix* (3+ letters). */
export function searchTerms(q) {
  const exact = new Set();
  const prefixes = [];
  const re = /"([^"]*)"|([\p{L}\p{N}]+)(\*?)/gu;
  for (const m of String(q || '').matchAll(re)) {
    if (m[2]) {
      const w = m[2].toLowerCase();
      if (m[3] && w.length >= 3) prefixes.push(w); else exact.add(w);
    } else {
      for (const w of (m[1] || '').match(WORD) || []) exact.add(w.toLowerCase());
    }
  }
  return { exact, prefixes, empty: !exact.size && !prefixes.length };
}

/** `text` as nodes, the words of `terms` inside <mark>: text nodes only, never markup. */
export function marked(text, terms) {
  const s = String(text ?? '');
  if (!terms || terms.empty) return [s];
  const out = [];
  let at = 0;
  for (const m of s.matchAll(WORD)) {
    const w = m[0].toLowerCase();
    if (terms.exact.has(w) || terms.prefixes.some((p) => w.startsWith(p))) {
      if (m.index > at) out.push(s.slice(at, m.index));
      out.push(h('mark', null, m[0]));
      at = m.index + m[0].length;
    }
  }
  if (at < s.length) out.push(s.slice(at));
  return out;
}

/** The server's snippet parts: even indexes plain text, odd ones the matched words. */
function snippetNodes(parts) {
  return (parts || []).map((part, i) => (i % 2 ? h('mark', null, part) : String(part)));
}

function stars(score) {
  if (score == null) return null;
  const n = Math.max(0, Math.min(5, Number(score)));
  return h('span', { class: `arch-rating arch-rating-${n >= 4 ? 'good' : n <= 2 ? 'bad' : 'neutral'}`, title: `Rated ${n} of 5` },
    icon('star', 12), String(n));
}

function when(value) {
  const t = parseTime(value);
  return t == null ? '' : fullTime(t);
}

function minutesBetween(a, b) {
  const s = parseTime(a);
  const e = parseTime(b);
  if (s == null || e == null) return null;
  return Math.max(0, Math.round((e - s) / 60000));
}

export class ArchivePage {
  /** @param {object} data  the data modules  @param {object} act  the App's callbacks (App.viewActions) */
  constructor(data, act) {
    this.data = data;
    this.act = act;
    this.results = [];
    this.nextBefore = null;
    this.loading = false;
    this.error = null;
    this.searched = false;
    this.epoch = 0;
    this.params = new URLSearchParams();
    this.terms = searchTerms('');
    this.chatId = null;
    this.transcript = null; // {chat, events, nextAfter, loading, error}
    this.build();
  }

  isLead() { return !!this.data.session.me && LEADS.includes(this.data.session.me.role); }

  build() {
    const { data, act } = this;
    this.q = h('input', {
      class: 'input arch-q', type: 'search', name: 'q', placeholder: 'Words, "a phrase", or a prefix*',
      'aria-label': 'Search messages', autocomplete: 'off', maxlength: '500',
    });
    this.from = h('input', { class: 'input', type: 'date', name: 'from', 'aria-label': 'From date' });
    this.to = h('input', { class: 'input', type: 'date', name: 'to', 'aria-label': 'To date' });
    this.dept = h('select', { class: 'input', name: 'department_id', 'aria-label': 'Department' });
    this.agent = h('select', { class: 'input', name: 'agent_id', 'aria-label': 'Agent' });
    this.tag = h('select', { class: 'input', name: 'tag_id', 'aria-label': 'Tag' });
    this.rating = h('select', { class: 'input', name: 'rating', 'aria-label': 'Rating' },
      RATINGS.map(([v, label]) => h('option', { value: v }, label)));
    this.status = h('select', { class: 'input', name: 'status', 'aria-label': 'Status' },
      STATUSES.map(([v, label]) => h('option', { value: v }, label)));
    this.minMinutes = h('input', {
      class: 'input', type: 'number', min: '0', step: '1', name: 'min_minutes', placeholder: 'min', 'aria-label': 'At least (minutes)',
    });
    this.maxMinutes = h('input', {
      class: 'input', type: 'number', min: '0', step: '1', name: 'max_minutes', placeholder: 'max', 'aria-label': 'At most (minutes)',
    });
    this.fields = {
      q: this.q, from: this.from, to: this.to, department_id: this.dept, agent_id: this.agent, tag_id: this.tag,
      rating_min: this.rating, rating_max: this.rating, status: this.status,
      min_minutes: this.minMinutes, max_minutes: this.maxMinutes,
    };
    for (const el of [this.from, this.to, this.dept, this.agent, this.tag, this.rating, this.status]) {
      el.addEventListener('change', () => this.search());
    }
    for (const el of [this.minMinutes, this.maxMinutes]) el.addEventListener('change', () => this.search());

    this.errorEl = h('div', { class: 'form-error arch-error', role: 'alert', hidden: true }, icon('alert', 15), h('span'));
    const form = h('form', { class: 'arch-form', role: 'search' },
      h('div', { class: 'arch-searchrow' },
        h('span', { class: 'arch-q-wrap' }, icon('search', 16), this.q),
        h('button', { class: 'btn btn-primary', type: 'submit' }, 'Search')),
      h('div', { class: 'arch-filters' },
        h('label', { class: 'arch-f' }, h('span', null, 'From'), this.from),
        h('label', { class: 'arch-f' }, h('span', null, 'To'), this.to),
        h('label', { class: 'arch-f' }, h('span', null, 'Status'), this.status),
        h('label', { class: 'arch-f' }, h('span', null, 'Department'), this.dept),
        h('label', { class: 'arch-f' }, h('span', null, 'Agent'), this.agent),
        h('label', { class: 'arch-f' }, h('span', null, 'Tag'), this.tag),
        h('label', { class: 'arch-f' }, h('span', null, 'Rating'), this.rating),
        h('div', { class: 'arch-f arch-f-duration' }, h('span', null, 'Duration (minutes)'),
          h('span', { class: 'arch-range' }, this.minMinutes, h('span', { 'aria-hidden': 'true' }, '–'), this.maxMinutes,
            h('button', { class: 'linkbtn muted arch-clear', type: 'button', onclick: () => this.clearFilters() }, 'Clear filters')))),
      this.errorEl);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.search(); });

    this.countEl = h('div', { class: 'arch-count', role: 'status' });
    this.internalBox = h('input', { type: 'checkbox', name: 'internal' });
    this.internalBox.addEventListener('change', () => { this.renderExports(); this.renderTranscriptHead(); });
    this.exportsEl = h('div', { class: 'arch-exports' });
    this.list = h('ol', { class: 'arch-results', 'aria-label': 'Matching chats' });
    this.moreEl = h('div', { class: 'arch-more' });
    this.viewer = h('section', { class: 'arch-viewer', 'aria-label': 'Transcript' });

    this.root = h('section', { class: 'settings archive', 'aria-label': 'Archive' },
      h('header', { class: 'settings-head' },
        h('div', { class: 'settings-title' },
          h('span', { class: 'settings-icon' }, icon('archive', 18)),
          h('div', null, h('h1', null, 'Archive'),
            h('p', { class: 'arch-scope' }))),
        h('button', { class: 'btn btn-secondary btn-sm arch-back', type: 'button', onclick: () => act.leaveScreen(true) },
          icon('arrowLeft', 15), 'Back to chats')),
      h('div', { class: 'arch-body' },
        h('div', { class: 'arch-side' }, form,
          h('div', { class: 'arch-listhead' }, this.countEl, this.exportsEl),
          h('div', { class: 'arch-scroll' }, this.list, this.moreEl)),
        this.viewer));
  }

  /** Shown (again): fill the filter lists, search (`q` from the sidebar's box, if given; the
   *  last search otherwise), open `chatId` if given. */
  async show(chatId = null, q = null) {
    const me = this.data.session.me || {};
    const scope = this.root.querySelector('.arch-scope');
    scope.textContent = me.role === 'admin' || me.role === 'manager'
      ? 'Every conversation, with internal notes. Search, read and export.'
      : 'Conversations of your departments and your own, with internal notes.';
    this.fillFilters();
    if (q != null) this.q.value = q;
    if (q != null || !this.searched) this.search();
    if (chatId != null) this.open(chatId); else this.renderViewer();
    setTimeout(() => this.q.focus(), 0);
  }

  async fillFilters() {
    const dir = this.data.directory;
    const [departments, users, tags] = await Promise.all([
      dir.loadDepartments().catch(() => dir.departments),
      dir.loadUsers().catch(() => dir.users),
      get('/api/v1/tags').then((r) => (r && r.tags) || []).catch(() => []),
    ]);
    const fill = (select, any, items) => {
      const value = select.value;
      replaceChildren(select, h('option', { value: '' }, any),
        items.map(([v, label]) => h('option', { value: String(v) }, label)));
      select.value = value;
    };
    fill(this.dept, 'All departments', (departments || []).map((d) => [d.id, d.name || d.slug]));
    fill(this.agent, 'Any agent', (users || []).map((u) => [u.id, u.name || u.email]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))));
    fill(this.tag, 'Any tag', (tags || []).map((t) => [t.id, t.name]));
    this.tag.disabled = !(tags || []).length;
  }

  clearFilters() {
    for (const el of [this.from, this.to, this.minMinutes, this.maxMinutes]) el.value = '';
    for (const el of [this.dept, this.agent, this.tag, this.rating, this.status]) el.value = '';
    this.search();
  }

  /** The search and filters as query parameters (what the server validates). */
  currentParams() {
    const p = new URLSearchParams();
    const q = this.q.value.trim();
    if (q) p.set('q', q);
    if (this.from.value) p.set('from', this.from.value);
    if (this.to.value) p.set('to', this.to.value);
    if (this.dept.value) p.set('department_id', this.dept.value);
    if (this.agent.value) p.set('agent_id', this.agent.value);
    if (this.tag.value) p.set('tag_id', this.tag.value);
    const range = RATING_RANGE[this.rating.value];
    if (range) { p.set('rating_min', String(range[0])); p.set('rating_max', String(range[1])); }
    if (this.status.value) p.set('status', this.status.value);
    if (this.minMinutes.value !== '') p.set('min_minutes', this.minMinutes.value);
    if (this.maxMinutes.value !== '') p.set('max_minutes', this.maxMinutes.value);
    return p;
  }

  async search(more = false) {
    if (more && (this.loading || this.nextBefore == null)) return;
    const epoch = ++this.epoch;
    if (!more) {
      this.params = this.currentParams();
      this.terms = searchTerms(this.params.get('q'));
      this.results = [];
      this.nextBefore = null;
    }
    const p = new URLSearchParams(this.params);
    p.set('limit', String(PAGE));
    if (more) p.set('before', String(this.nextBefore));
    this.loading = true;
    this.error = null;
    this.showError(null);
    this.render();
    try {
      const page = await get(`/api/v1/archive/search?${p}`);
      if (epoch !== this.epoch) return;
      this.results = this.results.concat(page.chats || []);
      this.nextBefore = page.next_before ?? null;
      this.searched = true;
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.error = err;
      this.showError(err);
    } finally {
      if (epoch === this.epoch) {
        this.loading = false;
        this.render();
        this.renderTranscriptHead(); // the transcript's highlights follow the search
        this.renderThread();
      }
    }
  }

  showError(err) {
    for (const el of Object.values(this.fields)) el.removeAttribute('aria-invalid');
    this.errorEl.hidden = !err;
    if (!err) return;
    let text = String(err.message || 'The search failed.');
    const m = /^[\w.]+: (.+)$/s.exec(text);
    if (m && err.field) text = `${err.field === 'from' ? 'From' : err.field === 'to' ? 'To' : err.field.replace(/_/g, ' ')}: ${m[1]}`;
    this.errorEl.querySelector('span').textContent = text;
    const el = err.field && this.fields[err.field];
    if (el) el.setAttribute('aria-invalid', 'true');
  }

  render() {
    const n = this.results.length;
    const q = this.params.get('q');
    this.countEl.textContent = this.loading && !n ? 'Searching…'
      : this.error ? ''
        : `${n}${this.nextBefore != null ? '+' : ''} ${n === 1 ? 'chat' : 'chats'}${q ? ` matching “${q}”` : ''}`;
    replaceChildren(this.list, this.results.map((item) => this.resultNode(item)));
    if (!n && !this.loading && this.searched && !this.error) {
      this.list.appendChild(h('li', { class: 'arch-none' }, icon('search', 18),
        h('span', null, q ? 'No conversation matches. Check the spelling, use fewer words, or widen the filters.'
          : 'No conversation matches these filters.')));
    }
    replaceChildren(this.moreEl,
      this.loading ? h('span', { class: 'spinner' }) : null,
      !this.loading && this.nextBefore != null
        ? h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => this.search(true) }, 'Load more')
        : null);
    this.renderExports();
  }

  resultNode(item) {
    const s = item.chat;
    const hit = item.hit;
    const selected = Number(s.id) === Number(this.chatId);
    const agent = s.assignee && s.assignee.name;
    const minutes = minutesBetween(s.created_at, s.closed_at);
    const snippet = hit
      ? h('p', { class: `arch-snippet${hit.internal ? ' arch-snippet-internal' : ''}` },
        hit.internal ? h('span', { class: 'arch-internal-chip' }, icon('lock', 11), 'Internal') : null,
        h('span', { class: 'arch-snippet-who' }, hit.author && hit.author.type === 'visitor' ? 'Visitor: '
          : `${(hit.author && hit.author.name) || 'Agent'}: `),
        snippetNodes(hit.parts))
      : h('p', { class: 'arch-snippet arch-snippet-plain' }, (s.last_message && s.last_message.text) || '—');
    return h('li', null, h('button', {
      class: `arch-result${selected ? ' selected' : ''}`, type: 'button', 'aria-current': selected ? 'true' : null,
      dataset: { chat: String(s.id) }, onclick: () => this.open(s.id),
    },
    h('div', { class: 'arch-result-top' },
      h('span', { class: 'arch-result-name' }, visitorName(s)),
      deptTag(s.department, { small: true }),
      h('span', { class: `pill pill-${s.status}` }, s.status === 'queued' ? 'Waiting' : s.status === 'active' ? 'Active' : 'Closed'),
      h('time', { class: 'arch-result-time', datetime: s.created_at || '' }, when(s.created_at))),
    snippet,
    h('div', { class: 'arch-result-meta' },
      h('span', null, `#${s.id}`),
      agent ? h('span', null, agent) : null,
      minutes != null ? h('span', null, `${minutes} min`) : null,
      hit && hit.count > 1 ? h('span', null, plural(hit.count, 'match', 'matches')) : null,
      stars(s.rating && s.rating.score),
      (s.tags || []).map((t) => h('span', { class: 'arch-tag' }, t.name)))));
  }

  exportUrl(kind) {
    const p = new URLSearchParams(this.params);
    if (this.internalBox.checked && this.isLead()) p.set('internal', 'true');
    return `/api/v1/archive/export.${kind}?${p}`;
  }

  renderExports() {
    if (!this.isLead()) { replaceChildren(this.exportsEl); return; }
    const disabled = !this.results.length;
    const link = (kind, label) => h('a', {
      class: `btn btn-secondary btn-sm${disabled ? ' disabled' : ''}`, href: this.exportUrl(kind),
      download: '', 'aria-disabled': disabled ? 'true' : null, title: `Every matching chat, streamed as ${label}`,
    }, icon('download', 14), label);
    replaceChildren(this.exportsEl,
      h('span', { class: 'arch-exports-label' }, 'Export'), link('csv', 'CSV'), link('jsonl', 'JSON Lines'),
      h('label', { class: 'arch-check', title: 'Internal notes and whispers are left out of exports unless you ask' },
        this.internalBox, 'Internal notes'));
  }

  // ----- the transcript ---------------------------------------------------------------------
  async open(chatId) {
    const id = Number(chatId);
    this.chatId = id;
    const hash = `#archive/${id}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    for (const el of this.list.querySelectorAll('.arch-result')) {
      const on = Number(el.dataset.chat) === id;
      el.classList.toggle('selected', on);
      if (on) el.setAttribute('aria-current', 'true'); else el.removeAttribute('aria-current');
    }
    this.transcript = { chat: null, events: [], nextAfter: 0, loading: true, error: null };
    this.renderViewer();
    const t = this.transcript;
    try {
      let after = 0;
      do { // a long chat comes in pages of 500 events
        const page = await get(`/api/v1/archive/chats/${id}?after=${after}`);
        if (this.transcript !== t) return;
        t.chat = page.chat;
        t.events = t.events.concat(page.events || []);
        after = page.next_after;
      } while (after != null);
    } catch (err) {
      if (this.transcript !== t) return;
      t.error = err.status === 404 ? 'This chat is not in your archive.' : err.message;
    }
    t.loading = false;
    this.renderViewer();
  }

  renderViewer() {
    const t = this.transcript;
    if (!t) {
      replaceChildren(this.viewer, h('div', { class: 'arch-empty' },
        h('div', { class: 'empty-icon' }, icon('archive', 26)),
        h('h2', null, 'Pick a conversation'),
        h('p', null, 'Search on the left, then open a chat to read its whole transcript. Matching words are marked.')));
      return;
    }
    this.headEl = h('header', { class: 'arch-viewer-head' });
    this.threadEl = h('div', { class: 'thread-inner arch-thread', role: 'log', 'aria-label': 'Conversation (read-only)' });
    replaceChildren(this.viewer, this.headEl, h('div', { class: 'thread arch-thread-wrap' }, this.threadEl));
    this.renderTranscriptHead();
    this.renderThread();
  }

  renderTranscriptHead() {
    const t = this.transcript;
    if (!t || !this.headEl) return;
    const s = t.chat;
    if (!s) { replaceChildren(this.headEl, h('h2', null, t.error ? 'Transcript' : 'Loading…')); return; }
    const internal = this.internalBox.checked && this.isLead() ? '?internal=true' : '';
    const file = (ext, label) => h('a', {
      class: 'btn btn-secondary btn-sm', href: `/api/v1/chats/${s.id}/transcript.${ext}${ext === 'txt' ? '' : internal}`,
      download: `chat-${s.id}.${ext}`, title: `Download this transcript as ${label}`,
    }, icon('download', 14), label);
    const minutes = minutesBetween(s.created_at, s.closed_at);
    replaceChildren(this.headEl,
      h('div', { class: 'arch-viewer-title' },
        h('div', { class: 'arch-viewer-name' },
          h('h2', null, visitorName(s)),
          h('span', { class: `pill pill-${s.status}` }, s.status === 'queued' ? 'Waiting' : s.status === 'active' ? 'Active' : 'Closed'),
          deptTag(s.department, { small: true })),
        h('div', { class: 'conv-meta' }, h('span', null, [ // one text: a wrapped line starts with a word
          `Chat #${s.id}`, s.assignee && s.assignee.name, when(s.created_at), minutes != null ? `${minutes}\u00a0min` : null,
        ].filter(Boolean).join(' · '))),
        (s.rating || (s.tags || []).length) ? h('div', { class: 'arch-viewer-extra' },
          stars(s.rating && s.rating.score),
          (s.tags || []).map((tg) => h('span', { class: 'arch-tag' }, tg.name))) : null),
      h('div', { class: 'arch-files' }, file('txt', 'Text'), file('html', 'HTML'), file('json', 'JSON')));
  }

  renderThread() {
    const t = this.transcript;
    if (!t || !this.threadEl) return;
    if (t.loading && !t.events.length) {
      replaceChildren(this.threadEl, h('div', { class: 'thread-status' }, h('span', { class: 'spinner' }), 'Loading transcript…'));
      return;
    }
    if (t.error) {
      replaceChildren(this.threadEl, h('div', { class: 'thread-status error' }, icon('alert', 16), t.error));
      return;
    }
    replaceChildren(this.threadEl, t.events.map((e) => this.eventNode(e, t.chat)));
  }

  eventNode(e, chat) {
    const ts = parseTime(e.created_at);
    const time = ts != null ? h('time', { datetime: e.created_at, title: fullTime(ts) }, fullTime(ts)) : null;
    const author = e.author || {};
    if (e.internal && e.text) {
      const whisper = e.kind === 'whisper';
      return h('div', { class: 'note', dataset: { seq: String(e.seq) } },
        h('div', { class: 'note-card' },
          h('div', { class: 'note-label' }, icon(whisper ? 'whisper' : 'lock', 12),
            h('span', null, whisper ? 'Whisper · only agents see this' : 'Internal note · only agents see this')),
          h('div', { class: 'note-text' }, marked(e.text, this.terms)),
          h('div', { class: 'note-meta' }, h('span', { class: 'note-author' }, author.name || 'An agent'), time)));
    }
    if (e.text) {
      const visitor = author.type === 'visitor';
      const name = visitor ? visitorName(chat) : author.type === 'agent' ? (author.name || 'Agent') : 'frontdesk';
      return h('div', { class: `msg msg-${visitor ? 'visitor' : 'agent'}`, dataset: { seq: String(e.seq) } },
        h('div', { class: 'msg-body' },
          h('div', { class: 'msg-meta' }, h('span', { class: 'msg-author' }, name), time),
          h('div', { class: 'bubble-row' }, h('div', { class: 'bubble' }, marked(e.text, this.terms)))));
    }
    return h('div', { class: `sys sys-${String(e.kind).replace('.', '-')}` }, icon('info', 13),
      h('span', null, describe(e)), time);
  }
}

function describe(e) {
  const d = e.data || {};
  const agent = (d.agent && d.agent.name) || 'An agent';
  switch (e.kind) {
    case 'chat.started': return 'Chat started';
    case 'chat.assigned': return `${agent} joined the chat`;
    case 'chat.closed': return `Chat closed by ${d.by || 'the system'}`;
    case 'chat.transferred': return `Transferred to ${(d.to_agent && d.to_agent.name) || (d.to_department && d.to_department.name) || 'another agent'}`;
    case 'chat.joined': return `${agent} joined the chat`;
    case 'chat.left': return `${agent} left the chat`;
    case 'chat.taken_over': return `${agent} took over the chat${d.from_agent && d.from_agent.name ? ` from ${d.from_agent.name}` : ''}`;
    default: {
      const k = String(e.kind || '').replace('chat.', '').replace(/_/g, ' ');
      return k.charAt(0).toUpperCase() + k.slice(1);
    }
  }
}
