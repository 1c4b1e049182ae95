// The Monitor page's data (leads): every ongoing chat of the departments they supervise, kept
// live from `monitor`, `monitor.participants`, `chat.updated` and `event` frames. No DOM; the
// page (monitor.js) subscribes and draws `shown()`.

import { Observable } from './observable.js';
import { parseTime } from './util.js';

/** When the visitor started waiting (queued, else created). */
export function waitStart(c, now = Date.now()) { return parseTime(c.queued_at) || parseTime(c.created_at) || now; }

export class MonitorBoard extends Observable {
  constructor() {
    super();
    this.chats = new Map(); // id -> summary with participants
    this.departments = [];
    this.filter = ''; // department id as text, '' for all
    this.state = 'loading'; // loading | live | error
    this.error = null;
  }

  /** Asked for the list again (shown, or after a reconnect). */
  loading() {
    this.state = 'loading';
    this.notify('monitor');
  }

  failed(message) {
    this.state = 'error';
    this.error = message;
    this.notify('monitor');
  }

  /** The whole list: a `monitor` frame or GET /monitor/chats. */
  fill(page) {
    this.chats = new Map(((page && page.chats) || []).map((c) => [c.id, c]));
    this.departments = (page && page.departments) || [];
    this.state = 'live';
    this.notify('monitor');
  }

  setFilter(value) {
    this.filter = value;
    this.notify('monitor');
  }

  /**
   * A frame while the page is shown. Returns true when the frame was only for this page;
   * `held(chatId)` says whether the console's own lists or tabs hold the chat (then its events
   * are theirs too).
   */
  applyFrame(f, held) {
    if (f.type === 'monitor') { this.fill(f); return true; }
    if (f.type === 'monitor.stopped') return true;
    if (f.type === 'monitor.participants') {
      const c = this.chats.get(f.chat_id);
      if (c) { c.participants = f.participants || []; this.notify('monitor'); }
      return true;
    }
    if (f.type === 'chat.updated' && f.chat) {
      const s = f.chat;
      const inScope = this.departments.some((d) => s.department && d.id === s.department.id);
      const prev = this.chats.get(s.id);
      if (s.status === 'closed' || !inScope) this.chats.delete(s.id);
      else if (!prev || (Number(s.last_seq) || 0) >= (Number(prev.last_seq) || 0)) {
        this.chats.set(s.id, { ...s, participants: (prev && prev.participants) || [] });
      }
      this.notify('monitor');
      return false; // the console's lists want it too
    }
    if (f.type === 'event' && f.chat_id != null) {
      const c = this.chats.get(f.chat_id);
      if (c && f.kind === 'message') {
        c.last_message = { text: f.text, author: f.author && f.author.type, at: f.created_at };
        c.last_seq = Math.max(Number(c.last_seq) || 0, f.seq);
        this.notify('monitor');
      }
      // events of chats the console does not show are only for this page
      return !!c && !held(f.chat_id);
    }
    return false;
  }

  /** The rows as shown: the filter applied, waiting chats first (longest wait first). */
  shown(now = Date.now()) {
    return [...this.chats.values()]
      .filter((c) => !this.filter || (c.department && String(c.department.id) === this.filter))
      .sort((a, b) => (a.status === b.status ? waitStart(a, now) - waitStart(b, now) : a.status === 'queued' ? -1 : 1));
  }
}
