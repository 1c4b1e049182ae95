// Automatic invitations in the console: two Settings sections that settings.js adds to its
// navigation (INVITE_SECTIONS).
// - Invitations (leads): a department's rules in order (enable, reorder by drag or buttons,
//   delete) and the rule editor (conditions, capacity gates, the message, caps), with
//   "Test this rule": the simulator's figures for the draft and a chart of invitations per hour.
// - Invitation report (leads): outcomes per rule, agent and department for a date range.
// (The tracking mode is in Settings → Privacy: tracking_settings.js.)
// The draft, the API shape, error paths and report rows are in data/invite_rules.js; the API in
// docs/api.md. Rule names and messages are staff-written but still set as text (h() never
// parses HTML); charts are drawn by plotly.js, served by this server (api/vendor.py).

import { CHART_AXIS, CHART_FONT, chartDrawn, chartLibrary } from './charts.js';
import { api, get, post } from './api.js';
import {
  actionText, blankCondition, blockedText, CONDITIONS, DAYS, draftFromRule, dropped, FINAL_OUTCOMES, moved, newDraft, OUTCOMES,
  ordered, plainMessage, RATE_DEFINITION, rateText, reportTables, resolveField, ruleFromDraft, rulePlainText, sameRule,
  simulationView,
} from './data/invite_rules.js';
import { userDepartments } from './directory.js';
import { h, icon, replaceChildren } from './dom.js';

const LEADS = ['admin', 'manager', 'supervisor'];

/** Sections settings.js adds to its navigation: {id, label, icon, visible(me), Page}. */
export const INVITE_SECTIONS = [
  { id: 'invitations', label: 'Invitations', icon: 'send', visible: (me) => !!me && LEADS.includes(me.role), Page: null },
  { id: 'invitereport', label: 'Invitation report', icon: 'star', visible: (me) => !!me && LEADS.includes(me.role), Page: null },
];

const RULES_API = '/api/v1/invitation-rules';

// ===== charts (charts.js: plotly.js, loaded on first use) ========================================
const OUTCOME_COLORS = { accepted: '#16894a', dismissed: '#d08a1e', expired: '#aab0bb', pending: '#8b95c9', blocked: '#c8372d' };

/**
 * Draws a bar chart in `el` (a `.chart` box). `traces`: [{name, x, y, color}]. `summary` is the
 * chart in words, for screen readers (the figures are also in text next to it). `integer`: the
 * values are counts (whole-number ticks).
 */
async function drawBars(el, { traces, summary, stacked = false, horizontal = false, integer = false, height = 260 }) {
  const Plotly = await chartLibrary(el, summary, 'The figures are in the table.');
  if (!Plotly) return;
  const data = traces.map((t) => ({
    type: 'bar', name: t.name, x: horizontal ? t.y : t.x, y: horizontal ? t.x : t.y, orientation: horizontal ? 'h' : 'v',
    marker: { color: t.color || '#4054d6' }, hovertemplate: `%{${horizontal ? 'y' : 'x'}}: %{${horizontal ? 'x' : 'y'}}<extra>${traces.length > 1 ? t.name : ''}</extra>`,
  }));
  const axis = CHART_AXIS;
  const categories = traces.length ? traces[0].x : [];
  const fit = Math.max(3, Math.floor((el.clientWidth || 600) / 64)); // x labels that fit side by side
  const narrow = (el.clientWidth || 600) < 520;
  const every = [1, 2, 3, 4, 6, 8, 12].find((n) => categories.length / n <= fit) || Math.ceil(categories.length / fit);
  const most = Math.max(0, ...traces.map((t) => (stacked ? 0 : Math.max(0, ...t.y))),
    ...(stacked ? categories.map((_, i) => traces.reduce((n, t) => n + (Number(t.y[i]) || 0), 0)) : []));
  const counts = integer ? { tick0: 0, dtick: niceStep(most / 5), tickformat: 'd' } : {}; // no 0.2 of an invitation
  const layout = {
    height, barmode: stacked ? 'stack' : 'group', bargap: 0.25, font: CHART_FONT,
    margin: { l: 8, r: 8, t: 8, b: 8 }, paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: 'rgba(0,0,0,0)',
    showlegend: traces.length > 1, legend: { orientation: 'h', y: -0.18, x: 0, traceorder: 'normal' },
    xaxis: {
      ...axis,
      ...(horizontal ? { rangemode: 'tozero', ...counts } : {
        type: 'category', tickangle: 0, tickmode: 'array',
        tickvals: categories.filter((_, i) => i % every === 0), ticktext: categories.filter((_, i) => i % every === 0),
      }),
    },
    yaxis: {
      ...axis,
      ...(horizontal ? {
        type: 'category', autorange: 'reversed', tickmode: 'array', tickvals: categories,
        ticktext: categories.map((c) => (narrow && c.length > 18 ? `${c.slice(0, 17)}…` : c)), // the full name is in the table
      } : { rangemode: 'tozero', ...counts }),
    },
  };
  if (narrow && traces.length > 1) layout.height += 24 * Math.ceil(traces.length / 2); // the legend wraps
  replaceChildren(el);
  await Plotly.newPlot(el, data, layout, { displayModeBar: false, responsive: true });
  chartDrawn(el);
}

/** A whole tick step of 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw) {
  if (!(raw > 1)) return 1;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((step) => step >= raw);
}

// ===== field errors ================================================================================
/** Inputs registered by the path the server names; shows a refusal at its field, in words. */
class RuleErrors {
  constructor(formError) {
    this.fields = new Map(); // path -> {el, box}
    this.formError = formError;
    this.shown = [];
  }

  reg(path, el, box) { this.fields.set(path, { el, box: box || el }); }

  clear() {
    for (const m of this.shown) m.remove();
    this.shown = [];
    for (const { el, box } of this.fields.values()) { el.removeAttribute('aria-invalid'); box.classList.remove('invalid'); }
    this.formError.hidden = true;
    replaceChildren(this.formError);
  }

  /** Shows `message` at the field `path` names (or at the form); returns the path used. */
  show(path, message, conditions) {
    const at = path ? resolveField(path, (p) => this.fields.has(p)) : null;
    if (!at) {
      this.formError.hidden = false;
      replaceChildren(this.formError, icon('alert', 14), h('span', null, plainMessage(path, message, { atField: false, conditions })));
      this.formError.scrollIntoView({ block: 'nearest' });
      return null;
    }
    const { el, box } = this.fields.get(at);
    const id = `rule-err-${Math.random().toString(36).slice(2, 9)}`;
    const msg = h('div', { class: 'field-msg', id, role: 'alert' }, icon('alert', 13), h('span', null, plainMessage(path, message, { conditions })));
    box.classList.add('invalid');
    box.appendChild(msg);
    this.shown.push(msg);
    el.setAttribute('aria-invalid', 'true');
    el.setAttribute('aria-describedby', id);
    const fix = () => {
      msg.remove();
      box.classList.remove('invalid');
      el.removeAttribute('aria-invalid');
      el.removeAttribute('aria-describedby');
    };
    box.addEventListener('input', fix, { once: true });
    box.addEventListener('change', fix, { once: true });
    el.scrollIntoView({ block: 'center' });
    try { el.focus({ preventScroll: true }); } catch { /* not focusable */ }
    return at;
  }
}

function card(title, sub, ...children) {
  return h('section', { class: 'card form-card' },
    h('div', { class: 'card-head' }, h('div', null, h('h2', null, title), sub ? h('p', { class: 'card-sub' }, sub) : null)),
    ...children);
}

function loading(text = 'Loading…') { return h('div', { class: 'aside-empty' }, h('span', { class: 'spinner spinner-xs' }), text); }

function failure(err) { return h('div', { class: 'field-msg', role: 'alert' }, icon('alert', 13), h('span', null, err.message)); }

/** On a phone the Settings tabs scroll sideways (invite_rules.css): this section's tab in view. */
function activeTabInView() {
  const tab = document.querySelector('.settings .stab.active');
  const strip = tab && tab.parentNode;
  if (strip && strip.scrollWidth > strip.clientWidth) strip.scrollLeft = tab.offsetLeft - (strip.clientWidth - tab.offsetWidth) / 2;
}

function departmentsFor(data) {
  const me = data.session.me;
  const all = [...data.directory.departments].sort((a, b) => String(a.name).localeCompare(String(b.name)));
  if (!me || me.role !== 'supervisor') return all;
  // a supervisor manages the rules and reads the report of their own departments
  const listed = me.departments ? me : data.directory.user(me.id);
  const mine = new Set(userDepartments(listed, data.directory).map((d) => Number(d.id)));
  const own = all.filter((d) => mine.has(Number(d.id)));
  return own.length ? own : all;
}

// ===== Settings → Invitations =======================================================================
class InvitationRulesPage {
  constructor(page) {
    this.page = page;
    this.data = page.data;
    this.act = page.act;
    this.department = null;
    this.rules = [];
    this.state = 'loading';
    this.editor = null;
    this.deptSelect = h('select', { class: 'input input-kind', id: 'invite-dept', 'aria-label': 'Department' });
    this.deptSelect.addEventListener('change', () => {
      if (this.page.dirty && !this.page.confirmDiscard()) { this.deptSelect.value = String(this.department); return; }
      this.page.dirty = false;
      this.department = Number(this.deptSelect.value);
      this.closeEditor();
      this.load();
    });
    this.newBtn = h('button', { class: 'btn btn-primary btn-sm', type: 'button', onclick: () => this.edit(null) }, icon('plus', 14), 'New rule');
    this.listEl = h('div', { class: 'rule-list-wrap' });
    this.editorEl = h('div', { class: 'rule-editor-slot' });
    this.root = h('div', { class: 'invite-page' },
      h('section', { class: 'card rules-card' },
        h('div', { class: 'card-head' },
          h('div', null, h('h2', null, 'Automatic invitations'),
            h('p', { class: 'card-sub' }, 'Rules are tried from the top for each visitor on the site; the first one whose conditions hold invites them. Each department has its own.')),
          h('div', { class: 'rules-tools' },
            h('label', { class: 'sr-only', for: 'invite-dept' }, 'Department'), this.deptSelect, this.newBtn)),
        this.listEl),
      this.editorEl);
  }

  async show(sub) {
    activeTabInView();
    replaceChildren(this.listEl, loading());
    await Promise.all([this.data.directory.loadDepartments(), this.data.directory.loadUsers()]);
    const depts = departmentsFor(this.data);
    replaceChildren(this.deptSelect, ...depts.map((d) => h('option', { value: String(d.id) }, d.name || d.slug)));
    if (!depts.length) {
      this.newBtn.disabled = true;
      replaceChildren(this.listEl, h('p', { class: 'empty-note rules-empty' }, 'No departments yet: rules belong to a department.'));
      return;
    }
    if (this.department == null || !depts.some((d) => Number(d.id) === this.department)) this.department = Number(depts[0].id);
    this.deptSelect.value = String(this.department);
    await this.load();
    if (sub === 'new') this.edit(null);
    else if (sub && /^\d+$/.test(sub)) this.edit(Number(sub));
  }

  async load() {
    const dept = this.department;
    this.state = 'loading';
    replaceChildren(this.listEl, loading());
    try {
      const r = await get(`${RULES_API}?department=${encodeURIComponent(dept)}`);
      if (dept !== this.department) return;
      this.rules = ordered(Array.isArray(r) ? r : (r && (r.rules || r.items)) || []);
      this.state = 'ready';
    } catch (err) {
      if (dept !== this.department) return;
      this.state = 'error';
      replaceChildren(this.listEl, h('div', { class: 'rules-msg' }, failure(err)));
      return;
    }
    this.renderList();
  }

  agentName(id) {
    const u = id != null && this.data.directory.user(Number(id));
    return u ? u.name || u.email : null;
  }

  renderList() {
    if (this.editor) this.editor.refreshPlace();
    if (!this.rules.length) {
      replaceChildren(this.listEl, h('p', { class: 'empty-note rules-empty' }, 'No rules yet. Visitors are invited only by hand, from the live view. Create a rule to greet them automatically.'));
      return;
    }
    const editing = this.editor && this.editor.draft.id;
    const rows = this.rules.map((r, i) => this.row(r, i, Number(editing) === Number(r.id)));
    replaceChildren(this.listEl, h('ol', { class: 'rule-list', 'aria-label': 'Rules, in the order they are tried' }, rows));
  }

  row(r, i, selected) {
    const n = this.rules.length;
    const enabled = h('input', { type: 'checkbox', class: 'switch', 'aria-label': `Enabled: ${r.name}`, title: r.enabled ? 'Enabled: click to pause' : 'Paused: click to enable' });
    enabled.checked = r.enabled !== false;
    enabled.addEventListener('change', () => this.setEnabled(r, enabled));
    const del = h('button', { class: 'btn btn-ghost btn-icon btn-sm btn-danger-ghost', type: 'button', title: 'Delete', 'aria-label': `Delete ${r.name}` }, icon('trash', 15));
    del.addEventListener('click', () => this.remove(r, del));
    const li = h('li', {
      class: `rule-row${selected ? ' selected' : ''}${r.enabled === false ? ' off' : ''}`, draggable: 'true', dataset: { rule: String(r.id) },
    },
    h('span', { class: 'rule-grip', title: 'Drag to reorder', 'aria-hidden': 'true' }, '⋮⋮'),
    h('span', { class: 'rule-pos', 'aria-hidden': 'true' }, String(i + 1)),
    h('button', { class: 'rule-main', type: 'button', onclick: () => this.edit(r.id), 'aria-label': `Edit ${r.name}` },
      h('span', { class: 'rule-name' }, r.name, r.enabled === false ? h('span', { class: 'mini-flag warn' }, 'Paused') : null),
      h('span', { class: 'rule-sum' }, rulePlainText(r)),
      h('span', { class: 'rule-act' }, `“${(r.action && r.action.text) || ''}” · ${actionText(r, (id) => this.agentName(id))}`)),
    h('span', { class: 'rule-tools' },
      h('button', {
        class: 'btn btn-ghost btn-icon btn-sm', type: 'button', title: 'Move up', 'aria-label': `Move ${r.name} up`, disabled: i === 0,
        onclick: () => this.reorder(moved(this.rules.map((x) => x.id), r.id, -1)),
      }, h('span', { class: 'flip' }, icon('arrowDown', 15))),
      h('button', {
        class: 'btn btn-ghost btn-icon btn-sm', type: 'button', title: 'Move down', 'aria-label': `Move ${r.name} down`, disabled: i === n - 1,
        onclick: () => this.reorder(moved(this.rules.map((x) => x.id), r.id, 1)),
      }, icon('arrowDown', 15)),
      enabled, del));
    li.addEventListener('dragstart', (e) => {
      this.dragging = r.id;
      li.classList.add('dragging');
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', String(r.id));
    });
    li.addEventListener('dragend', () => { li.classList.remove('dragging'); this.dragging = null; this.clearDrop(); });
    li.addEventListener('dragover', (e) => {
      if (this.dragging == null || this.dragging === r.id) return;
      e.preventDefault();
      const below = e.clientY > li.getBoundingClientRect().top + li.offsetHeight / 2;
      this.clearDrop();
      li.classList.add(below ? 'drop-after' : 'drop-before');
    });
    li.addEventListener('drop', (e) => {
      if (this.dragging == null) return;
      e.preventDefault();
      const below = li.classList.contains('drop-after');
      this.clearDrop();
      const ids = this.rules.map((x) => x.id);
      const next = ids[ids.indexOf(r.id) + 1];
      this.reorder(dropped(ids, this.dragging, below ? (next ?? null) : r.id));
    });
    return li;
  }

  clearDrop() { for (const el of this.listEl.querySelectorAll('.drop-before, .drop-after')) el.classList.remove('drop-before', 'drop-after'); }

  async setEnabled(r, box) {
    box.disabled = true;
    try {
      const res = await api('PUT', `${RULES_API}/${r.id}`, { enabled: box.checked });
      Object.assign(r, (res && (res.rule || (res.id != null ? res : null))) || { enabled: box.checked });
      this.act.toast(r.enabled ? `“${r.name}” is on` : `“${r.name}” is paused`, 'success');
      if (this.editor && Number(this.editor.draft.id) === Number(r.id)) this.editor.enabledChanged(r.enabled);
    } catch (err) {
      box.checked = !box.checked;
      if (err.status !== 401) this.act.toast(`Not changed: ${err.message}`, 'error');
    }
    box.disabled = false;
    this.renderList();
  }

  async reorder(ids) {
    const before = this.rules.map((x) => x.id);
    if (ids.join() === before.join()) return;
    const byId = new Map(this.rules.map((x) => [Number(x.id), x]));
    this.rules = ids.map((id, i) => ({ ...byId.get(Number(id)), position: i + 1 }));
    this.renderList();
    try {
      const r = await post(`${RULES_API}/reorder`, { department_id: this.department, rule_ids: ids.map(Number) });
      const list = Array.isArray(r) ? r : r && (r.rules || r.items);
      if (Array.isArray(list)) this.rules = ordered(list);
    } catch (err) {
      if (err.status !== 401) this.act.toast(`The order was not saved: ${err.message}`, 'error');
      await this.load();
      return;
    }
    this.renderList();
  }

  async remove(r, btn) {
    if (!btn.classList.contains('armed')) {
      btn.classList.add('armed');
      btn.title = 'Click again to delete';
      btn.setAttribute('aria-label', `Click again to delete ${r.name}`);
      setTimeout(() => { btn.classList.remove('armed'); btn.title = 'Delete'; }, 4000);
      return;
    }
    btn.disabled = true;
    try {
      await api('DELETE', `${RULES_API}/${r.id}`);
      this.act.toast(`Rule “${r.name}” deleted`, 'success');
      if (this.editor && Number(this.editor.draft.id) === Number(r.id)) { this.page.dirty = false; this.closeEditor(); }
      await this.load();
    } catch (err) {
      btn.disabled = false;
      if (err.status !== 401) this.act.toast(`Not deleted: ${err.message}`, 'error');
    }
  }

  edit(id) {
    if (this.page.dirty && !this.page.confirmDiscard()) return;
    this.page.dirty = false;
    const rule = id == null ? null : this.rules.find((x) => Number(x.id) === Number(id));
    if (id != null && !rule) { this.act.toast('That rule is not in this department.', 'warn'); return; }
    this.editor = new RuleEditor(this, rule ? draftFromRule(rule) : newDraft(this.department));
    replaceChildren(this.editorEl, this.editor.root);
    this.renderList();
    this.editor.root.scrollIntoView({ block: 'start', behavior: 'smooth' });
    this.editor.focus();
  }

  closeEditor() {
    this.editor = null;
    replaceChildren(this.editorEl);
    this.renderList();
  }

  /** After a save: the rule list again, the editor on the saved rule. */
  async saved(rule, isNew) {
    this.page.dirty = false;
    await this.load();
    const fresh = this.rules.find((x) => Number(x.id) === Number(rule.id)) || rule;
    this.act.toast(isNew ? `Rule “${fresh.name}” created` : `Rule “${fresh.name}” saved`, 'success');
    this.editor = new RuleEditor(this, draftFromRule(fresh), this.editor && this.editor.simulation);
    replaceChildren(this.editorEl, this.editor.root);
    this.renderList();
  }
}

// ===== the rule editor ==============================================================================
class RuleEditor {
  constructor(list, draft, simulation = null) {
    this.list = list;
    this.data = list.data;
    this.act = list.act;
    this.draft = draft;
    this.saved = JSON.parse(JSON.stringify(draft));
    this.simulation = simulation;
    this.isNew = draft.id == null;
    this.formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
    this.errors = new RuleErrors(this.formError);
    this.build();
  }

  changed() {
    const dirty = !sameRule(this.draft, this.saved);
    this.list.page.dirty = dirty;
    this.dirtyEl.hidden = !dirty;
    if (this.simOut && this.simulation && !this.simOut.classList.contains('stale')) this.simOut.classList.add('stale');
  }

  focus() { try { this.name.focus({ preventScroll: true }); } catch { /* gone */ } }

  /** The rule was paused or switched on from the list: the same here, without unsaved changes. */
  enabledChanged(enabled) {
    this.draft.enabled = this.saved.enabled = enabled;
    this.enabled.checked = enabled;
  }

  /** "General · rule 2 of 3": where the rule is in the list (which can change while editing). */
  placeText() {
    const dept = this.data.directory.department(this.draft.department_id);
    const rules = this.list.rules;
    const at = rules.findIndex((x) => Number(x.id) === Number(this.draft.id));
    return `${dept ? dept.name : 'Department'} · ${this.isNew || at < 0 ? 'added at the end of the list' : `rule ${at + 1} of ${rules.length}`}`;
  }

  refreshPlace() { if (this.placeEl) this.placeEl.textContent = this.placeText(); }

  build() {
    const d = this.draft;
    const errors = this.errors;
    const dept = this.data.directory.department(d.department_id);

    this.name = h('input', { class: 'input', id: 'rule-name', maxlength: '100', placeholder: 'Pricing page, 30 seconds', value: d.name });
    this.name.addEventListener('input', () => { d.name = this.name.value; this.changed(); });
    const nameField = h('label', { class: 'field', for: 'rule-name' }, h('span', { class: 'field-label' }, 'Name'), this.name,
      h('span', { class: 'field-hint' }, 'For you and the report; visitors never see it.'));
    errors.reg('name', this.name, nameField);
    this.enabled = h('input', { type: 'checkbox', class: 'switch', id: 'rule-enabled' });
    this.enabled.checked = d.enabled;
    this.enabled.addEventListener('change', () => { d.enabled = this.enabled.checked; this.changed(); });
    const enabledField = h('label', { class: 'check rule-enabled', for: 'rule-enabled' }, this.enabled,
      h('span', null, h('strong', null, 'Enabled'), h('span', { class: 'check-sub' }, 'Paused rules are skipped.')));
    errors.reg('enabled', this.enabled, enabledField);

    this.condList = h('div', { class: 'cond-list' });
    this.addSelect = h('select', { class: 'input input-kind', 'aria-label': 'Condition to add' },
      Object.entries(CONDITIONS).map(([k, spec]) => h('option', { value: k }, spec.label)));
    const addBtn = h('button', { class: 'btn btn-secondary btn-sm', type: 'button' }, icon('plus', 14), 'Add condition');
    addBtn.addEventListener('click', () => {
      d.conditions.push(blankCondition(this.addSelect.value));
      this.renderConditions();
      this.changed();
      const last = this.condList.lastElementChild;
      const input = last && last.querySelector('input, select, textarea');
      if (input) input.focus();
    });
    this.renderConditions();
    const condBox = h('div', { class: 'cond-box' }, this.condList, h('div', { class: 'cond-add' }, this.addSelect, addBtn));
    errors.reg('conditions', this.condList, condBox);

    // capacity gates
    const g = d.gates;
    const box = (id, checked, title, sub, onChange, extra) => {
      const input = h('input', { type: 'checkbox', id });
      input.checked = checked;
      input.addEventListener('change', () => { onChange(input.checked); this.changed(); });
      return { input, el: h('div', { class: 'check gate' }, input, h('span', null, h('label', { for: id }, h('strong', null, title)), sub ? h('span', { class: 'check-sub' }, sub) : null, extra || null)) };
    };
    const accepting = box('gate-accepting', g.accepting, 'Only while the department accepts chats', 'Within its business hours, with an agent online and room in the queue.', (v) => { g.accepting = v; });
    errors.reg('gates.accepting', accepting.input, accepting.el);
    const slot = box('gate-slot', g.free_slot, 'Only while an agent has a free slot', 'Someone online has fewer chats than their maximum.', (v) => { g.free_slot = v; });
    errors.reg('gates.free_slot', slot.input, slot.el);
    this.waitInput = h('input', { type: 'text', inputmode: 'numeric', class: 'input input-num', id: 'gate-wait-s', value: g.max_wait_s, 'aria-label': 'Longest estimated wait in seconds', disabled: !g.wait });
    this.waitInput.addEventListener('input', () => { g.max_wait_s = this.waitInput.value; this.changed(); });
    const wait = box('gate-wait', g.wait, 'Only while the estimated wait is short', null, (v) => { g.wait = v; this.waitInput.disabled = !v; },
      h('span', { class: 'inline-num' }, 'at most', this.waitInput, 'seconds'));
    errors.reg('gates.max_wait_s', this.waitInput, wait.el);
    errors.reg('gates', accepting.input, h('div'));

    // the action
    const a = d.action;
    this.text = h('textarea', { class: 'input rule-text', id: 'rule-text', rows: '3', maxlength: '1000', placeholder: 'Hi! Questions about our plans? We’re happy to help.' });
    this.text.value = a.text;
    this.text.addEventListener('input', () => { a.text = this.text.value; this.changed(); });
    const textField = h('label', { class: 'field', for: 'rule-text' }, h('span', { class: 'field-label' }, 'Message'), this.text,
      h('span', { class: 'field-hint' }, 'The visitor sees it in a bubble; if they answer, it becomes the first message of the chat.'));
    errors.reg('action.text', this.text, textField);
    errors.reg('action', this.text, textField);
    this.asSelect = h('select', { class: 'input', id: 'rule-as' },
      h('option', { value: 'team' }, `The team (${dept ? dept.name : 'the department'})`));
    const agents = [...(this.data.directory.users || [])].sort((x, y) => String(x.name).localeCompare(String(y.name)));
    const member = (u) => userDepartments(u, this.data.directory).some((x) => Number(x.id) === Number(d.department_id));
    const option = (u) => h('option', { value: `agent:${u.id}` }, u.name || u.email);
    const members = agents.filter(member);
    if (members.length) this.asSelect.appendChild(h('optgroup', { label: `In ${dept ? dept.name : 'this department'}` }, members.map(option)));
    const others = agents.filter((u) => !member(u));
    if (others.length) this.asSelect.appendChild(h('optgroup', { label: members.length ? 'Others' : 'Agents' }, others.map(option)));
    if (a.as === 'agent' && a.agent_id != null && !agents.some((u) => Number(u.id) === Number(a.agent_id))) {
      this.asSelect.appendChild(h('option', { value: `agent:${a.agent_id}` }, `Agent ${a.agent_id}`));
    }
    this.asSelect.value = a.as === 'agent' && a.agent_id != null ? `agent:${a.agent_id}` : 'team';
    this.asSelect.addEventListener('change', () => {
      const v = this.asSelect.value;
      a.as = v === 'team' ? 'team' : 'agent';
      a.agent_id = v === 'team' ? null : Number(v.slice(6));
      this.changed();
    });
    const asField = h('label', { class: 'field', for: 'rule-as' }, h('span', { class: 'field-label' }, 'Shown as'), this.asSelect,
      h('span', { class: 'field-hint' }, 'A named agent’s name and photo; the chat goes to them if they have room.'));
    errors.reg('action.as', this.asSelect, asField);
    errors.reg('action.agent_id', this.asSelect, asField);
    this.delay = h('input', { type: 'text', inputmode: 'numeric', class: 'input input-num', id: 'rule-delay', value: a.delay_s });
    this.delay.addEventListener('input', () => { a.delay_s = this.delay.value; this.changed(); });
    const delayField = h('label', { class: 'field', for: 'rule-delay' }, h('span', { class: 'field-label' }, 'Delay (seconds)'), this.delay,
      h('span', { class: 'field-hint' }, 'Wait this long after the conditions hold.'));
    errors.reg('action.delay_s', this.delay, delayField);

    // caps
    const c = d.caps;
    const once = box('cap-once', c.once_per_visit, 'At most once per visit', null, (v) => { c.once_per_visit = v; });
    errors.reg('caps.once_per_visit', once.input, once.el);
    this.daysInput = h('input', { type: 'text', inputmode: 'numeric', class: 'input input-num', id: 'cap-days-n', value: c.min_days_between, 'aria-label': 'Days between invitations', disabled: !c.every });
    this.daysInput.addEventListener('input', () => { c.min_days_between = this.daysInput.value; this.changed(); });
    const every = box('cap-days', c.every, 'Not again for a while', 'By any rule of this department.', (v) => { c.every = v; this.daysInput.disabled = !v; },
      h('span', { class: 'inline-num' }, 'at most once every', this.daysInput, 'days'));
    errors.reg('caps.min_days_between', this.daysInput, every.el);
    this.quietInput = h('input', { type: 'text', inputmode: 'numeric', class: 'input input-num', id: 'cap-quiet-n', value: c.quiet_after_chat_min, 'aria-label': 'Minutes after a chat', disabled: !c.after_chat });
    this.quietInput.addEventListener('input', () => { c.quiet_after_chat_min = this.quietInput.value; this.changed(); });
    const quiet = box('cap-quiet', c.after_chat, 'Not right after a chat', 'Never while the visitor is in a chat, and not for', (v) => { c.after_chat = v; this.quietInput.disabled = !v; },
      h('span', { class: 'inline-num' }, this.quietInput, 'minutes after one ends'));
    errors.reg('caps.quiet_after_chat_min', this.quietInput, quiet.el);
    errors.reg('caps', once.input, h('div'));

    // footer and simulator
    this.dirtyEl = h('span', { class: 'dirty-note', hidden: true }, 'Unsaved changes');
    this.saveBtn = h('button', { class: 'btn btn-primary', type: 'submit' }, icon('check', 15), this.isNew ? 'Create rule' : 'Save rule');
    this.testBtn = h('button', { class: 'btn btn-secondary', type: 'button', onclick: () => this.test() }, icon('clock', 15), 'Test this rule');
    const cancel = h('button', {
      class: 'btn btn-ghost', type: 'button',
      onclick: () => { if (!this.list.page.dirty || this.list.page.confirmDiscard()) { this.list.page.dirty = false; this.list.closeEditor(); } },
    }, 'Close');
    this.simOut = h('div', { class: 'sim-out', 'aria-live': 'polite' });

    this.root = h('form', { class: 'card form-card rule-form', novalidate: true, 'aria-label': this.isNew ? 'New rule' : `Rule ${d.name}` },
      h('div', { class: 'card-head' },
        h('div', null, h('h2', null, this.isNew ? 'New rule' : d.name || 'Rule'),
          this.placeEl = h('p', { class: 'card-sub' }, this.placeText()))),
      h('div', { class: 'form-grid rule-top' }, nameField, enabledField),
      section('When', 'Every condition must hold. Times count only while the page is visible.', condBox),
      section('Only if someone can answer', 'Capacity gates: a rule that matches while a gate is shut is recorded as blocked, and the visitor is not invited. With a free slot and a short wait both ticked, either is enough.',
        h('div', { class: 'gates' }, accepting.el, slot.el, wait.el)),
      section('The invitation', null, textField, h('div', { class: 'form-grid' }, asField, delayField)),
      section('How often', null, h('div', { class: 'gates' }, once.el, every.el, quiet.el)),
      this.formError,
      h('div', { class: 'rule-foot' }, this.testBtn, h('span', { class: 'spacer' }), this.dirtyEl, cancel, this.saveBtn),
      this.simOut);
    this.root.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    if (this.simulation) this.renderSimulation(this.simulation, true);
  }

  renderConditions() {
    const d = this.draft;
    for (const key of [...this.errors.fields.keys()]) if (key.startsWith('conditions[')) this.errors.fields.delete(key);
    if (!d.conditions.length) {
      replaceChildren(this.condList, h('p', { class: 'cond-none' }, 'No conditions: every visitor is invited (within the caps and gates).'));
      return;
    }
    replaceChildren(this.condList, ...d.conditions.map((c, i) => this.conditionRow(c, i)));
  }

  conditionRow(c, i) {
    const d = this.draft;
    const spec = CONDITIONS[c.field] || CONDITIONS.url;
    const fieldSel = h('select', { class: 'input cond-field', 'aria-label': `Condition ${i + 1}` },
      Object.entries(CONDITIONS).map(([k, s]) => h('option', { value: k }, s.label)));
    fieldSel.value = c.field;
    fieldSel.addEventListener('change', () => {
      d.conditions[i] = { ...blankCondition(fieldSel.value), uid: c.uid };
      this.renderConditions();
      this.changed();
      const row = this.condList.children[i];
      const input = row && row.querySelector('.cond-value input, .cond-value select');
      if (input) input.focus();
    });
    const remove = h('button', { class: 'btn btn-ghost btn-icon btn-sm', type: 'button', title: 'Remove', 'aria-label': `Remove condition ${i + 1} (${spec.label})` }, icon('x', 15));
    remove.addEventListener('click', () => { d.conditions.splice(i, 1); this.renderConditions(); this.changed(); });
    const { el: valueEl, focus, parts } = this.valueEditor(c, i, spec);
    const row = h('div', { class: 'cond', dataset: { field: c.field, index: String(i) } },
      h('div', { class: 'cond-line' }, fieldSel, spec.verb ? h('span', { class: 'cond-verb' }, spec.verb) : null, valueEl, remove),
      spec.hint ? h('div', { class: 'field-hint' }, spec.hint) : null);
    this.errors.reg(`conditions[${i}]`, fieldSel, row);
    this.errors.reg(`conditions[${i}].field`, fieldSel, row);
    this.errors.reg(`conditions[${i}].op`, fieldSel, row);
    this.errors.reg(`conditions[${i}].value`, focus, row);
    for (const [k, el] of Object.entries(parts || {})) this.errors.reg(`conditions[${i}].value.${k}`, el, row);
    return row;
  }

  /** The input(s) for one condition's value; `focus` is where its errors point. */
  valueEditor(c, i, spec) {
    const label = `Condition ${i + 1}: ${spec.label}`;
    const set = (v) => { c.value = v; this.changed(); };
    if (spec.kind === 'bool') {
      const sel = h('select', { class: 'input cond-value-input', 'aria-label': label },
        h('option', { value: 'yes' }, spec.yes), h('option', { value: 'no' }, spec.no));
      sel.value = c.value ? 'yes' : 'no';
      sel.addEventListener('change', () => set(sel.value === 'yes'));
      return { el: h('span', { class: 'cond-value' }, sel), focus: sel };
    }
    if (spec.kind === 'choices') {
      const chips = spec.choices.map(([v, l]) => {
        const box = h('input', { type: 'checkbox', value: v });
        box.checked = (c.value || []).includes(v);
        box.addEventListener('change', () => set(spec.choices.map(([k]) => k).filter((k) => (k === v ? box.checked : (c.value || []).includes(k)))));
        return h('label', { class: 'check-chip' }, box, l);
      });
      const group = h('span', { class: 'cond-value check-chips', role: 'group', 'aria-label': label }, chips);
      return { el: group, focus: chips[0].querySelector('input') };
    }
    if (spec.kind === 'schedule') {
      const v = c.value;
      const days = DAYS.map(([k, l]) => {
        const box = h('input', { type: 'checkbox', value: k });
        box.checked = (v.days || []).includes(k);
        box.addEventListener('change', () => {
          v.days = DAYS.map(([x]) => x).filter((x) => (x === k ? box.checked : (v.days || []).includes(x)));
          this.changed();
        });
        return h('label', { class: 'check-chip day-chip' }, box, l);
      });
      const from = h('input', { type: 'time', class: 'input input-time', value: v.from, 'aria-label': `${label}, from`, step: '60' });
      const to = h('input', { type: 'time', class: 'input input-time', value: v.to, 'aria-label': `${label}, until`, step: '60' });
      from.addEventListener('input', () => { v.from = from.value; this.changed(); });
      to.addEventListener('input', () => { v.to = to.value; this.changed(); });
      const el = h('span', { class: 'cond-value cond-schedule' },
        h('span', { class: 'check-chips', role: 'group', 'aria-label': `${label}, days` }, days),
        h('span', { class: 'inline-num' }, 'from', from, 'until', to));
      return { el, focus: from, parts: { days: days[0].querySelector('input'), from, to } };
    }
    const numeric = spec.kind === 'seconds' || spec.kind === 'count';
    const input = h('input', {
      type: 'text', class: `input cond-value-input${numeric ? ' input-num' : ''}${c.field === 'url' ? ' mono-input' : ''}`,
      'aria-label': label, placeholder: spec.placeholder || null, inputmode: numeric ? 'numeric' : null,
      maxlength: c.field === 'url' ? '300' : null, value: c.value == null ? '' : String(c.value),
    });
    input.addEventListener('input', () => set(input.value));
    return { el: h('span', { class: 'cond-value' }, input, numeric ? h('span', { class: 'cond-unit' }, spec.unit) : null), focus: input };
  }

  showError(err) { this.errors.show(err.field, err.message, this.draft.conditions); }

  async save() {
    if (this.busy) return;
    this.errors.clear();
    if (!this.draft.name.trim()) { this.errors.show('name', 'Give the rule a name, like “Pricing page, 30 seconds”.'); return; }
    if (!this.draft.action.text.trim()) { this.errors.show('action.text', 'Write the message the visitor will see.'); return; }
    this.busy = true;
    this.saveBtn.disabled = true;
    const label = this.saveBtn.lastChild.textContent;
    this.saveBtn.lastChild.textContent = 'Saving…';
    const body = ruleFromDraft(this.draft);
    if (!this.isNew) delete body.department_id; // a rule stays in its department
    try {
      const r = this.isNew ? await post(RULES_API, body) : await api('PUT', `${RULES_API}/${this.draft.id}`, body);
      const rule = (r && (r.rule || (r.id != null ? r : null))) || { ...body, id: this.draft.id };
      this.busy = false;
      await this.list.saved(rule, this.isNew);
    } catch (err) {
      this.busy = false;
      this.saveBtn.disabled = false;
      this.saveBtn.lastChild.textContent = label;
      if (err.status === 401) return;
      this.showError(err);
    }
  }

  /** "Test this rule": the simulator on the draft, before saving. */
  async test() {
    if (this.testing) return;
    this.errors.clear();
    this.testing = true;
    this.testBtn.disabled = true;
    this.simOut.classList.remove('stale');
    replaceChildren(this.simOut, loading('Replaying the last 7 days of visits…'));
    try {
      const rule = ruleFromDraft(this.draft);
      // the replay needs neither a name nor the message: a draft may be tested before it has them
      if (!rule.name) rule.name = 'Draft';
      if (!rule.action.text.trim()) rule.action.text = 'Draft';
      const r = await post(`${RULES_API}/simulate`, { department_id: this.draft.department_id, rule });
      this.simulation = r;
      this.renderSimulation(r);
    } catch (err) {
      replaceChildren(this.simOut);
      if (err.status !== 401) this.showError(err);
    } finally {
      this.testing = false;
      this.testBtn.disabled = false;
    }
  }

  renderSimulation(r, old = false) {
    const v = simulationView(r);
    const chart = h('div', { class: 'chart sim-chart' });
    const figures = h('dl', { class: 'sim-figures' }, v.figures.map((f) => h('div', { class: 'sim-figure', dataset: { figure: f.key } },
      h('dt', null, f.label),
      h('dd', { class: 'sim-value' }, f.value, f.sub ? h('span', { class: 'sim-sub' }, f.sub) : null),
      h('dd', { class: 'sim-def' }, f.definition))));
    replaceChildren(this.simOut,
      h('div', { class: 'sim-head' },
        h('h3', null, `If this rule had been on for the last ${v.days} days`),
        h('p', { class: 'card-sub' }, 'Replayed from the stored page views of those days, as the draft is now (not saved). Change the rule and test again to compare.'),
        v.truncated ? h('p', { class: 'sim-note' }, icon('info', 14), 'Those days held more page views than the simulator reads at once: the figures cover part of them, so the real numbers are higher.') : null),
      h('div', { class: 'sim-body' },
        h('figure', { class: 'sim-plot' }, h('figcaption', null, v.chartTitle), chart), figures));
    if (old) this.simOut.classList.add('stale');
    const sent = v.figures[2];
    drawBars(chart, {
      traces: [{ name: 'Invitations a day', x: v.hours, y: v.perHour, color: '#4054d6' }],
      summary: `${v.chartTitle}. ${sent.value} invitation${sent.value === '1' ? '' : 's'} in ${v.days} days, ${sent.sub}${v.figures[3].sub ? `, ${v.figures[3].sub}` : ''}.`,
      height: 220,
    });
  }
}

function section(title, sub, ...children) {
  return h('section', { class: 'rule-section' },
    h('div', { class: 'rule-section-head' }, h('h3', null, title), sub ? h('p', { class: 'card-sub' }, sub) : null),
    ...children);
}

// ===== Settings → Invitation report ==================================================================
function isoDay(d) { return d.toISOString().slice(0, 10); }

class InvitationReportPage {
  constructor(page) {
    this.data = page.data;
    this.act = page.act;
    const today = new Date();
    this.from = h('input', { type: 'date', class: 'input input-date', id: 'inv-from', value: isoDay(new Date(today - 29 * 864e5)) });
    this.to = h('input', { type: 'date', class: 'input input-date', id: 'inv-to', value: isoDay(today) });
    this.dept = h('select', { class: 'input input-kind', id: 'inv-dept' }, h('option', { value: '' }, 'All departments'));
    this.out = h('div', { class: 'sat-out inv-out' });
    const form = h('form', { class: 'sat-range', novalidate: true },
      h('label', { class: 'field', for: 'inv-from' }, h('span', { class: 'field-label' }, 'From'), this.from),
      h('label', { class: 'field', for: 'inv-to' }, h('span', { class: 'field-label' }, 'To'), this.to),
      h('label', { class: 'field', for: 'inv-dept' }, h('span', { class: 'field-label' }, 'Department'), this.dept),
      h('button', { class: 'btn btn-secondary', type: 'submit' }, icon('retry', 14), 'Show'));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.load(); });
    this.fieldsByName = { from: this.from, to: this.to, department: this.dept };
    this.root = h('div', { class: 'privacy-page invite-report' },
      card('Invitations', 'What became of the invitations sent in this period, automatic (by rule) and from the live view (by agent).', form, this.out),
      card('What the columns mean', null, h('dl', { class: 'outcome-defs' },
        OUTCOMES.map(([, label, def]) => h('div', null, h('dt', null, label), h('dd', null, def))),
        h('div', null, h('dt', null, 'Acceptance rate'), h('dd', null, RATE_DEFINITION)))));
  }

  async show() {
    activeTabInView();
    await Promise.all([this.data.directory.loadDepartments(), this.data.directory.loadUsers()]);
    const keep = this.dept.value;
    replaceChildren(this.dept, h('option', { value: '' }, 'All departments'),
      ...departmentsFor(this.data).map((d) => h('option', { value: String(d.id) }, d.name || d.slug)));
    this.dept.value = keep;
    this.load();
  }

  async load() {
    replaceChildren(this.out, loading());
    const q = new URLSearchParams({ from: this.from.value, to: this.to.value });
    if (this.dept.value) q.set('department', this.dept.value);
    let r;
    try {
      r = await get(`/api/v1/reports/invitations?${q}`);
    } catch (err) {
      replaceChildren(this.out);
      if (err.status === 401) return;
      const field = this.fieldsByName[String(err.field || '').split('.')[0]];
      const msg = failure({ message: plainMessage(err.field, err.message) });
      if (field) field.closest('.field').appendChild(msg);
      else this.out.appendChild(msg);
      return;
    }
    const t = reportTables(r, {
      agentName: (id) => { const u = this.data.directory.user(Number(id)); return u && u.name; },
      departmentName: (id) => { const d = this.data.directory.department(Number(id)); return d && d.name; },
    });
    const chart = h('div', { class: 'chart report-chart' });
    const total = t.total;
    replaceChildren(this.out,
      h('div', { class: 'live-stats sat-stats inv-stats' },
        OUTCOMES.map(([k, label]) => stat(String(total[k]), label, k)),
        stat(rateText(total.rate), 'Acceptance rate', 'rate')),
      t.rules.length ? h('figure', { class: 'report-plot' }, h('figcaption', null, 'What became of each rule’s invitations'), chart) : null,
      table('Rule', t.rules, 'No invitations in this period.'),
      table('Agent', t.agents, 'No invitations shown as an agent in this period.'),
      table('Department', t.departments, 'No invitations in this period.'));
    if (t.rules.length) {
      const labels = t.rules.map((x) => x.label);
      drawBars(chart, {
        traces: FINAL_OUTCOMES.map((k) => ({
          name: OUTCOMES.find(([key]) => key === k)[1], x: labels, y: t.rules.map((x) => x[k]), color: OUTCOME_COLORS[k],
        })),
        summary: `Outcomes by rule: ${t.rules.map((x) => `${x.label}: ${x.sent} sent, ${x.accepted} accepted, ${x.blocked} blocked`).join('; ')}.`,
        stacked: true, horizontal: true, integer: true, height: Math.max(180, 70 + 38 * labels.length),
      });
    }
  }
}

function stat(value, label, key) {
  return h('div', { class: 'stat', dataset: { stat: key } }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
}

function table(title, rows, empty) {
  const cols = [...OUTCOMES.map(([, label]) => label), 'Acceptance rate'];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table inv-table', 'aria-label': `By ${title.toLowerCase()}` },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, title), cols.map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
    h('tbody', null, rows.length
      ? rows.map((x) => h('tr', null, h('td', null, x.label, blockedText(x.blocked_reasons) ? h('span', { class: 'inv-why' }, `Blocked: ${blockedText(x.blocked_reasons)}`) : null), OUTCOMES.map(([k]) => h('td', { class: 'num' }, String(x[k]))), h('td', { class: 'num' }, rateText(x.rate))))
      : h('tr', null, h('td', { colspan: String(cols.length + 1), class: 'muted-cell' }, empty)))));
}

INVITE_SECTIONS[0].Page = InvitationRulesPage;
INVITE_SECTIONS[1].Page = InvitationReportPage;
