// The signed-in agent and the connection: who I am, my availability status (with the rules that
// decide whose word wins: the socket's, the list's or my own pending change) and the socket's
// state for the banner. No DOM; the App and the sidebar subscribe.

import { Observable } from './observable.js';

export const STATUSES = ['online', 'away', 'offline'];
const LEAD_ROLES = ['admin', 'manager', 'supervisor'];

export class Session extends Observable {
  constructor() {
    super();
    this.reset();
  }

  reset(now = Date.now()) {
    this.me = null;
    this.myStatus = null; // 'online' | 'away' | 'offline' once known
    this.statusBusy = false;
    this.statusRequest = null;
    this.statusEpoch = 0;
    this.conn = { state: 'connecting', retryAt: 0, since: now };
    this.everConnected = false;
  }

  /** A fresh session for `user` (from /auth/me or the login answer). */
  start(user, now = Date.now()) {
    this.reset(now);
    this.me = user;
    if (STATUSES.includes(user.status)) this.myStatus = user.status;
    this.notify('me');
  }

  end() {
    this.me = null;
    this.notify('me');
  }

  get signedIn() { return !!this.me; }

  isLead() { return !!(this.me && LEAD_ROLES.includes(this.me.role)); }

  /** Whether a chat summary is assigned to me. */
  isMine(s) {
    return !!(s && s.assignee && this.me && Number(s.assignee.id) === Number(this.me.id));
  }

  /** My own edits to my profile (name, title, avatar). */
  updateMe(fields) {
    if (!this.me) return;
    Object.assign(this.me, fields);
    this.notify('me');
  }

  /** `welcome`: the server's view of me; returns {reconnect, statusKnown}. */
  applyWelcome(agent) {
    let statusKnown = false;
    if (agent && this.me) {
      this.me = { ...this.me, ...agent };
      if (STATUSES.includes(agent.status)) {
        this.myStatus = agent.status;
        this.statusEpoch += 1;
        statusKnown = true;
      }
      this.notify('status');
    }
    const reconnect = this.everConnected;
    this.everConnected = true;
    return { reconnect, statusKnown };
  }

  /** The status read from the users list; the socket's word since `epoch` wins over it. */
  applyListedStatus(status, epoch) {
    if (!STATUSES.includes(status) || this.statusBusy || epoch !== this.statusEpoch) return false;
    this.myStatus = status;
    this.notify('status');
    return true;
  }

  /** I pick a status: shown at once; returns the previous one, or undefined when not allowed now. */
  beginStatusChange(status, now = Date.now()) {
    if (!STATUSES.includes(status) || this.statusBusy) return undefined;
    const prev = this.myStatus;
    this.myStatus = status;
    this.statusBusy = true;
    this.statusRequest = { status, at: now };
    this.statusEpoch += 1;
    this.notify('status');
    return prev;
  }

  /** The server answered my change: `got` is the status it stored, or `failed` puts `prev` back. */
  finishStatusChange({ got = null, failed = false, prev = null } = {}) {
    if (failed) this.myStatus = prev;
    else if (STATUSES.includes(got)) this.myStatus = got;
    this.statusBusy = false;
    this.notify('status');
  }

  /**
   * `agent.status`: returns null when ignored, else {news, prev}: news is false for my own change
   * echoed back, a repeat, or the server putting me online as I connect.
   */
  applyAgentStatus(status, connected, now = Date.now()) {
    if (!STATUSES.includes(status)) return null;
    const prev = this.myStatus;
    const req = this.statusRequest;
    const ours = !!req && req.status === status && now - req.at < 10000;
    this.myStatus = status;
    this.statusEpoch += 1;
    this.notify('status');
    return { prev, news: !(ours || prev === status || prev == null || !connected) };
  }

  /** The socket's state ({state, retryAt}); returns the previous state. */
  applyConnection(s, now = Date.now()) {
    const prev = this.conn.state;
    this.conn = { state: s.state, retryAt: s.retryAt || 0, since: prev === s.state ? this.conn.since : now };
    this.notify('conn');
    return prev;
  }
}
