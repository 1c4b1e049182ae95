// The conversations this tab holds (open tabs, my chats, anything with events) and the delivery
// rules of docs/protocol.md on the console's side:
//   - events are kept by seq (Conv.addEvent); a gap asks `sync {chat_id, after}` over the socket,
//     and what the sync leaves missing is read over HTTP (`fetchMissing`);
//   - after a drop, `resume()` syncs every loaded conversation and resends every unacked send;
//   - a send keeps its client_id through every retry, so the server stores it at most once;
//     `watch()` resends what was never put on the wire or got no ack within ACK_TIMEOUT, up to
//     MAX_TRIES, then marks it failed; pending sends survive a reload (sessionStorage).
// No DOM: the App passes `send` (the socket), `fetchEvents`/`fetchSummary` (HTTP) and `storage`,
// and subscribes: notify('thread', conv) when a transcript or its pending sends change,
// notify('summary', conv) when its summary changes, notify('loaded', conv) when a load ends.

import { Conv } from './conv.js';
import { Observable } from './observable.js';
import { randomId } from './util.js';

export const ACK_TIMEOUT = 15000;
export const MAX_TRIES = 3;
export const SYNC_RETRY = 5000;
export const PAGE = 500;
export const TYPING_LAPSE = 8000;

const memoryStorage = () => {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
};

/** The frame's event without its `type`. */
export function eventOfFrame(f) {
  const ev = { ...f };
  delete ev.type;
  return ev;
}

export class Conversations extends Observable {
  /**
   * @param {object} o
   * @param {(frame: object) => boolean} o.send  puts a frame on the socket; false when not connected
   * @param {(chatId: number, after: number, limit: number) => Promise<{events: object[]}>} o.fetchEvents
   * @param {(chatId: number) => Promise<object|null>} [o.fetchSummary]  the chat's summary over HTTP
   * @param {{getItem, setItem, removeItem}} [o.storage]  where pending sends survive a reload
   * @param {() => number} [o.now]
   * @param {() => number} [o.random]
   * @param {(prefix: string) => string} [o.newId]
   */
  constructor(o) {
    super();
    this.send = o.send;
    this.fetchEvents = o.fetchEvents;
    this.fetchSummary = o.fetchSummary || (async () => null);
    this.storage = o.storage || memoryStorage();
    this.now = o.now || (() => Date.now());
    this.random = o.random || Math.random;
    this.newId = o.newId || randomId;
    this.convs = new Map(); // chat id -> Conv
    this.pendingKey = null; // storage key of pending sends (per agent), null when signed out
    this.marks = null; // ReadMarks
  }

  /** A new session: forget everything; `pendingKey` names where this agent's pending sends live. */
  reset(pendingKey = null, marks = null) {
    for (const conv of this.convs.values()) { clearTimeout(conv.typingTimer); clearTimeout(conv.gapTimer); }
    this.convs = new Map();
    this.pendingKey = pendingKey;
    this.marks = marks;
  }

  get(id) { return this.convs.get(id); }

  has(id) { return this.convs.has(id); }

  values() { return this.convs.values(); }

  delete(id) { return this.convs.delete(id); }

  /** The conversation of a chat, created (with its restored pending sends) when missing. */
  ensure(id, summary = null, listed = null) {
    let conv = this.convs.get(id);
    if (!conv) {
      conv = new Conv(id, summary || listed || null);
      if (this.marks) conv.readSeq = this.marks.get(id);
      this.restorePending(conv);
      this.convs.set(id, conv);
      for (const p of conv.pending.values()) if (p.status === 'pending') this.transmit(conv, p);
    } else if (summary && (!conv.summary || (Number(summary.last_seq) || 0) >= (Number(conv.summary.last_seq) || 0))) {
      conv.summary = summary;
    }
    return conv;
  }

  // ----- seq and gaps -------------------------------------------------------------------------
  /** Asks the socket for the events after the last one held without a gap. */
  requestSync(conv, force = false) {
    if (!conv.loaded) return false;
    if (conv.syncing && !force && this.now() - conv.syncSentAt < SYNC_RETRY) return false;
    if (this.send({ type: 'sync', chat_id: conv.id, after: conv.lastSeq })) {
      conv.syncing = true;
      conv.syncSentAt = this.now();
      return true;
    }
    return false;
  }

  /** A summary says the server holds more: sync after a short wait unless the events arrive. */
  scheduleGapCheck(conv, delay = 400) {
    clearTimeout(conv.gapTimer);
    conv.gapTimer = setTimeout(() => { if (conv.behind()) this.requestSync(conv); }, delay);
  }

  /** An `event` frame: returns {conv, ev} when it was new, else null. A gap asks for a sync. */
  applyEvent(f) {
    if (f.chat_id == null) return null;
    const ev = eventOfFrame(f);
    const conv = this.ensure(f.chat_id);
    const { added, gap } = conv.addEvent(ev);
    if (!added) return null;
    if (gap) this.requestSync(conv);
    return { conv, ev }; // the caller renders (dispatch.js)
  }

  /** An event from an HTTP answer (accept, close, a note, a whisper): added like a frame's. */
  addStored(conv, ev) {
    if (!ev || ev.seq == null) return false;
    const { added } = conv.addEvent(ev);
    if (added) this.notify('thread', conv);
    return added;
  }

  /** `synced {chat_id, last_seq}`: the sync is over; a hole it left is read over HTTP. */
  applySynced(f) {
    const conv = this.convs.get(f.chat_id);
    if (!conv) return null;
    conv.syncing = false;
    if (conv.summary && Number(f.last_seq) > (Number(conv.summary.last_seq) || 0)) {
      conv.summary = { ...conv.summary, last_seq: Number(f.last_seq) };
    }
    if (conv.loaded && conv.maxSeq > conv.lastSeq) this.fetchMissing(conv);
    return conv;
  }

  /** Fallback when the socket sync left a hole: read the missing range over HTTP. */
  async fetchMissing(conv) {
    try {
      const r = await this.fetchEvents(conv.id, conv.lastSeq, PAGE);
      for (const ev of (r && r.events) || []) conv.addEvent(ev);
      this.notify('thread', conv);
    } catch { /* the next reconnect syncs again */ }
  }

  /** An error frame that was not about a send: no sync is waiting for an answer any more. */
  clearSyncing() {
    for (const c of this.convs.values()) if (c.syncing) c.syncing = false;
  }

  /**
   * Reads the transcript from seq 1 over HTTP (and the summary when missing). Resolves when done;
   * a second call while loading returns the same promise.
   */
  load(conv, force = false) {
    if (conv.loading) return conv.loading;
    if (conv.loaded && !force) return Promise.resolve();
    conv.loadError = null;
    conv.loading = (async () => {
      try {
        if (!conv.summary) {
          const s = await this.fetchSummary(conv.id);
          if (s) conv.summary = s;
          this.notify('summary', conv);
        }
        this.notify('thread', conv);
        let after = 0;
        for (let page = 0; page < 100; page++) {
          const r = await this.fetchEvents(conv.id, after, PAGE);
          const events = (r && r.events) || [];
          for (const ev of events) conv.addEvent(ev);
          if (events.length < PAGE) break;
          after = events[events.length - 1].seq;
        }
        conv.loaded = true;
        if (conv.behind()) this.requestSync(conv, true);
      } catch (err) {
        conv.loadError = err.status === 404 ? 'This chat does not exist or is not yours.' : `Could not load the conversation: ${err.message}`;
      } finally {
        conv.loading = null;
        this.notify('loaded', conv);
      }
    })();
    return conv.loading;
  }

  /** After (re)connecting: sync what is loaded, load open chats, resend what waits for an ack. */
  resume(openIds) {
    for (const conv of this.convs.values()) {
      if (conv.loaded) this.requestSync(conv, true);
      else if (openIds.includes(conv.id) && !conv.loading) this.load(conv);
      for (const p of conv.pending.values()) if (p.status === 'pending') this.transmit(conv, p);
    }
  }

  // ----- the visitor's typing ------------------------------------------------------------------
  /**
   * `typing` from the visitor: on (with the draft where the department allows a sneak peek) or
   * off; "on" lapses after TYPING_LAPSE without news. Returns the conv, or null when not held.
   */
  applyTyping(f, listed = false) {
    if (!f.author || f.author.type !== 'visitor' || f.chat_id == null) return null;
    const conv = this.convs.get(f.chat_id) || (listed ? this.ensure(f.chat_id) : null);
    if (!conv) return null;
    conv.visitorTyping = !!f.typing;
    conv.visitorDraft = f.typing && typeof f.text === 'string' ? f.text : '';
    clearTimeout(conv.typingTimer);
    if (conv.visitorTyping) {
      conv.typingTimer = setTimeout(() => {
        conv.visitorTyping = false;
        this.notify('typing', conv);
      }, TYPING_LAPSE);
    }
    return conv;
  }

  /** The visitor's message arrived (or the chat closed): the typing indicator and draft go. */
  visitorStopped(conv) {
    conv.visitorTyping = false;
    conv.visitorDraft = '';
    clearTimeout(conv.typingTimer);
  }

  isVisitorTyping(id) {
    const conv = this.convs.get(id);
    return !!(conv && conv.visitorTyping);
  }

  // ----- the outbox ---------------------------------------------------------------------------
  /** A reply typed by the agent: kept as pending with a fresh client id and sent. */
  queueSend(conv, text, extra = undefined) {
    const p = { client_id: this.newId('a'), text, status: 'pending', at: this.now(), sentAt: 0, tries: 0, holdUntil: 0 };
    if (extra && extra.canned_id) p.canned_id = extra.canned_id;
    conv.pending.set(p.client_id, p);
    this.savePending();
    this.transmit(conv, p);
    this.notify('thread', conv);
    return p;
  }

  /** Puts a pending send on the wire (unless held back after rate_limited / unavailable). */
  transmit(conv, p) {
    p.status = 'pending';
    if (p.holdUntil && this.now() < p.holdUntil) return false;
    const frame = { type: 'message.send', chat_id: conv.id, client_id: p.client_id, text: p.text };
    if (p.canned_id) frame.canned_id = p.canned_id; // the server renders the text itself
    const ok = this.send(frame);
    if (ok) { p.sentAt = this.now(); p.tries += 1; }
    return ok;
  }

  /** Retry of a failed send, by the agent: same client_id, so the server stores it at most once. */
  retry(conv, clientId) {
    const p = conv.pending.get(clientId);
    if (!p) return;
    p.error = null;
    p.tries = 0;
    p.holdUntil = 0;
    this.transmit(conv, p);
    this.savePending();
    this.notify('thread', conv);
  }

  discard(conv, clientId) {
    conv.pending.delete(clientId);
    this.savePending();
    this.notify('thread', conv);
  }

  /** Resends sends never put on the wire or never acknowledged; returns the convs whose sends failed. */
  watch() {
    const now = this.now();
    const changed = [];
    for (const conv of this.convs.values()) {
      let failed = false;
      for (const p of conv.pending.values()) {
        if (p.status !== 'pending') continue;
        if (p.holdUntil && now < p.holdUntil) continue;
        if (!p.sentAt) { this.transmit(conv, p); continue; }
        if (now - p.sentAt > ACK_TIMEOUT) {
          if (p.tries >= MAX_TRIES) {
            p.status = 'failed';
            p.error = 'No answer from the server';
            failed = true;
          } else this.transmit(conv, p);
        }
      }
      if (failed) { changed.push(conv); this.notify('thread', conv); }
    }
    return changed;
  }

  /** `ack {ref, chat_id, event}`: the send is stored; its event joins the transcript. */
  applyAck(f) {
    let conv = f.chat_id != null ? this.convs.get(f.chat_id) : null;
    if (!conv) conv = [...this.convs.values()].find((c) => c.pending.has(f.ref));
    if (!conv) return null;
    conv.pending.delete(f.ref);
    this.savePending();
    if (f.event) {
      const ev = eventOfFrame(f.event);
      if (ev.seq == null) ev.seq = f.seq;
      const { gap } = conv.addEvent(ev);
      if (gap) this.requestSync(conv);
    }
    this.notify('thread', conv);
    return conv;
  }

  /** The pending send an error frame's `ref` names: {conv, pending} or null. */
  findPending(ref) {
    if (!ref) return null;
    for (const c of this.convs.values()) {
      if (c.pending.has(ref)) return { conv: c, pending: c.pending.get(ref) };
    }
    return null;
  }

  /**
   * An error frame for a pending send: rate_limited / unavailable hold it back and retry (up to
   * four tries); anything else marks it failed with a short reason. Returns 'retry' or 'failed'.
   */
  applySendError(conv, pending, code, retryAfter) {
    let outcome;
    if ((code === 'rate_limited' || code === 'unavailable') && pending.tries < 4) {
      const wait = (Number(retryAfter) || (code === 'unavailable' ? 1 : 2)) * 1000;
      pending.status = 'pending';
      pending.sentAt = 0;
      pending.holdUntil = this.now() + wait + this.random() * 500;
      outcome = 'retry';
    } else {
      pending.status = 'failed';
      pending.error = code === 'chat_closed' ? 'Chat is closed' : code === 'too_large' ? 'Message too long'
        : code === 'forbidden' || code === 'not_found' ? 'Not your chat any more' : 'Not sent';
      outcome = 'failed';
    }
    this.savePending();
    this.notify('thread', conv);
    return outcome;
  }

  savePending() {
    if (!this.pendingKey) return;
    const out = {};
    for (const conv of this.convs.values()) {
      if (conv.pending.size) out[conv.id] = [...conv.pending.values()].map((p) => ({ client_id: p.client_id, text: p.text, at: p.at, canned_id: p.canned_id }));
    }
    try { this.storage.setItem(this.pendingKey, JSON.stringify(out)); } catch { /* quota */ }
  }

  restorePending(conv) {
    if (!this.pendingKey) return;
    let all = null;
    try { all = JSON.parse(this.storage.getItem(this.pendingKey) || 'null'); } catch { all = null; }
    const list = all && all[conv.id];
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (p && typeof p.client_id === 'string' && typeof p.text === 'string') {
        conv.pending.set(p.client_id, { client_id: p.client_id, text: p.text, at: p.at || this.now(), status: 'pending', sentAt: 0, tries: 0, holdUntil: 0, canned_id: Number(p.canned_id) || undefined });
      }
    }
  }

  // ----- read marks and unread -----------------------------------------------------------------
  /** Unread visitor messages: counted from the transcript when loaded, else from the summary. */
  unreadOf(id, listed = null) {
    const conv = this.convs.get(id);
    if (conv && conv.loaded) return conv.unread();
    const s = listed;
    if (s && s.status === 'active' && s.last_message && s.last_message.author === 'visitor'
        && (Number(s.last_seq) || 0) > (this.marks ? this.marks.get(id) : 0)) return 1;
    return 0;
  }

  /** The agent has seen everything up to the last event; false when nothing changed. */
  markSeen(conv) {
    if (conv.readSeq >= conv.maxSeq) return false;
    conv.readSeq = conv.maxSeq;
    if (this.marks) this.marks.set(conv.id, conv.maxSeq);
    return true;
  }
}
