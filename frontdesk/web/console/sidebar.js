// The left column: Waiting and My chats (live), History (closed chats, paginated), and the
// signed-in agent with sound and logout controls.

import { isMuted, setMuted } from './alerts.js';
import {
  ago, avatar, duration, h, icon, NodeCache, oneLine, parseTime, reconcile, replaceChildren, visitorName,
} from './dom.js';

export class Sidebar {
  constructor(app) {
    this.app = app;
    this.nodes = new NodeCache();
    this.build();
  }

  build() {
    const app = this.app;
    this.connEl = h('span', { class: 'conn', title: 'Connecting…' }, h('i'), h('span', { class: 'conn-label' }, 'Connecting'));
    this.tabInbox = h('button', { class: 'side-tab', type: 'button', role: 'tab', onclick: () => app.setTab('inbox') },
      icon('inbox', 16), h('span', null, 'Inbox'), h('span', { class: 'tab-count', hidden: true }));
    this.tabHistory = h('button', { class: 'side-tab', type: 'button', role: 'tab', onclick: () => app.setTab('history') },
      icon('archive', 16), h('span', null, 'History'));

    this.waitingCount = h('span', { class: 'section-count' }, '0');
    this.mineCount = h('span', { class: 'section-count' }, '0');
    this.waitingList = h('ul', { class: 'list', role: 'list' });
    this.mineList = h('ul', { class: 'list', role: 'list' });
    this.inbox = h('div', { class: 'side-panel' },
      h('section', { class: 'side-section' },
        h('h3', { class: 'section-title' }, h('span', null, 'Waiting'), this.waitingCount),
        this.waitingList),
      h('section', { class: 'side-section' },
        h('h3', { class: 'section-title' }, h('span', null, 'My chats'), this.mineCount),
        this.mineList));

    this.historyList = h('ul', { class: 'list', role: 'list' });
    this.historyFoot = h('div', { class: 'list-foot' });
    this.history = h('div', { class: 'side-panel', hidden: true },
      h('section', { class: 'side-section' },
        h('h3', { class: 'section-title' }, h('span', null, 'Closed chats'),
          h('button', { class: 'linkbtn', type: 'button', onclick: () => app.loadHistory(true) }, 'Refresh')),
        this.historyList, this.historyFoot));

    this.muteBtn = h('button', { class: 'btn btn-icon btn-ghost', type: 'button', onclick: () => {
      setMuted(!isMuted());
      this.renderFoot();
    } });
    this.logoutBtn = h('button', {
      class: 'btn btn-icon btn-ghost', type: 'button', title: 'Log out', 'aria-label': 'Log out',
      onclick: () => app.logout(),
    }, icon('logout', 18));
    this.meSlot = h('div', { class: 'me' });

    this.root = h('aside', { class: 'sidebar' },
      h('div', { class: 'side-head' },
        h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('chat', 16)),
          h('span', { class: 'brand-name' }, 'frontdesk')),
        this.connEl),
      h('nav', { class: 'side-tabs', role: 'tablist' }, this.tabInbox, this.tabHistory),
      h('div', { class: 'side-scroll' }, this.inbox, this.history),
      h('div', { class: 'side-foot' }, this.meSlot, this.muteBtn, this.logoutBtn));
    this.renderFoot();
  }

  renderFoot() {
    const me = this.app.me;
    if (me) {
      replaceChildren(this.meSlot, avatar(me.name || me.email, `agent-${me.id}`, 'md'),
        h('div', { class: 'me-text' },
          h('div', { class: 'me-name' }, me.name || me.email || 'Agent'),
          h('div', { class: 'me-role' }, h('i', { class: 'online-dot' }), me.role ? cap(me.role) : 'Agent')));
    }
    const muted = isMuted();
    replaceChildren(this.muteBtn, icon(muted ? 'mute' : 'volume', 18));
    this.muteBtn.title = muted ? 'Sound off — click to turn on' : 'Sound on — click to mute';
    this.muteBtn.setAttribute('aria-label', this.muteBtn.title);
  }

  setConnection(state, retryAt) {
    const labels = {
      open: 'Live', connecting: 'Connecting', waiting: 'Offline', refused: 'Refused', stopped: 'Offline',
    };
    this.connEl.className = `conn conn-${state}`;
    this.connEl.querySelector('.conn-label').textContent = labels[state] || state;
    this.connEl.title = state === 'open' ? 'Connected — updates arrive live'
      : state === 'waiting' && retryAt ? `Disconnected — retrying in ${Math.max(1, Math.round((retryAt - Date.now()) / 1000))}s`
        : labels[state] || state;
  }

  render() {
    const app = this.app;
    const tab = app.tab;
    this.tabInbox.classList.toggle('active', tab === 'inbox');
    this.tabInbox.setAttribute('aria-selected', String(tab === 'inbox'));
    this.tabHistory.classList.toggle('active', tab === 'history');
    this.tabHistory.setAttribute('aria-selected', String(tab === 'history'));
    this.inbox.hidden = tab !== 'inbox';
    this.history.hidden = tab !== 'history';

    const waiting = app.waitingChats();
    const mine = app.myChats();
    const unreadTotal = mine.reduce((n, s) => n + app.unreadOf(s.id), 0);
    const badge = this.tabInbox.querySelector('.tab-count');
    badge.hidden = waiting.length + unreadTotal === 0;
    badge.textContent = String(waiting.length + unreadTotal);

    this.waitingCount.textContent = String(waiting.length);
    this.waitingCount.classList.toggle('hot', waiting.length > 0);
    this.mineCount.textContent = String(mine.length);

    const keyed = (kind, s, build) => {
      const lm = s.last_message || {};
      const sig = JSON.stringify([visitorName(s), s.status, lm.text, lm.author, lm.at, s.created_at,
        s.assignee && s.assignee.id, app.activeId === s.id, app.openIds.includes(s.id),
        app.unreadOf(s.id), app.isVisitorTyping(s.id), s.closed_at]);
      return this.nodes.get(`${kind}:${s.id}`, sig, () => build(s));
    };
    const empty = (key, text) => this.nodes.get(key, text, () => h('li', { class: 'empty' }, text));
    reconcile(this.waitingList, waiting.length
      ? waiting.map((s) => keyed('w', s, (x) => this.waitingItem(x)))
      : [empty('empty:w', app.listsLoaded ? 'No one is waiting' : 'Loading…')]);
    reconcile(this.mineList, mine.length
      ? mine.map((s) => keyed('m', s, (x) => this.mineItem(x)))
      : [empty('empty:m', app.listsLoaded ? 'No active chats. Accept one from the queue.' : 'Loading…')]);
    if (tab === 'history') {
      const hs = app.history;
      reconcile(this.historyList, hs.items.length
        ? hs.items.map((s) => keyed('h', s, (x) => this.historyItem(x)))
        : [empty('empty:h', hs.loading ? 'Loading…' : hs.error ? hs.error : 'No closed chats yet')]);
      this.renderHistoryFoot();
    }
    this.nodes.sweep();
  }

  item(s, { top, right, preview, badge, extraClass, action }) {
    const app = this.app;
    const name = visitorName(s);
    const selected = app.activeId === s.id;
    const open = app.openIds.includes(s.id);
    return h('li', null, h('button', {
      class: `item${selected ? ' selected' : ''}${open ? ' open' : ''}${extraClass ? ` ${extraClass}` : ''}`,
      type: 'button', dataset: { chat: String(s.id) }, onclick: () => app.openChat(s.id, s),
      'aria-current': selected ? 'true' : null,
    },
    avatar(name, s.visitor && s.visitor.id, 'md'),
    h('span', { class: 'item-main' },
      h('span', { class: 'item-top' }, h('span', { class: 'item-name' }, top || name), right),
      h('span', { class: 'item-bottom' }, preview, badge))), action || null);
  }

  preview(s) {
    const app = this.app;
    if (app.isVisitorTyping(s.id)) return h('span', { class: 'item-preview typing-preview' }, 'typing…');
    const lm = s.last_message;
    if (!lm || !lm.text) return h('span', { class: 'item-preview muted' }, 'No messages yet');
    const prefix = lm.author === 'agent' ? 'You: ' : '';
    return h('span', { class: 'item-preview' }, prefix + oneLine(lm.text, 90));
  }

  waitingItem(s) {
    const app = this.app;
    const since = parseTime(s.created_at) || Date.now();
    const ms = Date.now() - since;
    const level = ms > 10 * 60000 ? 'late' : ms > 3 * 60000 ? 'warn' : '';
    return this.item(s, {
      right: h('span', { class: `wait ${level}`, title: 'Waiting time', dataset: { since: String(since) } },
        icon('clock', 12), h('span', { class: 'wait-text' }, duration(ms))),
      preview: this.preview(s),
      extraClass: 'item-waiting',
      action: h('button', {
        class: 'item-accept btn btn-primary btn-sm', type: 'button', title: 'Accept this chat',
        onclick: (e) => { e.stopPropagation(); app.accept(s.id); },
      }, icon('check', 14), 'Accept'),
    });
  }

  mineItem(s) {
    const unread = this.app.unreadOf(s.id);
    const at = parseTime(s.last_message && s.last_message.at) || parseTime(s.assigned_at);
    return this.item(s, {
      right: h('span', { class: 'when', dataset: { at: String(at || '') } }, ago(at)),
      preview: this.preview(s),
      badge: unread ? h('span', { class: 'badge', 'aria-label': `${unread} unread` }, unread > 99 ? '99+' : String(unread)) : null,
      extraClass: unread ? 'unread' : '',
    });
  }

  historyItem(s) {
    const app = this.app;
    const at = parseTime(s.closed_at) || parseTime(s.last_message && s.last_message.at);
    return this.item(s, {
      right: h('span', { class: 'when', dataset: { at: String(at || '') } }, ago(at)),
      preview: h('span', { class: 'item-preview' },
        s.last_message && s.last_message.text ? oneLine(s.last_message.text, 90) : 'No messages'),
      badge: s.assignee ? h('span', { class: 'chip', title: `Handled by ${s.assignee.name || 'an agent'}` },
        app.isMine(s) ? 'You' : String(s.assignee.name || '').split(/\s+/)[0]) : null,
      extraClass: 'item-history',
    });
  }

  renderHistoryFoot() {
    const app = this.app;
    const hs = app.history;
    let foot = null;
    if (hs.loading && hs.items.length) foot = h('div', { class: 'muted center' }, h('span', { class: 'spinner spinner-xs' }), ' Loading…');
    else if (hs.error && hs.items.length) foot = h('button', { class: 'btn btn-secondary btn-sm btn-block', type: 'button', onclick: () => app.loadHistory() }, 'Retry');
    else if (hs.nextBefore != null) foot = h('button', { class: 'btn btn-secondary btn-sm btn-block', type: 'button', onclick: () => app.loadHistory() }, 'Load older chats');
    else if (hs.items.length) foot = h('div', { class: 'muted center small' }, 'That’s everything');
    replaceChildren(this.historyFoot, foot);
  }

  /** Refreshes the ticking times without rebuilding the lists. */
  tick() {
    const now = Date.now();
    for (const el of this.root.querySelectorAll('.wait[data-since]')) {
      const ms = now - Number(el.dataset.since);
      el.querySelector('.wait-text').textContent = duration(ms);
      el.classList.toggle('late', ms > 10 * 60000);
      el.classList.toggle('warn', ms > 3 * 60000 && ms <= 10 * 60000);
    }
    for (const el of this.root.querySelectorAll('.when[data-at]')) {
      const at = Number(el.dataset.at);
      if (at) el.textContent = ago(at, now);
    }
  }
}

function cap(s) { return String(s).charAt(0).toUpperCase() + String(s).slice(1); }
