// The left column: offers, Waiting and My chats (live), Messages (offline tickets), History
// (closed chats, paginated), and the signed-in agent with availability, sound and logout.

import { isMuted, setMuted } from './alerts.js';
import {
  ago, avatar, deptTag, duration, h, icon, NodeCache, oneLine, parseTime, reconcile, replaceChildren,
  STATUS_LABELS, statusDot, visitorName,
} from './dom.js';
import {
  openShortcuts, replyAlertMs, replyWaitBadge, replyWaitSince, shortcutHint, tickReplyWaits,
} from './desk.js';
import { mayViewStaffing } from './data/staffing.js';
import { mayViewVisitors } from './data/visitors.js';
import { OfferCards } from './offers.js';
import { loadMyProfile, openProfileDialog } from './profile.js';
import { tagChips } from './tagging.js';
import { ticketDept, ticketItem } from './tickets.js';

export class Sidebar {
  /**
   * @param {object} data  the data it shows (data/*.js): session, chats, conversations, tickets,
   *   history, directory, nav — read only
   * @param {object} act  the App's callbacks (App.viewActions): openChat, accept, setTab, …
   */
  constructor(data, act) {
    this.data = data;
    this.act = act;
    this.nodes = new NodeCache();
    this.build();
    setInterval(() => tickReplyWaits(this.root), 1000); // the desk's wait clocks, to the second
  }

  build() {
    const { data, act } = this;
    this.connEl = h('span', { class: 'conn', title: 'Connecting…' }, h('i'), h('span', { class: 'conn-label' }, 'Connecting'));
    this.tabInbox = h('button', { class: 'side-tab', type: 'button', role: 'tab', onclick: () => act.setTab('inbox') },
      h('span', null, 'Inbox'), h('span', { class: 'tab-count', hidden: true }));
    this.tabTickets = h('button', { class: 'side-tab', type: 'button', role: 'tab', onclick: () => act.setTab('tickets') },
      h('span', null, 'Messages'), h('span', { class: 'tab-count', hidden: true }));
    this.tabHistory = h('button', { class: 'side-tab', type: 'button', role: 'tab', onclick: () => act.setTab('history') },
      h('span', null, 'History'));
    this.offers = new OfferCards(data.chats, act);

    this.deptFilter = h('select', {
      class: 'mini-select', 'aria-label': 'Show waiting chats from', hidden: true,
      onchange: () => act.setDeptFilter(this.deptFilter.value),
    });
    this.awayNote = h('div', { class: 'away-note', hidden: true, role: 'status' });

    this.waitingCount = h('span', { class: 'section-count' }, '0');
    this.mineCount = h('span', { class: 'section-count' }, '0');
    this.waitingList = h('ul', { class: 'list', role: 'list' });
    this.mineList = h('ul', { class: 'list', role: 'list' });
    this.inbox = h('div', { class: 'side-panel' },
      this.awayNote,
      h('section', { class: 'side-section' },
        h('div', { class: 'section-title' },
          h('h3', null, 'Waiting'),
          h('span', { class: 'section-tools' }, this.deptFilter, this.waitingCount)),
        this.waitingList),
      h('section', { class: 'side-section' },
        h('h3', { class: 'section-title' }, h('span', null, 'My chats'), this.mineCount),
        this.mineList));

    this.ticketList = h('ul', { class: 'list', role: 'list' });
    this.ticketFoot = h('div', { class: 'list-foot' });
    this.tickets = h('div', { class: 'side-panel', hidden: true },
      h('section', { class: 'side-section' },
        h('h3', { class: 'section-title' }, h('span', null, 'Offline messages'),
          h('button', { class: 'linkbtn', type: 'button', onclick: () => act.loadTickets(true) }, 'Refresh')),
        this.ticketList, this.ticketFoot));

    this.historyList = h('ul', { class: 'list', role: 'list' });
    this.historyFoot = h('div', { class: 'list-foot' });
    // the transcript archive (archive.js): search every past conversation you may see
    this.archiveQ = h('input', {
      class: 'input', type: 'search', name: 'archive-q', placeholder: 'Search past chats…',
      'aria-label': 'Search the archive', autocomplete: 'off', maxlength: '500',
    });
    this.archiveForm = h('form', { class: 'archive-entry', role: 'search' }, icon('search', 15), this.archiveQ,
      h('button', { class: 'btn btn-secondary btn-sm', type: 'submit', title: 'Open the Archive: search, filters, exports' },
        icon('archive', 14), 'Archive'));
    this.archiveForm.addEventListener('submit', (e) => {
      e.preventDefault();
      act.showArchive(null, this.archiveQ.value.trim());
      this.archiveQ.value = '';
    });
    this.history = h('div', { class: 'side-panel', hidden: true },
      h('section', { class: 'side-section' },
        h('h3', { class: 'section-title' }, h('span', null, 'Closed chats'),
          h('button', { class: 'linkbtn', type: 'button', onclick: () => act.loadHistory(true) }, 'Refresh')),
        this.archiveForm, this.historyList, this.historyFoot));

    this.muteBtn = h('button', { class: 'btn btn-icon btn-ghost', type: 'button', onclick: () => {
      setMuted(!isMuted());
      this.renderFoot();
    } });
    this.logoutBtn = h('button', {
      class: 'btn btn-icon btn-ghost', type: 'button', title: 'Log out', 'aria-label': 'Log out',
      onclick: () => act.logout(),
    }, icon('logout', 18));
    this.profileBtn = h('button', {
      class: 'btn btn-icon btn-ghost', type: 'button', title: 'Your profile: name, job title, photo',
      'aria-label': 'Your profile', onclick: () => openProfileDialog(data.session, act),
    }, icon('user', 18));
    this.meSlot = h('div', { class: 'me' });
    this.statusSelect = h('select', {
      class: 'status-select', 'aria-label': 'Your availability',
      onchange: () => act.setMyStatus(this.statusSelect.value),
    }, Object.entries(STATUS_LABELS).map(([value, label]) => h('option', { value }, label)));
    this.statusDot = statusDot('online');
    this.statusCtl = h('span', { class: 'status-ctl' }, this.statusDot, this.statusSelect, icon('chevronDown', 12));
    this.settingsBtn = h('button', {
      class: 'btn btn-icon btn-ghost btn-head', type: 'button', title: 'Settings', 'aria-label': 'Settings',
      onclick: () => act.toggleSettings(),
    }, icon('gear', 17));
    // supervision (monitor.js): leads get the Monitor (with Reviews beside it), agents their reviews
    this.qualityBtn = h('button', {
      class: 'btn btn-icon btn-ghost btn-head', type: 'button', title: 'Your reviews', 'aria-label': 'Reviews',
      onclick: () => act.showPage(this.qualityBtn.dataset.page || 'reviews'),
    }, icon('star', 17));
    // the Visitors page (visitors.js): admins, managers, supervisors and greeter agents
    this.visitorsBtn = h('button', {
      class: 'btn btn-icon btn-ghost btn-head btn-visitors', type: 'button', title: 'Visitors on the site now', 'aria-label': 'Visitors',
      hidden: true, onclick: () => act.showPage('visitors'),
    }, icon('users', 17));
    // the Reports pages (reports.js): everyone (agents see their own figures)
    this.reportsBtn = h('button', {
      class: 'btn btn-icon btn-ghost btn-head btn-reports', type: 'button', title: 'Reports: volume, times, agents, goals', 'aria-label': 'Reports',
      onclick: () => act.showPage('reports'),
    }, icon('chart', 17));
    // the Staffing pages (staffing.js): staffing.view (admins, managers, supervisors)
    this.staffingBtn = h('button', {
      class: 'btn btn-icon btn-ghost btn-head btn-staffing', type: 'button', title: 'Staffing: forecast, coverage, shifts, plans',
      'aria-label': 'Staffing', hidden: true, onclick: () => act.showPage('staffing'),
    }, icon('clock', 17));

    this.root = h('aside', { class: 'sidebar' },
      h('div', { class: 'side-head' },
        h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('chat', 16)),
          h('span', { class: 'brand-name' }, 'frontdesk')),
        h('div', { class: 'side-head-right' }, this.connEl, this.visitorsBtn, this.reportsBtn, this.staffingBtn, this.qualityBtn,
          h('button', {
            class: 'btn btn-icon btn-ghost btn-head', type: 'button', title: 'Keyboard shortcuts (?)',
            'aria-label': 'Keyboard shortcuts', 'aria-keyshortcuts': '?', onclick: () => openShortcuts(),
          }, icon('keyboard', 17)),
          this.settingsBtn)),
      this.offers.root,
      h('nav', { class: 'side-tabs', role: 'tablist' }, this.tabInbox, this.tabTickets, this.tabHistory),
      h('div', { class: 'side-scroll' }, this.inbox, this.tickets, this.history),
      h('div', { class: 'side-foot' }, this.meSlot, this.profileBtn, this.muteBtn, this.logoutBtn));
    loadMyProfile(data.session).then(() => this.renderFoot()); // your photo, here and in the profile dialog
    this.renderFoot();
  }

  renderFoot() {
    const { data, act } = this;
    const me = data.session.me;
    const status = data.session.myStatus;
    if (me) {
      const face = me.avatar_url ? h('img', { class: 'avatar avatar-md avatar-photo', src: me.avatar_url, alt: '' })
        : avatar(me.name || me.email, `agent-${me.id}`, 'md');
      const av = h('span', { class: 'pick-av' }, face,
        statusDot(status || 'offline', 'sdot-badge'));
      replaceChildren(this.meSlot, av,
        h('div', { class: 'me-text' },
          h('div', { class: 'me-name', title: `${me.name || me.email} · ${me.role ? cap(me.role) : 'Agent'}` }, me.name || me.email || 'Agent'),
          this.statusCtl));
      this.settingsBtn.hidden = false; // agents too: their canned responses live there
      this.visitorsBtn.hidden = !mayViewVisitors(me);
      this.staffingBtn.hidden = !mayViewStaffing(me);
      const lead = ['admin', 'manager', 'supervisor'].includes(me.role);
      if (lead !== (this.qualityBtn.dataset.page === 'monitor')) {
        this.qualityBtn.dataset.page = lead ? 'monitor' : 'reviews';
        this.qualityBtn.title = lead ? 'Monitor ongoing chats, reviews and scorecards' : 'Your reviews';
        this.qualityBtn.setAttribute('aria-label', lead ? 'Monitor' : 'Reviews');
        replaceChildren(this.qualityBtn, icon(lead ? 'eye' : 'star', 17));
      }
    }
    if (status) this.statusSelect.value = status;
    this.statusSelect.disabled = !status || data.session.statusBusy;
    this.statusCtl.className = `status-ctl st-${status || 'unknown'}`;
    this.statusDot.className = `sdot sdot-${status || 'offline'}`;
    this.statusCtl.title = status ? `You are ${STATUS_LABELS[status]}. ${STATUS_HINTS[status]}` : 'Loading your availability…';
    const away = status === 'away' || status === 'offline';
    this.awayNote.hidden = !away;
    if (away) {
      replaceChildren(this.awayNote, statusDot(status),
        h('span', null, status === 'away' ? 'You’re away — no chats will be offered to you.' : 'You’re offline — no chats will be offered to you.'),
        h('button', { class: 'linkbtn', type: 'button', onclick: () => act.setMyStatus('online') }, 'Go online'));
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
    const { data, act } = this;
    const tab = data.nav.tab;
    this.tabInbox.classList.toggle('active', tab === 'inbox');
    this.tabInbox.setAttribute('aria-selected', String(tab === 'inbox'));
    this.tabHistory.classList.toggle('active', tab === 'history');
    this.tabHistory.setAttribute('aria-selected', String(tab === 'history'));
    this.tabTickets.classList.toggle('active', tab === 'tickets');
    this.tabTickets.setAttribute('aria-selected', String(tab === 'tickets'));
    this.inbox.hidden = tab !== 'inbox';
    this.history.hidden = tab !== 'history';
    this.tickets.hidden = tab !== 'tickets';
    this.settingsBtn.classList.toggle('active', data.nav.on('settings'));
    this.qualityBtn.classList.toggle('active', (data.nav.on('monitor') || data.nav.on('reviews')));
    this.visitorsBtn.classList.toggle('active', data.nav.on('visitors'));
    this.reportsBtn.classList.toggle('active', data.nav.on('reports'));
    this.staffingBtn.classList.toggle('active', data.nav.on('staffing'));
    this.offers.render();

    const openTickets = data.tickets.openCount();
    const tbadge = this.tabTickets.querySelector('.tab-count');
    tbadge.hidden = openTickets === 0;
    tbadge.textContent = String(openTickets);
    this.tabTickets.setAttribute('aria-label', openTickets ? `Messages, ${openTickets} open` : 'Messages');

    this.renderDeptFilter();
    const allWaiting = data.chats.waiting();
    const waiting = data.chats.filteredWaiting();
    const mine = data.chats.mine();
    const unreadTotal = mine.reduce((n, s) => n + this.unread(s.id), 0);
    const badge = this.tabInbox.querySelector('.tab-count');
    badge.hidden = allWaiting.length + unreadTotal === 0;
    badge.textContent = String(allWaiting.length + unreadTotal);

    this.waitingCount.textContent = waiting.length === allWaiting.length ? String(waiting.length) : `${waiting.length}/${allWaiting.length}`;
    this.waitingCount.title = waiting.length === allWaiting.length ? '' : `${waiting.length} of ${allWaiting.length} waiting chats shown`;
    this.waitingCount.classList.toggle('hot', waiting.length > 0);
    this.mineCount.textContent = String(mine.length);

    const keyed = (kind, s, build) => {
      const lm = s.last_message || {};
      const sig = JSON.stringify([visitorName(s), s.status, lm.text, lm.author, lm.at, s.created_at,
        s.assignee && s.assignee.id, data.nav.isActive(s.id), data.nav.isOpen(s.id),
        this.unread(s.id), data.conversations.isVisitorTyping(s.id), s.closed_at, s.department && s.department.name,
        data.chats.offers.has(s.id), s.missed, s.queued_at,
        // the desk: tags, level, how long the visitor has waited for an answer, Alt+n
        s.tags, s.required_level, replyWaitSince(data, s), replyAlertMs(data, s), kind === 'm' && data.chats.mine().indexOf(s)]);
      return this.nodes.get(`${kind}:${s.id}`, sig, () => build(s), { morph: true }); // clicks survive updates
    };
    const empty = (key, text) => this.nodes.get(key, text, () => h('li', { class: 'empty' }, text));
    const filterName = data.chats.deptFilter ? (data.directory.department(data.chats.deptFilter) || {}).name : null;
    reconcile(this.waitingList, waiting.length
      ? waiting.map((s) => keyed('w', s, (x) => this.waitingItem(x)))
      : [empty('empty:w', !data.chats.listsLoaded ? 'Loading…' : filterName && allWaiting.length
        ? `No one is waiting in ${filterName}` : 'No one is waiting')]);
    reconcile(this.mineList, mine.length
      ? mine.map((s) => keyed('m', s, (x) => this.mineItem(x)))
      : [empty('empty:m', data.chats.listsLoaded ? 'No active chats. Accept one from the queue.' : 'Loading…')]);
    if (tab === 'history') {
      const hs = data.history;
      reconcile(this.historyList, hs.items.length
        ? hs.items.map((s) => keyed('h', s, (x) => this.historyItem(x)))
        : [empty('empty:h', hs.loading ? 'Loading…' : hs.error ? hs.error : 'No closed chats yet')]);
      this.renderHistoryFoot();
    }
    if (tab === 'tickets') {
      const ts = data.tickets;
      const sel = data.nav.ticketShown();
      reconcile(this.ticketList, ts.items.length
        ? ts.items.map((t) => this.nodes.get(`t:${t.id}`, JSON.stringify([t, Number(sel) === Number(t.id)]), () => ticketItem(t, { selected: Number(sel) === Number(t.id), department: ticketDept(t, data.directory), open: act.openTicket })))
        : [empty('empty:t', ts.loading ? 'Loading…' : ts.error ? ts.error : 'No open messages. Visitors leave one when nobody can chat.')]);
      let foot = null;
      if (ts.loading && ts.items.length) foot = h('div', { class: 'muted center' }, h('span', { class: 'spinner spinner-xs' }), ' Loading…');
      else if (ts.nextBefore != null) foot = h('button', { class: 'btn btn-secondary btn-sm btn-block', type: 'button', onclick: () => act.loadTickets(false) }, 'Load older messages');
      replaceChildren(this.ticketFoot, foot);
    }
    this.nodes.sweep();
  }

  renderDeptFilter() {
    const { data } = this;
    const depts = [...data.directory.departments].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const sig = JSON.stringify([depts.map((d) => [d.id, d.name]), data.chats.deptFilter]);
    if (sig === this.filterSig) return;
    this.filterSig = sig;
    const sel = this.deptFilter;
    const keep = document.activeElement === sel;
    replaceChildren(sel, h('option', { value: '' }, 'All departments'),
      depts.map((d) => h('option', { value: String(d.id) }, d.name || d.slug)));
    sel.value = data.chats.deptFilter ? String(data.chats.deptFilter) : '';
    sel.hidden = depts.length < 2 && !data.chats.deptFilter;
    sel.classList.toggle('filtered', !!data.chats.deptFilter);
    if (keep) sel.focus();
  }

  item(s, { top, right, preview, badge, extraClass, action }) {
    const { data, act } = this;
    const name = visitorName(s);
    const selected = data.nav.isActive(s.id);
    const open = data.nav.isOpen(s.id);
    return h('li', null, h('button', {
      class: `item${selected ? ' selected' : ''}${open ? ' open' : ''}${extraClass ? ` ${extraClass}` : ''}`,
      type: 'button', dataset: { chat: String(s.id) }, onclick: () => act.openChat(s.id, data.chats.get(s.id) || s),
      'aria-current': selected ? 'true' : null,
    },
    avatar(name, s.visitor && s.visitor.id, 'md'),
    h('span', { class: 'item-main' },
      h('span', { class: 'item-top' }, h('span', { class: 'item-name' }, top || name), right),
      h('span', { class: 'item-bottom' }, preview, tagChips(s), this.showDept() ? deptTag(s.department, { small: true }) : null, badge))), action || null);
  }

  /** Unread visitor messages of a chat (its transcript when loaded, else its summary). */
  unread(id) { return this.data.conversations.unreadOf(id, this.data.chats.get(id)); }

  /** Department tags are noise when there is only one department. */
  showDept() {
    const { data } = this;
    return data.directory.departments.length !== 1;
  }

  preview(s) {
    const { data } = this;
    if (data.conversations.isVisitorTyping(s.id)) return h('span', { class: 'item-preview typing-preview' }, 'typing…');
    const lm = s.last_message;
    if (!lm || !lm.text) return h('span', { class: 'item-preview muted' }, 'No messages yet');
    const prefix = lm.author === 'agent' ? 'You: ' : '';
    return h('span', { class: 'item-preview' }, prefix + oneLine(lm.text, 90));
  }

  waitingItem(s) {
    const { data, act } = this;
    const since = parseTime(s.queued_at) || parseTime(s.created_at) || Date.now(); // queued again after a transfer
    const ms = Date.now() - since;
    const level = ms > 10 * 60000 ? 'late' : ms > 3 * 60000 ? 'warn' : '';
    const offered = data.chats.offers.has(s.id);
    return this.item(s, {
      right: [Number(s.required_level) > 1 ? h('span', { class: 'chip chip-level', title: `Escalated: for level ${s.required_level} agents or higher` },
        `Level ${s.required_level}`) : null,
      h('span', { class: `wait ${level}`, title: 'Waiting time', dataset: { since: String(since) } },
        icon('clock', 12), h('span', { class: 'wait-text' }, duration(ms)))],
      preview: this.preview(s),
      badge: offered ? h('span', { class: 'chip chip-accent', title: 'Offered to you' }, 'Offered') : null,
      extraClass: 'item-waiting',
      action: h('button', {
        class: 'item-accept btn btn-primary btn-sm', type: 'button', title: 'Accept this chat',
        onclick: (e) => { e.stopPropagation(); act.accept(s.id); },
      }, icon('check', 14), 'Accept'),
    });
  }

  mineItem(s) {
    const { data } = this;
    const unread = this.unread(s.id);
    const at = parseTime(s.last_message && s.last_message.at) || parseTime(s.assigned_at);
    // the desk: how long the visitor has waited for an answer (red past the department's alert)
    const wait = replyWaitBadge(this.data, s);
    return this.item(s, {
      right: [shortcutHint(data.chats.mine().indexOf(s)),
        wait || h('span', { class: 'when', dataset: { at: String(at || '') } }, ago(at))],
      preview: this.preview(s),
      badge: unread ? h('span', { class: 'badge', 'aria-label': `${unread} unread` }, unread > 99 ? '99+' : String(unread)) : null,
      extraClass: `${unread ? 'unread' : ''}${wait && wait.classList.contains('overdue') ? ' overdue' : ''}`,
    });
  }

  historyItem(s) {
    const { data } = this;
    const at = parseTime(s.closed_at) || parseTime(s.last_message && s.last_message.at);
    const missed = !!s.missed;
    return this.item(s, {
      right: h('span', { class: 'when', dataset: { at: String(at || '') } }, ago(at)),
      preview: h('span', { class: 'item-preview' },
        s.last_message && s.last_message.text ? oneLine(s.last_message.text, 90) : 'No messages'),
      badge: missed ? h('span', { class: 'chip chip-warn', title: 'The visitor left before an agent answered' }, 'Missed') : s.assignee ? h('span', { class: 'chip', title: `Handled by ${s.assignee.name || 'an agent'}` },
        data.session.isMine(s) ? 'You' : String(s.assignee.name || '').split(/\s+/)[0]) : null,
      extraClass: 'item-history',
    });
  }

  renderHistoryFoot() {
    const { data, act } = this;
    const hs = data.history;
    let foot = null;
    if (hs.loading && hs.items.length) foot = h('div', { class: 'muted center' }, h('span', { class: 'spinner spinner-xs' }), ' Loading…');
    else if (hs.error && hs.items.length) foot = h('button', { class: 'btn btn-secondary btn-sm btn-block', type: 'button', onclick: () => act.loadHistory() }, 'Retry');
    else if (hs.nextBefore != null) foot = h('button', { class: 'btn btn-secondary btn-sm btn-block', type: 'button', onclick: () => act.loadHistory() }, 'Load older chats');
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

const STATUS_HINTS = {
  online: 'Chats can be offered to you.',
  away: 'No new chats are offered to you.',
  offline: 'No new chats are offered to you.',
};

function cap(s) { return String(s).charAt(0).toUpperCase() + String(s).slice(1); }
