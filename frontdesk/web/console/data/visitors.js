// The Visitors page's data (admins, managers, supervisors, greeter agents): the visitors on the
// site now, one page of them, filtered, sorted and paged by the server (`visitors.watch` →
// `visitors.page`, docs/protocol.md; GET /api/v1/visitors/live while the socket is down). The
// browser never holds more than the page it shows. No DOM; the page (visitors.js) subscribes.
// Also the plain words the page and the journey panel show for a visitor's fields.

import { Observable } from './observable.js';
import { parseTime } from './util.js';

export const PAGE_SIZE = 25;
export const FILTER_KEYS = ['url', 'country', 'referrer', 'returning', 'state', 'department'];
export const STATES = ['none', 'invited', 'waiting', 'chatting'];
/** Sortable columns: the server's sort key, and the direction a first click asks for. */
export const SORTS = {
  time: { key: 'time_on_site', desc: true },
  pages: { key: 'pages', desc: true },
  page: { key: 'page_since', desc: false },
  country: { key: 'country', desc: false },
  visit: { key: 'visit_number', desc: true },
};

/**
 * Who may open the Visitors page: the server's word (`may_view_visitors` in /auth/me) when
 * given, else admins, managers, supervisors and agents marked as greeters.
 */
export function mayViewVisitors(me) {
  if (!me) return false;
  if (typeof me.may_view_visitors === 'boolean') return me.may_view_visitors;
  return ['admin', 'manager', 'supervisor'].includes(me.role) || me.greeter === true;
}

function emptyFilter() { return Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])); }

export class VisitorBoard extends Observable {
  /**
   * @param {object} io  `send(frame)` → false when the socket is down; `fetchPage(query)` →
   *   the GET /visitors/live answer (same shape as `visitors.page`)
   */
  constructor({ send, fetchPage }) {
    super();
    this.send = send;
    this.fetchPage = fetchPage;
    this.filter = emptyFilter();
    this.sort = { column: 'time', desc: true };
    this.page = 1;
    this.pageSize = PAGE_SIZE;
    this.items = [];
    this.total = 0;
    this.counters = { online: 0, chatting: 0, waiting: 0, invited: 0 };
    this.state = 'idle'; // idle | loading | live | polled (over HTTP) | error
    this.error = null;
    this.ref = null;
    this.seq = 0;
    this.watching = false;
  }

  /** The server's sort parameter: the key, `-` in front for descending. */
  sortParam() {
    const s = SORTS[this.sort.column] || SORTS.time;
    return `${this.sort.desc ? '-' : ''}${s.key}`;
  }

  /** The filter as sent: empty fields left out, `returning` a boolean, a country only once it has two letters. */
  filterParam() {
    const out = {};
    for (const k of FILTER_KEYS) {
      const v = String(this.filter[k] ?? '').trim();
      if (!v || (k === 'country' && !/^[a-z]{2}$/i.test(v))) continue;
      if (k === 'returning') out[k] = v === 'true' || v === 'yes';
      else if (k === 'department') out[k] = Number(v);
      else out[k] = k === 'country' ? v.toUpperCase() : v;
    }
    return out;
  }

  watchFrame() {
    return {
      type: 'visitors.watch', ref: this.ref, filter: this.filterParam(), sort: this.sortParam(),
      page: this.page, page_size: this.pageSize,
    };
  }

  /** The same question as query parameters (GET /api/v1/visitors/live). */
  query() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(this.filterParam())) p.set(k, String(v));
    p.set('sort', this.sortParam());
    p.set('page', String(this.page));
    p.set('page_size', String(this.pageSize));
    return p.toString();
  }

  /** Shown (or the socket is back): ask for the page and its updates. */
  start() {
    this.watching = true;
    this.state = 'loading';
    this.notify('visitors');
    this.watch();
  }

  stop() {
    if (!this.watching) return;
    this.watching = false;
    this.ref = null;
    this.send({ type: 'visitors.unwatch' });
  }

  /** Asks again with the current filter, sort and page; answers to an older ask are ignored. */
  watch() {
    if (!this.watching) return;
    this.ref = `vw${++this.seq}`;
    if (!this.send(this.watchFrame())) this.poll(); // the socket asks again on welcome
  }

  /** One read over HTTP (the socket is down); the page is not live until the socket is back. */
  async poll() {
    const ref = this.ref;
    try {
      const r = await this.fetchPage(this.query());
      if (ref === this.ref) this.fill(r, 'polled');
    } catch (err) {
      if (ref === this.ref) this.failed(err);
    }
  }

  fill(r, state = 'live') {
    this.items = Array.isArray(r && r.items) ? r.items : [];
    this.total = Number(r && r.total) || 0;
    this.counters = { online: 0, chatting: 0, waiting: 0, invited: 0, ...((r && r.counters) || {}) };
    if (r && Number(r.page) > 0) this.page = Number(r.page);
    this.state = state;
    this.error = null;
    this.notify('visitors');
  }

  failed(err) {
    this.state = 'error';
    this.error = err && err.status === 403 ? 'Only admins, managers, supervisors and greeters can see the visitors.'
      : (err && err.message) || 'Could not load the visitors.';
    this.notify('visitors');
  }

  /** A socket frame while the page is shown; true when it was this page's. */
  applyFrame(f) {
    if (f.type === 'visitors.page') {
      if (this.watching && f.ref === this.ref) this.fill(f);
      return true;
    }
    if (f.type === 'error' && f.ref != null && f.ref === this.ref) {
      this.failed({ message: f.message || f.code });
      return true;
    }
    return false;
  }

  setFilter(key, value) {
    if (!FILTER_KEYS.includes(key) || this.filter[key] === value) return;
    this.filter = { ...this.filter, [key]: value };
    this.page = 1;
    this.watch();
  }

  clearFilters() {
    this.filter = emptyFilter();
    this.page = 1;
    this.watch();
  }

  get filtered() { return FILTER_KEYS.some((k) => String(this.filter[k] ?? '').trim() !== ''); }

  /** A column header clicked: that column, its first direction; the same column again flips it. */
  setSort(column) {
    if (!SORTS[column]) return;
    this.sort = this.sort.column === column ? { column, desc: !this.sort.desc } : { column, desc: SORTS[column].desc };
    this.page = 1;
    this.watch();
  }

  get pages() { return Math.max(1, Math.ceil(this.total / this.pageSize)); }

  goTo(page) {
    const p = Math.min(Math.max(1, Math.floor(Number(page) || 1)), this.pages);
    if (p === this.page) return;
    this.page = p;
    this.watch();
  }

  /** "26–50 of 112" */
  rangeText() {
    if (!this.total) return '0 visitors';
    const first = (this.page - 1) * this.pageSize + 1;
    const last = Math.min(this.total, first + this.items.length - 1);
    return `${first}–${Math.max(first, last)} of ${this.total}`;
  }
}

// ===== plain words for a visitor's fields (the page, the journey, the details panel) ===========

/** "Chatting with Sue", "Waiting", "Invited", "" (no chat, no invitation). */
export function stateText(v) {
  const s = v && v.state;
  if (s === 'chatting') return v.agent && v.agent.name ? `Chatting with ${v.agent.name}` : 'Chatting';
  if (s === 'waiting') return 'Waiting for an agent';
  if (s === 'invited') return v.agent && v.agent.name ? `Invited by ${v.agent.name}` : 'Invited';
  return '';
}

/** "Lyon, France" — `countryName(code)` turns a code into a name (Intl.DisplayNames in a browser). */
export function placeText(v, countryName = (c) => c) {
  const country = v && v.country ? countryName(String(v.country).toUpperCase()) : '';
  const city = v && v.city ? String(v.city) : '';
  return [city, country].filter(Boolean).join(', ') || 'Unknown';
}

/** "Chrome · Windows · phone" (what is known of it). */
export function deviceText(v) {
  if (!v) return 'Unknown';
  const device = v.device && v.device !== 'other' ? v.device : '';
  return [v.browser, v.os, device].filter(Boolean).join(' · ') || 'Unknown';
}

/** The referrer's host ("google.com"), "Direct" without one; an unparsable value is cut, as text. */
export function referrerText(ref) {
  const s = String(ref ?? '').trim();
  if (!s) return 'Direct';
  try {
    return new URL(s).host.replace(/^www\./, '') || s.slice(0, 60);
  } catch {
    return s.length > 60 ? `${s.slice(0, 59)}…` : s;
  }
}

/** A page's path and query without the origin ("/pricing?plan=pro"), for a narrow column. */
export function pathOf(url) {
  const s = String(url ?? '');
  try {
    const u = new URL(s);
    return `${u.pathname}${u.search}${u.hash}` || '/';
  } catch {
    return s;
  }
}

/** "First visit", "Visit 3 · returning". */
export function visitText(v) {
  const n = Number(v && v.visit_number) || 1;
  return n <= 1 && !(v && v.returning) ? 'First visit' : `Visit ${n} · returning`;
}

/** Time on the site so far (ms since the visit started), never negative. */
export function timeOnSite(v, now = Date.now()) {
  const t = parseTime(v && v.started_at);
  return t == null ? 0 : Math.max(0, now - t);
}

/** Time on the current page so far. */
export function timeOnPage(v, now = Date.now()) {
  const t = parseTime(v && v.page && v.page.since);
  return t == null ? 0 : Math.max(0, now - t);
}

/** "45s", "3m 05s", "1h 02m": a ticking clock wants seconds. */
export function clockText(ms) {
  const s = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** What an invitation's refusal means, in plain words. */
export function inviteErrorText(err) {
  if (!err) return '';
  if (err.code === 'visitor_gone' || err.status === 409) return 'This visitor has left the site.';
  if (err.status === 403) return 'You may not invite this visitor.';
  if (err.status === 404) return 'This visitor is no longer known.';
  if (err.status === 429) return 'Too many invitations right now. Try again in a moment.';
  if (err.status === 0) return 'Cannot reach the server. Check your connection.';
  return err.message || 'The invitation could not be sent.';
}

/**
 * A journey answer (GET /visitors/{id}/journey) as drawn: visits newest first, each visit's pages
 * oldest first with how long each was looked at (the last page of a visit that goes on: `current`).
 */
export function journeyOf(r, now = Date.now()) {
  const visits = (Array.isArray(r && r.visits) ? r.visits : []).map((v) => {
    const ongoing = !v.ended_at;
    const pages = (Array.isArray(v.pages) ? v.pages : [])
      .map((p) => ({ ...p, at: parseTime(p.at) }))
      .sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
    pages.forEach((p, i) => {
      const next = pages[i + 1];
      p.current = ongoing && !next;
      if (p.visible_ms != null) p.ms = Number(p.visible_ms);
      else if (next && p.at != null && next.at != null) p.ms = next.at - p.at;
      else if (p.current && p.at != null) p.ms = Math.max(0, now - p.at);
      else p.ms = null;
    });
    return { ...v, number: Number(v.number) || null, ongoing, pages };
  }).sort((a, b) => (parseTime(b.started_at) ?? 0) - (parseTime(a.started_at) ?? 0));
  const chats = (Array.isArray(r && r.chats) ? r.chats : []).slice()
    .sort((a, b) => (parseTime(b.created_at) ?? 0) - (parseTime(a.created_at) ?? 0));
  return { visitor: (r && r.visitor) || null, visits, chats };
}
