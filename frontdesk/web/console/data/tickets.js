// Open offline messages (tickets): the list, its paging, the one being marked done, and the
// ticket.created / ticket.updated frames. No DOM; the sidebar and the ticket page read `items`.

import { Observable } from './observable.js';

export class TicketList extends Observable {
  constructor() {
    super();
    this.reset();
  }

  reset() {
    this.items = [];
    this.loading = false;
    this.loaded = false;
    this.error = null;
    this.nextBefore = null;
    this.busy = null; // id of the ticket being marked done
  }

  find(id) { return this.items.find((x) => Number(x.id) === Number(id)); }

  openCount() { return this.items.filter((t) => t.status !== 'done').length; }

  /** A fetch starts; false when one is already running. */
  beginLoad() {
    if (this.loading) return false;
    this.loading = true;
    this.error = null;
    this.notify('tickets');
    return true;
  }

  /** A page from GET /tickets (a list, or {tickets, next_before}); `reset` replaces the list. */
  applyPage(r, reset) {
    const list = Array.isArray(r) ? r : (r && r.tickets) || [];
    if (reset) this.items = [];
    const have = new Set(this.items.map((t) => t.id));
    for (const t of list) if (!have.has(t.id)) this.items.push(t);
    this.nextBefore = r && r.next_before != null ? r.next_before : null;
    this.loaded = true;
  }

  endLoad(error = null) {
    if (error) this.error = error;
    this.loading = false;
    this.notify('tickets');
  }

  /**
   * `ticket.created` / `ticket.updated`: returns 'reload' when the frame carries no ticket (or a
   * new one without its text), 'new' for a ticket to announce, else null.
   */
  applyFrame(t, created) {
    if (!t || t.id == null) return 'reload';
    const i = this.items.findIndex((x) => Number(x.id) === Number(t.id));
    let out = null;
    if (t.status === 'done') {
      if (i >= 0) this.items.splice(i, 1);
    } else if (i >= 0) {
      this.items[i] = { ...this.items[i], ...t };
    } else if (created) {
      this.items.unshift(t);
      out = 'text' in t ? 'new' : 'new+reload';
    }
    this.notify('tickets');
    return out;
  }

  /** Removes a ticket (done, or handled by someone else); returns its former index or -1. */
  remove(id) {
    const i = this.items.findIndex((x) => Number(x.id) === Number(id));
    if (i >= 0) this.items.splice(i, 1);
    this.notify('tickets');
    return i;
  }

  setBusy(id) {
    this.busy = id;
    this.notify('tickets');
  }
}
