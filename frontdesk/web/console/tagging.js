// Tags on chats (agents add and remove them in the chat's details; admins and supervisors
// manage the list under Settings → Tags) and the escalations report (Settings →
// Escalations). Tags are for agents only: the server never sends them to a visitor.

import { api, get, post } from './api.js';
import { h, icon, plural, replaceChildren } from './dom.js';
import { escalationReasons } from './escalate.js';

const LEADS = ['admin', 'manager', 'supervisor'];
const FRESH_MS = 30000;
const SWATCHES = ['#64748b', '#2563eb', '#7c3aed', '#db2777', '#dc2626', '#d97706', '#16a34a', '#0891b2'];

/** The managed list of tags (GET /api/v1/tags), shared by every view that shows tags. */
export class TagList {
  constructor(onChange) {
    this.onChange = onChange || (() => {});
    this.items = [];
    this.loaded = false;
    this.loading = null;
    this.at = 0;
    this.error = null;
  }

  load(force = false) {
    if (this.loading) return this.loading;
    if (!force && this.loaded && Date.now() - this.at < FRESH_MS) return Promise.resolve(this.items);
    this.loading = (async () => {
      try {
        const r = await get('/api/v1/tags');
        this.items = (r && Array.isArray(r.tags)) ? r.tags : [];
        this.loaded = true;
        this.error = null;
        this.at = Date.now();
      } catch (err) {
        this.error = err;
      } finally {
        this.loading = null;
        this.onChange();
      }
      return this.items;
    })();
    return this.loading;
  }

  byId(id) { return this.items.find((t) => Number(t.id) === Number(id)) || null; }
}

const shared = new TagList();

/** The tag list every view shares (loaded on first use). */
export function tagList() { return shared; }

/** Who is told when the shared tag list has loaded (the App: redraw the lists). */
export function onTagsChange(fn) { shared.onChange = fn; }

/** A tag as a small coloured chip; the current name and colour win over the chat's copy. */
export function tagChip(tag, { small = false, onRemove = null } = {}) {
  const known = shared.byId(tag.id) || tag;
  const name = String(known.name || tag.name || '');
  const el = h('span', { class: `tag${small ? ' tag-sm' : ''}`, title: `Tag: ${name}` },
    h('i', { class: 'tag-dot', 'aria-hidden': 'true' }), h('span', { class: 'tag-name' }, name),
    onRemove ? h('button', {
      class: 'tag-x', type: 'button', title: `Remove ${name}`, 'aria-label': `Remove tag ${name}`, onclick: onRemove,
    }, icon('x', 11)) : null);
  el.style.setProperty('--tag', safeColour(known.colour || tag.colour));
  return el;
}

/** Up to `max` chips for a list row, then "+n". */
export function tagChips(s, max = 2) {
  const tags = (s && Array.isArray(s.tags)) ? s.tags : [];
  if (!tags.length) return null;
  return h('span', { class: 'item-tags' }, tags.slice(0, max).map((t) => tagChip(t, { small: true })),
    tags.length > max ? h('span', { class: 'tag-more', title: tags.slice(max).map((t) => t.name).join(', ') }, `+${tags.length - max}`) : null);
}

function safeColour(c) {
  return /^#[0-9a-fA-F]{6}$/.test(String(c || '')) ? c : '#64748b';
}

/** The Tags block of a chat's details: its tags (removable) and a picker to add one. */
export function tagsSection(data, act, conv) {
  const list = tagList();
  const s = conv.summary || { id: conv.id };
  const tags = Array.isArray(s.tags) ? s.tags : [];
  if (!list.loaded && !list.loading && !list.error) list.load();
  const busy = conv.tagBusy;
  const change = async (tagId, on) => {
    if (conv.tagBusy) return;
    conv.tagBusy = true;
    if (conv.view) conv.view.renderDetails();
    try {
      const r = await api(on ? 'PUT' : 'DELETE', `/api/v1/chats/${conv.id}/tags/${tagId}`);
      if (r && r.chat) act.upsert(r.chat);
    } catch (err) {
      if (err.status === 404) list.load(true);
      if (err.status !== 401) act.toast(`Could not ${on ? 'add' : 'remove'} the tag: ${err.message}`, 'error');
    } finally {
      conv.tagBusy = false;
      if (conv.view) conv.view.renderDetails();
    }
  };
  const have = new Set(tags.map((t) => Number(t.id)));
  const options = list.items.filter((t) => !have.has(Number(t.id)));
  const picker = h('select', {
    class: 'input input-sm tag-picker', 'aria-label': 'Add a tag', disabled: busy || !options.length,
    onchange: (e) => { const id = Number(e.target.value); if (id) change(id, true); },
  }, h('option', { value: '' }, !list.loaded ? 'Loading tags…' : options.length ? 'Add a tag…' : list.items.length ? 'All tags added' : 'No tags yet'),
  options.map((t) => h('option', { value: String(t.id) }, t.name)));
  return h('div', { class: 'details-section details-tags' },
    h('h3', null, 'Tags'),
    tags.length
      ? h('div', { class: 'tag-row' }, tags.map((t) => tagChip(t, { onRemove: busy ? null : () => change(t.id, false) })))
      : h('p', { class: 'muted small tag-empty' }, 'No tags. Tags help reports and the archive.'),
    picker,
    !list.items.length && list.loaded && LEADS.includes(data.session.me && data.session.me.role)
      ? h('button', { class: 'linkbtn small', type: 'button', onclick: () => act.showSettings('tags') }, 'Create tags in Settings')
      : null);
}

// ===== Settings → Tags ========================================================================
class TagsPage {
  constructor(page) {
    this.data = page.data;
    this.act = page.act;
    this.list = tagList();
    this.listEl = h('div', { class: 'tag-admin-list' });
    this.name = h('input', { id: 'tag-new-name', class: 'input', maxlength: '40', placeholder: 'e.g. Refund' });
    this.colour = h('input', { id: 'tag-new-colour', class: 'input input-colour', type: 'color', value: SWATCHES[1], 'aria-label': 'Colour' });
    this.error = h('div', { class: 'form-error', role: 'alert', hidden: true }, icon('alert', 16), h('span'));
    const form = h('form', { class: 'tag-new', novalidate: true },
      h('label', { class: 'field', for: this.name.id }, h('span', { class: 'field-label' }, 'New tag'), this.name),
      h('label', { class: 'field field-colour', for: this.colour.id }, h('span', { class: 'field-label' }, 'Colour'), this.colour),
      h('button', { class: 'btn btn-primary', type: 'submit' }, icon('plus', 14), 'Add tag'));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.create(); });
    this.root = h('div', { class: 'desk-page tags-page' },
      h('section', { class: 'card form-card' },
        h('div', { class: 'card-head' }, h('div', null, h('h2', null, 'Tags'),
          h('p', { class: 'card-sub' }, 'Agents put these on chats (in a chat’s details) for reports and the archive. Visitors never see them.'))),
        form, this.error, this.listEl));
  }

  show() {
    this.render();
    this.list.load(true).then(() => this.render());
  }

  showError(text) {
    this.error.hidden = !text;
    this.error.querySelector('span').textContent = text || '';
  }

  async create() {
    this.showError(null);
    if (!this.name.value.trim()) { this.showError('Give the tag a name.'); this.name.focus(); return; }
    try {
      await post('/api/v1/tags', { name: this.name.value, colour: this.colour.value });
      this.name.value = '';
      await this.list.load(true);
      this.render();
      this.name.focus();
    } catch (err) {
      if (err.status !== 401) this.showError(err.message);
    }
  }

  render() {
    const list = this.list;
    if (!list.loaded) {
      replaceChildren(this.listEl, h('div', { class: 'aside-empty' }, list.error
        ? [icon('alert', 15), `Could not load tags: ${list.error.message}`] : [h('span', { class: 'spinner spinner-xs' }), 'Loading tags…']));
      return;
    }
    if (!list.items.length) {
      replaceChildren(this.listEl, h('p', { class: 'empty-note' }, 'No tags yet. Add the first one above.'));
      return;
    }
    replaceChildren(this.listEl, list.items.map((t) => this.row(t)));
  }

  row(t) {
    const name = h('input', { class: 'input', maxlength: '40', value: t.name, 'aria-label': `Name of ${t.name}` });
    const colour = h('input', { class: 'input input-colour', type: 'color', value: safeColour(t.colour), 'aria-label': `Colour of ${t.name}` });
    const msg = h('span', { class: 'muted small tag-uses' }, plural(Number(t.chats) || 0, 'chat'));
    const save = h('button', { class: 'btn btn-secondary btn-sm', type: 'button', hidden: true }, 'Save');
    let armed = false;
    const del = h('button', { class: 'btn btn-ghost btn-sm btn-danger-ghost', type: 'button', title: 'Delete this tag (it comes off every chat)' }, icon('trash', 14), 'Delete');
    const dirty = () => { save.hidden = name.value.trim() === t.name && colour.value.toLowerCase() === String(t.colour).toLowerCase(); };
    name.addEventListener('input', dirty);
    colour.addEventListener('input', dirty);
    const fail = (err) => { if (err.status !== 401) this.showError(`${t.name}: ${err.message}`); };
    save.addEventListener('click', async () => {
      this.showError(null);
      try {
        await api('PATCH', `/api/v1/tags/${t.id}`, { name: name.value, colour: colour.value });
        await this.list.load(true);
        this.render();
        this.act.scheduleRender();
      } catch (err) { fail(err); }
    });
    del.addEventListener('click', async () => {
      if (!armed) {
        armed = true;
        del.lastChild.textContent = Number(t.chats) ? `Delete from ${plural(Number(t.chats), 'chat')}?` : 'Confirm delete';
        del.classList.add('armed');
        setTimeout(() => { armed = false; del.lastChild.textContent = 'Delete'; del.classList.remove('armed'); }, 4000);
        return;
      }
      try {
        await api('DELETE', `/api/v1/tags/${t.id}`);
        await this.list.load(true);
        this.render();
      } catch (err) { fail(err); }
    });
    const preview = tagChip(t);
    return h('div', { class: 'tag-admin-row' }, preview, name, colour, msg, save, del);
  }
}

// ===== Settings → Escalations (report) =======================================================
class EscalationsPage {
  constructor(page) {
    this.data = page.data;
    this.act = page.act;
    const today = new Date();
    const day = (d) => d.toISOString().slice(0, 10);
    this.from = h('input', { type: 'date', class: 'input input-date', id: 'esc-from', value: day(new Date(today - 29 * 864e5)) });
    this.to = h('input', { type: 'date', class: 'input input-date', id: 'esc-to', value: day(today) });
    this.dept = h('select', { class: 'input', id: 'esc-dept' });
    this.out = h('div', { class: 'esc-out' });
    const form = h('form', { class: 'esc-range', novalidate: true },
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'From'), this.from),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'To'), this.to),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Department'), this.dept),
      h('button', { class: 'btn btn-secondary', type: 'submit' }, icon('retry', 14), 'Show'));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.load(); });
    this.root = h('div', { class: 'desk-page' },
      h('section', { class: 'card form-card' },
        h('div', { class: 'card-head' }, h('div', null, h('h2', null, 'Escalations'),
          h('p', { class: 'card-sub' }, 'Chats passed to a higher level, counted by the reason the agent gave.'))),
        form, this.out));
  }

  show() {
    const depts = [...this.data.directory.departments].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const keep = this.dept.value;
    replaceChildren(this.dept, h('option', { value: '' }, 'All departments'), depts.map((d) => h('option', { value: String(d.id) }, d.name || d.slug)));
    this.dept.value = keep;
    this.load();
  }

  async load() {
    replaceChildren(this.out, h('div', { class: 'aside-empty' }, h('span', { class: 'spinner spinner-xs' }), 'Loading…'));
    const q = new URLSearchParams();
    if (this.from.value) q.set('since', `${this.from.value}T00:00:00Z`);
    if (this.to.value) q.set('until', new Date(Date.parse(`${this.to.value}T00:00:00Z`) + 864e5).toISOString());
    if (this.dept.value) q.set('department_id', this.dept.value);
    try {
      const [r, reasons] = await Promise.all([get(`/api/v1/escalations/report?${q}`), escalationReasons().catch(() => [])]);
      const counts = new Map((r.by_reason || []).map((x) => [x.reason, x]));
      const rows = [...(r.by_reason || [])];
      for (const x of reasons) if (!counts.has(x.code)) rows.push({ reason: x.code, label: x.label, count: 0 });
      const top = Math.max(1, ...rows.map((x) => Number(x.count) || 0));
      replaceChildren(this.out,
        h('p', { class: 'esc-total' }, h('strong', null, String(r.total || 0)), ` ${Number(r.total) === 1 ? 'escalation' : 'escalations'} in this period`,
          (r.by_level || []).length ? h('span', { class: 'muted' }, ` · ${(r.by_level || []).map((x) => `${x.count} to level ${x.to_level}`).join(', ')}`) : null),
        h('table', { class: 'esc-table' },
          h('thead', null, h('tr', null, h('th', null, 'Reason'), h('th', { class: 'num' }, 'Chats'), h('th', null, ''))),
          h('tbody', null, rows.map((x) => {
            const bar = h('span', { class: 'esc-bar' });
            bar.style.width = `${Math.round(((Number(x.count) || 0) / top) * 100)}%`;
            return h('tr', null, h('td', null, x.label || x.reason), h('td', { class: 'num' }, String(x.count)), h('td', { class: 'esc-bar-cell' }, bar));
          }))));
    } catch (err) {
      replaceChildren(this.out, h('div', { class: 'form-error', role: 'alert' }, icon('alert', 16), h('span', null, `Could not load the report: ${err.message}`)));
    }
  }
}

/** Settings sections of the desk (settings.js shows them with the others). */
export const DESK_SECTIONS = [
  { id: 'tags', label: 'Tags', icon: 'tag', visible: (me) => !!me && LEADS.includes(me.role), Page: TagsPage },
  { id: 'escalations', label: 'Escalations', icon: 'escalate', visible: (me) => !!me && LEADS.includes(me.role), Page: EscalationsPage },
];
