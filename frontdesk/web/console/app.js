// frontdesk agent console: session, live lists, open conversations, the agent socket.
// Contract: docs/protocol.md and docs/api.md.

import { chime, installGestureHooks, notify } from './alerts.js';
import { api, get, post, setCsrf, setUnauthorizedHandler, userFrom } from './api.js';
import { ConversationView } from './conversation.js';
import { openShortcuts, typingInField } from './desk.js';
import { Directory } from './directory.js';
import { MonitorPage, ReviewsPage } from './monitor.js';
import { ArchivePage } from './archive.js';
import { VisitorsPage } from './visitors.js';
import { ReportsPage } from './reports.js';
import { parseReportsRoute, reportsHash } from './data/reports.js';
import { StaffingPage } from './staffing.js';
import { mayViewStaffing, parseStaffingRoute, staffingHash } from './data/staffing.js';
import { mayViewVisitors } from './data/visitors.js';
import {
  h, icon, oneLine, randomId, replaceChildren, STATUS_LABELS, visitorName,
} from './dom.js';
import { ChatList } from './data/chats.js';
import { ReadMarks } from './data/conv.js';
import { Conversations } from './data/conversations.js';
import { HistoryList } from './data/history.js';
import { Nav } from './data/nav.js';
import { Session } from './data/session.js';
import { TicketList } from './data/tickets.js';
import { eventFrom, summaryFrom } from './data/util.js';
import { FrameDispatch } from './dispatch.js';
import { onRated, SETTINGS_SECTIONS } from './privacy.js';
import { SettingsPage } from './settings.js';
import { Sidebar } from './sidebar.js';
import { Supervision } from './supervise.js';
import { AgentSocket } from './socket.js';
import { onTagsChange } from './tagging.js';
import { ticketName, ticketView } from './tickets.js';

const TITLE = 'frontdesk console';

/** What a view may ask of the App (see docs/architecture/frontend.md). */
const VIEW_ACTIONS = [
  // lists and navigation
  'openChat', 'closeTab', 'accept', 'acceptOffer', 'declineOffer', 'offerExpired', 'openTicket', 'setTab',
  'setDeptFilter', 'loadTickets', 'loadHistory', 'showArchive', 'showPage', 'showSettings', 'toggleSettings',
  'toggleDetails', 'closeSettings', 'leaveScreen', 'setMyStatus', 'logout', 'toast',
  // one conversation
  'loadConv', 'markRead', 'sendMessage', 'retrySend', 'discardSend', 'typingInput', 'stopTyping', 'addNote',
  'closeChat', 'transferred', 'refreshSummary', 'forgetVisitor', 'connected',
  // an answer that carries a summary or a stored event (uploads, tags), the socket, a redraw
  'upsert', 'onFrame', 'requestSync', 'send', 'scheduleRender',
];

class App {
  constructor(root) {
    this.root = root;
    this.reset();
    this.frame = 0;
    setUnauthorizedHandler(() => this.sessionExpired());
    onTagsChange(() => this.scheduleRender());
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
    if (this.conversations) this.conversations.reset();
    // data (data/*.js, no DOM): the views read these; frames reach them through `dispatch`
    this.session = new Session();
    this.directory = new Directory((what) => this.onDirectory(what));
    this.chats = new ChatList(this.session, this.directory); // Waiting, My chats, offers
    this.conversations = new Conversations({
      send: (frame) => this.send(frame),
      fetchEvents: (id, after, limit) => get(`/api/v1/chats/${id}/messages?after=${after}&limit=${limit}`),
      fetchSummary: async (id) => summaryFrom(await get(`/api/v1/chats/${id}`)),
      storage: window.sessionStorage,
    });
    this.history = new HistoryList();
    this.tickets = new TicketList();
    this.dispatch = new FrameDispatch(
      { session: this.session, chats: this.chats, conversations: this.conversations, tickets: this.tickets, history: this.history },
      this.frameUi());
    this.conversations.subscribe((what, conv) => this.onConvChange(what, conv));
    this.session.subscribe((what) => { if ((what === 'status' || what === 'me') && this.sidebar) this.sidebar.renderFoot(); });
    for (const d of [this.chats, this.tickets, this.history]) d.subscribe(() => this.scheduleRender());
    // routing and view state
    this.nav = new Nav(); // open tabs, the active chat, the sidebar's tab, the screen
    this.listEpoch = 0;
    this.typingOut = new Map();
    this.showDetails = localStorage.getItem('fd.console.details') !== '0';
    this.settings = null;
    this.lastChime = 0;
    this.monitorPage = null;
    this.reviewsPage = null;
    this.visitorsPage = null;
    this.reportsPage = null;
    this.staffingPage = null;
    this.archivePage = null; // pages hold this session's data and callbacks: made again per session
    // what views get instead of the App: the data they show and the callbacks they may call
    this.data = {
      session: this.session, directory: this.directory, chats: this.chats, conversations: this.conversations,
      tickets: this.tickets, history: this.history, nav: this.nav,
    };
    this.act = this.viewActions();
    this.supervision = new Supervision(this.data, this.act); // watching, whispers, join, take over, reviews
  }

  /** The callbacks views may call (VIEW_ACTIONS), bound to this App; nothing else of it. */
  viewActions() {
    return Object.freeze(Object.fromEntries(VIEW_ACTIONS.map((name) => [name, (...args) => this[name](...args)])));
  }

  get me() { return this.session.me; }

  get openIds() { return this.nav.openIds; }

  get activeId() { return this.nav.activeId; }

  set activeId(id) { this.nav.activeId = id; }

  get tab() { return this.nav.tab; }

  set tab(tab) { this.nav.tab = tab; }

  get screen() { return this.nav.screen; }

  set screen(screen) { this.nav.screen = screen; }

  /** What the frame dispatch (dispatch.js) asks of the views. */
  frameUi() {
    return {
      route: (f) => this.supervision.onFrame(f)
        || !!(this.screen && this.screen.kind === 'monitor' && this.monitorPage && this.monitorPage.onFrame(f))
        || !!(this.screen && this.screen.kind === 'visitors' && this.visitorsPage && this.visitorsPage.onFrame(f)),
      render: () => this.scheduleRender(),
      renderConv: (conv) => { if (conv.view) conv.view.update(); },
      renderThread: (conv) => { if (conv.view) conv.view.renderThread(); },
      renderTyping: (conv, { keepBottom = false } = {}) => {
        if (!conv.view) return;
        const stick = keepBottom && conv.view.attached && conv.view.atBottom();
        conv.view.renderTyping();
        if (stick) conv.view.scrollToBottom(false);
      },
      loadConv: (conv) => this.loadConv(conv),
      isOpen: (id) => this.openIds.includes(id),
      openIds: () => this.openIds,
      stopTyping: (conv) => this.stopTyping(conv),
      toast: (text, kind, opts) => this.toast(text, kind, opts),
      connected: () => this.connected(),
      announceQueued: (s) => this.announceQueued(s),
      announceOffer: (s) => this.announceOffer(s),
      announceMessage: (conv, ev) => this.announceMessage(conv, ev),
      announceTicket: (t) => this.announceTicket(t),
      afterEvent: (conv, ev) => this.supervision.afterEvent(conv, ev),
      markRead: (conv) => this.markRead(conv),
      onRated: (f) => onRated({ toast: (...a) => this.toast(...a), openChat: (id) => this.openChat(id) }, f),
      welcome: (w) => this.onWelcome(w),
      loadTickets: (reset) => this.loadTickets(reset),
      statusNews: (status, reason) => this.statusNews(status, reason),
      refuseScripted: (conv, pending, message) => {
        if (!conv.view) return false;
        // scripted mode: nothing was stored; the message goes back into the composer with the reason
        this.conversations.discard(conv, pending.client_id);
        conv.view.canned.refused(pending.text, message || 'Pick an approved response with #.');
        return true;
      },
    };
  }

  /** A conversation's data changed (data/conversations.js): redraw what shows it. */
  onConvChange(what, conv) {
    if (what === 'summary') { if (conv.view) conv.view.update(); return; }
    if (what === 'loaded') {
      if (conv.view) { conv.view.update(); conv.view.renderThread(); }
      this.markRead(conv);
    } else if (what === 'thread') {
      if (conv.view) conv.view.renderThread();
    } else if (what === 'typing') {
      if (conv.view) conv.view.renderTyping();
    }
    this.scheduleRender();
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
    this.session.start(user);
    setCsrf(data.csrf_token);
    this.conversations.reset(this.storeKey('pending'), new ReadMarks(user.id));
    this.chats.setDeptFilter(localStorage.getItem(this.storeKey('deptFilter')));
    const route = parseRoute(); // read before restoreOpen rewrites the hash
    this.renderShell();
    this.restoreOpen();
    this.directory.loadDepartments();
    this.refreshMyStatus();
    if (user.may_view_visitors === undefined) this.loadVisitorFlags(); // the login answer lacks them
    this.loadTickets(true);
    if (route && route.kind === 'settings') this.showSettings(route.route);
    else if (route && route.kind === 'ticket') this.openTicket(route.id);
    else if (route && (route.kind === 'monitor' || route.kind === 'reviews' || route.kind === 'visitors')) this.showPage(route.kind);
    else if (route && route.kind === 'reports') this.showPage('reports', route.tab);
    else if (route && route.kind === 'staffing') this.showPage('staffing', route.tab);
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

  /** /auth/me's flags for the Visitors page (greeter, may_view_visitors) into the session. */
  async loadVisitorFlags() {
    const me = this.me;
    try {
      const u = userFrom(await api('GET', '/api/v1/auth/me'));
      if (!u || me !== this.me) return;
      Object.assign(me, { greeter: u.greeter, may_view_visitors: u.may_view_visitors });
      this.session.notify('me');
    } catch { /* the nav keeps the role's default */ }
  }

  stopSession() {
    if (this.socket) this.socket.stop();
    this.socket = null;
    for (const conv of this.conversations?.values() || []) clearTimeout(conv.typingTimer);
    for (const t of this.typingOut?.values() || []) clearTimeout(t.timer);
  }

  sessionExpired() {
    if (!this.me) return;
    this.session.end();
    setCsrf(null);
    this.showLogin('Your session has ended. Please sign in again.');
  }

  async logout() {
    const sock = this.socket;
    if (sock) sock.stop();
    try { await post('/api/v1/auth/logout'); } catch { /* the session may already be gone */ }
    this.session.end();
    setCsrf(null);
    sessionStorage.removeItem(this.storeKey('open'));
    history.replaceState(null, '', location.pathname);
    this.showLogin(null);
  }

  storeKey(what) { return `fd.console.${what}.${this.me ? this.me.id : 'x'}`; }

  // ===== shell ===============================================================================
  renderShell() {
    this.sidebar = new Sidebar(this.data, this.act);
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
      const conv = this.conversations.get(id);
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
    const prev = this.session.applyConnection(s);
    if (this.sidebar) this.sidebar.setConnection(s.state, s.retryAt);
    this.renderBanner();
    if (s.state === 'open' || prev === 'open') {
      for (const conv of this.conversations.values()) if (conv.pending.size && conv.view) conv.view.renderThread();
    }
  }

  renderBanner() {
    if (!this.bannerEl) return;
    clearTimeout(this.bannerTimer);
    const { state, retryAt, since } = this.session.conn;
    if (state === 'open' || state === 'stopped') { this.bannerEl.hidden = true; return; }
    if (!this.session.everConnected && Date.now() - since < 2500) {
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

  // ===== frames (dispatch.js updates the data, then calls back here) =======================
  onFrame(f) { this.dispatch.onFrame(f); }

  /** After `welcome` updated the session: banner, lists, status, supervision, Monitor. */
  onWelcome({ reconnect, statusKnown }) {
    this.renderBanner();
    // The lists again, now that the socket hears every change: a chat that arrived after the
    // first fetch but before the socket subscribed would otherwise be missing until a reload.
    this.refreshLists();
    if (reconnect) this.loadTickets(true);
    if (!statusKnown) this.refreshMyStatus();
    this.supervision.onWelcome();
    if (this.screen && this.screen.kind === 'monitor' && this.monitorPage) this.monitorPage.start();
    if (this.screen && this.screen.kind === 'visitors' && this.visitorsPage) this.visitorsPage.start();
  }

  /** A summary from a fetch or an action's answer (frames go through dispatch.js). */
  upsert(s, { live = false } = {}) { this.dispatch.applySummary(s, { live }); }

  chimeOnce(kind) {
    if (Date.now() - this.lastChime < 1500) return;
    this.lastChime = Date.now();
    chime(kind);
  }

  announceQueued(s) {
    if (this.chats.offers.has(s.id)) return;
    this.chimeOnce('queue');
    const name = visitorName(s);
    const text = s.last_message && s.last_message.text ? oneLine(s.last_message.text, 120) : 'A visitor is waiting for an agent.';
    notify(`New chat — ${name}`, text, `fd-queue-${s.id}`, () => this.openChat(s.id, this.chats.get(s.id) || s));
  }

  announceOffer(s) {
    this.chimeOnce('queue');
    const text = s.last_message && s.last_message.text ? oneLine(s.last_message.text, 120) : 'A visitor is waiting for you.';
    const dname = s.department && s.department.name ? ` · ${s.department.name}` : '';
    notify(`Chat offered to you — ${visitorName(s)}${dname}`, text, `fd-offer-${s.id}`, () => this.openChat(s.id, s));
  }

  /** A visitor wrote in one of my chats: a chime unless I am looking at it, a notification if away. */
  announceMessage(conv, ev) {
    const viewing = conv.id === this.activeId && document.visibilityState === 'visible' && document.hasFocus();
    if (viewing) return;
    chime('message');
    if (document.visibilityState !== 'visible' || !document.hasFocus()) {
      notify(visitorName(conv.summary), oneLine(ev.text, 140), `fd-chat-${conv.id}`, () => this.openChat(conv.id));
    }
  }

  announceTicket(t) {
    this.chimeOnce('message');
    const name = ticketName(t);
    const dept = t.department && (t.department.name || t.department);
    notify(`New offline message — ${name}`, t.text ? oneLine(t.text, 140) : (dept ? `For ${dept}` : ''), `fd-ticket-${t.id}`,
      () => { this.setTab('tickets'); this.openTicket(t.id); });
  }

  /** A visitor's data was erased (privacy.js): their chats leave the tabs, lists and History. */
  forgetVisitor(visitorId) {
    const ids = [...this.conversations.values()].filter((c) => c.summary && c.summary.visitor && c.summary.visitor.id === visitorId).map((c) => c.id);
    for (const id of ids) if (this.openIds.includes(id)) this.closeTab(id);
    for (const id of ids) { this.conversations.delete(id); this.chats.remove(id); }
    this.history.dropVisitor(visitorId);
    this.scheduleRender();
  }

  ensureConv(id, summary = null) { return this.conversations.ensure(id, summary, this.chats.get(id)); }

  // ===== sync (data/conversations.js) =====================================================
  requestSync(conv, force = false) { this.conversations.requestSync(conv, force); }

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
    for (const id of this.chats.dropUnseen(seen, started)) {
      if (this.openIds.includes(id)) this.refreshSummary(id);
    }
  }

  async refreshSummary(id) {
    try {
      const r = await get(`/api/v1/chats/${id}`);
      const s = summaryFrom(r);
      if (s) this.upsert(s);
    } catch (err) {
      if (err.status === 404 || err.status === 403) {
        this.chats.remove(id);
        const conv = this.conversations.get(id);
        if (conv) {
          conv.notice = { kind: 'warn', text: 'This chat is no longer available to you.' };
          if (conv.view) conv.view.update();
        }
        this.scheduleRender();
      }
    }
  }

  loadConv(conv, force = false) { return this.conversations.load(conv, force); }

  async loadHistory(reset = false) {
    const hs = this.history;
    if (!hs.beginLoad(reset)) return;
    let error = null;
    try {
      hs.applyPage(await get(`/api/v1/chats?status=closed${hs.beforeQuery(reset)}`));
    } catch (err) {
      error = `Could not load history: ${err.message}`;
    } finally {
      hs.endLoad(error);
    }
  }

  // ===== lists (data/chats.js) ================================================================
  waitingChats() { return this.chats.waiting(); }

  myChats() { return this.chats.mine(); }

  setDeptFilter(value) {
    const id = this.chats.setDeptFilter(value);
    try {
      if (id) localStorage.setItem(this.storeKey('deptFilter'), String(id));
      else localStorage.removeItem(this.storeKey('deptFilter'));
    } catch { /* private mode */ }
  }

  unreadOf(id) { return this.conversations.unreadOf(id, this.chats.get(id)); }

  markRead(conv) {
    if (!conv || conv.id !== this.activeId || !conv.loaded) return;
    if (document.visibilityState !== 'visible') return;
    if (!conv.view || !conv.view.attached || !conv.view.atBottom()) return;
    if (this.conversations.markSeen(conv)) this.scheduleRender();
  }

  // ===== open chats ==========================================================================
  activeConv() { return this.activeId != null ? this.conversations.get(this.activeId) : null; }

  openChat(id, summary = null) {
    const conv = this.ensureConv(id, summary);
    if (!this.openIds.includes(id)) this.openIds.push(id);
    this.activate(id);
    if (!conv.loaded && !conv.loading) this.loadConv(conv);
    this.supervision.maybeWatch(conv); // a lead follows someone else's chat live
  }

  activate(id) {
    const conv = this.conversations.get(id);
    if (!conv) return;
    this.leaveScreen();
    const current = this.activeConv();
    if (current && current !== conv && current.view) current.view.detach();
    this.activeId = id;
    if (!conv.view) conv.view = new ConversationView(conv, this.data, this.act, this.supervision);
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
    const conv = this.conversations.get(id);
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
    if (conv && !this.chats.has(id) && !conv.pending.size) this.conversations.delete(id);
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
      const c = this.conversations.get(id);
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
    if (route && (route.kind === 'monitor' || route.kind === 'reviews' || route.kind === 'visitors')) {
      if (!this.screen || this.screen.kind !== route.kind) this.showPage(route.kind);
      return;
    }
    if (route && route.kind === 'reports') {
      if (!this.screen || this.screen.kind !== 'reports') this.showPage('reports', route.tab);
      else if (this.reportsPage && this.reportsPage.tab !== route.tab) this.reportsPage.setTab(route.tab);
      return;
    }
    if (route && route.kind === 'staffing') {
      if (!this.screen || this.screen.kind !== 'staffing') this.showPage('staffing', route.tab);
      else if (this.staffingPage && this.staffingPage.tab !== route.tab) this.staffingPage.setTab(route.tab);
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
      this.chats.dropOffer(id);
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
    const ev = eventFrom(r);
    if (ev) this.conversations.addStored(conv, ev);
    if (s) this.upsert(s);
    else this.refreshSummary(conv.id);
  }

  // ===== sending (the outbox: data/conversations.js) ========================================
  /** `extra.canned_id`: a canned response inserted with # and sent unchanged (canned.js). */
  sendMessage(conv, text, extra = undefined) {
    this.stopTyping(conv);
    this.conversations.queueSend(conv, text, extra);
  }

  retrySend(conv, clientId) { this.conversations.retry(conv, clientId); }

  discardSend(conv, clientId) { this.conversations.discard(conv, clientId); }

  /** Resends sends that were never put on the wire or never acknowledged. */
  watchPending() {
    if (!this.me || !this.connected()) return;
    this.conversations.watch();
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

  // ===== offers (data/chats.js) ==============================================================
  async acceptOffer(id) {
    if (!this.chats.beginOffer(id, 'accept')) return;
    const err = await this.accept(id);
    this.chats.endOffer(id, !err || ['conflict', 'chat_closed', 'not_found', 'forbidden'].includes(err.code));
  }

  async declineOffer(id) {
    if (!this.chats.beginOffer(id, 'decline')) return;
    try {
      await post(`/api/v1/chats/${id}/decline`);
      this.chats.dropOffer(id);
      this.toast('Declined — the chat goes to the next agent', 'info');
    } catch (err) {
      if (err.status === 401) return;
      if (err.status === 404 || err.status === 409 || err.code === 'chat_closed') {
        this.chats.dropOffer(id);
        this.toast('That offer had already ended.', 'info');
      } else {
        this.chats.endOffer(id, false);
        this.toast(`Could not decline the chat: ${err.message}`, 'error');
      }
    }
  }

  /** The countdown ran out and the server has not said otherwise: drop the card. */
  offerExpired(id) { this.chats.offerExpired(id); }

  // ===== availability (data/session.js) ======================================================
  async refreshMyStatus() {
    const epoch = this.session.statusEpoch;
    const users = await this.directory.loadUsers(true);
    const me = this.me && users.find((u) => Number(u.id) === Number(this.me.id));
    // the socket's word (welcome, agent.status) wins over a list read that may predate it
    if (me) this.session.applyListedStatus(me.status, epoch);
  }

  async setMyStatus(status) {
    const prev = this.session.beginStatusChange(status);
    if (prev === undefined) return;
    try {
      const r = await api('PUT', '/api/v1/auth/me/status', { status });
      this.session.finishStatusChange({ got: r && (r.status || (r.user && r.user.status)) });
    } catch (err) {
      this.session.finishStatusChange({ failed: true, prev });
      if (err.status !== 401) this.toast(`Could not change your status: ${err.message}`, 'error');
    }
  }

  /** The server changed my status (not my own change echoed back): say why. */
  statusNews(status, reason) {
    const goOnline = { label: 'Go online', run: () => this.setMyStatus('online') };
    if (status === 'away' && (/offer|timeout|expire/i.test(reason) || Date.now() - this.chats.lastOfferExpiry < 20000)) {
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
      const ev = eventFrom(r);
      if (ev) this.conversations.addStored(conv, ev);
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

  // ===== offline messages (tickets: data/tickets.js) =========================================
  async loadTickets(reset = true) {
    const ts = this.tickets;
    if (!ts.beginLoad()) return;
    let error = null;
    try {
      const before = !reset && ts.nextBefore != null ? `&before=${ts.nextBefore}` : '';
      ts.applyPage(await get(`/api/v1/tickets?status=open${before}`), reset);
    } catch (err) {
      error = err.status === 404 ? 'Offline messages are not available on this server.' : `Could not load messages: ${err.message}`;
    } finally {
      ts.endLoad(error);
    }
  }

  openTicket(id) {
    const t = this.tickets.find(id);
    if (!t && !this.tickets.loaded) {
      this.loadTickets(true).then(() => { if (this.tickets.find(id)) this.openTicket(id); });
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
    const t = this.tickets.find(this.screen.id);
    if (!t) return;
    const sig = JSON.stringify([t, this.tickets.busy, this.directory.departments.length]);
    if (!force && sig === this.ticketSig && this.stage.firstChild && this.stage.firstChild.classList.contains('ticket-page')) return;
    this.ticketSig = sig;
    const hadFocus = this.stage.contains(document.activeElement);
    this.stage.replaceChildren(ticketView(t, { directory: this.directory, busy: this.tickets.busy === t.id, markDone: (id) => this.markTicketDone(id) }));
    if (hadFocus || force) {
      const btn = this.stage.querySelector('.conv-actions .btn-primary, .conv-actions .btn');
      if (btn) btn.focus({ preventScroll: true });
    }
  }

  async markTicketDone(id) {
    const ts = this.tickets;
    if (ts.busy) return;
    ts.setBusy(id);
    this.renderTicket(true);
    try {
      await post(`/api/v1/tickets/${id}/done`);
      const i = ts.remove(id);
      this.toast('Message marked as done', 'success');
      const next = ts.items[Math.min(i, ts.items.length - 1)];
      ts.setBusy(null);
      if (next) this.openTicket(next.id);
      else this.leaveScreen(true);
    } catch (err) {
      ts.setBusy(null);
      if (err.status === 404 || err.status === 409) {
        ts.remove(id);
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
    if (this.screen && this.screen.kind === 'visitors' && screen.kind !== 'visitors' && this.visitorsPage) this.visitorsPage.stop();
    if (this.screen && this.screen.kind === 'reports' && screen.kind !== 'reports' && this.reportsPage) this.reportsPage.stop();
    if (this.screen && this.screen.kind === 'staffing' && screen.kind !== 'staffing' && this.staffingPage) this.staffingPage.stop();
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
    if (this.screen.kind === 'visitors' && this.visitorsPage) this.visitorsPage.stop();
    if (this.screen.kind === 'reports' && this.reportsPage) this.reportsPage.stop();
    if (this.screen.kind === 'staffing' && this.staffingPage) this.staffingPage.stop();
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
    if (!this.settings) this.settings = new SettingsPage(this.data, this.act);
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

  /** The Monitor (leads) and Reviews pages (monitor.js), the Visitors page (visitors.js), Reports (reports.js) and Staffing (staffing.js; `sub`: their tab). */
  showPage(kind, sub = null) {
    if (kind === 'monitor' && !(this.me && ['admin', 'manager', 'supervisor'].includes(this.me.role))) {
      this.toast('Only supervisors, managers and admins can monitor chats.', 'warn');
      return;
    }
    if (kind === 'visitors' && !mayViewVisitors(this.me)) {
      this.toast('Only admins, managers, supervisors and greeters can see the visitors.', 'warn');
      return;
    }
    if (kind === 'staffing' && !mayViewStaffing(this.me)) {
      this.toast('Only supervisors, managers and admins can see staffing.', 'warn');
      return;
    }
    if (kind === 'staffing') {
      this.staffingPage = this.staffingPage || new StaffingPage(this.data, this.act);
      this.enterScreen({ kind });
      this.main.classList.add('on-settings');
      this.stage.replaceChildren(this.staffingPage.root);
      this.staffingPage.show(sub);
      const hash = staffingHash(this.staffingPage.tab);
      if (location.hash !== hash) history.replaceState(null, '', hash);
      this.scheduleRender();
      return;
    }
    if (kind === 'reports') {
      this.reportsPage = this.reportsPage || new ReportsPage(this.data, this.act);
      this.enterScreen({ kind });
      this.main.classList.add('on-settings');
      this.stage.replaceChildren(this.reportsPage.root);
      this.reportsPage.show(sub);
      const hash = reportsHash(this.reportsPage.tab);
      if (location.hash !== hash) history.replaceState(null, '', hash);
      this.scheduleRender();
      return;
    }
    const page = kind === 'monitor'
      ? (this.monitorPage = this.monitorPage || new MonitorPage(this.data, this.act))
      : kind === 'visitors' ? (this.visitorsPage = this.visitorsPage || new VisitorsPage(this.data, this.act))
        : (this.reviewsPage = this.reviewsPage || new ReviewsPage(this.data, this.act));
    this.enterScreen({ kind });
    this.main.classList.add('on-settings');
    if (location.hash !== `#${kind}`) history.replaceState(null, '', `#${kind}`);
    this.stage.replaceChildren(page.root);
    page.start();
    this.scheduleRender();
  }

  /** The Archive page (archive.js): search, read and export past conversations. */
  showArchive(chatId = null, q = null) {
    this.archivePage = this.archivePage || new ArchivePage(this.data, this.act);
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

function parseHash() {
  const m = /^#chat\/(\d+)$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

/** `#settings/…` and `#ticket/7` (chats are `#chat/12`, see parseHash). */
function parseRoute() {
  const t = /^#ticket\/(\d+)$/.exec(location.hash);
  if (t) return { kind: 'ticket', id: Number(t[1]) };
  if (location.hash === '#monitor' || location.hash === '#reviews' || location.hash === '#visitors') return { kind: location.hash.slice(1) };
  const a = /^#archive(?:\/(\d+))?$/.exec(location.hash);
  if (a) return { kind: 'archive', id: a[1] ? Number(a[1]) : null };
  const rp = parseReportsRoute(location.hash);
  if (rp) return rp;
  const sp = parseStaffingRoute(location.hash);
  if (sp) return sp;
  const m = /^#settings(?:\/([a-z]+(?:\/(?:\d+|new))?))?$/.exec(location.hash);
  if (m) return { kind: 'settings', route: m[1] || 'departments' };
  return null;
}

const app = new App(document.getElementById('app'));
app.boot();
window.__frontdesk = app; // handy from the devtools console
