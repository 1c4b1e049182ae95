// The composer's `#` picker (docs/architecture/canned.md). Typing `#` at the start of a word
// opens the canned responses usable in this chat, filtered by shortcut and title as you type;
// ↑/↓ move, Enter or Tab insert, Esc closes. Inserting puts the response's text, rendered by the
// server for this chat, in the composer; sent unchanged it goes as `canned_id` (the server
// renders and stores it again), edited it is free text. Also: the composer's note when the
// chat's department is scripted, and the refusal message when a free-text reply is refused.

import { get } from './api.js';
import { h, icon, replaceChildren } from './dom.js';

const FRESH_MS = 30000;
const TOKEN = /(^|\s)#([a-z0-9_-]*)$/i;
let uid = 0;

/** Per chat: {at, items, error, loading} — the list and each preview depend on the chat. */
const cache = new Map();

function load(chatId, force = false) {
  const hit = cache.get(chatId);
  if (hit && hit.loading) return hit.loading;
  if (hit && !force && !hit.error && Date.now() - hit.at < FRESH_MS) return Promise.resolve(hit);
  const entry = hit || { at: 0, items: [], error: null, loading: null };
  cache.set(chatId, entry);
  entry.loading = (async () => {
    try {
      const r = await get(`/api/v1/canned?chat_id=${encodeURIComponent(chatId)}`);
      entry.items = Array.isArray(r && r.canned) ? r.canned : [];
      entry.error = null;
      entry.at = Date.now();
    } catch (err) {
      entry.error = err;
    } finally {
      entry.loading = null;
    }
    return entry;
  })();
  return entry.loading;
}

/** Forget cached lists (a response was saved or deleted in Settings). */
export function forgetCanned() { cache.clear(); }

/** Shortcut matches first (those starting with the query before the others), then titles. */
export function filterCanned(items, query) {
  const q = String(query || '').toLowerCase();
  const words = q.split(/\s+/).filter(Boolean);
  const scored = [];
  for (const item of items) {
    const shortcut = String(item.shortcut || '').toLowerCase();
    const hay = `${shortcut} ${String(item.title || '').toLowerCase()}`;
    if (!words.every((w) => hay.includes(w))) continue;
    const rank = !q ? 1 : shortcut === q ? 0 : shortcut.startsWith(q) ? 1 : shortcut.includes(q) ? 2 : 3;
    scored.push([rank, shortcut, item]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  return scored.map((s) => s[2]);
}

const SCOPE_LABEL = { global: 'Everyone', department: 'Department', personal: 'Mine' };

export class CannedPicker {
  /** @param {import('./conversation.js').ConversationView} view */
  constructor(view) {
    this.view = view;
    this.data = view.data;
    this.input = view.input;
    this.open = false;
    this.items = [];
    this.index = 0;
    this.token = null; // {start, end, query}
    this.id = `canned-${++uid}`;
    this.listEl = h('div', { class: 'canned-list', role: 'listbox', id: `${this.id}-list`, 'aria-label': 'Canned responses' });
    this.statusEl = h('div', { class: 'canned-status' });
    this.pop = h('div', { class: 'canned-pop', hidden: true },
      h('div', { class: 'canned-head' },
        h('span', { class: 'canned-head-title' }, icon('reply', 13), 'Canned responses'),
        h('span', { class: 'canned-keys' }, h('kbd', null, '↑'), h('kbd', null, '↓'), ' move · ', h('kbd', null, 'Enter'), ' insert · ', h('kbd', null, 'Esc'), ' close')),
      this.statusEl, this.listEl);
    this.refusalText = h('span');
    this.refusal = h('div', { class: 'composer-refusal', role: 'alert', hidden: true },
      icon('alert', 14), this.refusalText,
      h('button', {
        class: 'btn btn-icon btn-ghost btn-xs', type: 'button', title: 'Dismiss', 'aria-label': 'Dismiss',
        onclick: () => this.clearRefusal(),
      }, icon('x', 13)));
    this.scriptedNote = h('span', { class: 'composer-hint canned-scripted', hidden: true },
      icon('lock', 12), 'Approved responses only · type ', h('kbd', null, '#'));

    const composer = view.composer;
    composer.classList.add('canned-host');
    composer.prepend(this.refusal);
    composer.appendChild(this.pop);
    const bar = composer.querySelector('.composer-bar');
    if (bar) bar.prepend(this.scriptedNote);
    this.input.setAttribute('aria-autocomplete', 'list');
    this.input.setAttribute('aria-controls', this.listEl.id);
    this.input.setAttribute('aria-expanded', 'false');
    this.input.addEventListener('input', () => this.onInput());
    this.input.addEventListener('click', () => this.onInput());
    this.input.addEventListener('focus', () => this.updateScripted());
    this.input.addEventListener('blur', () => setTimeout(() => {
      if (document.activeElement !== this.input) this.close();
    }, 150));
    // Capture on the composer runs before the textarea's own keydown (which sends on Enter).
    composer.addEventListener('keydown', (e) => this.onKeyDown(e), true);
  }

  // ---- the picker ----------------------------------------------------------------------
  onInput() {
    if (this.view.conv.noteMode) { this.close(); return; }
    const el = this.input;
    if (el.selectionStart !== el.selectionEnd) { this.close(); return; }
    const before = el.value.slice(0, el.selectionStart);
    const m = TOKEN.exec(before);
    if (!m) { this.close(); return; }
    const query = m[2];
    this.token = { start: el.selectionStart - query.length - 1, end: el.selectionStart, query };
    if (!this.open) {
      this.open = true;
      this.index = 0;
      this.pop.hidden = false;
      this.input.setAttribute('aria-expanded', 'true');
      this.fetch();
    } else {
      this.index = 0;
    }
    this.render();
  }

  async fetch() {
    const chatId = this.view.conv.id;
    const hit = cache.get(chatId);
    if (!hit || hit.error || Date.now() - hit.at >= FRESH_MS) {
      await load(chatId, !!(hit && hit.error));
      if (this.open) this.render();
    }
  }

  render() {
    if (!this.open) return;
    const entry = cache.get(this.view.conv.id);
    const all = (entry && entry.items) || [];
    this.items = filterCanned(all, this.token ? this.token.query : '');
    if (this.index >= this.items.length) this.index = Math.max(0, this.items.length - 1);
    let status = null;
    if (entry && entry.error && !all.length) {
      status = [icon('alert', 13), `Could not load canned responses: ${entry.error.message}`];
    } else if ((!entry || entry.loading) && !all.length) {
      status = [h('span', { class: 'spinner spinner-xs' }), 'Loading…'];
    } else if (!all.length) {
      status = 'No canned responses for this chat yet. Add them in Settings → Canned responses.';
    } else if (!this.items.length) {
      status = `Nothing matches #${this.token ? this.token.query : ''}.`;
    }
    this.statusEl.hidden = !status;
    if (status) replaceChildren(this.statusEl, status);
    replaceChildren(this.listEl, this.items.map((item, i) => {
      const selected = i === this.index;
      const preview = h('span', { class: 'canned-preview' });
      preview.textContent = String(item.preview ?? item.body ?? ''); // rendered text: always as text
      return h('div', {
        class: `canned-item${selected ? ' selected' : ''}`, role: 'option', id: `${this.id}-opt-${i}`,
        'aria-selected': String(selected), dataset: { cannedId: String(item.id) },
        onmousedown: (e) => { e.preventDefault(); this.choose(i); },
        onmousemove: () => { if (this.index !== i) { this.index = i; this.render(); } },
      },
      h('span', { class: 'canned-item-top' },
        h('span', { class: 'canned-shortcut' }, `#${item.shortcut}`),
        h('span', { class: 'canned-title' }, String(item.title || '')),
        h('span', { class: `canned-scope scope-${item.scope}` },
          item.scope === 'department' && item.department ? String(item.department.name || 'Department') : SCOPE_LABEL[item.scope] || '')),
      preview);
    }));
    const active = this.items.length ? `${this.id}-opt-${this.index}` : null;
    if (active) this.input.setAttribute('aria-activedescendant', active);
    else this.input.removeAttribute('aria-activedescendant');
    const sel = this.listEl.children[this.index];
    if (sel) sel.scrollIntoView({ block: 'nearest' });
  }

  onKeyDown(e) {
    if (!this.open || e.target !== this.input || e.isComposing) return;
    const n = this.items.length;
    let handled = true;
    if (e.key === 'ArrowDown') { if (n) this.index = (this.index + 1) % n; this.render(); }
    else if (e.key === 'ArrowUp') { if (n) this.index = (this.index - 1 + n) % n; this.render(); }
    else if (e.key === 'Enter' || e.key === 'Tab') {
      if (n && !e.shiftKey) this.choose(this.index);
      else { // nothing to insert: the key does what it always does (Enter sends the text)
        if (e.key === 'Enter') this.close();
        handled = false;
      }
    } else if (e.key === 'Escape') { this.close(); }
    else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); }
  }

  choose(i) {
    const item = this.items[i];
    if (!item || !this.token) return;
    const text = String(item.preview ?? item.body ?? '');
    const el = this.input;
    const { start, end } = this.token;
    el.value = el.value.slice(0, start) + text + el.value.slice(end);
    const caret = start + text.length;
    el.setSelectionRange(caret, caret);
    this.view.conv.canned = { id: item.id, text };
    this.close();
    el.dispatchEvent(new Event('input', { bubbles: true })); // draft, size, counter, typing
    el.focus();
  }

  close() {
    if (!this.open) return;
    this.open = false;
    this.token = null;
    this.pop.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  /** The canned response a message is, if it is exactly the text inserted (else free text). */
  cannedIdFor(text) {
    const c = this.view.conv.canned;
    if (!c || String(text).trim() !== String(c.text).trim()) return null;
    return c.id;
  }

  sent() {
    this.view.conv.canned = null;
    this.clearRefusal();
  }

  // ---- scripted mode -------------------------------------------------------------------
  /** Whether this agent may only send canned responses in this chat (the server decides; this
   * only tells them beforehand, from the departments and levels the console knows). */
  scripted() {
    const { data } = this;
    const s = this.view.conv.summary;
    const role = data.session.me && data.session.me.role;
    if (!s || !s.department || role === 'admin' || role === 'supervisor' || role === 'manager') return false;
    const dept = data.directory.department(s.department.id);
    if (!dept || !dept.scripted) return false;
    const me = data.directory.user(data.session.me.id);
    const mine = me && (me.departments || []).find((d) => d && typeof d === 'object' && Number(d.id) === Number(dept.id));
    return !(mine && Number(mine.level) >= 2);
  }

  updateScripted() {
    const dir = this.data.directory;
    if (!dir.state.users.loaded && !this.usersAsked) { // levels come with the users
      this.usersAsked = true;
      dir.loadUsers().then(() => this.updateScripted());
    }
    const on = this.scripted();
    this.scriptedNote.hidden = !on;
    if (this.view.hintEl) this.view.hintEl.hidden = on || !!this.view.conv.noteMode;
  }

  /** A refused free-text reply: the message above the composer, the draft back in it. */
  refused(text, message) {
    this.refusalText.textContent = message;
    this.refusal.hidden = false;
    const el = this.input;
    if (!el.value.trim()) {
      el.value = text;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
    this.updateScripted();
    if (this.view.attached) el.focus();
  }

  clearRefusal() { this.refusal.hidden = true; }
}
