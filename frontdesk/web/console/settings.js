// Settings: departments (admins edit, supervisors read and set members) and agents (max
// chats, new agents). Server validation errors are shown next to the field they name.

import { api, post } from './api.js';
import { CannedSettings } from './canned_settings.js';
import { deskDepartmentFields } from './desk.js';
import { userDepartments } from './directory.js';
import {
  avatar, deptTag, h, hueFor, icon, plural, replaceChildren, STATUS_LABELS, statusDot,
} from './dom.js';
import { HoursEditor } from './hours.js';
import { INVITE_SECTIONS } from './invite_rules.js';
import { SETTINGS_SECTIONS } from './privacy.js';
import { DESK_SECTIONS } from './tagging.js';
import { availability } from './transfer.js';

const ROLES = [['agent', 'Agent'], ['supervisor', 'Supervisor'], ['manager', 'Manager'], ['admin', 'Admin']];
const LEVELS = [[1, 'Level 1 · first'], [2, 'Level 2'], [3, 'Level 3']];

/** Collects form fields by the path the server names in `error.field`, and shows errors there. */
class FieldErrors {
  constructor(formError) {
    this.fields = new Map();
    this.formError = formError; // {el, text}
    this.shown = [];
  }

  reg(path, el, container) { this.fields.set(path, { el, container: container || el.closest('.field') || el }); }

  find(path) {
    let p = String(path || '');
    const extra = (typeof this.extra === 'function' && this.extra()) || new Map();
    while (p) {
      if (this.fields.has(p)) return this.fields.get(p);
      if (extra.has(p)) return extra.get(p);
      const cut = Math.max(p.lastIndexOf('['), p.lastIndexOf('.'));
      if (cut <= 0) break;
      p = p.slice(0, cut);
    }
    return null;
  }

  clear() {
    for (const el of this.shown) el.remove();
    this.shown = [];
    for (const el of document.querySelectorAll('.settings [aria-invalid="true"]')) el.removeAttribute('aria-invalid');
    for (const el of document.querySelectorAll('.settings .invalid')) el.classList.remove('invalid');
    this.formError.el.hidden = true;
  }

  /** Shows `message` at the field named `path` (or at the form when unknown) and focuses it. */
  show(path, message) {
    const hit = path ? this.find(path) : null;
    if (!hit) {
      this.formError.el.hidden = false;
      this.formError.text.textContent = message;
      this.formError.el.scrollIntoView({ block: 'nearest' });
      return;
    }
    const id = `err-${Math.random().toString(36).slice(2, 9)}`;
    // "hours.weekly.tue[1]: must end after it starts" next to that field reads "Must end after it starts"
    let text = String(message || '');
    const m = /^([\w.[\]-]+): (.+)$/s.exec(text);
    if (m && (m[1] === path || String(path).startsWith(m[1]))) text = m[2].charAt(0).toUpperCase() + m[2].slice(1);
    const msg = h('div', { class: 'field-msg', id, role: 'alert' }, icon('alert', 13), h('span', null, text));
    hit.container.classList.add('invalid');
    if (hit.container.classList.contains('interval') || hit.container.classList.contains('exception')) hit.container.after(msg);
    else hit.container.appendChild(msg);
    this.shown.push(msg);
    hit.el.setAttribute('aria-invalid', 'true');
    hit.el.setAttribute('aria-describedby', id);
    const fix = () => { // the message goes as soon as the field is edited
      msg.remove();
      hit.container.classList.remove('invalid');
      hit.el.removeAttribute('aria-invalid');
      hit.el.removeAttribute('aria-describedby');
    };
    hit.container.addEventListener('input', fix, { once: true });
    hit.container.addEventListener('change', fix, { once: true });
    hit.el.scrollIntoView({ block: 'center' });
    try { hit.el.focus({ preventScroll: true }); } catch { /* not focusable */ }
  }
}

export class SettingsPage {
  /** @param {object} data  the data modules  @param {object} act  the App's callbacks (App.viewActions) */
  constructor(data, act) {
    this.data = data;
    this.act = act;
    this.section = 'departments';
    this.selected = null; // department id, 'new' or null
    this.editor = null;
    this.dirty = false;
    this.agentsState = new Map(); // user id -> {busy, error, saved}
    this.closeBtn = h('button', {
      class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => act.closeSettings(),
    }, icon('arrowLeft', 15), 'Back to chats');
    this.navDepts = h('button', { class: 'stab', type: 'button', role: 'tab', onclick: () => this.go('departments') }, icon('layers', 15), 'Departments');
    this.navAgents = h('button', { class: 'stab', type: 'button', role: 'tab', onclick: () => this.go('agents') }, icon('users', 15), 'Agents');
    this.navCanned = h('button', { class: 'stab', type: 'button', role: 'tab', onclick: () => this.go('canned') }, icon('reply', 15), 'Canned responses');
    // agents see only their canned responses here (canned_settings.js)
    this.navDepts.hidden = this.navAgents.hidden = !this.canMembers();
    // sections of privacy.js (satisfaction, privacy, audit log), tagging.js and invite_rules.js, each for the roles it names
    this.extras = [...SETTINGS_SECTIONS, ...DESK_SECTIONS, ...INVITE_SECTIONS].filter((x) => x.visible(data.session.me)).map((x) => ({
      ...x, nav: h('button', { class: 'stab', type: 'button', role: 'tab', onclick: () => this.go(x.id) }, icon(x.icon, 15), x.label),
    }));
    this.body = h('div', { class: 'settings-body' });
    this.root = h('section', { class: 'settings', 'aria-label': 'Settings' },
      h('header', { class: 'settings-head' },
        h('div', { class: 'settings-title' },
          h('span', { class: 'settings-icon' }, icon('gear', 18)),
          h('div', null, h('h1', null, 'Settings'),
            h('p', null, this.isAdmin() ? 'Departments, routing and the people who answer chats.'
              : this.canMembers() ? 'You can see how chats are routed and change who works in each department.'
                : 'Your canned responses, and the shared ones you can use.'))),
        h('nav', { class: 'stabs', role: 'tablist', 'aria-label': 'Settings sections' }, this.navDepts, this.navAgents, this.navCanned, ...this.extras.map((x) => x.nav)),
        this.closeBtn),
      this.body);
  }

  isAdmin() { return this.data.session.me && this.data.session.me.role === 'admin'; }
  canMembers() { return this.data.session.me && ['admin', 'manager', 'supervisor'].includes(this.data.session.me.role); }

  /** Opens a section (and a department): `departments`, `departments/3`, `departments/new`, `agents`. */
  show(route) {
    route = String(route || 'departments');
    if (this.dirty && route === this.route && this.body.firstChild) {
      // back from a chat with unsaved edits: keep them, refresh only the live numbers
      this.data.directory.loadDepartments(true);
      return;
    }
    this.route = route;
    const [section, sub] = route.split('/');
    this.section = section === 'agents' ? 'agents' : 'departments';
    if (section === 'canned' || !this.canMembers()) this.section = 'canned';
    if (this.extras.some((x) => x.id === section)) this.section = section;
    if (this.section === 'departments') {
      if (sub === 'new' && this.isAdmin()) this.selected = 'new';
      else if (sub && /^\d+$/.test(sub)) this.selected = Number(sub);
    }
    this.editor = null;
    this.render();
    Promise.all([this.data.directory.loadDepartments(true), this.data.directory.loadUsers(true)]);
  }

  go(section, sub) {
    if (this.dirty && !this.confirmDiscard()) return;
    this.dirty = false;
    this.act.showSettings(sub != null ? `${section}/${sub}` : section);
  }

  confirmDiscard() {
    // eslint-disable-next-line no-alert
    return window.confirm('Discard your unsaved changes?');
  }

  /** Directory data changed (a load finished): re-render what depends on it, keeping edits. */
  onDirectory(what) {
    if (!this.root.isConnected || this.extras.some((x) => x.id === this.section)) return;
    if (this.section === 'canned') {
      if (this.cannedPage) this.cannedPage.onDirectory(what);
    } else if (this.section === 'departments') {
      this.renderDeptList();
      if (!this.editor || !this.dirty) this.renderEditor();
      else if (what === 'users' && this.editor) this.editor.refreshMembers();
    } else {
      this.renderAgents();
    }
  }

  render() {
    const depts = this.section === 'departments';
    const canned = this.section === 'canned';
    this.navDepts.classList.toggle('active', depts);
    this.navDepts.setAttribute('aria-selected', String(depts));
    this.navAgents.classList.toggle('active', this.section === 'agents');
    this.navAgents.setAttribute('aria-selected', String(this.section === 'agents'));
    this.navCanned.classList.toggle('active', canned);
    this.navCanned.setAttribute('aria-selected', String(canned));
    const extra = this.extras.find((x) => x.id === this.section);
    for (const x of this.extras) {
      x.nav.classList.toggle('active', x === extra);
      x.nav.setAttribute('aria-selected', String(x === extra));
    }
    if (extra) {
      if (!extra.page) extra.page = new extra.Page(this);
      replaceChildren(this.body, extra.page.root);
      extra.page.show(this.route.split('/')[1]);
      return;
    }
    if (canned) {
      if (!this.cannedPage) this.cannedPage = new CannedSettings(this);
      replaceChildren(this.body, this.cannedPage.root);
      this.cannedPage.show(this.route.split('/')[1]);
    } else if (depts) {
      this.listEl = h('nav', { class: 'dept-list', 'aria-label': 'Departments' });
      this.editorEl = h('div', { class: 'dept-editor' });
      replaceChildren(this.body, h('div', { class: 'dept-layout' },
        h('aside', { class: 'dept-aside' },
          h('div', { class: 'aside-head' },
            h('h2', null, 'Departments'),
            this.isAdmin() ? h('button', {
              class: 'btn btn-primary btn-sm', type: 'button', onclick: () => this.go('departments', 'new'),
            }, icon('plus', 14), 'New') : null),
          this.listEl),
        this.editorEl));
      this.renderDeptList();
      this.renderEditor();
    } else {
      this.agentsEl = h('div', { class: 'agents-page' });
      replaceChildren(this.body, this.agentsEl);
      this.renderAgents();
    }
  }

  // ===== departments =======================================================================
  renderDeptList() {
    if (!this.listEl) return;
    const dir = this.data.directory;
    const st = dir.state.departments;
    if (!st.loaded) {
      replaceChildren(this.listEl, h('div', { class: 'aside-empty' }, st.error
        ? [icon('alert', 15), `Could not load departments: ${st.error.message}`]
        : [h('span', { class: 'spinner spinner-xs' }), 'Loading…']));
      return;
    }
    const depts = [...dir.departments].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    if (this.selected == null && depts.length) this.selected = depts[0].id;
    const items = depts.map((d) => {
      const sel = Number(this.selected) === Number(d.id);
      const online = Number(d.online_agents) || 0;
      const queue = Number(d.queue_length) || 0;
      const icn = h('span', { class: 'dept-icon' }, String(d.name || d.slug || '?').trim().charAt(0).toUpperCase());
      icn.style.setProperty('--hue', String(hueFor(d.slug || d.name)));
      return h('button', {
        class: `dept-card${sel ? ' selected' : ''}`, type: 'button',
        'aria-current': sel ? 'true' : null, onclick: () => this.go('departments', d.id),
      },
      icn,
      h('span', { class: 'dept-card-main' },
        h('span', { class: 'dept-card-top' },
          h('span', { class: 'dept-card-name' }, d.name || d.slug),
          d.accepting_chats === false
            ? h('span', { class: 'mini-flag warn' }, d.open_now === false ? 'Closed' : 'Not accepting')
            : h('span', { class: 'mini-flag ok' }, 'Open')),
        h('span', { class: 'dept-card-sub' },
          h('span', { class: 'mono-sm' }, d.slug),
          h('span', null, `· ${online} online`),
          queue ? h('span', { class: 'warn-text' }, `· ${queue} waiting`) : null,
          h('span', null, `· ${d.routing === 'pick' ? 'pick' : 'auto'}`))));
    });
    if (this.selected === 'new') {
      items.unshift(h('div', { class: 'dept-card selected new', 'aria-current': 'true' },
        h('span', { class: 'dept-icon dept-icon-new' }, icon('plus', 16)),
        h('span', { class: 'dept-card-main' }, h('span', { class: 'dept-card-name' }, 'New department'),
          h('span', { class: 'dept-card-sub' }, 'Not saved yet'))));
    }
    replaceChildren(this.listEl, items.length ? items : h('div', { class: 'aside-empty' }, 'No departments yet.'));
  }

  renderEditor() {
    if (!this.editorEl) return;
    const dir = this.data.directory;
    if (!dir.state.departments.loaded && this.selected !== 'new') {
      replaceChildren(this.editorEl, h('div', { class: 'thread-status' }, h('span', { class: 'spinner' }), 'Loading…'));
      return;
    }
    const dept = this.selected === 'new' ? null : dir.department(this.selected);
    if (this.selected !== 'new' && !dept) {
      replaceChildren(this.editorEl, h('div', { class: 'empty-state' },
        h('div', { class: 'empty-icon' }, icon('layers', 26)),
        h('h2', null, 'No department selected'),
        h('p', null, this.isAdmin() ? 'Pick a department on the left, or create a new one.' : 'Pick a department on the left.')));
      return;
    }
    const users = dir.state.users;
    const sig = JSON.stringify([this.selected, dept, users.loaded, users.loaded && dir.users.map((u) => [u.id, u.name, u.role, u.status, u.connected, u.departments])]);
    if (this.editor && this.editor.root.isConnected && sig === this.editorSig) return;
    this.editorSig = sig;
    this.dirty = false;
    this.editor = new DeptEditor(this, dept);
    replaceChildren(this.editorEl, this.editor.root);
  }

  // ===== agents =============================================================================
  renderAgents() {
    if (!this.agentsEl) return;
    const dir = this.data.directory;
    const st = dir.state.users;
    const canEdit = this.canMembers();
    let table;
    if (!st.loaded) {
      table = h('div', { class: 'aside-empty' }, st.error
        ? [icon('alert', 15), `Could not load agents: ${st.error.message}`]
        : [h('span', { class: 'spinner spinner-xs' }), 'Loading…']);
    } else {
      const users = [...dir.users].sort((a, b) => String(a.name).localeCompare(String(b.name)));
      table = h('table', { class: 'table' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Agent'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Departments'), h('th', { scope: 'col', class: 'num' }, 'Chats'),
          h('th', { scope: 'col', class: 'num' }, 'Max chats'),
          this.isAdmin() ? h('th', { scope: 'col' }, 'Access') : null)),
        h('tbody', null, users.flatMap((u) => this.agentRow(u, canEdit))));
    }
    // The table is rebuilt on every directory change; the form only when the departments it
    // offers change and nothing is typed in it, so a live refresh never eats what the admin typed.
    if (!this.tableWrap || !this.tableWrap.isConnected) {
      this.tableWrap = h('div', { class: 'table-wrap' });
      this.addSlot = h('div', { class: 'add-slot' });
      this.addSig = null;
      replaceChildren(this.agentsEl,
        h('div', { class: 'card agents-card' },
          h('div', { class: 'card-head' },
            h('div', null, h('h2', null, 'Agents'),
              h('p', { class: 'card-sub' }, 'Everyone who can sign in to the console. Max chats limits how many chats an agent is offered at once.')),
            h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => dir.loadUsers(true) }, icon('retry', 14), 'Refresh')),
          this.tableWrap),
        this.isAdmin() ? this.addSlot : null);
    }
    const focused = document.activeElement && this.tableWrap.contains(document.activeElement)
      && document.activeElement.closest('tr') ? document.activeElement.closest('tr').dataset.user : null;
    replaceChildren(this.tableWrap, table);
    if (focused) {
      const again = this.tableWrap.querySelector(`tr[data-user="${focused}"] input`);
      if (again) again.focus();
    }
    if (this.isAdmin()) {
      const sig = JSON.stringify(dir.departments.map((d) => [d.slug, d.name]));
      const form = this.addSlot.firstChild;
      const pristine = !form || ![...form.querySelectorAll('input:not([type="checkbox"])')].some((i) => i.value);
      if (sig !== this.addSig && pristine) {
        this.addSig = sig;
        replaceChildren(this.addSlot, this.addAgentCard());
      }
    }
  }

  agentRow(u, canEdit) {
    const dir = this.data.directory;
    const status = availability(u);
    const me = Number(u.id) === Number(this.data.session.me.id);
    const state = this.agentsState.get(u.id) || {};
    const max = h('input', {
      type: 'number', class: 'input input-num', min: '1', max: '50', step: '1',
      value: String(state.error && state.value != null ? state.value : (u.max_chats ?? '')),
      disabled: !canEdit || state.busy, 'aria-label': `Maximum concurrent chats for ${u.name || u.email}`,
      'aria-invalid': state.error ? 'true' : null, 'aria-describedby': state.error ? `max-err-${u.id}` : null,
    });
    const save = async () => {
      // never rebuild the row inside the change/blur that is running on it
      await new Promise((resolve) => { setTimeout(resolve, 0); });
      const n = Number(max.value);
      if (max.value.trim() !== '' && String(n) === String(u.max_chats)) {
        if (this.agentsState.has(u.id)) { this.agentsState.delete(u.id); this.renderAgents(); }
        return;
      }
      if (!Number.isInteger(n) || n < 1 || n > 50) {
        this.agentsState.set(u.id, { error: 'Max chats must be a whole number from 1 to 50.', value: max.value });
        this.renderAgents();
        return;
      }
      this.agentsState.set(u.id, { busy: true });
      try {
        const r = await api('PATCH', `/api/v1/users/${u.id}`, { max_chats: n });
        const user = (r && (r.user || (r.id != null ? r : null))) || { ...u, max_chats: n };
        this.agentsState.set(u.id, { saved: Date.now() });
        dir.putUser(user);
        setTimeout(() => {
          const cur = this.agentsState.get(u.id);
          if (cur && cur.saved) { this.agentsState.delete(u.id); this.renderAgents(); }
        }, 2500);
      } catch (err) {
        this.agentsState.set(u.id, { error: err.message, value: max.value });
        this.renderAgents();
      }
    };
    max.addEventListener('change', save);
    max.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); max.blur(); } });
    const depts = userDepartments(u, dir);
    const row = h('tr', { class: state.error ? 'row-invalid' : null, dataset: { user: String(u.id) } },
      h('td', null, h('div', { class: 'who' },
        h('span', { class: 'pick-av' }, avatar(u.name || u.email, `agent-${u.id}`, 'md'), statusDot(status, 'sdot-badge')),
        h('div', { class: 'who-text' },
          h('div', { class: 'who-name' }, u.name || u.email, me ? h('span', { class: 'chip' }, 'You') : null,
            u.active === false ? h('span', { class: 'chip chip-warn', title: 'Cannot sign in; offered no chats' }, 'Deactivated') : null),
          h('div', { class: 'who-sub' }, u.email || '')))),
      h('td', null, h('span', { class: `role role-${u.role}` }, cap(u.role || 'agent'))),
      h('td', null, h('span', { class: `st st-${status}` }, statusDot(status), STATUS_LABELS[status])),
      h('td', null, depts.length ? h('span', { class: 'tags' }, depts.map((d) => deptTag(d, { small: true }))) : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'num' }, String(Number(u.active_chats) || 0)),
      h('td', { class: 'num' },
        h('div', { class: 'max-cell' }, max,
          state.busy ? h('span', { class: 'spinner spinner-xs' }) : null,
          state.saved ? h('span', { class: 'saved', role: 'status', 'aria-label': 'Saved', title: 'Saved' }, icon('check', 14)) : null)),
      this.isAdmin() ? h('td', null, me ? null : this.accessButton(u, state)) : null);
    if (!state.error) return [row];
    return [row, h('tr', { class: 'row-msg' }, h('td', { colspan: this.isAdmin() ? '7' : '6' },
      h('div', { class: 'field-msg', id: `max-err-${u.id}`, role: 'alert' }, icon('alert', 13), h('span', null, state.error))))];
  }

  /** Admins: deactivate a user (their sessions, API tokens and open consoles end at once) or
   * reactivate them (docs/api.md, "Users"). */
  accessButton(u, state) {
    const active = u.active !== false;
    const label = active ? 'Deactivate' : 'Reactivate';
    return h('button', {
      class: `btn btn-sm ${active ? 'btn-secondary' : 'btn-primary'}`, type: 'button', disabled: !!state.busy,
      'aria-label': `${label} ${u.name || u.email}`,
      onclick: async () => {
        if (active && !window.confirm(`Deactivate ${u.name || u.email}? They are signed out everywhere at once, their API tokens stop working, and they are offered no more chats.`)) return;
        this.agentsState.set(u.id, { busy: true });
        this.renderAgents();
        try {
          const r = await post(`/api/v1/users/${u.id}/${active ? 'deactivate' : 'reactivate'}`);
          this.agentsState.delete(u.id);
          this.data.directory.putUser({ ...u, active: r.user.active, status: active ? 'offline' : u.status });
        } catch (err) {
          this.agentsState.set(u.id, { error: err.message, value: u.max_chats });
          this.renderAgents();
        }
      },
    }, label);
  }

  addAgentCard() {
    const dir = this.data.directory;
    const formErrorText = h('span');
    const formError = h('div', { class: 'form-error', role: 'alert', hidden: true }, icon('alert', 16), formErrorText);
    const errors = new FieldErrors({ el: formError, text: formErrorText });
    const name = h('input', { id: 'na-name', class: 'input', autocomplete: 'off', required: true });
    const email = h('input', { id: 'na-email', class: 'input', type: 'email', autocomplete: 'off', required: true });
    const role = h('select', { id: 'na-role', class: 'input' }, ROLES.map(([v, l]) => h('option', { value: v }, l)));
    const password = h('input', { id: 'na-password', class: 'input', type: 'password', autocomplete: 'new-password', required: true, minlength: '10' });
    const deptBoxes = [...dir.departments].sort((a, b) => String(a.name).localeCompare(String(b.name))).map((d) => {
      const box = h('input', { type: 'checkbox', value: d.slug });
      if (dir.departments.length === 1) box.checked = true;
      return { d, box };
    });
    const deptGroup = h('fieldset', { class: 'field fieldset' },
      h('legend', { class: 'field-label' }, 'Departments'),
      deptBoxes.length
        ? h('div', { class: 'check-chips' }, deptBoxes.map(({ d, box }) => h('label', { class: 'check-chip' }, box, h('span', null, d.name || d.slug))))
        : h('span', { class: 'muted small' }, 'No departments loaded.'));
    const field = (label, input, hint) => h('div', { class: 'field' },
      h('label', { class: 'field-label', for: input.id }, label), input, hint ? h('span', { class: 'field-hint' }, hint) : null);
    const fName = field('Name', name);
    const fEmail = field('E-mail', email);
    const fRole = field('Role', role, 'Supervisors lead the departments they are members of, managers all of them; admins also manage users and settings.');
    const fPass = field('Password', password, 'At least 10 characters. Share it with them privately.');
    errors.reg('name', name, fName);
    errors.reg('email', email, fEmail);
    errors.reg('role', role, fRole);
    errors.reg('password', password, fPass);
    errors.reg('departments', deptBoxes.length ? deptBoxes[0].box : deptGroup, deptGroup);
    const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, icon('plus', 15), 'Add agent');
    const form = h('form', { class: 'card add-agent', novalidate: true },
      h('div', { class: 'card-head' }, h('div', null, h('h2', null, 'Add agent'),
        h('p', { class: 'card-sub' }, 'Creates a console login. Share the password with them privately.'))),
      h('div', { class: 'form-grid' }, fName, fEmail, fRole, fPass),
      deptGroup, formError,
      h('div', { class: 'form-actions' }, submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      errors.clear();
      if (!name.value.trim()) { errors.show('name', 'Enter their name.'); return; }
      if (!email.value.trim()) { errors.show('email', 'Enter their e-mail address.'); return; }
      if (!password.value) { errors.show('password', 'Choose a password for them.'); return; }
      submit.disabled = true;
      submit.lastChild.textContent = 'Adding…';
      try {
        const r = await post('/api/v1/users', {
          email: email.value.trim(), name: name.value.trim(), role: role.value, password: password.value,
          departments: deptBoxes.filter(({ box }) => box.checked).map(({ d }) => d.slug),
        });
        const user = r && (r.user || (r.id != null ? r : null));
        this.act.toast(`${name.value.trim()} can now sign in`, 'success');
        for (const el of [name, email, password]) el.value = '';
        submit.disabled = false;
        submit.lastChild.textContent = 'Add agent';
        if (user) dir.putUser(user);
        await dir.loadUsers(true);
        await dir.loadDepartments(true);
      } catch (err) {
        submit.disabled = false;
        submit.lastChild.textContent = 'Add agent';
        if (err.status !== 401) errors.show(err.field, err.message);
      }
    });
    return form;
  }
}

class DeptEditor {
  constructor(page, dept) {
    this.page = page;
    this.data = page.data;
    this.act = page.act;
    this.dept = dept;
    this.isNew = !dept;
    this.admin = page.isAdmin();
    this.canMembers = page.canMembers();
    this.busy = false;
    this.deleteArmed = false;
    this.slugTouched = !!dept;
    this.members = this.initialMembers();
    this.build();
  }

  /** Members and their levels: from the users' `departments` (which carry the level), else the
   * department's `members` (user ids, or `{user_id, level}`). */
  initialMembers() {
    const map = new Map(); // user id -> level
    const d = this.dept;
    if (!d) return map;
    if (!this.data.directory.state.users.loaded) {
      for (const m of Array.isArray(d.members) ? d.members : []) {
        const id = typeof m === 'object' && m ? (m.user_id ?? m.id) : m;
        if (id != null) map.set(Number(id), Number(m && m.level) || 1);
      }
      return map;
    }
    for (const u of this.data.directory.users) {
      for (const x of u.departments || []) {
        const match = typeof x === 'string' ? x === d.slug
          : typeof x === 'number' ? x === Number(d.id)
            : x && (Number(x.id) === Number(d.id) || x.slug === d.slug);
        if (match) map.set(Number(u.id), Number(x && x.level) || 1);
      }
    }
    return map;
  }

  changed() {
    this.page.dirty = true;
    this.dirtyEl.hidden = false;
  }

  build() {
    const d = this.dept || {};
    const ro = !this.admin;
    const p = `dept-${d.id || 'new'}`;
    const formErrorText = h('span');
    this.formError = h('div', { class: 'form-error', role: 'alert', hidden: true }, icon('alert', 16), formErrorText);
    this.errors = new FieldErrors({ el: this.formError, text: formErrorText });
    const errors = this.errors;

    const input = (key, { tag = 'input', dflt = '', ...attrs }) => {
      const el = h(tag, { id: `${p}-${key}`, class: `input${tag === 'textarea' ? ' textarea' : ''}`, disabled: ro, ...attrs });
      el.value = d[key] == null ? dflt : String(d[key]);
      el.addEventListener('input', () => this.changed());
      return el;
    };
    const field = (key, label, el, hint, extra) => {
      const f = h('div', { class: `field${extra ? ` ${extra}` : ''}` },
        h('label', { class: 'field-label', for: el.id }, label), el, hint ? h('span', { class: 'field-hint' }, hint) : null);
      errors.reg(key, el, f);
      return f;
    };

    this.name = input('name', { maxlength: '80', required: true, placeholder: 'e.g. Billing' });
    this.slug = input('slug', { maxlength: '40', required: true, placeholder: 'billing', spellcheck: 'false', autocapitalize: 'off' });
    this.name.addEventListener('input', () => {
      if (!this.slugTouched) this.slug.value = slugify(this.name.value);
    });
    this.slug.addEventListener('input', () => { this.slugTouched = true; });
    this.description = input('description', { tag: 'textarea', rows: '2', maxlength: '300', placeholder: 'Shown to visitors when they pick a topic' });
    this.email = input('email', { type: 'email', placeholder: 'billing@example.com' });
    this.maxQueue = input('max_queue', { type: 'number', min: '0', step: '1', dflt: '0' });
    this.timeout = input('offer_timeout_seconds', { type: 'number', min: '5', step: '1', dflt: '30' });
    this.offline = input('offline_message', { tag: 'textarea', rows: '3', maxlength: '500', placeholder: 'We’re away right now — leave a message and we’ll e-mail you.' });

    this.routing = d.routing === 'pick' ? 'pick' : 'auto';
    const routeOpt = (value, title, sub) => {
      const r = h('input', { type: 'radio', name: `${p}-routing`, value, disabled: ro });
      r.checked = this.routing === value;
      r.addEventListener('change', () => { if (r.checked) { this.routing = value; this.timeoutField.hidden = value !== 'auto'; this.changed(); } });
      return h('label', { class: 'radio-card' }, r, h('span', null, h('strong', null, title), h('span', { class: 'check-sub' }, sub)));
    };
    const routingGroup = h('fieldset', { class: 'field fieldset' },
      h('legend', { class: 'field-label' }, 'How chats are assigned'),
      h('div', { class: 'radio-cards' },
        routeOpt('auto', 'Automatic', 'Each chat is offered to the available agent with the fewest chats.'),
        routeOpt('pick', 'Agents pick', 'Chats wait in the queue until an agent accepts one.')));
    errors.reg('routing', routingGroup.querySelector('input'), routingGroup);

    this.fallback = h('select', { id: `${p}-fallback`, class: 'input', disabled: ro });
    this.fallback.appendChild(h('option', { value: '' }, 'None — close waiting chats as missed'));
    for (const x of [...this.data.directory.departments].sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
      if (Number(x.id) === Number(d.id)) continue;
      this.fallback.appendChild(h('option', { value: String(x.id) }, x.name || x.slug));
    }
    this.fallback.value = d.fallback_department_id != null ? String(d.fallback_department_id) : '';
    this.fallback.addEventListener('change', () => this.changed());

    this.hours = new HoursEditor(d.hours, { disabled: ro, idPrefix: p, onChange: () => this.changed() });
    errors.extra = () => this.hours.fields;

    // scripted mode (canned.js): level-1 agents answer from canned responses only
    this.scripted = h('input', { type: 'checkbox', class: 'switch', id: `${p}-scripted`, disabled: ro });
    this.scripted.checked = !!d.scripted;
    this.scripted.addEventListener('change', () => this.changed());
    const scriptedField = h('label', { class: 'check', for: this.scripted.id }, this.scripted,
      h('span', null, h('strong', null, 'Scripted mode'),
        h('span', { class: 'check-sub' }, 'Level 1 agents may send only canned responses (typed with #). Levels 2 and up, supervisors and admins write freely.')));
    errors.reg('scripted', this.scripted, scriptedField);
    // the desk (desk.js): sneak peek and the reply alert
    this.desk = deskDepartmentFields({ d, ro, p, input, field, changed: () => this.changed(), errors });

    this.timeoutField = field('offer_timeout_seconds', 'Offer timeout', this.timeout, 'Seconds an agent has to accept an offered chat before it goes to the next one (and they are set Away).');
    this.timeoutField.hidden = this.routing !== 'auto';

    this.membersEl = h('div', { class: 'members' });
    this.renderMembers();

    this.dirtyEl = h('span', { class: 'dirty-note', hidden: true }, 'Unsaved changes');
    this.saveBtn = h('button', { class: 'btn btn-primary', type: 'submit', disabled: !this.admin && !this.canMembers },
      icon('check', 15), this.isNew ? 'Create department' : this.admin ? 'Save changes' : 'Save members');
    this.deleteBtn = this.admin && !this.isNew ? h('button', {
      class: 'btn btn-ghost btn-danger-ghost', type: 'button', onclick: () => this.onDelete(),
    }, icon('trash', 15), 'Delete') : null;

    const live = this.dept ? h('div', { class: 'live-stats' },
      stat(d.open_now === false ? 'Closed now' : 'Open now', d.open_now === false ? 'warn' : 'ok', 'Hours'),
      stat(String(Number(d.online_agents) || 0), Number(d.online_agents) ? 'ok' : 'warn', 'Agents online'),
      stat(String(Number(d.queue_length) || 0), Number(d.queue_length) ? 'warn' : '', 'Waiting'),
      stat(d.accepting_chats === false ? 'No' : 'Yes', d.accepting_chats === false ? 'warn' : 'ok', 'Accepting chats')) : null;

    this.root = h('form', { class: 'dept-form', novalidate: true },
      h('div', { class: 'editor-head' },
        h('div', null,
          h('h2', null, this.isNew ? 'New department' : d.name || d.slug),
          h('p', { class: 'card-sub' }, this.isNew ? 'Visitors choose a department before they chat; each has its own hours, queue and agents.'
            : ro ? 'Read-only: only admins can change a department. You can change its members.' : `Visitors reach it as “${d.slug}”.`)),
        live),
      section('General', null,
        h('div', { class: 'form-grid' },
          field('name', 'Name', this.name),
          field('slug', 'Slug', this.slug, 'Lowercase letters, digits and dashes. Used in the widget’s ?department= link.')),
        field('description', 'Description', this.description)),
      section('Routing', 'How waiting chats reach your agents.',
        routingGroup,
        h('div', { class: 'form-grid' },
          this.timeoutField,
          field('max_queue', 'Maximum queue', this.maxQueue, 'Visitors beyond this many waiting get the offline form. 0 means no limit.'))),
      section('Replies', 'What agents may send in this department’s chats.', scriptedField),
      section('The desk', 'What agents see while they answer.', this.desk.el),
      section('Business hours', 'Outside these hours visitors can leave a message instead of chatting.', this.hours.root),
      section('When nobody can chat', 'Closed, no agent online, or the queue is full.',
        field('offline_message', 'Offline message', this.offline, 'Shown above the form visitors use to leave a message.'),
        h('div', { class: 'form-grid' },
          field('email', 'Send offline messages to', this.email, 'Optional. Messages also appear in the console under Messages.'),
          field('fallback_department_id', 'Fallback department', this.fallback, 'If this department is deleted, its waiting chats move here.'))),
      section('Members', 'Who answers this department’s chats. Level 1 agents get chats first; levels 2 and 3 when nobody before them can.',
        this.membersEl),
      this.formError,
      h('div', { class: 'editor-foot' },
        this.deleteBtn, h('span', { class: 'spacer' }), this.dirtyEl, this.saveBtn));
    this.root.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
  }

  refreshMembers() { this.renderMembers(); }

  renderMembers() {
    const dir = this.data.directory;
    const st = dir.state.users;
    if (!st.loaded) {
      replaceChildren(this.membersEl, h('div', { class: 'aside-empty' }, st.error
        ? [icon('alert', 15), `Could not load agents: ${st.error.message}`] : [h('span', { class: 'spinner spinner-xs' }), 'Loading agents…']));
      return;
    }
    if (this.membersFromUsers === undefined) {
      this.membersFromUsers = true;
      if (!this.isNew) this.members = this.initialMembers();
      this.savedMembers = membersKey(this.members);
    }
    const users = [...dir.users].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const ro = !this.canMembers;
    this.errors.reg('members', this.membersEl, this.membersEl);
    this.memberRows = new Map();
    const rows = users.map((u) => {
      const on = this.members.has(Number(u.id));
      const box = h('input', { type: 'checkbox', id: `m-${u.id}-${this.dept ? this.dept.id : 'new'}`, disabled: ro });
      box.checked = on;
      const level = h('select', { class: 'input input-level', disabled: ro || !on, 'aria-label': `Level for ${u.name || u.email}` },
        LEVELS.map(([v, l]) => h('option', { value: String(v) }, l)));
      level.value = String(this.members.get(Number(u.id)) || 1);
      box.addEventListener('change', () => {
        if (box.checked) this.members.set(Number(u.id), Number(level.value) || 1);
        else this.members.delete(Number(u.id));
        level.disabled = ro || !box.checked;
        row.classList.toggle('on', box.checked);
        this.updateMemberCount();
        this.changed();
      });
      level.addEventListener('change', () => {
        if (this.members.has(Number(u.id))) this.members.set(Number(u.id), Number(level.value));
        this.changed();
      });
      const status = availability(u);
      const row = h('div', { class: `member${on ? ' on' : ''}` },
        h('label', { class: 'member-who', for: box.id }, box,
          h('span', { class: 'pick-av' }, avatar(u.name || u.email, `agent-${u.id}`, 'sm'), statusDot(status, 'sdot-badge')),
          h('span', { class: 'member-text' },
            h('span', { class: 'member-name' }, u.name || u.email),
            h('span', { class: 'member-sub' }, `${cap(u.role || 'agent')} · ${STATUS_LABELS[status]}`))),
        level);
      this.memberRows.set(Number(u.id), { box, row });
      return row;
    });
    this.memberCount = h('span', { class: 'muted small' });
    replaceChildren(this.membersEl,
      users.length ? h('div', { class: 'member-list' }, rows) : h('p', { class: 'empty-note' }, 'No agents yet. Add some under Agents.'),
      h('div', { class: 'member-foot' }, this.memberCount,
        ro ? null : h('span', { class: 'muted small' }, 'Saved with the department.')));
    this.updateMemberCount();
  }

  updateMemberCount() {
    if (this.memberCount) this.memberCount.textContent = `${plural(this.members.size, 'member')} selected`;
  }

  payload() {
    const num = (el) => (el.value.trim() === '' ? null : Number(el.value));
    return {
      slug: this.slug.value.trim(),
      name: this.name.value.trim(),
      description: this.description.value.trim(),
      hours: this.hours.value(),
      max_queue: num(this.maxQueue) ?? 0,
      routing: this.routing,
      offer_timeout_seconds: num(this.timeout) ?? 30,
      offline_message: this.offline.value.trim(),
      email: this.email.value.trim() || null,
      fallback_department_id: this.fallback.value ? Number(this.fallback.value) : null,
      scripted: this.scripted.checked,
      ...this.desk.payload(),
    };
  }

  async save() {
    if (this.busy) return;
    const errors = this.errors;
    errors.clear();
    if (this.admin) {
      if (!this.name.value.trim()) { errors.show('name', 'Give the department a name.'); return; }
      if (!this.slug.value.trim()) { errors.show('slug', 'Give the department a slug, like “billing”.'); return; }
      const problem = this.hours.check();
      if (problem) { errors.show(problem.field, problem.message); return; }
    }
    this.busy = true;
    this.saveBtn.disabled = true;
    const label = this.saveBtn.lastChild.textContent;
    this.saveBtn.lastChild.textContent = 'Saving…';
    const dir = this.data.directory;
    let dept = this.dept;
    try {
      if (this.admin) {
        const body = this.payload();
        const r = this.isNew
          ? await post('/api/v1/departments', body)
          : await api('PATCH', `/api/v1/departments/${dept.id}`, body);
        dept = (r && (r.department || (r.id != null ? r : null))) || { ...dept, ...body };
        dir.putDepartment(dept);
      }
      if (this.canMembers && dept && dept.id != null && membersKey(this.members) !== this.savedMembers) {
        const members = [...this.members.entries()].map(([user_id, level]) => ({ user_id, level }));
        members.forEach((m, i) => { // errors name `members[i]`: point them at that agent's row
          const hit = this.memberRows && this.memberRows.get(m.user_id);
          if (hit) this.errors.reg(`members[${i}]`, hit.box, hit.row);
        });
        try {
          await api('PUT', `/api/v1/departments/${dept.id}/members`, { members });
          this.savedMembers = membersKey(this.members);
        } catch (err) {
          if (this.isNew) {
            // the department exists now: open it, then show what went wrong with the members
            this.page.dirty = false;
            this.page.selected = dept.id;
            this.act.toast(`Department created, but its members were not saved: ${err.message}`, 'error');
            this.act.showSettings(`departments/${dept.id}`);
            return;
          }
          throw err;
        }
      }
      this.page.dirty = false;
      this.dirtyEl.hidden = true;
      this.saveBtn.disabled = false;
      this.saveBtn.lastChild.textContent = label;
      this.act.toast(this.isNew ? `Department “${dept.name}” created` : this.admin ? 'Department saved' : 'Members saved', 'success');
      this.busy = false;
      await Promise.all([dir.loadDepartments(true), dir.loadUsers(true)]);
      if (this.isNew) this.act.showSettings(`departments/${dept.id}`);
    } catch (err) {
      this.busy = false;
      this.saveBtn.disabled = false;
      this.saveBtn.lastChild.textContent = label;
      if (err.status === 401) return;
      errors.show(err.field, err.message);
    }
  }

  async onDelete() {
    if (!this.deleteArmed) {
      this.deleteArmed = true;
      this.deleteBtn.classList.add('armed');
      this.deleteBtn.lastChild.textContent = 'Click again to delete';
      this.deleteBtn.title = 'Waiting chats move to the fallback department, or are closed as missed.';
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
    this.deleteBtn.lastChild.textContent = 'Deleting…';
    try {
      await api('DELETE', `/api/v1/departments/${this.dept.id}`);
      this.act.toast(`Department “${this.dept.name}” deleted`, 'success');
      this.page.dirty = false;
      this.data.directory.removeDepartment(this.dept.id);
      this.page.selected = null;
      this.act.showSettings('departments');
      this.data.directory.loadDepartments(true);
    } catch (err) {
      this.deleteBtn.disabled = false;
      this.deleteArmed = false;
      this.deleteBtn.classList.remove('armed');
      this.deleteBtn.lastChild.textContent = 'Delete';
      if (err.status !== 401) this.errors.show(err.field, err.message);
    }
  }
}

function section(title, sub, ...children) {
  return h('section', { class: 'card form-card' },
    h('div', { class: 'card-head' }, h('div', null, h('h3', null, title), sub ? h('p', { class: 'card-sub' }, sub) : null)),
    ...children);
}

function stat(value, tone, label) {
  return h('div', { class: `stat${tone ? ` stat-${tone}` : ''}` }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
}

function membersKey(map) {
  return JSON.stringify([...map.entries()].sort((a, b) => a[0] - b[0]));
}

function slugify(s) {
  return String(s).normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
}

function cap(s) { return String(s).charAt(0).toUpperCase() + String(s).slice(1); }
