// The Escalate dialog: pass an active chat to the next level of its department with a reason
// (POST /api/v1/chats/{id}/escalate). The visitor is told a specialist is coming; the reason
// goes into the chat as an internal note, for agents only.

import { get, post } from './api.js';
import { h, icon, replaceChildren, visitorName } from './dom.js';

const DETAIL_MAX = 200;
let reasonsCache = null;

/** The reasons agents pick from (GET /api/v1/escalations/reasons), fetched once. */
export async function escalationReasons() {
  if (!reasonsCache) {
    reasonsCache = get('/api/v1/escalations/reasons')
      .then((r) => (r && Array.isArray(r.reasons) ? r.reasons : []))
      .catch((err) => { reasonsCache = null; throw err; });
  }
  return reasonsCache;
}

/** My level in a department and the highest level anyone works at there (from the agents list). */
export function levelsIn(data, departmentId) {
  let mine = null;
  let top = 0;
  for (const u of data.directory.users || []) {
    for (const d of u.departments || []) {
      if (!d || typeof d !== 'object' || Number(d.id) !== Number(departmentId)) continue;
      const level = Number(d.level) || 1;
      top = Math.max(top, level);
      if (data.session.me && Number(u.id) === Number(data.session.me.id)) mine = level;
    }
  }
  return { mine, top };
}

/** The level an escalation of this chat would need, and whether anyone works there (null: unknown). */
export function nextLevel(data, s) {
  if (!s || !s.department || !data.directory.state.users.loaded) return { level: null, possible: null };
  const { mine, top } = levelsIn(data, s.department.id);
  const level = Math.max(Number(s.required_level) || 1, mine || 1) + 1;
  return { level, possible: level <= top };
}

export function openEscalateDialog(data, act, conv) {
  const s = conv.summary || { id: conv.id };
  const name = visitorName(s);
  let busy = false;
  let choice = null;

  const titleId = `escalate-title-${conv.id}`;
  const listEl = h('div', { class: 'pick-list reason-list', role: 'radiogroup', 'aria-labelledby': titleId });
  const detail = h('textarea', {
    id: `escalate-detail-${conv.id}`, class: 'input textarea', rows: '2', maxlength: String(DETAIL_MAX),
    placeholder: 'What does the specialist need to know?',
  });
  const counter = h('span', { class: 'field-count' }, `0 / ${DETAIL_MAX}`);
  const detailOpt = h('span', { class: 'field-opt' }, '(optional)');
  const errorEl = h('div', { class: 'form-error', role: 'alert', hidden: true }, icon('alert', 16), h('span'));
  const levelNote = h('p', { class: 'modal-sub' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', disabled: true }, icon('escalate', 16), 'Escalate');
  const cancel = h('button', { class: 'btn btn-secondary', type: 'button', onclick: () => dialog.close() }, 'Cancel');

  const form = h('form', { class: 'modal-form', method: 'dialog', novalidate: true },
    h('header', { class: 'modal-head' },
      h('div', null,
        h('h2', { id: titleId }, 'Escalate to a specialist'),
        levelNote),
      h('button', { class: 'btn btn-icon btn-ghost', type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() }, icon('x', 18))),
    h('div', { class: 'field' }, h('span', { class: 'field-label' }, 'Reason'), listEl),
    h('label', { class: 'field', for: detail.id },
      h('span', { class: 'field-label' }, 'Detail ', detailOpt),
      detail,
      h('span', { class: 'field-hint' }, icon('lock', 12), 'Only agents see the reason. The visitor is told a specialist is coming.', counter)),
    errorEl,
    h('footer', { class: 'modal-foot' }, cancel, submit));

  const dialog = h('dialog', { class: 'modal modal-escalate', 'aria-labelledby': titleId }, form);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('click', (e) => { if (e.target === dialog && !busy) dialog.close(); });

  const { level, possible } = nextLevel(data, s);
  levelNote.textContent = level
    ? `${name} goes back to the queue for a level ${level} agent of ${(s.department && s.department.name) || 'this department'}, ahead of newer chats.`
    : `${name} goes back to the queue for an agent of the next level, ahead of newer chats.`;

  function showError(text) {
    errorEl.hidden = !text;
    errorEl.querySelector('span').textContent = text || '';
  }

  function refresh() {
    const needsDetail = choice === 'other';
    detailOpt.textContent = needsDetail ? '(required)' : '(optional)';
    counter.textContent = `${detail.value.length} / ${DETAIL_MAX}`;
    submit.disabled = busy || !choice || (needsDetail && !detail.value.trim());
  }
  detail.addEventListener('input', () => { showError(null); refresh(); });

  function renderReasons(reasons) {
    replaceChildren(listEl, reasons.map((r) => {
      const input = h('input', { type: 'radio', name: `reason-${conv.id}`, value: r.code, 'aria-label': r.label });
      input.checked = choice === r.code;
      input.addEventListener('change', () => { if (input.checked) { choice = r.code; showError(null); refresh(); } });
      return h('label', { class: 'pick pick-reason' }, input, h('span', { class: 'pick-name' }, r.label));
    }));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!choice || busy) return;
    busy = true;
    cancel.disabled = true;
    refresh();
    showError(null);
    submit.lastChild.textContent = 'Escalating…';
    const body = { reason: choice };
    if (detail.value.trim()) body.detail = detail.value.trim();
    try {
      const r = await post(`/api/v1/chats/${conv.id}/escalate`, body);
      busy = false;
      dialog.close();
      act.toast(`Escalated to level ${r.to_level}: the chat waits for a specialist`, 'success');
      act.refreshSummary(conv.id);
      data.directory.loadUsers(true);
      act.closeTab(conv.id);
    } catch (err) {
      busy = false;
      cancel.disabled = false;
      submit.lastChild.textContent = 'Escalate';
      refresh();
      if (err.status === 401) { dialog.close(); return; }
      showError(err.message || 'The escalation was refused.');
      if (err.field === 'detail') detail.focus();
    }
  });

  document.body.appendChild(dialog);
  replaceChildren(listEl, h('div', { class: 'pick-empty' }, h('span', { class: 'spinner spinner-xs' }), 'Loading…'));
  if (possible === false) showError(`Nobody in ${(s.department && s.department.name) || 'this department'} works above your level: there is no higher level to escalate to.`);
  dialog.showModal();
  escalationReasons().then((reasons) => {
    if (!dialog.isConnected) return;
    renderReasons(reasons);
    const first = listEl.querySelector('input');
    if (first && dialog.open) first.focus();
  }, (err) => {
    replaceChildren(listEl, h('div', { class: 'pick-empty error' }, icon('alert', 16), `Could not load the reasons: ${err.message}`));
  });
  return dialog;
}
