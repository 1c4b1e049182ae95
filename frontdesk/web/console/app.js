// frontdesk agent console: session, live lists, open conversations, the agent socket.
// Contract: docs/protocol.md and docs/api.md.

import { chime, installGestureHooks, notify } from './alerts.js';
import { api, get, post, setCsrf, setUnauthorizedHandler, userFrom } from './api.js';
import { ConversationView } from './conversation.js';
import { canTakeLevel, openShortcuts, typingInField } from './desk.js';
import { Directory } from './directory.js';
import { MonitorPage, ReviewsPage } from './monitor.js';
import { ArchivePage } from './archive.js';
import {
  h, icon, oneLine, parseTime, randomId, replaceChildren, STATUS_LABELS, visitorName,
} from './dom.js';
import { onRated, SETTINGS_SECTIONS } from './privacy.js';
import { SettingsPage } from './settings.js';
import { Sidebar } from './sidebar.js';
import { Supervision } from './supervise.js';
import { AgentSocket } from './socket.js';
import { Conv, ReadMarks } from './store.js';
import { ticketName, ticketView } from './tickets.js';

const TITLE = 'frontdesk console';
const ACK_TIMEOUT = 15000;

class App {
  constructor(root) {
    this.root = root;
    this.reset();
    this.frame = 0;
    setUnauthorizedHandler(() => this.sessionExpired());
    installGestureHooks();
    document.addEventListener('keydown', (e) => this.onKey(e));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden' && this.frame) {
        cancelAnimationFrame(this.frame); // would not fire in the background
        this.frame = 0;
        this.scheduleRender();
      }
      if (document.visibilityState === 'visible' && this.activeConv()) this.markRead(this.activeConv());
    });
    window.addEventListener('focus', () => { if (this.activeConv()) this.markRead(this.activeConv()); });
    window.addEventListener('hashchange', () => this.onHash());
    setInterval(() => this.tick(), 5000);
    setInterval(() => this.watchPending(), 3000);
  }

  reset() {
    this.me = null;
    this.chats = new Map(); // summaries in the lists: queued chats and my active chats
    this.touched = new Map(); // chat id -> when a live update last touched it
    this.convs = new Map(); // chat id -> Conv (open chats, my chats, anything with events)
    this.openIds = [];
    this.activeId = null;
    this.tab = 'inbox';
    this.history = { items: [], nextBefore: null, loading: false, loaded: false, error: null };
    this.listsLoaded = false;
    this.listEpoch = 0;
    this.typingOut = new Map();
    this.marks = null;
    this.conn = { state: 'connecting', retryAt: 0, since: Date.now() };
    this.everConnected = false;
    this.showDetails = localStorage.getItem('fd.console.details') !== '0';
    // departments and routing
    this.directory = new Directory((what) => this.onDirectory(what));
    this.offers = new Map(); // chat id -> {chat, expiresAt, total, busy}
    this.lastOfferExpiry = 0;
    this.myStatus = null; // 'online' | 'away' | 'offline' once known
    this.statusBusy = false;
    this.statusRequest = null;
    this.statusEpoch = 0;
    this.deptFilter = null; // department id shown in Waiting, or null for all
    this.tickets = { items: [], loading: false, loaded: false, error: null, nextBefore: null, busy: null };
    this.screen = null; // null (chats) | {kind: 'ticket', id} | {kind: 'settings', route}
    this.settings = null;
    this.lastChime = 0;
    this.supervision = new Supervision(this); // watching, whispers, join, take over, reviews
    this.monitorPage = null;
    this.reviewsPage = null;
  }

  // ===== session ============================================================================
  async boot() {
    this.root.replaceChildren(h('div', { class: 'splash' }, h('span', { class: 'spinner' })));
    try {
      const data = await api('GET', '/api/v1/auth/me', undefined, { auth: false });
      this.startSession(data);
    } catch (err) {
      this.showLogin(err.status === 401 || err.status === 403 ? null : err.message);
    }
  }

  showLogin(message) {
    this.stopSession();
    document.title = TITLE;
    const email = h('input', { id: 'login-email', type: 'email', name: 'email', autocomplete: 'username', required: true, placeholder: 'you@company.com' });
    const password = h('input', { id: 'login-password', type: 'password', name: 'password', autocomplete: 'current-password', required: true, placeholder: '••••••••' });
    const error = h('div', { class: 'form-error', role: 'alert', hidden: !message }, icon('alert', 16), h('span', null, message || ''));
    const button = h('button', { class: 'btn btn-primary btn-lg btn-block', type: 'submit' }, 'Sign in');
    const showError = (text) => {
      error.hidden = !text;
      error.querySelector('span').textContent = text || '';
    };
    const form = h('form', { class: 'login-form', novalidate: true },
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Email'), email),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Password'), password),
      error, button);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!email.value.trim() || !password.value) {
        showError('Enter your email and password.');
        (email.value.trim() ? password : email).focus();
        return;
      }
      button.disabled = true;
      button.textContent = 'Signing in…';
      showError(null);
      try {
        const data = await api('POST', '/api/v1/auth/login', { email: email.value.trim(), password: password.value }, { auth: false });
        this.startSession(data);
      } catch (err) {
        button.disabled = false;
        button.textContent = 'Sign in';
        if (/deactivated/i.test(err.message || '')) showError(err.message); // the right password, a deactivated account
        else if (err.status === 401 || err.code === 'unauthorized') showError('That email and password do not match.');
        else if (err.status === 429) showError(`Too many attempts. Try again in ${err.retryAfter ? `${Math.ceil(err.retryAfter)} seconds` : 'a minute'}.`);
        else showError(err.message);
        password.select();
      }
    });
    this.root.replaceChildren(h('div', { class: 'login' },
      h('div', { class: 'login-card' },
        h('div', { class: 'brand brand-lg' }, h('span', { class: 'brand-mark' }, icon('chat', 20)), h('span', { class: 'brand-name' }, 'frontdesk')),
        h('h1', null, 'Sign in to the console'),
        h('p', { class: 'login-sub' }, 'Answer your visitors in real time.'),
        form),
      h('p', { class: 'login-foot' }, 'Self-hosted live chat · your data stays on your server')));
    setTimeout(() => email.focus(), 0);
  }

  startSession(data) {
    const user = userFrom(data);
    if (!user) { this.showLogin('The server sent an unexpected answer.'); return; }
    this.stopSession();
    this.reset();
    this.me = user;
    setCsrf(data.csrf_token);
    this.marks = new ReadMarks(user.id);
    if (STATUS_LABELS[user.status]) this.myStatus = user.status;
    const filter = Number(localStorage.getItem(this.storeKey('deptFilter')));
    this.deptFilter = Number.isInteger(filter) && filter > 0 ? filter : null;
    const route = parseRoute(); // read before restoreOpen rewrites the hash
    this.renderShell();
    this.restoreOpen();
    this.directory.loadDepartments();
    this.refreshMyStatus();
    this.loadTickets(true);
    if (route && route.kind === 'settings') this.showSettings(route.route);
    else if (route && route.kind === 'ticket') this.openTicket(route.id);
    else if (route && (route.kind === 'monitor' || route.kind === 'reviews')) this.showPage(route.kind);
    else if (route && route.kind === 'archive') this.showArchive(route.id);
    this.socket = new AgentSocket({
      onFrame: (f) => this.onFrame(f),
      onStatus: (s) => this.onConnStatus(s),
      onUnauthorized: () => this.sessionExpired(),
      onFatal: () => this.toast('The server refused this page’s origin. Open the console from its own address.', 'error', { sticky: true }),
      checkSession: async () => {
        try { await api('GET', '/api/v1/auth/me', undefined, { auth: false }); return true; } catch (err) {
          if (err.status === 401) { this.sessionExpired(); return false; }
          return true;
        }
      },
    });
    this.socket.start();
    this.refreshLists();
  }

  stopSession() {
    if (this.socket) this.socket.stop();
    this.socket = null;
    for (const conv of this.convs?.values() || []) clearTimeout(conv.typingTimer);
    for (const t of this.typingOut?.values() || []) clearTimeout(t.timer);
  }

  sessionExpired() {
    if (!this.me) return;
    this.me = null;
    setCsrf(null);
    this.showLogin('Your session has ended. Please sign in again.');
  }

  async logout() {
    const sock = this.socket;
    if (sock) sock.stop();
    try { await post('/api/v1/auth/logout'); } catch { /* the session may already be gone */ }
    this.me = null;
    setCsrf(null);
    sessionStorage.removeItem(this.storeKey('open'));
    history.replaceState(null, '', location.pathname);
    this.showLogin(null);
  }

  storeKey(what) { return `fd.console.${what}.${this.me ? this.me.id : 'x'}`; }

  // ===== shell ===============================================================================
  renderShell() {
    this.sidebar = new Sidebar(this);
    this.tabsEl = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Open chats' });
    this.bannerEl = h('div', { class: 'banner', hidden: true, role: 'status' });
    this.stage = h('div', { class: 'stage' });
    this.toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
    this.main = h('main', { class: `main${this.showDetails ? ' with-details' : ''}` }, this.bannerEl, this.tabsEl, this.stage);
    this.root.replaceChildren(h('div', { class: 'app' }, this.sidebar.root, this.main), this.toasts);
    this.renderStage();
    this.scheduleRender();
  }

  scheduleRender() {
    if (this.frame) return;
    const run = () => {
      this.frame = 0;
      if (!this.me || !this.sidebar) return;
      this.sidebar.render();
      this.renderTabs();
      this.updateTitle();
      if (this.screen && this.screen.kind === 'ticket') this.renderTicket();
      else if (this.activeId == null && !this.screen) this.renderEmpty();
    };
    // Background tabs get no animation frames, but the title must still count new chats.
    this.frame = document.visibilityState === 'hidden' ? setTimeout(run, 100) : requestAnimationFrame(run);
  }

  updateTitle() {
    const n = this.waitingChats().length + this.myChats().reduce((sum, s) => sum + this.unreadOf(s.id), 0);
    document.title = n ? `(${n}) ${TITLE}` : TITLE;
  }

  renderTabs() {
    this.tabsEl.hidden = this.openIds.length === 0;
    replaceChildren(this.tabsEl, this.openIds.map((id) => {
      const conv = this.convs.get(id);
      const s = (conv && conv.summary) || { id };
      const name = visitorName(s);
      const unread = this.unreadOf(id);
      const active = id === this.activeId;
      const status = s.status || 'unknown';
      const closeBtn = h('span', {
        class: 'tab-close', role: 'button', tabindex: '-1', title: 'Close tab', 'aria-label': `Close ${name}`,
        onclick: (e) => { e.stopPropagation(); this.closeTab(id); },
      }, icon('x', 13));
      return h('button', {
        class: `tab${active ? ' active' : ''} tab-${status}`, type: 'button', role: 'tab',
        'aria-selected': String(active), title: `${name} — ${status}`,
        onclick: () => this.activate(id),
        onauxclick: (e) => { if (e.button === 1) { e.preventDefault(); this.closeTab(id); } },
      }, h('i', { class: `status-dot dot-${status}` }), h('span', { class: 'tab-name' }, name),
      unread && !active ? h('span', { class: 'badge badge-sm' }, String(unread)) : null, closeBtn);
    }));
  }

  renderStage() {
    if (this.activeId == null && !this.screen) this.renderEmpty();
  }

  renderEmpty() {
    if (this.activeId != null || this.screen) return;
    const waiting = this.waitingChats();
    const mine = this.myChats();
    const next = waiting[0];
    const el = h('div', { class: 'empty-state' },
      h('div', { class: 'empty-icon' }, icon('inbox', 28)),
      h('h2', null, waiting.length ? `${waiting.length} visitor${waiting.length === 1 ? ' is' : 's are'} waiting` : 'You’re all caught up'),
      h('p', null, waiting.length
        ? 'Accept the next chat, or pick one from the Waiting list.'
        : mine.length ? 'Pick one of your chats on the left to continue the conversation.'
          : 'New chats appear under Waiting with a sound and a desktop notification.'),
      next ? h('button', { class: 'btn btn-primary btn-lg', type: 'button', onclick: () => this.accept(next.id) },
        icon('check', 16), `Accept next chat — ${visitorName(next)}`) : null,
      h('div', { class: 'shortcuts' },
        h('div', null, h('kbd', null, 'Alt'), h('kbd', null, '↑'), h('kbd', null, '↓'), h('span', null, 'Switch between open chats')),
        h('div', null, h('kbd', null, 'Alt'), h('kbd', null, '1…9'), h('span', null, 'Open one of My chats')),
        h('div', null, h('kbd', null, '?'), h('span', null, 'All shortcuts')),
        h('div', null, h('kbd', null, 'Enter'), h('span', null, 'Send reply')),
        h('div', null, h('kbd', null, 'Shift'), h('kbd', null, 'Enter'), h('span', null, 'New line'))));
    this.stage.replaceChildren(el);
  }

  toggleDetails() {
    if (window.matchMedia('(max-width: 1139px)').matches) {
      this.main.classList.toggle('details-overlay');
    } else {
      this.showDetails = !this.showDetails;
      localStorage.setItem('fd.console.details', this.showDetails ? '1' : '0');
      this.main.classList.toggle('with-details', this.showDetails);
    }
    const conv = this.activeConv();
    if (conv && conv.view) conv.view.renderDetails();
  }

  setTab(tab) {
    this.tab = tab;
    if (tab === 'history' && !this.history.loaded && !this.history.loading) this.loadHistory(true);
    if (tab === 'tickets' && !this.tickets.loading) this.loadTickets(true);
    this.scheduleRender();
  }

  toast(text, kind = 'info', { sticky = false, action = null } = {}) {
    if (!this.toasts) return;
    for (const t of this.toasts.children) {
      if (t.dataset.text === text) { t.remove(); break; }
    }
    const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', dataset: { text } },
      icon(kind === 'error' || kind === 'warn' ? 'alert' : kind === 'success' ? 'check' : 'info', 16),
      h('span', { class: 'toast-text' }, text),
      action ? h('button', { class: 'toast-action', type: 'button', onclick: () => { el.remove(); action.run(); } }, action.label) : null,
      h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss', onclick: () => el.remove() }, icon('x', 14)));
    this.toasts.appendChild(el);
    while (this.toasts.children.length > 4) this.toasts.firstChild.remove();
    if (!sticky) setTimeout(() => { el.classList.add('leaving'); setTimeout(() => el.remove(), 250); }, kind === 'error' ? 7000 : 4500);
  }

  // ===== connection ==========================================================================
  onConnStatus(s) {
    const prev = this.conn.state;
    this.conn = { state: s.state, retryAt: s.retryAt || 0, since: prev === s.state ? this.conn.since : Date.now() };
    if (this.sidebar) this.sidebar.setConnection(s.state, s.retryAt);
    this.renderBanner();
    if (s.state === 'open' || prev === 'open') {
      for (const conv of this.convs.values()) if (conv.pending.size && conv.view) conv.view.renderThread();
    }
  }

  renderBanner() {
    if (!this.bannerEl) return;
    clearTimeout(this.bannerTimer);
    const { state, retryAt } = this.conn;
    if (state === 'open' || state === 'stopped') { this.bannerEl.hidden = true; return; }
    if (!this.everConnected && Date.now() - this.conn.since < 2500) {
      this.bannerTimer = setTimeout(() => this.renderBanner(), 600);
      return;
    }
    this.bannerEl.hidden = false;
    let text;
    if (state === 'refused') text = 'The server refused the live connection.';
    else if (state === 'waiting') {
      const secs = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000));
      text = `Connection lost. Reconnecting in ${secs}s…`;
    } else text = 'Connecting to the server…';
    replaceChildren(this.bannerEl, h('span', { class: 'spinner spinner-xs' }), h('span', null, text),
      state === 'waiting' ? h('button', { class: 'linkbtn', type: 'button', onclick: () => this.socket && this.socket.connectNow() }, 'Reconnect now') : null,
      h('span', { class: 'banner-note' }, 'Replies you send now go out when the connection is back.'));
    this.bannerTimer = setTimeout(() => this.renderBanner(), 1000);
  }

  connected() { return !!this.socket && this.socket.connected; }

  send(frame) { return !!this.socket && this.socket.send(frame); }

  // ===== frames ==============================================================================
  onFrame(f) {
    if (this.supervision.onFrame(f)) return;
    if (this.screen && this.screen.kind === 'monitor' && this.monitorPage && this.monitorPage.onFrame(f)) return;
    switch (f.type) {
      case 'welcome': this.onWelcome(f); break;
      case 'chat.updated': if (f.chat && f.chat.id != null) this.upsert(f.chat, { live: true }); break;
      case 'event': this.onEvent(f); break;
      case 'typing': this.onTyping(f); break;
      case 'ack': this.onAck(f); break;
      case 'synced': this.onSynced(f); break;
      case 'error': this.onError(f); break;
      case 'chat.offered': this.onOffered(f); break;
      case 'agent.status': this.onAgentStatus(f); break;
      case 'ticket.created': this.onTicket(f, true); break;
      case 'ticket.updated': this.onTicket(f, false); break;
      case 'chat.rated': onRated(this, f); break;
      default: break; // unknown frames are ignored (forward compatibility)
    }
  }

  onWelcome(f) {
    if (f.agent && this.me) {
      this.me = { ...this.me, ...f.agent };
      if (STATUS_LABELS[f.agent.status]) { this.myStatus = f.agent.status; this.statusEpoch += 1; }
      this.sidebar.renderFoot();
    }
    const reconnect = !!this.everConnected;
    this.everConnected = true;
    this.renderBanner();
    // The lists again, now that the socket hears every change: a chat that arrived after the
    // first fetch but before the socket subscribed would otherwise be missing until a reload.
    this.refreshLists();
    if (reconnect) this.loadTickets(true);
    if (!(f.agent && STATUS_LABELS[f.agent.status])) this.refreshMyStatus();
    this.supervision.onWelcome();
    if (this.screen && this.screen.kind === 'monitor' && this.monitorPage) this.monitorPage.start();
    for (const conv of this.convs.values()) {
      if (conv.loaded) this.requestSync(conv, true);
      else if (this.openIds.includes(conv.id) && !conv.loading) this.loadConv(conv);
      for (const p of conv.pending.values()) if (p.status === 'pending') this.transmit(conv, p);
    }
  }

  upsert(s, { live = false } = {}) {
    const id = s.id;
    const conv = this.convs.get(id);
    const prev = this.chats.get(id) || (conv && conv.summary) || null;
    if (prev && (Number(prev.last_seq) || 0) > (Number(s.last_seq) || 0)) return; // stale
    const mine = this.isMine(s);
    if (s.status === 'queued' && (!this.watches(s.department) || !canTakeLevel(this, s))) {
      // e.g. a chat I just transferred to a department I do not work in: not my queue
      this.chats.delete(id);
      this.offers.delete(id);
      if (conv && conv.view) { conv.summary = s; conv.view.update(); }
      this.scheduleRender();
      return;
    }
    const offer = this.offers.get(id);
    if (!offer && this.offeredToMe(s)) {
      // offered while this tab was away (another tab, a reload): show it too
      const at = parseTime(s.offer_expires_at);
      if (at && at > Date.now() + 1000) this.offers.set(id, { chat: s, expiresAt: at, total: this.offerTotal(s, at), busy: null });
    } else if (offer) {
      if (!this.stillOffered(s)) {
        this.offers.delete(id);
        if (s.status === 'active' && !mine && live) this.toast(`${visitorName(s)} was taken by ${(s.assignee && s.assignee.name) || 'another agent'}`, 'info');
      } else {
        offer.chat = s;
      }
    }
    const listed = (s.status === 'queued') || (s.status === 'active' && mine);
    const wasQueued = !!prev && prev.status === 'queued';
    if (listed) this.chats.set(id, s);
    else this.chats.delete(id);
    if (live) this.touched.set(id, Date.now());

    if (conv) {
      const before = conv.summary;
      conv.summary = s;
      if (before && before.status === 'queued' && s.status === 'active' && !mine) {
        const who = s.assignee && s.assignee.name ? ` (${s.assignee.name})` : '';
        conv.notice = { kind: 'warn', text: `Another agent took this chat${who}.` };
      } else if (s.status === 'active' && mine) {
        conv.notice = null;
      }
      if (s.status === 'closed') {
        conv.visitorTyping = false;
        this.stopTyping(conv);
      }
      if (conv.view) conv.view.update();
      if (conv.loaded && conv.behind()) this.scheduleGapCheck(conv);
      if (listed && mine && !conv.loaded && !conv.loading) this.loadConv(conv);
    } else if (listed && mine) {
      this.loadConv(this.ensureConv(id, s));
    }

    if (!listed && conv && !this.openIds.includes(id) && !conv.pending.size) this.convs.delete(id);

    if (s.status === 'closed' && this.history.loaded) {
      const i = this.history.items.findIndex((x) => x.id === id);
      if (i >= 0) this.history.items[i] = s;
      else this.history.items.unshift(s);
    }

    if (live && s.status === 'queued' && !wasQueued) this.announceQueued(s);
    this.scheduleRender();
  }

  /** Whether this agent works the department's queue (leads see every queue). */
  watches(dept) {
    const role = this.me && this.me.role;
    if (!dept || dept.id == null || role === 'admin' || role === 'manager' || role === 'supervisor') return true;
    const me = this.directory.user(this.me.id);
    if (!me || !Array.isArray(me.departments)) return true; // not known yet: trust the server
    return me.departments.some((d) => Number(d && typeof d === 'object' ? d.id : d) === Number(dept.id)
      || (typeof d === 'string' && d === dept.slug));
  }

  offeredToMe(s) {
    return s.status === 'queued' && s.offered_to != null && this.me
      && Number(typeof s.offered_to === 'object' ? s.offered_to.id : s.offered_to) === Number(this.me.id);
  }

  /** The full length of an offer, for the countdown bar: the department's timeout if known. */
  offerTotal(s, expiresAt) {
    const dept = s.department && this.directory.department(s.department.id);
    const timeout = dept && Number(dept.offer_timeout_seconds);
    return Math.max(1000, timeout ? timeout * 1000 : expiresAt - Date.now());
  }

  /** Whether a summary still shows the chat offered to me (queued, and not offered to someone else). */
  stillOffered(s) {
    if (s.status !== 'queued' || s.assignee) return false;
    if (!('offered_to' in s)) return true; // the summary does not say: keep the offer until it expires
    const to = s.offered_to;
    if (to === null) return false;
    const id = typeof to === 'object' ? to.id : to;
    return Number(id) === Number(this.me && this.me.id);
  }

  chimeOnce(kind) {
    if (Date.now() - this.lastChime < 1500) return;
    this.lastChime = Date.now();
    chime(kind);
  }

  announceQueued(s) {
    if (this.offers.has(s.id)) return;
    this.chimeOnce('queue');
    const name = visitorName(s);
    const text = s.last_message && s.last_message.text ? oneLine(s.last_message.text, 120) : 'A visitor is waiting for an agent.';
    notify(`New chat — ${name}`, text, `fd-queue-${s.id}`, () => this.openChat(s.id, this.chats.get(s.id) || s));
  }

  ensureConv(id, summary = null) {
    let conv = this.convs.get(id);
    if (!conv) {
      conv = new Conv(id, summary || this.chats.get(id) || null);
      if (this.marks) conv.readSeq = this.marks.get(id);
      this.restorePending(conv);
      this.convs.set(id, conv);
      if (conv.pending.size && this.connected()) {
        for (const p of conv.pending.values()) if (p.status === 'pending') this.transmit(conv, p);
      }
    } else if (summary && (!conv.summary || (Number(summary.last_seq) || 0) >= (Number(conv.summary.last_seq) || 0))) {
      conv.summary = summary;
    }
    return conv;
  }

  onEvent(f) {
    if (f.chat_id == null) return;
    const ev = { ...f };
    delete ev.type;
    const conv = this.ensureConv(f.chat_id);
    const { added, gap } = conv.addEvent(ev);
    if (!added) return;
    if (gap) this.requestSync(conv);
    this.supervision.afterEvent(conv, ev);
    const s = conv.summary;
    if (s && ev.kind === 'message') {
      // keep the list preview current until the chat.updated that follows
      const patched = { ...s, last_seq: Math.max(Number(s.last_seq) || 0, ev.seq),
        last_message: { text: ev.text, author: ev.author && ev.author.type, at: ev.created_at } };
      conv.summary = patched;
      if (this.chats.has(conv.id)) this.chats.set(conv.id, patched);
    }
    const fromVisitor = ev.kind === 'message' && ev.author && ev.author.type === 'visitor';
    if (fromVisitor) {
      conv.visitorTyping = false;
      conv.visitorDraft = ''; // sent: the draft is now the message
      clearTimeout(conv.typingTimer);
      if (conv.view) conv.view.renderTyping();
      if (s && this.isMine(s) && conv.loaded) {
        const viewing = conv.id === this.activeId && document.visibilityState === 'visible' && document.hasFocus();
        if (!viewing) {
          chime('message');
          if (document.visibilityState !== 'visible' || !document.hasFocus()) {
            notify(visitorName(s), oneLine(ev.text, 140), `fd-chat-${conv.id}`, () => this.openChat(conv.id));
          }
        }
      }
    }
    if (conv.view) conv.view.renderThread();
    this.markRead(conv);
    this.scheduleRender();
  }

  onTyping(f) {
    if (!f.author || f.author.type !== 'visitor' || f.chat_id == null) return;
    const conv = this.convs.get(f.chat_id) || (this.chats.has(f.chat_id) ? this.ensureConv(f.chat_id) : null);
    if (!conv) return;
    conv.visitorTyping = !!f.typing;
    // sneak peek: the draft comes with typing where the department allows it (desk.md)
    conv.visitorDraft = f.typing && typeof f.text === 'string' ? f.text : '';
    clearTimeout(conv.typingTimer);
    if (conv.visitorTyping) {
      conv.typingTimer = setTimeout(() => {
        conv.visitorTyping = false;
        if (conv.view) conv.view.renderTyping();
        this.scheduleRender();
      }, 8000);
    }
    if (conv.view) {
      const stick = conv.view.attached && conv.view.atBottom();
      conv.view.renderTyping();
      if (stick) conv.view.scrollToBottom(false);
    }
    this.scheduleRender();
  }

  onAck(f) {
    let conv = f.chat_id != null ? this.convs.get(f.chat_id) : null;
    if (!conv) conv = [...this.convs.values()].find((c) => c.pending.has(f.ref));
    if (!conv) return;
    conv.pending.delete(f.ref);
    this.savePending();
    const ev = f.event ? { ...f.event } : null;
    if (ev) {
      delete ev.type;
      if (ev.seq == null) ev.seq = f.seq;
      const { gap } = conv.addEvent(ev);
      if (gap) this.requestSync(conv);
    }
    if (conv.view) conv.view.renderThread();
    this.scheduleRender();
  }

  onSynced(f) {
    const conv = this.convs.get(f.chat_id);
    if (!conv) return;
    conv.syncing = false;
    if (conv.summary && Number(f.last_seq) > (Number(conv.summary.last_seq) || 0)) {
      conv.summary = { ...conv.summary, last_seq: Number(f.last_seq) };
    }
    if (conv.loaded && conv.maxSeq > conv.lastSeq) this.fetchMissing(conv);
  }

  onError(f) {
    const code = f.code || 'internal';
    let conv = null;
    let pending = null;
    if (f.ref) {
      for (const c of this.convs.values()) {
        if (c.pending.has(f.ref)) { conv = c; pending = c.pending.get(f.ref); break; }
      }
    }
    if (pending && code === 'scripted' && conv.view) {
      // scripted mode: nothing was stored; the message goes back into the composer with the reason
      conv.pending.delete(f.ref);
      this.savePending();
      conv.view.canned.refused(pending.text, f.message || 'Pick an approved response with #.');
      conv.view.renderThread();
      return;
    }
    if (pending) {
      if ((code === 'rate_limited' || code === 'unavailable') && pending.tries < 4) {
        const wait = (Number(f.retry_after) || (code === 'unavailable' ? 1 : 2)) * 1000;
        pending.status = 'pending';
        pending.sentAt = 0;
        pending.holdUntil = Date.now() + wait + Math.random() * 500;
        if (code === 'rate_limited') this.toast(f.message || 'You are sending messages too fast.', 'warn');
      } else {
        pending.status = 'failed';
        pending.error = code === 'chat_closed' ? 'Chat is closed' : code === 'too_large' ? 'Message too long'
          : code === 'forbidden' || code === 'not_found' ? 'Not your chat any more' : 'Not sent';
        this.toast(f.message || 'Your message could not be sent.', 'error');
      }
      this.savePending();
      if (conv.view) conv.view.renderThread();
      return;
    }
    if (code === 'conflict') {
      this.toast('Another agent took this chat', 'warn');
      return;
    }
    for (const c of this.convs.values()) if (c.syncing) c.syncing = false;
    this.toast(f.message || `Server error: ${code}`, code === 'rate_limited' ? 'warn' : 'error');
  }

  // ===== sync ================================================================================
  requestSync(conv, force = false) {
    if (!conv.loaded) return;
    if (conv.syncing && !force && Date.now() - conv.syncSentAt < 5000) return;
    if (this.send({ type: 'sync', chat_id: conv.id, after: conv.lastSeq })) {
      conv.syncing = true;
      conv.syncSentAt = Date.now();
    }
  }

  scheduleGapCheck(conv) {
    clearTimeout(conv.gapTimer);
    conv.gapTimer = setTimeout(() => { if (conv.behind()) this.requestSync(conv); }, 400);
  }

  /** Fallback when the socket sync left a hole: read the missing range over HTTP. */
  async fetchMissing(conv) {
    try {
      const r = await get(`/api/v1/chats/${conv.id}/messages?after=${conv.lastSeq}&limit=500`);
      for (const ev of (r && r.events) || []) conv.addEvent(ev);
      if (conv.view) conv.view.renderThread();
      this.scheduleRender();
    } catch { /* next reconnect syncs again */ }
  }

  // ===== data ================================================================================
  async fetchChats(status) {
    const out = [];
    let before = null;
    for (let page = 0; page < 20; page++) {
      const r = await get(`/api/v1/chats?status=${status}${before != null ? `&before=${before}` : ''}`);
      out.push(...((r && r.chats) || []));
      before = r && r.next_before != null ? r.next_before : null;
      if (before == null) break;
    }
    return out;
  }

  async refreshLists() {
    const epoch = ++this.listEpoch;
    const started = Date.now();
    let queued;
    let active;
    try {
      [queued, active] = await Promise.all([this.fetchChats('queued'), this.fetchChats('active')]);
    } catch (err) {
      if (err.status !== 401 && epoch === this.listEpoch) {
        this.toast(`Could not load chats: ${err.message}`, 'error');
        setTimeout(() => { if (epoch === this.listEpoch && this.me) this.refreshLists(); }, 5000);
      }
      return;
    }
    if (epoch !== this.listEpoch || !this.me) return;
    const seen = new Set();
    for (const s of [...queued, ...active]) {
      seen.add(s.id);
      this.upsert(s, { live: false });
    }
    for (const id of [...this.chats.keys()]) {
      if (!seen.has(id) && (this.touched.get(id) || 0) < started) {
        this.chats.delete(id); // closed or taken while we were away
        if (this.openIds.includes(id)) this.refreshSummary(id);
      }
    }
    this.listsLoaded = true;
    this.scheduleRender();
  }

  async refreshSummary(id) {
    try {
      const r = await get(`/api/v1/chats/${id}`);
      const s = summaryFrom(r);
      if (s) this.upsert(s);
    } catch (err) {
      if (err.status === 404 || err.status === 403) {
        this.chats.delete(id);
        const conv = this.convs.get(id);
        if (conv) {
          conv.notice = { kind: 'warn', text: 'This chat is no longer available to you.' };
          if (conv.view) conv.view.update();
        }
        this.scheduleRender();
      }
    }
  }

  loadConv(conv, force = false) {
    if (conv.loading) return conv.loading;
    if (conv.loaded && !force) return Promise.resolve();
    conv.loadError = null;
    conv.loading = (async () => {
      try {
        if (!conv.summary) {
          const s = summaryFrom(await get(`/api/v1/chats/${conv.id}`));
          if (s) conv.summary = s;
          if (conv.view) conv.view.update();
        }
        if (conv.view) conv.view.renderThread();
        let after = 0;
        for (let page = 0; page < 100; page++) {
          const r = await get(`/api/v1/chats/${conv.id}/messages?after=${after}&limit=500`);
          const events = (r && r.events) || [];
          for (const ev of events) conv.addEvent(ev);
          if (events.length < 500) break;
          after = events[events.length - 1].seq;
        }
        conv.loaded = true;
        if (conv.behind()) this.requestSync(conv, true);
      } catch (err) {
        conv.loadError = err.status === 404 ? 'This chat does not exist or is not yours.' : `Could not load the conversation: ${err.message}`;
      } finally {
        conv.loading = null;
        if (conv.view) { conv.view.update(); conv.view.renderThread(); }
        this.markRead(conv);
        this.scheduleRender();
      }
    })();
    return conv.loading;
  }

  async loadHistory(reset = false) {
    const hs = this.history;
    if (hs.loading) return;
    if (reset) { hs.items = []; hs.nextBefore = null; hs.loaded = false; }
    hs.loading = true;
    hs.error = null;
    this.scheduleRender();
    try {
      const before = !reset && hs.nextBefore != null ? `&before=${hs.nextBefore}` : '';
      const r = await get(`/api/v1/chats?status=closed${before}`);
      const have = new Set(hs.items.map((s) => s.id));
      for (const s of (r && r.chats) || []) if (!have.has(s.id)) hs.items.push(s);
      hs.nextBefore = r && r.next_before != null ? r.next_before : null;
      hs.loaded = true;
    } catch (err) {
      hs.error = `Could not load history: ${err.message}`;
    } finally {
      hs.loading = false;
      this.scheduleRender();
    }
  }

  // ===== lists ===============================================================================
  isMine(s) {
    return !!(s && s.assignee && this.me && Number(s.assignee.id) === Number(this.me.id));
  }

  waitingChats() {
    return [...this.chats.values()].filter((s) => s.status === 'queued')
      .sort((a, b) => (parseTime(a.queued_at || a.created_at) || 0) - (parseTime(b.queued_at || b.created_at) || 0) || a.id - b.id);
  }

  /** The Waiting list as shown: only the chosen department's chats when filtered. */
  filteredWaiting() {
    const all = this.waitingChats();
    if (!this.deptFilter) return all;
    return all.filter((s) => s.department && Number(s.department.id) === Number(this.deptFilter));
  }

  setDeptFilter(value) {
    const id = Number(value);
    this.deptFilter = Number.isInteger(id) && id > 0 ? id : null;
    try {
      if (this.deptFilter) localStorage.setItem(this.storeKey('deptFilter'), String(this.deptFilter));
      else localStorage.removeItem(this.storeKey('deptFilter'));
    } catch { /* private mode */ }
    this.scheduleRender();
  }

  myChats() {
    const at = (s) => parseTime(s.last_message && s.last_message.at) || parseTime(s.assigned_at) || parseTime(s.created_at) || 0;
    return [...this.chats.values()].filter((s) => s.status === 'active' && this.isMine(s))
      .sort((a, b) => at(b) - at(a) || b.id - a.id);
  }

  unreadOf(id) {
    const conv = this.convs.get(id);
    if (conv && conv.loaded) return conv.unread();
    const s = this.chats.get(id);
    if (s && s.status === 'active' && s.last_message && s.last_message.author === 'visitor'
        && (Number(s.last_seq) || 0) > (this.marks ? this.marks.get(id) : 0)) return 1;
    return 0;
  }

  isVisitorTyping(id) {
    const conv = this.convs.get(id);
    return !!(conv && conv.visitorTyping);
  }

  markRead(conv) {
    if (!conv || conv.id !== this.activeId || !conv.loaded) return;
    if (document.visibilityState !== 'visible') return;
    if (!conv.view || !conv.view.attached || !conv.view.atBottom()) return;
    if (conv.readSeq >= conv.maxSeq) return;
    conv.readSeq = conv.maxSeq;
    if (this.marks) this.marks.set(conv.id, conv.maxSeq);
    this.scheduleRender();
  }

  // ===== open chats ==========================================================================
  activeConv() { return this.activeId != null ? this.convs.get(this.activeId) : null; }

  openChat(id, summary = null) {
    const conv = this.ensureConv(id, summary);
    if (!this.openIds.includes(id)) this.openIds.push(id);
    this.activate(id);
    if (!conv.loaded && !conv.loading) this.loadConv(conv);
    this.supervision.maybeWatch(conv); // a lead follows someone else's chat live
  }

  activate(id) {
    const conv = this.convs.get(id);
    if (!conv) return;
    this.leaveScreen();
    const current = this.activeConv();
    if (current && current !== conv && current.view) current.view.detach();
    this.activeId = id;
    if (!conv.view) conv.view = new ConversationView(conv, this);
    if (!conv.view.attached) {
      this.stage.replaceChildren();
      conv.view.attach(this.stage);
    }
    conv.view.focusComposer();
    this.markRead(conv);
    this.saveOpen();
    const hash = `#chat/${id}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    this.scheduleRender();
  }

  closeTab(id) {
    const i = this.openIds.indexOf(id);
    if (i < 0) return;
    this.openIds.splice(i, 1);
    const conv = this.convs.get(id);
    if (conv) this.stopTyping(conv);
    this.supervision.unwatch(id);
    if (this.activeId === id) {
      if (conv && conv.view) conv.view.detach();
      this.activeId = null;
      const next = this.openIds[Math.min(i, this.openIds.length - 1)];
      if (next != null) this.activate(next);
      else {
        history.replaceState(null, '', location.pathname);
        this.renderEmpty();
      }
    }
    if (conv && !this.chats.has(id) && !conv.pending.size) this.convs.delete(id);
    this.saveOpen();
    this.scheduleRender();
  }

  moveActive(delta) {
    const n = this.openIds.length;
    if (!n) return;
    const i = this.openIds.indexOf(this.activeId);
    const next = i < 0 ? (delta > 0 ? 0 : n - 1) : (i + delta + n) % n;
    this.activate(this.openIds[next]);
  }

  saveOpen() {
    if (!this.me) return;
    try {
      sessionStorage.setItem(this.storeKey('open'), JSON.stringify({ ids: this.openIds, active: this.activeId }));
    } catch { /* private mode */ }
  }

  restoreOpen() {
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(this.storeKey('open')) || 'null'); } catch { saved = null; }
    const ids = Array.isArray(saved && saved.ids) ? saved.ids.filter((x) => Number.isInteger(x)) : [];
    const fromHash = parseHash();
    if (fromHash != null && !ids.includes(fromHash)) ids.push(fromHash);
    for (const id of ids.slice(0, 12)) {
      this.ensureConv(id);
      this.openIds.push(id);
    }
    const active = fromHash ?? (saved && saved.active);
    if (active != null && this.openIds.includes(active)) this.openChat(active);
    else if (this.openIds.length) this.openChat(this.openIds[0]);
    for (const id of this.openIds) {
      const c = this.convs.get(id);
      if (c && !c.loaded && !c.loading) this.loadConv(c);
    }
  }

  onHash() {
    if (!this.me) return;
    const route = parseRoute();
    if (route && route.kind === 'settings') {
      if (!this.screen || this.screen.kind !== 'settings' || this.screen.route !== route.route) this.showSettings(route.route);
      return;
    }
    if (route && route.kind === 'ticket') {
      if (!this.screen || this.screen.kind !== 'ticket' || this.screen.id !== route.id) this.openTicket(route.id);
      return;
    }
    if (route && route.kind === 'archive') {
      if (!this.screen || this.screen.kind !== 'archive') this.showArchive(route.id);
      else if (route.id != null && this.archivePage && route.id !== this.archivePage.chatId) this.archivePage.open(route.id);
      return;
    }
    if (route && (route.kind === 'monitor' || route.kind === 'reviews')) {
      if (!this.screen || this.screen.kind !== route.kind) this.showPage(route.kind);
      return;
    }
    const id = parseHash();
    if (id != null && id !== this.activeId) this.openChat(id);
  }

  onKey(e) {
    if (!this.me) return;
    if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      e.preventDefault();
      this.moveActive(e.key === 'ArrowUp' ? -1 : 1);
    }
    // Alt+1…9: the nth of My chats, as listed (e.code: Alt+digit types a symbol on some layouts)
    const digit = /^Digit([1-9])$/.exec(e.code || '');
    if (digit && e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      const target = this.myChats()[Number(digit[1]) - 1];
      if (target) { e.preventDefault(); this.openChat(target.id, target); }
    }
    if (e.key === '?' && !e.altKey && !e.ctrlKey && !e.metaKey && !typingInField(e) && !document.querySelector('dialog[open]:not(.modal-keys)')) {
      e.preventDefault();
      openShortcuts();
    }
  }

  // ===== actions =============================================================================
  /** Takes a queued chat; resolves to null on success or the error. */
  async accept(id) {
    const conv = this.ensureConv(id);
    if (conv.busy) return { code: 'busy' };
    conv.busy = 'accept';
    if (conv.view) conv.view.update();
    let failure = null;
    try {
      const r = await post(`/api/v1/chats/${id}/accept`);
      this.offers.delete(id);
      this.applyActionResult(conv, r);
      this.openChat(id);
      conv.notice = null;
    } catch (err) {
      failure = err;
      if (err.code === 'conflict') {
        const full = /max|capacity|limit|at most/i.test(err.message || '');
        this.toast(full ? err.message : 'Another agent took this chat', 'warn');
        if (!full) conv.notice = { kind: 'warn', text: 'Another agent took this chat.' };
        this.refreshSummary(id);
      } else if (err.code === 'chat_closed') {
        this.toast('This chat has already ended.', 'warn');
        this.refreshSummary(id);
      } else if (err.status !== 401) {
        this.toast(`Could not accept the chat: ${err.message}`, 'error');
      }
    } finally {
      conv.busy = null;
      if (conv.view) { conv.view.update(); conv.view.focusComposer(); }
      this.scheduleRender();
    }
    return failure;
  }

  async closeChat(id) {
    const conv = this.ensureConv(id);
    if (conv.busy) return;
    conv.busy = 'close';
    this.stopTyping(conv);
    if (conv.view) conv.view.update();
    try {
      const r = await post(`/api/v1/chats/${id}/close`);
      this.applyActionResult(conv, r);
      this.toast('Chat closed', 'success');
    } catch (err) {
      if (err.code === 'chat_closed') this.refreshSummary(id);
      else if (err.status !== 401) this.toast(`Could not close the chat: ${err.message}`, 'error');
    } finally {
      conv.busy = null;
      if (conv.view) conv.view.update();
      this.scheduleRender();
    }
  }

  applyActionResult(conv, r) {
    const s = summaryFrom(r);
    const ev = r && (r.event || (r.kind && r.seq != null ? r : null));
    if (ev && ev.seq != null) {
      const copy = { ...ev };
      delete copy.type;
      conv.addEvent(copy);
      if (conv.view) conv.view.renderThread();
    }
    if (s) this.upsert(s);
    else this.refreshSummary(conv.id);
  }

  // ===== sending =============================================================================
  /** `extra.canned_id`: a canned response inserted with # and sent unchanged (canned.js). */
  sendMessage(conv, text, extra = undefined) {
    const p = { client_id: randomId('a'), text, status: 'pending', at: Date.now(), sentAt: 0, tries: 0, holdUntil: 0 };
    if (extra && extra.canned_id) p.canned_id = extra.canned_id;
    conv.pending.set(p.client_id, p);
    this.savePending();
    this.stopTyping(conv);
    this.transmit(conv, p);
    if (conv.view) conv.view.renderThread();
  }

  transmit(conv, p) {
    p.status = 'pending';
    if (p.holdUntil && Date.now() < p.holdUntil) return;
    const frame = { type: 'message.send', chat_id: conv.id, client_id: p.client_id, text: p.text };
    if (p.canned_id) frame.canned_id = p.canned_id; // the server renders the text itself
    const ok = this.send(frame);
    if (ok) { p.sentAt = Date.now(); p.tries += 1; }
  }

  retrySend(conv, clientId) {
    const p = conv.pending.get(clientId);
    if (!p) return;
    p.error = null;
    p.tries = 0;
    p.holdUntil = 0;
    this.transmit(conv, p); // same client_id: the server stores it at most once
    this.savePending();
    if (conv.view) conv.view.renderThread();
  }

  discardSend(conv, clientId) {
    conv.pending.delete(clientId);
    this.savePending();
    if (conv.view) conv.view.renderThread();
  }

  /** Resends sends that were never put on the wire or never acknowledged. */
  watchPending() {
    if (!this.me || !this.connected()) return;
    const now = Date.now();
    for (const conv of this.convs.values()) {
      let changed = false;
      for (const p of conv.pending.values()) {
        if (p.status !== 'pending') continue;
        if (p.holdUntil && now < p.holdUntil) continue;
        if (!p.sentAt) { this.transmit(conv, p); continue; }
        if (now - p.sentAt > ACK_TIMEOUT) {
          if (p.tries >= 3) {
            p.status = 'failed';
            p.error = 'No answer from the server';
            changed = true;
          } else this.transmit(conv, p);
        }
      }
      if (changed && conv.view) conv.view.renderThread();
    }
  }

  savePending() {
    if (!this.me) return;
    const out = {};
    for (const conv of this.convs.values()) {
      if (conv.pending.size) out[conv.id] = [...conv.pending.values()].map((p) => ({ client_id: p.client_id, text: p.text, at: p.at, canned_id: p.canned_id }));
    }
    try { sessionStorage.setItem(this.storeKey('pending'), JSON.stringify(out)); } catch { /* quota */ }
  }

  restorePending(conv) {
    let all = null;
    try { all = JSON.parse(sessionStorage.getItem(this.storeKey('pending')) || 'null'); } catch { all = null; }
    const list = all && all[conv.id];
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (p && typeof p.client_id === 'string' && typeof p.text === 'string') {
        conv.pending.set(p.client_id, { client_id: p.client_id, text: p.text, at: p.at || Date.now(), status: 'pending', sentAt: 0, tries: 0, holdUntil: 0, canned_id: Number(p.canned_id) || undefined });
      }
    }
  }

  // ===== typing ==============================================================================
  typingInput(conv, hasText) {
    let t = this.typingOut.get(conv.id);
    if (!t) { t = { on: false, lastSent: 0, timer: null }; this.typingOut.set(conv.id, t); }
    if (!hasText) { this.stopTyping(conv); return; }
    const now = Date.now();
    if (!t.on || now - t.lastSent > 3000) {
      if (this.send({ type: 'typing', chat_id: conv.id, typing: true })) { t.on = true; t.lastSent = now; }
    }
    clearTimeout(t.timer);
    t.timer = setTimeout(() => this.stopTyping(conv), 4000);
  }

  stopTyping(conv) {
    const t = this.typingOut.get(conv.id);
    if (!t) return;
    clearTimeout(t.timer);
    if (t.on) this.send({ type: 'typing', chat_id: conv.id, typing: false });
    t.on = false;
  }

  // ===== offers ==============================================================================
  onOffered(f) {
    const s = f.chat;
    if (!s || s.id == null) return;
    const now = Date.now();
    const dept = s.department && this.directory.department(s.department.id);
    const timeout = (dept && Number(dept.offer_timeout_seconds)) || 30;
    let expiresAt = parseTime(f.expires_at);
    // Trust the server's deadline unless this computer's clock is clearly off.
    if (expiresAt == null || expiresAt <= now || expiresAt - now > Math.max(timeout, 600) * 1000) expiresAt = now + timeout * 1000;
    const known = this.offers.get(s.id);
    this.offers.set(s.id, { chat: s, expiresAt, total: Math.max(expiresAt - now, this.offerTotal(s, expiresAt)), busy: known ? known.busy : null });
    this.upsert(s, { live: true });
    if (!known) {
      this.chimeOnce('queue');
      const text = s.last_message && s.last_message.text ? oneLine(s.last_message.text, 120) : 'A visitor is waiting for you.';
      const dname = s.department && s.department.name ? ` · ${s.department.name}` : '';
      notify(`Chat offered to you — ${visitorName(s)}${dname}`, text, `fd-offer-${s.id}`, () => this.openChat(s.id, s));
    }
    this.scheduleRender();
  }

  async acceptOffer(id) {
    const offer = this.offers.get(id);
    if (!offer || offer.busy) return;
    offer.busy = 'accept';
    this.scheduleRender();
    const err = await this.accept(id);
    const still = this.offers.get(id);
    if (!still) return;
    still.busy = null;
    if (!err || ['conflict', 'chat_closed', 'not_found', 'forbidden'].includes(err.code)) this.offers.delete(id);
    this.scheduleRender();
  }

  async declineOffer(id) {
    const offer = this.offers.get(id);
    if (!offer || offer.busy) return;
    offer.busy = 'decline';
    this.scheduleRender();
    try {
      await post(`/api/v1/chats/${id}/decline`);
      this.offers.delete(id);
      this.toast('Declined — the chat goes to the next agent', 'info');
    } catch (err) {
      if (err.status === 401) return;
      if (err.status === 404 || err.status === 409 || err.code === 'chat_closed') {
        this.offers.delete(id);
        this.toast('That offer had already ended.', 'info');
      } else {
        offer.busy = null;
        this.toast(`Could not decline the chat: ${err.message}`, 'error');
      }
    } finally {
      this.scheduleRender();
    }
  }

  /** The countdown ran out and the server has not said otherwise: drop the card. */
  offerExpired(id) {
    if (!this.offers.delete(id)) return;
    this.lastOfferExpiry = Date.now();
    this.scheduleRender();
  }

  // ===== availability ========================================================================
  async refreshMyStatus() {
    const epoch = this.statusEpoch;
    const users = await this.directory.loadUsers(true);
    const me = this.me && users.find((u) => Number(u.id) === Number(this.me.id));
    // the socket's word (welcome, agent.status) wins over a list read that may predate it
    if (me && STATUS_LABELS[me.status] && !this.statusBusy && epoch === this.statusEpoch) {
      this.myStatus = me.status;
      if (this.sidebar) this.sidebar.renderFoot();
    }
  }

  async setMyStatus(status) {
    if (!STATUS_LABELS[status] || this.statusBusy) return;
    const prev = this.myStatus;
    this.myStatus = status;
    this.statusBusy = true;
    this.statusRequest = { status, at: Date.now() };
    this.statusEpoch += 1;
    this.sidebar.renderFoot();
    try {
      const r = await api('PUT', '/api/v1/auth/me/status', { status });
      const got = r && (r.status || (r.user && r.user.status));
      if (STATUS_LABELS[got]) this.myStatus = got;
    } catch (err) {
      this.myStatus = prev;
      if (err.status !== 401) this.toast(`Could not change your status: ${err.message}`, 'error');
    } finally {
      this.statusBusy = false;
      if (this.sidebar) this.sidebar.renderFoot();
    }
  }

  onAgentStatus(f) {
    const status = f.status;
    if (!STATUS_LABELS[status]) return;
    const prev = this.myStatus;
    const req = this.statusRequest;
    const ours = req && req.status === status && Date.now() - req.at < 10000;
    this.myStatus = status;
    this.statusEpoch += 1;
    if (this.sidebar) this.sidebar.renderFoot();
    // frames before `welcome` are the server putting us online as we connect: no news
    if (ours || prev === status || prev == null || !this.connected()) return;
    const reason = String(f.reason || '');
    const goOnline = { label: 'Go online', run: () => this.setMyStatus('online') };
    if (status === 'away' && (/offer|timeout|expire/i.test(reason) || Date.now() - this.lastOfferExpiry < 20000)) {
      this.toast('You were set to Away because an offer expired', 'warn', { sticky: true, action: goOnline });
    } else if (status !== 'online' && /disconnect|connection|idle/i.test(reason)) {
      this.toast(`You were set to ${STATUS_LABELS[status]} because your connection was gone too long`, 'warn', { sticky: true, action: goOnline });
    } else {
      this.toast(`Your status is now ${STATUS_LABELS[status]}`, 'info', status === 'online' ? {} : { action: goOnline });
    }
    if (status !== 'online') this.directory.loadUsers(true);
  }

  // ===== departments and transfers ===========================================================
  onDirectory(what) {
    if (what === 'departments') this.scheduleRender();
    if (this.settings && this.screen && this.screen.kind === 'settings') this.settings.onDirectory(what);
  }

  /** After a successful transfer (the dialog closed): update the chat and tell the agent. */
  transferred(conv, r, choice, wasMine) {
    const before = conv.summary;
    const s = summaryFrom(r);
    if (s) this.upsert(s);
    else if (before && r) {
      // The answer is {chat_id, seq, from_agent, to_agent, to_department}: patch the summary
      // until the chat.updated that follows (or a fresh read) replaces it.
      const patch = r.to_agent
        ? { assignee: r.to_agent, assigned_at: new Date().toISOString() }
        : r.to_department ? { status: 'queued', assignee: null, department: r.to_department, offered_to: null } : {};
      this.upsert({ ...before, ...patch, last_seq: Math.max(Number(before.last_seq) || 0, Number(r.seq) || 0) });
      this.refreshSummary(conv.id);
    }
    if (conv.view) conv.view.renderThread();
    this.toast(`Chat transferred to ${choice.label}`, 'success');
    this.directory.loadUsers(true);
    this.directory.loadDepartments(true);
    if (wasMine) this.closeTab(conv.id);
    this.scheduleRender();
  }

  /** Adds an internal note (agents only); resolves true when stored. */
  async addNote(conv, text) {
    // a retry of the same text reuses its client_id, so the server stores the note once
    if (!conv.noteSend || conv.noteSend.text !== text) conv.noteSend = { text, clientId: randomId('n') };
    try {
      const r = await post(`/api/v1/chats/${conv.id}/notes`, { text, client_id: conv.noteSend.clientId });
      conv.noteSend = null;
      const ev = r && (r.event || (r.kind && r.seq != null ? r : null));
      if (ev && ev.seq != null) {
        const copy = { ...ev };
        delete copy.type;
        conv.addEvent(copy);
        if (conv.view) conv.view.renderThread();
      }
      return true;
    } catch (err) {
      if (err.status === 404) {
        this.toast('Internal notes are not available on this server yet.', 'warn');
      } else if (err.status !== 401) {
        this.toast(`Could not add the note: ${err.message}`, 'error');
      }
      return false;
    }
  }

  // ===== offline messages (tickets) ==========================================================
  async loadTickets(reset = true) {
    const ts = this.tickets;
    if (ts.loading) return;
    ts.loading = true;
    ts.error = null;
    this.scheduleRender();
    try {
      const before = !reset && ts.nextBefore != null ? `&before=${ts.nextBefore}` : '';
      const r = await get(`/api/v1/tickets?status=open${before}`);
      const list = Array.isArray(r) ? r : (r && r.tickets) || [];
      if (reset) ts.items = [];
      const have = new Set(ts.items.map((t) => t.id));
      for (const t of list) if (!have.has(t.id)) ts.items.push(t);
      ts.nextBefore = r && r.next_before != null ? r.next_before : null;
      ts.loaded = true;
    } catch (err) {
      ts.error = err.status === 404 ? 'Offline messages are not available on this server.' : `Could not load messages: ${err.message}`;
    } finally {
      ts.loading = false;
      this.scheduleRender();
    }
  }

  onTicket(f, created) {
    const t = f.ticket;
    if (!t || t.id == null) { this.loadTickets(true); return; }
    const ts = this.tickets;
    const i = ts.items.findIndex((x) => Number(x.id) === Number(t.id));
    if (t.status === 'done') {
      if (i >= 0) ts.items.splice(i, 1);
    } else if (i >= 0) {
      ts.items[i] = { ...ts.items[i], ...t };
    } else if (created) {
      ts.items.unshift(t);
      if (!('text' in t)) this.loadTickets(true);
      this.chimeOnce('message');
      const name = ticketName(t);
      const dept = t.department && (t.department.name || t.department);
      notify(`New offline message — ${name}`, t.text ? oneLine(t.text, 140) : (dept ? `For ${dept}` : ''), `fd-ticket-${t.id}`,
        () => { this.setTab('tickets'); this.openTicket(t.id); });
    }
    this.scheduleRender();
  }

  openTicket(id) {
    const t = this.tickets.items.find((x) => Number(x.id) === Number(id));
    if (!t && !this.tickets.loaded) {
      this.loadTickets(true).then(() => { if (this.tickets.items.some((x) => Number(x.id) === Number(id))) this.openTicket(id); });
      return;
    }
    if (!t) { this.toast('That message is no longer open.', 'info'); return; }
    this.enterScreen({ kind: 'ticket', id: Number(id) });
    if (this.tab !== 'tickets') this.tab = 'tickets';
    const hash = `#ticket/${id}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    this.renderTicket(true);
    this.scheduleRender();
  }

  renderTicket(force = false) {
    if (!this.screen || this.screen.kind !== 'ticket') return;
    const t = this.tickets.items.find((x) => Number(x.id) === Number(this.screen.id));
    if (!t) return;
    const sig = JSON.stringify([t, this.tickets.busy, this.directory.departments.length]);
    if (!force && sig === this.ticketSig && this.stage.firstChild && this.stage.firstChild.classList.contains('ticket-page')) return;
    this.ticketSig = sig;
    const hadFocus = this.stage.contains(document.activeElement);
    this.stage.replaceChildren(ticketView(this, t));
    if (hadFocus || force) {
      const btn = this.stage.querySelector('.conv-actions .btn-primary, .conv-actions .btn');
      if (btn) btn.focus({ preventScroll: true });
    }
  }

  async markTicketDone(id) {
    const ts = this.tickets;
    if (ts.busy) return;
    ts.busy = id;
    this.renderTicket(true);
    try {
      await post(`/api/v1/tickets/${id}/done`);
      const i = ts.items.findIndex((x) => Number(x.id) === Number(id));
      if (i >= 0) ts.items.splice(i, 1);
      this.toast('Message marked as done', 'success');
      const next = ts.items[Math.min(i, ts.items.length - 1)];
      ts.busy = null;
      if (next) this.openTicket(next.id);
      else this.leaveScreen(true);
    } catch (err) {
      ts.busy = null;
      if (err.status === 404 || err.status === 409) {
        ts.items = ts.items.filter((x) => Number(x.id) !== Number(id));
        this.toast('Someone already handled that message.', 'info');
        this.leaveScreen(true);
      } else if (err.status !== 401) {
        this.toast(`Could not mark the message done: ${err.message}`, 'error');
        this.renderTicket(true);
      }
    } finally {
      this.scheduleRender();
    }
  }

  // ===== screens (ticket, settings) =========================================================
  enterScreen(screen) {
    if (this.screen && this.screen.kind === 'monitor' && screen.kind !== 'monitor' && this.monitorPage) this.monitorPage.stop();
    const current = this.activeConv();
    if (current && current.view) current.view.detach();
    if (this.activeId != null) this.lastActive = this.activeId;
    this.activeId = null;
    this.screen = screen;
    this.main.classList.toggle('on-settings', screen.kind === 'settings');
    this.saveOpen();
  }

  /** Back from a ticket or settings; `restore` re-opens the chat that was active before. */
  leaveScreen(restore = false) {
    if (!this.screen) return;
    if (this.screen.kind === 'monitor' && this.monitorPage) this.monitorPage.stop();
    this.screen = null;
    this.ticketSig = null;
    this.main.classList.remove('on-settings');
    this.stage.replaceChildren();
    if (restore) {
      const back = this.lastActive != null && this.openIds.includes(this.lastActive) ? this.lastActive : null;
      if (back != null) { this.activate(back); return; }
      history.replaceState(null, '', location.pathname);
      this.renderEmpty();
    }
    this.scheduleRender();
  }

  showSettings(route = 'departments') {
    const role = this.me && this.me.role;
    if (role !== 'admin' && role !== 'manager' && role !== 'supervisor' && !String(route).startsWith('canned')
      && !SETTINGS_SECTIONS.some((x) => String(route).startsWith(x.id) && x.visible(this.me))) {
      route = 'canned'; // agents manage their own canned responses only
    }
    if (!this.settings) this.settings = new SettingsPage(this);
    const fresh = !this.screen || this.screen.kind !== 'settings';
    this.enterScreen({ kind: 'settings', route });
    const hash = `#settings/${route}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    if (fresh || !this.settings.root.isConnected) this.stage.replaceChildren(this.settings.root);
    this.settings.show(route);
    this.scheduleRender();
  }

  closeSettings() {
    if (this.settings && this.settings.dirty && !this.settings.confirmDiscard()) return;
    if (this.settings) this.settings.dirty = false;
    this.leaveScreen(true);
  }

  /** The Monitor (leads) and Reviews pages (monitor.js). */
  showPage(kind) {
    if (kind === 'monitor' && !(this.me && ['admin', 'manager', 'supervisor'].includes(this.me.role))) {
      this.toast('Only supervisors, managers and admins can monitor chats.', 'warn');
      return;
    }
    const page = kind === 'monitor'
      ? (this.monitorPage = this.monitorPage || new MonitorPage(this))
      : (this.reviewsPage = this.reviewsPage || new ReviewsPage(this));
    this.enterScreen({ kind });
    this.main.classList.add('on-settings');
    if (location.hash !== `#${kind}`) history.replaceState(null, '', `#${kind}`);
    this.stage.replaceChildren(page.root);
    page.start();
    this.scheduleRender();
  }

  /** The Archive page (archive.js): search, read and export past conversations. */
  showArchive(chatId = null, q = null) {
    this.archivePage = this.archivePage || new ArchivePage(this);
    this.enterScreen({ kind: 'archive' });
    this.main.classList.add('on-settings');
    const hash = chatId != null ? `#archive/${chatId}` : '#archive';
    if (location.hash !== hash) history.replaceState(null, '', hash);
    this.stage.replaceChildren(this.archivePage.root);
    this.archivePage.show(chatId, q);
    this.scheduleRender();
  }

  toggleSettings() {
    if (this.screen && this.screen.kind === 'settings') this.closeSettings();
    else this.showSettings((this.settings && this.settings.route) || 'departments');
  }

  // ===== clock ===============================================================================
  tick() {
    if (!this.me || !this.sidebar) return;
    this.sidebar.tick();
    if (this.screen && this.screen.kind === 'monitor' && this.monitorPage) this.monitorPage.tick();
    const conv = this.activeConv();
    if (conv && conv.view) conv.view.tick();
  }
}

function summaryFrom(r) {
  if (!r) return null;
  if (r.chat && r.chat.id != null && r.chat.status) return r.chat;
  if (r.id != null && typeof r.status === 'string' && ('visitor' in r || 'assignee' in r)) return r;
  return null;
}

function parseHash() {
  const m = /^#chat\/(\d+)$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

/** `#settings/…` and `#ticket/7` (chats are `#chat/12`, see parseHash). */
function parseRoute() {
  const t = /^#ticket\/(\d+)$/.exec(location.hash);
  if (t) return { kind: 'ticket', id: Number(t[1]) };
  if (location.hash === '#monitor' || location.hash === '#reviews') return { kind: location.hash.slice(1) };
  const a = /^#archive(?:\/(\d+))?$/.exec(location.hash);
  if (a) return { kind: 'archive', id: a[1] ? Number(a[1]) : null };
  const m = /^#settings(?:\/([a-z]+(?:\/(?:\d+|new))?))?$/.exec(location.hash);
  if (m) return { kind: 'settings', route: m[1] || 'departments' };
  return null;
}

const app = new App(document.getElementById('app'));
app.boot();
window.__frontdesk = app; // handy from the devtools console
