// The Transfer dialog: hand an active chat to another agent or to a department, with an
// optional internal note (POST /api/v1/chats/{id}/transfer).

import { post } from './api.js';
import { userDepartments } from './directory.js';
import {
  avatar, deptTag, h, hueFor, icon, plural, replaceChildren, STATUS_LABELS, statusDot, visitorName,
} from './dom.js';

const REASONS = { closed: 'Closed now', no_agents: 'No agent online', queue_full: 'Queue full' };

export function openTransferDialog(data, act, conv) {
  const s = conv.summary || { id: conv.id };
  const name = visitorName(s);
  let mode = localStorage.getItem('fd.console.transferMode') === 'department' ? 'department' : 'agent';
  let choice = null; // {kind, id, label}
  let busy = false;

  const titleId = `transfer-title-${conv.id}`;
  const listEl = h('div', { class: 'pick-list', role: 'radiogroup', 'aria-labelledby': titleId });
  const segAgent = h('button', { class: 'seg-btn', type: 'button', onclick: () => setMode('agent') }, icon('user', 15), 'Agent');
  const segDept = h('button', { class: 'seg-btn', type: 'button', onclick: () => setMode('department') }, icon('layers', 15), 'Department');
  const note = h('textarea', {
    id: `transfer-note-${conv.id}`, class: 'input textarea', rows: '3', maxlength: '4000',
    placeholder: 'What should the next agent know?',
  });
  const errorEl = h('div', { class: 'form-error', role: 'alert', hidden: true }, icon('alert', 16), h('span'));
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', disabled: true }, icon('transfer', 16), 'Transfer');
  const cancel = h('button', { class: 'btn btn-secondary', type: 'button', onclick: () => dialog.close() }, 'Cancel');

  const form = h('form', { class: 'modal-form', method: 'dialog', novalidate: true },
    h('header', { class: 'modal-head' },
      h('div', null,
        h('h2', { id: titleId }, 'Transfer chat'),
        h('p', { class: 'modal-sub' }, `Hand ${name} over to a colleague or another team.`)),
      h('button', { class: 'btn btn-icon btn-ghost', type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() }, icon('x', 18))),
    h('div', { class: 'seg', role: 'group', 'aria-label': 'Transfer to' }, segAgent, segDept),
    listEl,
    h('label', { class: 'field', for: note.id },
      h('span', { class: 'field-label' }, 'Internal note ', h('span', { class: 'field-opt' }, '(optional)')),
      note,
      h('span', { class: 'field-hint' }, icon('lock', 12), 'Only agents see this note. It is added to the conversation.')),
    errorEl,
    h('footer', { class: 'modal-foot' }, cancel, submit));

  const dialog = h('dialog', { class: 'modal modal-transfer', 'aria-labelledby': titleId }, form);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('click', (e) => { if (e.target === dialog && !busy) dialog.close(); });

  function showError(text) {
    errorEl.hidden = !text;
    errorEl.querySelector('span').textContent = text || '';
  }

  function setMode(m) {
    mode = m;
    choice = null;
    localStorage.setItem('fd.console.transferMode', m);
    segAgent.classList.toggle('active', m === 'agent');
    segAgent.setAttribute('aria-pressed', String(m === 'agent'));
    segDept.classList.toggle('active', m === 'department');
    segDept.setAttribute('aria-pressed', String(m === 'department'));
    showError(null);
    renderList();
  }

  function option({ value, label, disabled, selected, body, onPick }) {
    const input = h('input', { type: 'radio', name: `transfer-${conv.id}`, value, disabled: !!disabled, 'aria-label': label });
    input.checked = !!selected;
    input.addEventListener('change', () => { if (input.checked) onPick(); });
    return h('label', { class: `pick${disabled ? ' disabled' : ''}` }, input, body);
  }

  function renderList() {
    const dir = data.directory;
    const what = mode === 'agent' ? 'users' : 'departments';
    const st = dir.state[what];
    submit.disabled = !choice || busy;
    if (!st.loaded) {
      replaceChildren(listEl, st.error
        ? h('div', { class: 'pick-empty error' }, icon('alert', 16), `Could not load: ${st.error.message}`,
          h('button', { class: 'linkbtn', type: 'button', onclick: () => reload(true) }, 'Retry'))
        : h('div', { class: 'pick-empty' }, h('span', { class: 'spinner spinner-xs' }), 'Loading…'));
      return;
    }
    if (mode === 'agent') {
      const me = data.session.me;
      const assigneeId = s.assignee && s.assignee.id;
      const rank = { online: 0, away: 1, offline: 2 };
      const users = dir.users
        .filter((u) => u.active !== false) // deactivated users can take no chats
        .filter((u) => Number(u.id) !== Number(me.id) && Number(u.id) !== Number(assigneeId))
        .map((u) => ({ u, st: availability(u) }))
        .sort((a, b) => rank[a.st] - rank[b.st] || String(a.u.name).localeCompare(String(b.u.name)));
      if (!users.length) {
        replaceChildren(listEl, h('div', { class: 'pick-empty' }, 'There is no other agent to transfer to.'));
        return;
      }
      replaceChildren(listEl, users.map(({ u, st: status }) => {
        const disabled = status === 'offline';
        const active = Number(u.active_chats) || 0;
        const max = Number(u.max_chats) || 0;
        const full = max > 0 && active >= max;
        const depts = userDepartments(u, dir);
        return option({
          value: String(u.id), label: `${u.name || u.email}, ${STATUS_LABELS[status]}`, disabled,
          selected: choice && choice.kind === 'agent' && Number(choice.id) === Number(u.id),
          onPick: () => pick({ kind: 'agent', id: u.id, label: u.name || u.email }),
          body: h('span', { class: 'pick-body' },
            h('span', { class: 'pick-av' }, avatar(u.name || u.email, `agent-${u.id}`, 'md'), statusDot(status, 'sdot-badge')),
            h('span', { class: 'pick-main' },
              h('span', { class: 'pick-top' },
                h('span', { class: 'pick-name' }, u.name || u.email),
                h('span', { class: `pick-status st-${status}` }, STATUS_LABELS[status])),
              depts.length ? h('span', { class: 'pick-tags' }, depts.slice(0, 4).map((d) => deptTag(d, { small: true })),
                depts.length > 4 ? h('span', { class: 'muted small' }, `+${depts.length - 4}`) : null) : null),
            h('span', { class: `pick-load${full ? ' full' : ''}`, title: `${active} active of at most ${max || '—'} chats` },
              h('span', { class: 'pick-load-n' }, h('strong', null, String(active)), `/${max || '—'}`),
              h('span', { class: 'pick-load-label' }, full ? 'full' : 'chats'))),
        });
      }));
    } else {
      const current = s.department && s.department.id;
      const depts = [...dir.departments].sort((a, b) => String(a.name).localeCompare(String(b.name)));
      if (!depts.length) {
        replaceChildren(listEl, h('div', { class: 'pick-empty' }, 'There are no departments.'));
        return;
      }
      replaceChildren(listEl, depts.map((d) => {
        const online = Number(d.online_agents) || 0;
        const accepting = d.accepting_chats !== false;
        const why = !accepting ? (REASONS[d.reason] || (d.open_now === false ? 'Closed now' : online === 0 ? 'No agent online' : 'Not accepting chats')) : null;
        const isCurrent = current != null && Number(current) === Number(d.id);
        return option({
          value: String(d.id), label: `${d.name}${isCurrent ? ' (current department)' : ''}${why ? `, ${why}` : ''}`,
          selected: choice && choice.kind === 'department' && Number(choice.id) === Number(d.id),
          onPick: () => pick({ kind: 'department', id: d.id, label: d.name }),
          body: h('span', { class: 'pick-body' },
            h('span', { class: 'pick-icon', 'aria-hidden': 'true' }, deptInitial(d)),
            h('span', { class: 'pick-main' },
              h('span', { class: 'pick-top' },
                h('span', { class: 'pick-name' }, d.name || d.slug),
                isCurrent ? h('span', { class: 'chip' }, 'Current') : null),
              h('span', { class: 'pick-sub' },
                h('span', { class: online ? 'ok-text' : 'muted' }, statusDot(online ? 'online' : 'offline'), `${plural(online, 'agent')} online`),
                Number(d.queue_length) ? h('span', null, `· ${Number(d.queue_length)} waiting`) : null)),
            accepting
              ? h('span', { class: 'pick-flag ok' }, icon('check', 13), 'Accepting')
              : h('span', { class: 'pick-flag warn' }, icon('alert', 13), why)),
        });
      }));
    }
  }

  function deptInitial(d) {
    const el = h('span', { class: 'dept-icon' }, String(d.name || d.slug || '?').trim().charAt(0).toUpperCase());
    el.style.setProperty('--hue', String(hueFor(d.slug || d.name)));
    return el;
  }

  function pick(c) {
    choice = c;
    showError(null);
    submit.disabled = busy;
    submit.lastChild.textContent = `Transfer to ${c.label}`;
  }

  async function reload(force) {
    renderList();
    await Promise.all([data.directory.loadUsers(force), data.directory.loadDepartments(force)]);
    if (dialog.isConnected) renderList();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!choice || busy) return;
    busy = true;
    submit.disabled = true;
    cancel.disabled = true;
    showError(null);
    const label = submit.lastChild.textContent;
    submit.lastChild.textContent = 'Transferring…';
    const body = choice.kind === 'agent' ? { to_agent_id: Number(choice.id) } : { to_department_id: Number(choice.id) };
    if (note.value.trim()) body.note = note.value.trim();
    const wasMine = data.session.isMine(conv.summary); // before the chat.updated that may beat the answer
    try {
      const r = await post(`/api/v1/chats/${conv.id}/transfer`, body);
      busy = false;
      dialog.close();
      act.transferred(conv, r, choice, wasMine);
    } catch (err) {
      busy = false;
      cancel.disabled = false;
      submit.disabled = false;
      submit.lastChild.textContent = label;
      if (err.status === 401) { dialog.close(); return; }
      showError(err.message || 'The transfer was refused.');
      if (err.status === 409 || err.status === 400) reload(true);
    }
  });

  document.body.appendChild(dialog);
  setMode(mode);
  dialog.showModal();
  const initialFocus = document.activeElement;
  reload(true).then(() => {
    const first = listEl.querySelector('input:checked') || listEl.querySelector('input:not(:disabled)');
    if (first && dialog.open && document.activeElement === initialFocus) first.focus();
  });
  return dialog;
}

/** online / away / offline, treating a disconnected agent as offline. */
export function availability(u) {
  const st = u && typeof u.status === 'string' ? u.status : 'offline';
  if (u && u.connected === false) return 'offline';
  return STATUS_LABELS[st] ? st : 'offline';
}
