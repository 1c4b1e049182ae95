// Client-side model of one conversation: events keyed by seq (duplicates dropped, gaps
// detected), sends waiting for their ack, and the view state that survives switching chats.

export class Conv {
  constructor(id, summary = null) {
    this.id = id;
    this.summary = summary;
    this.events = new Map(); // seq -> event
    this.lastSeq = 0; // highest seq such that 1..lastSeq are all held (valid once loaded)
    this.maxSeq = 0;
    this.loaded = false; // holds the transcript from seq 1
    this.loading = null; // Promise while fetching
    this.loadError = null;
    this.pending = new Map(); // client_id -> {client_id, text, status, error, at, sentAt, tries}
    this.syncing = false;
    this.syncSentAt = 0;
    // view state
    this.draft = '';
    this.scrollTop = null;
    this.stickToBottom = true;
    this.unseenBelow = 0;
    this.visitorTyping = false;
    this.typingTimer = null;
    this.readSeq = 0;
    this.notice = null; // {kind, text}
    this.busy = null; // 'accept' | 'close'
    this.view = null;
    this.version = 0;
    this._sorted = null;
    this._sortedVersion = -1;
  }

  /** Adds one stored event. Returns {added, gap}; gap means seqs are missing before it. */
  addEvent(ev) {
    const seq = Number(ev && ev.seq);
    if (!Number.isInteger(seq) || seq < 1 || this.events.has(seq)) return { added: false, gap: false };
    this.events.set(seq, ev);
    if (seq > this.maxSeq) this.maxSeq = seq;
    while (this.events.has(this.lastSeq + 1)) this.lastSeq += 1;
    if (ev.client_id && this.pending.has(ev.client_id)) this.pending.delete(ev.client_id);
    this.version += 1;
    return { added: true, gap: this.loaded && this.maxSeq > this.lastSeq };
  }

  /** Whether the server knows events this client does not hold. */
  behind() {
    if (!this.loaded) return false;
    const known = Number(this.summary && this.summary.last_seq) || 0;
    return this.maxSeq > this.lastSeq || known > this.lastSeq;
  }

  sorted() {
    if (this._sortedVersion !== this.version) {
      this._sorted = [...this.events.values()].sort((a, b) => a.seq - b.seq);
      this._sortedVersion = this.version;
    }
    return this._sorted;
  }

  /** Visitor messages after both the agent's last reply and what the agent has seen. */
  unread() {
    let lastAgent = 0;
    for (const ev of this.events.values()) {
      if (ev.kind === 'message' && ev.author && ev.author.type === 'agent' && ev.seq > lastAgent) {
        lastAgent = ev.seq;
      }
    }
    const base = Math.max(lastAgent, this.readSeq);
    let n = 0;
    for (const ev of this.events.values()) {
      if (ev.seq > base && ev.kind === 'message' && ev.author && ev.author.type === 'visitor') n += 1;
    }
    return n;
  }

  messageCount() {
    let n = 0;
    for (const ev of this.events.values()) if (ev.kind === 'message') n += 1;
    return n;
  }

  get status() { return (this.summary && this.summary.status) || 'unknown'; }
}

/** Remembers, per agent and chat, the last seq the agent has seen (survives reloads). */
export class ReadMarks {
  constructor(userId) {
    this.key = `fd.console.read.${userId}`;
    try { this.marks = JSON.parse(localStorage.getItem(this.key) || '{}') || {}; } catch { this.marks = {}; }
  }
  get(chatId) { return Number(this.marks[chatId]) || 0; }
  set(chatId, seq) {
    if (seq <= this.get(chatId)) return;
    this.marks[chatId] = seq;
    const ids = Object.keys(this.marks);
    if (ids.length > 300) {
      ids.sort((a, b) => Number(a) - Number(b)).slice(0, ids.length - 300).forEach((id) => delete this.marks[id]);
    }
    try { localStorage.setItem(this.key, JSON.stringify(this.marks)); } catch { /* quota */ }
  }
}
