// The desk for several chats at once: how long each visitor has waited for an answer (and
// when that is too long), keyboard shortcuts and their help, and the department settings of
// the desk (sneak peek, the reply alert).

import { h, icon, parseTime } from './dom.js';

export const DEFAULT_REPLY_ALERT_SECONDS = 60;

/**
 * When the visitor started waiting for an answer: their first message after the agent's last
 * reply (a second message does not restart the clock). Null when the agent answered last.
 */
/** `data`: the data modules (conversations, directory). */
export function replyWaitSince(data, s) {
  if (!s || s.status !== 'active') return null;
  const conv = data.conversations.get(s.id);
  if (conv && conv.loaded) {
    let since = null;
    for (const ev of conv.sorted()) {
      if (ev.kind !== 'message' || !ev.author) continue;
      if (ev.author.type === 'agent') since = null;
      else if (ev.author.type === 'visitor' && since == null) since = parseTime(ev.created_at);
    }
    return since;
  }
  // not loaded yet: the summary knows only the last message
  const lm = s.last_message;
  return lm && lm.author === 'visitor' ? parseTime(lm.at) : null;
}

/** The department's threshold for "waited too long", in milliseconds. */
export function replyAlertMs(data, s) {
  const dept = s && s.department && data.directory.department(s.department.id);
  const secs = dept && Number(dept.reply_alert_seconds);
  return (secs > 0 ? secs : DEFAULT_REPLY_ALERT_SECONDS) * 1000;
}

/** "0:42", "12:05", "1h 05m": a visitor's wait, to the second while it matters. */
export function waitClock(ms) {
  const secs = Math.max(0, Math.floor(ms / 1000));
  if (secs >= 3600) return `${Math.floor(secs / 3600)}h ${String(Math.floor((secs % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
}

/** My chats: how long the visitor has waited for an answer, or null when they have one. */
export function replyWaitBadge(data, s) {
  const since = replyWaitSince(data, s);
  if (since == null) return null;
  const limit = replyAlertMs(data, s);
  const ms = Date.now() - since;
  const over = ms >= limit;
  return h('span', {
    class: `reply-wait${over ? ' overdue' : ''}`, dataset: { since: String(since), limit: String(limit) },
    title: `Waiting for your answer (highlighted after ${Math.round(limit / 1000)} s)`,
  }, icon('clock', 12), h('span', { class: 'reply-wait-text' }, waitClock(ms)));
}

/** The Alt+n hint of the nth of My chats (shown on hover and focus). */
export function shortcutHint(index) {
  return index >= 0 && index < 9 ? h('kbd', { class: 'item-key', title: `Alt+${index + 1}` }, `⌥${index + 1}`) : null;
}

/** Every second: the reply waits tick, and a chat turns red once its visitor waited too long. */
export function tickReplyWaits(root) {
  const now = Date.now();
  for (const el of root.querySelectorAll('.reply-wait[data-since]')) {
    const ms = now - Number(el.dataset.since);
    const over = ms >= Number(el.dataset.limit);
    el.querySelector('.reply-wait-text').textContent = waitClock(ms);
    el.classList.toggle('overdue', over);
    const item = el.closest('.item');
    if (item) item.classList.toggle('overdue', over);
  }
}

export const SHORTCUTS = [
  [['Alt', '1…9'], 'Open the first to ninth of My chats'],
  [['Alt', '↑'], 'Previous open chat'],
  [['Alt', '↓'], 'Next open chat'],
  [['Enter'], 'Send the reply'],
  [['Shift', 'Enter'], 'New line'],
  [['Ctrl', 'Shift', 'N'], 'Write an internal note instead'],
  [['?'], 'This help (when not typing)'],
  [['Esc'], 'Close a dialog'],
];

/** Whether a key event happens while the agent types in a field (shortcuts like "?" stay off). */
export function typingInField(e) {
  const t = e.target;
  return !!t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName || ''));
}

/** The keyboard help overlay ("?" or the keyboard button in the sidebar). */
export function openShortcuts() {
  const open = document.querySelector('dialog.modal-keys');
  if (open) { open.close(); return open; }
  const close = h('button', { class: 'btn btn-icon btn-ghost', type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() }, icon('x', 18));
  const dialog = h('dialog', { class: 'modal modal-keys', 'aria-labelledby': 'keys-title' },
    h('div', { class: 'modal-form' },
      h('header', { class: 'modal-head' },
        h('div', null, h('h2', { id: 'keys-title' }, 'Keyboard shortcuts'),
          h('p', { class: 'modal-sub' }, 'Work several chats at once without the mouse.')),
        close),
      h('dl', { class: 'keys' }, SHORTCUTS.map(([keys, what]) => h('div', { class: 'keys-row' },
        h('dt', null, keys.map((k, i) => [i ? h('span', { class: 'keys-plus' }, '+') : null, h('kbd', null, k)])),
        h('dd', null, what))))));
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  document.body.appendChild(dialog);
  dialog.showModal();
  close.focus();
  return dialog;
}

/**
 * The desk fields of the department form: sneak peek and the reply alert. `ctx` has the
 * form's helpers ({d, ro, p, input, field, changed, errors}); returns {el, payload}.
 */
export function deskDepartmentFields({ d, ro, p, input, field, changed, errors }) {
  const peek = h('input', { type: 'checkbox', class: 'switch', id: `${p}-sneak_peek`, disabled: ro });
  peek.checked = d.sneak_peek !== false;
  peek.addEventListener('change', changed);
  const peekField = h('label', { class: 'check', for: peek.id }, peek,
    h('span', null, h('strong', null, 'Sneak peek'),
      h('span', { class: 'check-sub' }, 'The agent sees what the visitor is typing before it is sent. Turn off where visitors type private data.')));
  errors.reg('sneak_peek', peek, peekField);
  const alert = input('reply_alert_seconds', { type: 'number', min: '10', max: '3600', step: '5', dflt: String(DEFAULT_REPLY_ALERT_SECONDS) });
  const alertField = field('reply_alert_seconds', 'Reply alert', alert,
    'Seconds a visitor may wait for an answer before the chat is highlighted in My chats.');
  return {
    el: h('div', { class: 'desk-fields' }, peekField, alertField),
    payload: () => ({
      sneak_peek: peek.checked,
      reply_alert_seconds: alert.value.trim() === '' ? DEFAULT_REPLY_ALERT_SECONDS : Number(alert.value),
    }),
  };
}
