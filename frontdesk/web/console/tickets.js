// Offline messages ("tickets") visitors left while nobody could chat: the sidebar's Messages
// list items and the full view with a mailto: reply and "Mark done".

import {
  ago, avatar, deptTag, fullTime, h, icon, mailto, oneLine, parseTime,
} from './dom.js';

export function ticketName(t) {
  const name = t && typeof t.name === 'string' ? t.name.trim() : '';
  if (name) return name;
  const email = t && typeof t.email === 'string' ? t.email.trim() : '';
  return email || `Message #${t && t.id}`;
}

export function ticketDept(t, directory) {
  const d = t && t.department;
  if (d && typeof d === 'object') return d;
  if (typeof d === 'string') {
    const known = directory && directory.departments.find((x) => x.slug === d);
    return known ? { id: known.id, slug: d, name: known.name } : { slug: d, name: d };
  }
  if (t && t.department_id != null && directory) {
    const known = directory.department(t.department_id);
    if (known) return { id: known.id, slug: known.slug, name: known.name };
  }
  return null;
}

/** One row of the Messages list: `selected` when shown, `department` (ticketDept), `open(id)`. */
export function ticketItem(t, { selected, department, open }) {
  const name = ticketName(t);
  const at = parseTime(t.created_at);
  return h('li', null, h('button', {
    class: `item item-ticket${selected ? ' selected' : ''}${t.status === 'done' ? ' done' : ''}`, type: 'button',
    dataset: { ticket: String(t.id) }, onclick: () => open(t.id),
    'aria-current': selected ? 'true' : null,
  },
  avatar(name, `t-${t.email || t.id}`, 'md'),
  h('span', { class: 'item-main' },
    h('span', { class: 'item-top' },
      h('span', { class: 'item-name' }, name),
      h('span', { class: 'when', dataset: { at: String(at || '') }, title: at ? fullTime(at) : null }, ago(at))),
    h('span', { class: 'item-sub' },
      t.email && t.email !== name ? h('span', { class: 'item-email' }, t.email) : null,
      deptTag(department, { small: true })),
    h('span', { class: 'item-bottom' },
      h('span', { class: 'item-preview' }, oneLine(t.text || '', 110) || 'No text')))));
}

/** The full offline message in the main area; `busy` while marking it done, `markDone(id)`. */
export function ticketView(t, { directory, busy, markDone }) {
  const name = ticketName(t);
  const at = parseTime(t.created_at);
  const dept = ticketDept(t, directory);
  const done = t.status === 'done';

  const body = h('div', { class: 'ticket-text' });
  body.textContent = String(t.text ?? ''); // visitor text: always text, never HTML

  const quoted = String(t.text ?? '').split('\n').map((line) => `> ${line}`).join('\n');
  const replyHref = t.email ? mailto(t.email, {
    subject: dept ? `Re: your message to ${dept.name || dept.slug}` : 'Re: your message',
    body: `Hi${t.name ? ` ${String(t.name).trim()}` : ''},\n\n\n\n---\n${at ? `On ${fullTime(at)} you wrote:\n` : ''}${quoted}\n`,
  }) : null;

  const row = (label, value) => h('div', { class: 'kv' }, h('dt', null, label), h('dd', null, value == null || value === '' ? '—' : value));

  return h('section', { class: 'ticket-page', 'aria-label': `Offline message from ${name}` },
    h('header', { class: 'conv-head' },
      h('div', { class: 'conv-avatar' }, avatar(name, `t-${t.email || t.id}`, 'lg')),
      h('div', { class: 'conv-title' },
        h('h2', { class: 'conv-name' }, name),
        h('div', { class: 'conv-meta' },
          h('span', { class: `pill ${done ? 'pill-closed' : 'pill-queued'}` }, done ? 'Done' : 'Open'),
          dept ? deptTag(dept) : null,
          h('span', { class: 'meta-item' }, `Message #${t.id}`),
          at ? h('span', { class: 'meta-item', title: fullTime(at) }, `Received ${ago(at)}${ago(at) === 'now' ? '' : ' ago'}`) : null)),
      h('div', { class: 'conv-actions' },
        replyHref ? h('a', { class: 'btn btn-secondary', href: replyHref }, icon('reply', 16), 'Reply by e-mail') : null,
        done ? null : h('button', {
          class: 'btn btn-primary', type: 'button', disabled: busy, onclick: () => markDone(t.id),
        }, icon('check', 16), busy ? 'Marking…' : 'Mark done'))),
    h('div', { class: 'ticket-scroll' },
      h('div', { class: 'ticket-wrap' },
        h('div', { class: 'ticket-card' },
          h('div', { class: 'ticket-from' },
            h('span', { class: 'ticket-from-name' }, name),
            t.email ? h('a', { class: 'link ticket-from-email', href: replyHref }, t.email) : h('span', { class: 'muted' }, 'No e-mail given'),
            at ? h('time', { datetime: new Date(at).toISOString() }, fullTime(at)) : null),
          body),
        h('dl', { class: 'ticket-facts' },
          row('Department', dept ? dept.name || dept.slug : null),
          row('E-mail', t.email || null),
          row('Received', at ? fullTime(at) : null),
          t.page_url ? row('Page', String(t.page_url)) : null,
          t.chat_id != null ? row('Chat', `#${t.chat_id}`) : null),
        h('p', { class: 'ticket-hint' }, icon('info', 14),
          done ? 'This message has been handled.'
            : 'Reply from your mail program, then mark the message done so colleagues know it has been answered.'))));
}
