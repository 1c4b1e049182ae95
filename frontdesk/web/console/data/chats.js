// The chat lists and offers: summaries of queued chats and my active chats (Waiting, My chats),
// the department filter, and the offers made to me (automatic routing). `apply(summary)` is the
// one place a summary from a frame or a fetch enters the lists. No DOM; views read `waiting()`,
// `mine()`, `offers`, and the App subscribes to re-render.

import { Observable } from './observable.js';
import { parseTime } from './util.js';

const LEAD_ROLES = ['admin', 'manager', 'supervisor'];

/** Whether this agent works the department's queue (leads see every queue). */
export function watchesDepartment(me, directory, dept) {
  const role = me && me.role;
  if (!dept || dept.id == null || LEAD_ROLES.includes(role)) return true;
  const mine = me && directory.user(me.id);
  if (!mine || !Array.isArray(mine.departments)) return true; // not known yet: trust the server
  return mine.departments.some((d) => Number(d && typeof d === 'object' ? d.id : d) === Number(dept.id)
    || (typeof d === 'string' && d === dept.slug));
}

/** Whether this agent's level in the chat's department reaches the chat's required level. */
export function reachesLevel(me, directory, s) {
  const needed = Number(s && s.required_level) || 1;
  const role = me && me.role;
  if (needed <= 1 || LEAD_ROLES.includes(role)) return true;
  const mine = me && directory.user(me.id);
  if (!mine || !Array.isArray(mine.departments)) return true;
  const here = mine.departments.find((d) => d && typeof d === 'object' && Number(d.id) === Number(s.department && s.department.id));
  return !!here && (Number(here.level) || 1) >= needed;
}

function offeredId(to) {
  return Number(typeof to === 'object' ? to.id : to);
}

export class ChatList extends Observable {
  /**
   * @param {import('./session.js').Session} session  who I am
   * @param {{user(id): object|null, department(id): object|null}} directory  departments and users
   */
  constructor(session, directory) {
    super();
    this.session = session;
    this.directory = directory;
    this.reset();
  }

  reset() {
    this.summaries = new Map(); // chat id -> summary: queued chats and my active chats
    this.touched = new Map(); // chat id -> when a live update last touched it
    this.offers = new Map(); // chat id -> {chat, expiresAt, total, busy}
    this.lastOfferExpiry = 0;
    this.listsLoaded = false;
    this.deptFilter = null; // department id shown in Waiting, or null for all
  }

  get me() { return this.session.me; }

  get(id) { return this.summaries.get(id); }

  has(id) { return this.summaries.has(id); }

  remove(id) {
    const had = this.summaries.delete(id);
    if (had) this.notify('lists');
    return had;
  }

  /** Updates the list preview from a new message (until the chat.updated that follows). */
  patch(id, summary) {
    if (this.summaries.has(id)) this.summaries.set(id, summary);
  }

  /**
   * One summary from a frame or a fetch. `prev` is what the client knew (the list's or an open
   * conversation's summary). Returns what happened, for the caller to update conversations and
   * tell the agent:
   *   {stale: true}                       an older summary than the one held: ignored
   *   {hidden: true}                      queued somewhere this agent does not take chats from
   *   {listed, mine, wasQueued, takenBy}  takenBy: the name of who took an offer I had (live only)
   */
  apply(s, { live = false, prev = null, now = Date.now() } = {}) {
    const id = s.id;
    const before = this.summaries.get(id) || prev;
    if (before && (Number(before.last_seq) || 0) > (Number(s.last_seq) || 0)) return { stale: true };
    const me = this.me;
    const mine = this.session.isMine(s);
    if (s.status === 'queued' && (!watchesDepartment(me, this.directory, s.department) || !reachesLevel(me, this.directory, s))) {
      // e.g. a chat I just transferred to a department I do not work in: not my queue
      this.summaries.delete(id);
      this.offers.delete(id);
      this.notify('lists');
      return { hidden: true, listed: false, mine };
    }
    let takenBy = null;
    const offer = this.offers.get(id);
    if (!offer && this.offeredToMe(s)) {
      // offered while this tab was away (another tab, a reload): show it too
      const at = parseTime(s.offer_expires_at);
      if (at && at > now + 1000) this.offers.set(id, { chat: s, expiresAt: at, total: this.offerTotal(s, at, now), busy: null });
    } else if (offer) {
      if (!this.stillOffered(s)) {
        this.offers.delete(id);
        if (s.status === 'active' && !mine && live) takenBy = (s.assignee && s.assignee.name) || 'another agent';
      } else {
        offer.chat = s;
      }
    }
    const listed = (s.status === 'queued') || (s.status === 'active' && mine);
    const wasQueued = !!before && before.status === 'queued';
    if (listed) this.summaries.set(id, s);
    else this.summaries.delete(id);
    if (live) this.touched.set(id, now);
    this.notify('lists');
    return { stale: false, hidden: false, listed, mine, wasQueued, takenBy };
  }

  /**
   * After a full fetch of the lists that started at `started`: drops the chats the fetch did not
   * return unless a live frame touched them since. Returns the ids dropped.
   */
  dropUnseen(seen, started) {
    const dropped = [];
    for (const id of [...this.summaries.keys()]) {
      if (!seen.has(id) && (this.touched.get(id) || 0) < started) {
        this.summaries.delete(id); // closed or taken while we were away
        dropped.push(id);
      }
    }
    this.listsLoaded = true;
    this.notify('lists');
    return dropped;
  }

  /** Queued chats, the longest waiting first. */
  waiting() {
    return [...this.summaries.values()].filter((s) => s.status === 'queued')
      .sort((a, b) => (parseTime(a.queued_at || a.created_at) || 0) - (parseTime(b.queued_at || b.created_at) || 0) || a.id - b.id);
  }

  /** The Waiting list as shown: only the chosen department's chats when filtered. */
  filteredWaiting() {
    const all = this.waiting();
    if (!this.deptFilter) return all;
    return all.filter((s) => s.department && Number(s.department.id) === Number(this.deptFilter));
  }

  /** My active chats, the latest message first. */
  mine() {
    const at = (s) => parseTime(s.last_message && s.last_message.at) || parseTime(s.assigned_at) || parseTime(s.created_at) || 0;
    return [...this.summaries.values()].filter((s) => s.status === 'active' && this.session.isMine(s))
      .sort((a, b) => at(b) - at(a) || b.id - a.id);
  }

  /** Sets the Waiting filter from a select's value; returns the department id or null. */
  setDeptFilter(value) {
    const id = Number(value);
    this.deptFilter = Number.isInteger(id) && id > 0 ? id : null;
    this.notify('lists');
    return this.deptFilter;
  }

  // ----- offers -------------------------------------------------------------------------------
  offeredToMe(s) {
    return s.status === 'queued' && s.offered_to != null && !!this.me && offeredId(s.offered_to) === Number(this.me.id);
  }

  /** Whether a summary still shows the chat offered to me (queued, and not offered to someone else). */
  stillOffered(s) {
    if (s.status !== 'queued' || s.assignee) return false;
    if (!('offered_to' in s)) return true; // the summary does not say: keep the offer until it expires
    const to = s.offered_to;
    if (to === null) return false;
    return offeredId(to) === Number(this.me && this.me.id);
  }

  /** The full length of an offer, for the countdown bar: the department's timeout if known. */
  offerTotal(s, expiresAt, now = Date.now()) {
    const dept = s.department && this.directory.department(s.department.id);
    const timeout = dept && Number(dept.offer_timeout_seconds);
    return Math.max(1000, timeout ? timeout * 1000 : expiresAt - now);
  }

  /** `chat.offered`: returns {known} (whether the offer was already shown). */
  offer(s, expiresAtText, now = Date.now()) {
    const dept = s.department && this.directory.department(s.department.id);
    const timeout = (dept && Number(dept.offer_timeout_seconds)) || 30;
    let expiresAt = parseTime(expiresAtText);
    // Trust the server's deadline unless this computer's clock is clearly off.
    if (expiresAt == null || expiresAt <= now || expiresAt - now > Math.max(timeout, 600) * 1000) expiresAt = now + timeout * 1000;
    const known = this.offers.get(s.id);
    this.offers.set(s.id, { chat: s, expiresAt, total: Math.max(expiresAt - now, this.offerTotal(s, expiresAt, now)), busy: known ? known.busy : null });
    this.notify('offers');
    return { known: !!known };
  }

  /** Marks an offer busy ('accept' | 'decline'); false when there is none or it is busy. */
  beginOffer(id, what) {
    const offer = this.offers.get(id);
    if (!offer || offer.busy) return false;
    offer.busy = what;
    this.notify('offers');
    return true;
  }

  /** The accept or decline finished; `drop` removes the card. */
  endOffer(id, drop) {
    const offer = this.offers.get(id);
    if (!offer) return;
    offer.busy = null;
    if (drop) this.offers.delete(id);
    this.notify('offers');
  }

  dropOffer(id) {
    const had = this.offers.delete(id);
    if (had) this.notify('offers');
    return had;
  }

  /** The countdown ran out and the server has not said otherwise: drop the card. */
  offerExpired(id, now = Date.now()) {
    if (!this.offers.delete(id)) return false;
    this.lastOfferExpiry = now;
    this.notify('offers');
    return true;
  }
}
