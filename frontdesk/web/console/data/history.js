// History: the closed chats this agent may read, newest first, paged with `before`. A chat that
// closes while the list is loaded joins it at the top. No DOM; the sidebar reads `items`.

import { Observable } from './observable.js';

export class HistoryList extends Observable {
  constructor() {
    super();
    this.reset();
  }

  reset() {
    this.items = [];
    this.nextBefore = null;
    this.loading = false;
    this.loaded = false;
    this.error = null;
  }

  /** A fetch starts; false when one is running. `reset` starts again from the newest. */
  beginLoad(reset) {
    if (this.loading) return false;
    if (reset) { this.items = []; this.nextBefore = null; this.loaded = false; }
    this.loading = true;
    this.error = null;
    this.notify('history');
    return true;
  }

  /** The `before` query for the next page ('' for the first). */
  beforeQuery(reset) {
    return !reset && this.nextBefore != null ? `&before=${this.nextBefore}` : '';
  }

  /** A page from GET /chats?status=closed. */
  applyPage(r) {
    const have = new Set(this.items.map((s) => s.id));
    for (const s of (r && r.chats) || []) if (!have.has(s.id)) this.items.push(s);
    this.nextBefore = r && r.next_before != null ? r.next_before : null;
    this.loaded = true;
  }

  endLoad(error = null) {
    if (error) this.error = error;
    this.loading = false;
    this.notify('history');
  }

  /** A summary from a frame or fetch: a closed chat is added or replaced once the list is loaded. */
  applySummary(s) {
    if (s.status !== 'closed' || !this.loaded) return;
    const i = this.items.findIndex((x) => x.id === s.id);
    if (i >= 0) this.items[i] = s;
    else this.items.unshift(s);
    this.notify('history');
  }

  /** A visitor's data was erased: their chats leave the list. */
  dropVisitor(visitorId) {
    this.items = this.items.filter((x) => !(x.visitor && x.visitor.id === visitorId));
    this.notify('history');
  }
}
