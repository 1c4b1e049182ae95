// Settings → Canned responses: the list (with use counts) and an editor. Admins and supervisors
// manage the shared ones (everyone, or one department); every agent manages their own. The
// server checks all of it; errors are shown at the field they name.

import { api, get, post } from './api.js';
import { forgetCanned } from './canned.js';
import { ago, h, icon, parseTime, plural, replaceChildren } from './dom.js';

const SCOPES = [['global', 'Everyone'], ['department', 'One department'], ['personal', 'Only me']];

export class CannedSettings {
  constructor(page) {
    this.page = page;
    this.data = page.data;
    this.act = page.act;
    this.items = [];
    this.variables = [];
    this.loaded = false;
    this.error = null;
    this.selected = null; // id, 'new' or null
    this.query = '';
    this.search = h('input', {
      class: 'input canned-search', type: 'search', placeholder: 'Search shortcuts and titles',
      'aria-label': 'Search canned responses',
    });
    this.search.addEventListener('input', () => { this.query = this.search.value; this.renderList(); });
    this.listEl = h('div', { class: 'table-wrap' });
    this.editorEl = h('div', { class: 'canned-editor-slot' });
    this.root = h('div', { class: 'canned-page' },
      h('div', { class: 'card canned-card' },
        h('div', { class: 'card-head' },
          h('div', null, h('h2', null, 'Canned responses'),
            h('p', { class: 'card-sub' }, 'Approved replies agents insert by typing # and the shortcut in a chat.')),
          h('button', { class: 'btn btn-primary btn-sm', type: 'button', onclick: () => this.edit('new') }, icon('plus', 14), 'New response')),
        h('div', { class: 'canned-tools' }, this.search),
        this.listEl),
      this.editorEl);
  }

  lead() {
    const role = this.data.session.me && this.data.session.me.role;
    return role === 'admin' || role === 'supervisor' || role === 'manager';
  }

  /** `sub`: a response id or `new`. */
  show(sub) {
    if (sub === 'new') this.selected = 'new';
    else if (sub && /^\d+$/.test(sub)) this.selected = Number(sub);
    else this.selected = null;
    this.load();
    this.renderList();
    if (this.editor) this.editor.key = null; // navigating here opens a fresh editor
    this.renderEditor();
  }

  async load() {
    try {
      const r = await get('/api/v1/canned');
      this.items = (r && r.canned) || [];
      this.variables = (r && r.variables) || [];
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
    this.renderList();
    if (!this.editor || !this.page.dirty) this.renderEditor();
  }

  onDirectory() {
    if (this.editor) this.editor.refreshDepartments();
  }

  edit(id) {
    if (this.page.dirty && !this.page.confirmDiscard()) return;
    this.page.dirty = false;
    this.page.go('canned', id);
  }

  renderList() {
    if (!this.loaded) {
      replaceChildren(this.listEl, h('div', { class: 'aside-empty' }, this.error
        ? [icon('alert', 15), `Could not load canned responses: ${this.error.message}`]
        : [h('span', { class: 'spinner spinner-xs' }), 'Loading…']));
      return;
    }
    const q = this.query.trim().toLowerCase().replace(/^#/, '');
    const rows = this.items.filter((c) => !q || `${c.shortcut} ${c.title}`.toLowerCase().includes(q));
    if (!rows.length) {
      replaceChildren(this.listEl, h('p', { class: 'empty-note canned-empty' },
        this.items.length ? 'Nothing matches your search.' : 'No canned responses yet. Create the first one.'));
      return;
    }
    const tbody = h('tbody', null, rows.map((c) => {
      const sel = Number(this.selected) === Number(c.id);
      const body = h('div', { class: 'canned-body-cell' });
      body.textContent = c.body; // stored text, shown as text
      const used = parseTime(c.last_used_at);
      return h('tr', {
        class: sel ? 'selected' : null, dataset: { canned: String(c.id) }, tabindex: '0',
        onclick: () => this.edit(c.id),
        onkeydown: (e) => { if (e.key === 'Enter') this.edit(c.id); },
      },
      h('td', null, h('span', { class: 'canned-shortcut' }, `#${c.shortcut}`)),
      h('td', null, h('div', { class: 'canned-title-cell' }, c.title), body),
      h('td', null, scopeTag(c)),
      h('td', { class: 'num' }, String(c.use_count || 0)),
      h('td', { class: 'num muted' }, used ? ago(used) : '—'));
    }));
    replaceChildren(this.listEl, h('table', { class: 'table canned-table' },
      h('colgroup', null, h('col', { class: 'col-shortcut' }), h('col'), h('col', { class: 'col-scope' }),
        h('col', { class: 'col-uses' }), h('col', { class: 'col-used' })),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Shortcut'), h('th', { scope: 'col' }, 'Response'), h('th', { scope: 'col' }, 'Who can use it'),
        h('th', { scope: 'col', class: 'num' }, 'Uses'), h('th', { scope: 'col', class: 'num' }, 'Used'))),
      tbody));
  }

  renderEditor() {
    if (this.selected == null) {
      replaceChildren(this.editorEl, h('div', { class: 'card canned-help' },
        h('h3', null, 'Variables'),
        h('p', { class: 'card-sub' }, 'Filled in for each chat when the response is inserted. A fallback is used when a variable has no value; without one it is left out. Visitors never see the braces.'),
        h('ul', { class: 'canned-vars' }, this.variables.map((v) => h('li', null,
          h('code', null, `{{${v.name}}}`), h('span', null, v.description))))));
      this.editor = null;
      return;
    }
    if (!this.loaded) return;
    const item = this.selected === 'new' ? null : this.items.find((c) => Number(c.id) === Number(this.selected));
    if (this.selected !== 'new' && !item) {
      replaceChildren(this.editorEl, h('div', { class: 'card canned-help' }, h('p', { class: 'empty-note' }, 'That canned response is gone.')));
      this.editor = null;
      return;
    }
    // A load or a directory refresh that changed nothing keeps the editor as it is: rebuilding it
    // would drop what someone is typing (or the focus) before the first keystroke marks it dirty.
    const key = JSON.stringify([this.selected, item || null, this.variables]);
    if (this.editor && this.editor.key === key && this.editor.root.isConnected) return;
    this.editor = new CannedEditor(this, item);
    this.editor.key = key;
    replaceChildren(this.editorEl, this.editor.root);
  }

  saved(item, wasNew) {
    forgetCanned();
    const i = this.items.findIndex((c) => Number(c.id) === Number(item.id));
    if (i >= 0) this.items[i] = item;
    else this.items.push(item);
    this.items.sort((a, b) => String(a.shortcut).localeCompare(String(b.shortcut)));
    this.page.dirty = false;
    this.act.toast(wasNew ? `#${item.shortcut} created` : `#${item.shortcut} saved`, 'success');
    if (wasNew) this.page.go('canned', item.id);
    else this.renderList();
  }

  deleted(item) {
    forgetCanned();
    this.items = this.items.filter((c) => Number(c.id) !== Number(item.id));
    this.page.dirty = false;
    this.selected = null;
    this.act.toast(`#${item.shortcut} deleted`, 'success');
    this.page.go('canned');
  }
}

function scopeTag(c) {
  if (c.scope === 'department') {
    return h('span', { class: 'canned-scope scope-department' }, (c.department && c.department.name) || 'Department');
  }
  return h('span', { class: `canned-scope scope-${c.scope}` }, c.scope === 'global' ? 'Everyone' : 'Only me');
}

class CannedEditor {
  constructor(list, item) {
    this.list = list;
    this.data = list.data;
    this.act = list.act;
    this.item = item;
    this.isNew = !item;
    this.readOnly = !!item && !item.editable;
    this.fields = new Map(); // error field -> {el, box}
    this.build();
  }

  changed() {
    this.list.page.dirty = true;
    this.dirtyEl.hidden = false;
  }

  build() {
    const c = this.item || { scope: this.list.lead() ? 'global' : 'personal', fallbacks: {} };
    const ro = this.readOnly;
    const field = (key, label, el, hint) => {
      const box = h('div', { class: 'field' },
        h('label', { class: 'field-label', for: el.id }, label), el, hint ? h('span', { class: 'field-hint' }, hint) : null);
      this.fields.set(key, { el, box });
      if (!ro) el.addEventListener('input', () => this.changed());
      return box;
    };
    this.title = h('input', { id: 'cr-title', class: 'input', maxlength: '100', value: c.title || '', disabled: ro, placeholder: 'e.g. Refund policy' });
    this.shortcut = h('input', {
      id: 'cr-shortcut', class: 'input mono-input', maxlength: '41', value: c.shortcut ? `#${c.shortcut}` : '#',
      disabled: ro, spellcheck: 'false', autocapitalize: 'off', placeholder: '#refund',
    });
    this.scope = h('select', { id: 'cr-scope', class: 'input', disabled: ro || !this.list.lead() },
      SCOPES.map(([v, l]) => h('option', { value: v }, l)));
    this.scope.value = c.scope;
    this.department = h('select', { id: 'cr-department', class: 'input', disabled: ro || !this.list.lead() },
      [...this.data.directory.departments].sort((a, b) => String(a.name).localeCompare(String(b.name)))
        .map((d) => h('option', { value: String(d.id) }, d.name || d.slug)));
    if (c.department) this.department.value = String(c.department.id);
    this.departmentId = c.department ? String(c.department.id) : null;
    this.body = h('textarea', {
      id: 'cr-body', class: 'input textarea canned-body-input', rows: '5', maxlength: '4000', disabled: ro,
      placeholder: 'Hi {{visitor.name}}, thanks for waiting. …',
    });
    this.body.value = c.body || '';
    this.scope.addEventListener('change', () => { this.deptField.hidden = this.scope.value !== 'department'; this.changed(); });
    this.department.addEventListener('change', () => this.changed());
    this.body.addEventListener('input', () => this.renderFallbacks());

    this.deptField = field('department_id', 'Department', this.department);
    this.deptField.hidden = c.scope !== 'department';
    const chips = ro ? null : h('div', { class: 'canned-chips' },
      h('span', { class: 'muted small' }, 'Insert:'),
      this.list.variables.map((v) => h('button', {
        class: 'canned-chip', type: 'button', title: v.description,
        onclick: () => this.insertVariable(v.name),
      }, `{{${v.name}}}`)));
    this.fallbacks = h('div', { class: 'canned-fallbacks' });
    this.fallbackInputs = new Map();
    this.fallbackValues = { ...(c.fallbacks || {}) };

    const formErrorText = h('span');
    this.formError = h('div', { class: 'form-error', role: 'alert', hidden: true }, icon('alert', 16), formErrorText);
    this.formErrorText = formErrorText;
    this.dirtyEl = h('span', { class: 'dirty-note', hidden: true }, 'Unsaved changes');
    this.saveBtn = ro ? null : h('button', { class: 'btn btn-primary', type: 'submit' }, icon('check', 15), this.isNew ? 'Create response' : 'Save changes');
    this.deleteBtn = ro || this.isNew ? null : h('button', {
      class: 'btn btn-ghost btn-danger-ghost', type: 'button', onclick: () => this.onDelete(),
    }, icon('trash', 15), 'Delete');

    const scopeHint = this.list.lead() ? 'Shared responses are managed by admins and supervisors.'
      : 'Agents keep their own responses; shared ones come from admins and supervisors.';
    this.root = h('form', { class: 'card form-card canned-form', novalidate: true },
      h('div', { class: 'card-head' },
        h('div', null,
          h('h3', null, this.isNew ? 'New canned response' : `#${c.shortcut}`),
          h('p', { class: 'card-sub' }, ro ? 'Read-only: a shared response. Admins and supervisors change it.'
            : this.isNew ? 'Give it a shortcut agents will type after #.' : `Used ${plural(c.use_count || 0, 'time')}.`)),
        h('button', {
          class: 'btn btn-icon btn-ghost', type: 'button', title: 'Close', 'aria-label': 'Close editor',
          onclick: () => this.list.edit(null),
        }, icon('x', 16))),
      h('div', { class: 'form-grid' },
        field('title', 'Title', this.title),
        field('shortcut', 'Shortcut', this.shortcut, 'Lowercase letters, digits, _ and -.')),
      h('div', { class: 'form-grid' },
        field('scope', 'Who can use it', this.scope, scopeHint),
        this.deptField),
      field('body', 'Text', this.body, 'Variables are filled in for each chat.'),
      chips,
      this.fallbacks,
      this.formError,
      ro ? null : h('div', { class: 'editor-actions' }, this.deleteBtn, h('span', { class: 'spacer' }), this.dirtyEl, this.saveBtn));
    this.root.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    this.renderFallbacks();
  }

  /** The directory's departments changed: new options, the choice kept. */
  refreshDepartments() {
    const keep = this.department.value || this.departmentId;
    replaceChildren(this.department, [...this.data.directory.departments]
      .sort((a, b) => String(a.name).localeCompare(String(b.name)))
      .map((d) => h('option', { value: String(d.id) }, d.name || d.slug)));
    if (keep) this.department.value = keep;
  }

  insertVariable(name) {
    const el = this.body;
    const token = `{{${name}}}`;
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? el.value.length;
    el.value = el.value.slice(0, start) + token + el.value.slice(end);
    el.setSelectionRange(start + token.length, start + token.length);
    el.focus();
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }

  /** A fallback field per known variable the text uses. */
  renderFallbacks() {
    for (const [name, input] of this.fallbackInputs) this.fallbackValues[name] = input.value;
    const used = [];
    for (const m of this.body.value.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)) {
      // only variables that can be empty at send time (visitor.*) take a fallback
      if (this.list.variables.some((v) => v.name === m[1] && v.fallback) && !used.includes(m[1])) used.push(m[1]);
    }
    this.fallbackInputs = new Map();
    if (!used.length) { replaceChildren(this.fallbacks); return; }
    const rows = used.map((name) => {
      const input = h('input', {
        id: `cr-fb-${name.replace('.', '-')}`, class: 'input', maxlength: '100', disabled: this.readOnly,
        value: this.fallbackValues[name] || '', placeholder: 'Left out when empty',
      });
      if (!this.readOnly) input.addEventListener('input', () => this.changed());
      this.fallbackInputs.set(name, input);
      const box = h('div', { class: 'field canned-fallback' },
        h('label', { class: 'field-label', for: input.id }, h('code', null, `{{${name}}}`), ' when it has no value'), input);
      this.fields.set(`fallbacks.${name}`, { el: input, box });
      return box;
    });
    replaceChildren(this.fallbacks, h('div', { class: 'field-label' }, 'Fallbacks'), rows);
  }

  payload() {
    const fallbacks = {};
    for (const [name, input] of this.fallbackInputs) if (input.value.trim()) fallbacks[name] = input.value.trim();
    const out = {
      title: this.title.value.trim(), shortcut: this.shortcut.value.trim(), body: this.body.value, fallbacks,
    };
    if (this.list.lead() || this.isNew) out.scope = this.scope.value;
    if (this.scope.value === 'department') out.department_id = Number(this.department.value) || null;
    else if (this.list.lead()) out.department_id = null;
    return out;
  }

  clearErrors() {
    for (const el of this.root.querySelectorAll('.field-msg')) el.remove();
    for (const el of this.root.querySelectorAll('.invalid')) el.classList.remove('invalid');
    for (const el of this.root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    this.formError.hidden = true;
  }

  showError(field, message) {
    const hit = field && this.fields.get(field);
    if (!hit) {
      this.formErrorText.textContent = message;
      this.formError.hidden = false;
      return;
    }
    const text = String(message || '').replace(/^[\w.]+: /, '');
    const msg = h('div', { class: 'field-msg', role: 'alert' }, icon('alert', 13), h('span', null, text.charAt(0).toUpperCase() + text.slice(1)));
    hit.box.classList.add('invalid');
    hit.box.appendChild(msg);
    hit.el.setAttribute('aria-invalid', 'true');
    hit.el.focus();
  }

  async save() {
    if (this.busy) return;
    this.clearErrors();
    this.busy = true;
    this.saveBtn.disabled = true;
    try {
      const body = this.payload();
      const r = this.isNew ? await post('/api/v1/canned', body) : await api('PATCH', `/api/v1/canned/${this.item.id}`, body);
      this.busy = false;
      this.saveBtn.disabled = false;
      this.dirtyEl.hidden = true;
      this.list.saved(r.canned, this.isNew);
    } catch (err) {
      this.busy = false;
      this.saveBtn.disabled = false;
      if (err.status !== 401) this.showError(err.field, err.message);
    }
  }

  async onDelete() {
    if (!this.deleteArmed) {
      this.deleteArmed = true;
      this.deleteBtn.classList.add('armed');
      this.deleteBtn.lastChild.textContent = 'Click again to delete';
      clearTimeout(this.deleteTimer);
      this.deleteTimer = setTimeout(() => {
        this.deleteArmed = false;
        this.deleteBtn.classList.remove('armed');
        this.deleteBtn.lastChild.textContent = 'Delete';
      }, 4000);
      return;
    }
    clearTimeout(this.deleteTimer);
    this.deleteBtn.disabled = true;
    try {
      await api('DELETE', `/api/v1/canned/${this.item.id}`);
      this.list.deleted(this.item);
    } catch (err) {
      this.deleteBtn.disabled = false;
      if (err.status !== 401) this.showError(err.field, err.message);
    }
  }
}
