// Settings → Outgoing e-mail (admins): the e-mail the server gave up on, with the reason, and
// retry / discard (GET /api/v1/mail/failed, POST /api/v1/mail/{id}/retry, DELETE /api/v1/mail/{id}).
// Addresses and subjects come from visitors: rendered as text nodes only (h() never parses HTML).

import { api, get } from './api.js';
import { fullTime, h, icon, parseTime, replaceChildren } from './dom.js';

export const MAIL_SECTION = {
  id: 'mail', label: 'Outgoing e-mail', icon: 'alert', visible: (me) => !!me && me.role === 'admin', Page: null,
};

class MailPage {
  constructor(page) {
    this.data = page.data;
    this.act = page.act;
    this.body = h('tbody', null);
    this.msg = h('div', { class: 'mail-msg', role: 'status' });
    this.root = h('div', { class: 'privacy-page' },
      h('section', { class: 'card agents-card' },
        h('div', { class: 'card-head' },
          h('div', null, h('h2', null, 'Failed e-mail'),
            h('p', { class: 'card-sub' }, 'E-mail the server gave up on: an address it cannot send to, or a mail server that kept refusing it. Nothing here blocks the e-mail queued behind it.')),
          h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => this.load() }, icon('retry', 14), 'Refresh')),
        h('div', { class: 'table-wrap' }, h('table', { class: 'table mail-table' },
          h('thead', null, h('tr', null, ['Failed', 'To', 'Subject', 'Reason', ''].map((t) => h('th', { scope: 'col' }, t)))),
          this.body)),
        this.msg));
  }

  show() { this.load(); }

  async load() {
    replaceChildren(this.msg);
    try {
      const r = await get('/api/v1/mail/failed');
      replaceChildren(this.body, ...r.failed.map((m) => this.row(m)));
      if (!r.failed.length) this.body.appendChild(h('tr', null, h('td', { colspan: '5', class: 'muted-cell' }, 'No failed e-mail.')));
    } catch (err) {
      if (err.status !== 401) replaceChildren(this.msg, h('div', { class: 'field-msg', role: 'alert' }, icon('alert', 13), h('span', null, err.message)));
    }
  }

  row(m) {
    const act = async (method, path) => {
      try { await api(method, path); } catch (err) {
        replaceChildren(this.msg, h('div', { class: 'field-msg', role: 'alert' }, icon('alert', 13), h('span', null, err.message)));
      }
      this.load();
    };
    return h('tr', { dataset: { mailId: String(m.id) } },
      h('td', { class: 'nowrap' }, m.failed_at ? fullTime(parseTime(m.failed_at)) : '—'),
      h('td', { class: 'mono-sm' }, m.to),
      h('td', null, m.subject),
      h('td', { class: 'audit-details' }, m.reason || '—', h('span', { class: 'muted-cell' }, ` (${m.attempts} attempt${m.attempts === 1 ? '' : 's'})`)),
      h('td', { class: 'nowrap' },
        h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => act('POST', `/api/v1/mail/${m.id}/retry`) }, 'Retry'),
        ' ',
        h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => act('DELETE', `/api/v1/mail/${m.id}`) }, 'Discard')));
  }
}

MAIL_SECTION.Page = MailPage;
