// One open conversation: header, transcript, composer and details. Each open chat keeps its
// own view (and so its draft); the app attaches one at a time and restores its scroll.

import { attachControls, fileBubble } from './attachments.js';
import { CannedPicker } from './canned.js';
import {
  avatar, clear, clockTime, dayKey, dayLabel, deptTag, duration, fullTime, h, icon, NodeCache, parseTime,
  reconcile, replaceChildren, visitorName,
} from './dom.js';
import { ratingChip, ratingSection, visitorDataSection } from './privacy.js';
import { nextLevel, openEscalateDialog } from './escalate.js';
import { tagsSection } from './tagging.js';
import { openTransferDialog } from './transfer.js';
import { journeySection, tickClocks } from './visitors.js';

const GROUP_WINDOW = 5 * 60 * 1000;
const MAX_CHARS = 4000;

const STATUS_LABEL = { queued: 'Waiting', active: 'Active', closed: 'Closed' };

export class ConversationView {
  /**
   * @param {import('./data/conv.js').Conv} conv  the conversation shown
   * @param {object} data  the data modules (session, directory, …), read only
   * @param {object} act  the App's callbacks (App.viewActions): send, accept, close, …
   * @param {import('./supervise.js').Supervision} supervision  watching, whispers, joins
   */
  constructor(conv, data, act, supervision) {
    this.conv = conv;
    this.data = data;
    this.act = act;
    this.supervision = supervision;
    this.dirty = true;
    this.closeArmed = false;
    this.closeTimer = null;
    this.nodes = new NodeCache();
    this.build();
  }

  // ---- structure -----------------------------------------------------------------------
  build() {
    const c = this.conv;
    this.avatarSlot = h('div', { class: 'conv-avatar' });
    this.titleEl = h('h2', { class: 'conv-name' });
    this.metaEl = h('div', { class: 'conv-meta' });
    this.actionsEl = h('div', { class: 'conv-actions' });
    this.detailsBtn = h('button', {
      class: 'btn btn-icon btn-ghost details-toggle', type: 'button', title: 'Show details',
      'aria-label': 'Toggle details', onclick: () => this.act.toggleDetails(),
    }, icon('panel', 18));

    this.head = h('header', { class: 'conv-head' },
      this.avatarSlot,
      h('div', { class: 'conv-title' }, this.titleEl, this.metaEl),
      this.actionsEl,
      this.detailsBtn);

    this.noticeEl = h('div', { class: 'conv-notice', hidden: true });
    this.list = h('div', { class: 'thread-inner', role: 'log', 'aria-live': 'polite' });
    this.thread = h('div', { class: 'thread', tabindex: '-1' }, this.list);
    this.thread.addEventListener('scroll', () => this.onScroll(), { passive: true });

    this.jumpBtn = h('button', {
      class: 'jump', type: 'button', hidden: true, onclick: () => this.scrollToBottom(true),
    }, icon('arrowDown', 14), h('span', { class: 'jump-label' }, 'New messages'));

    this.typingEl = h('div', { class: 'typing', hidden: true, 'aria-live': 'polite' },
      h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
      h('span', { class: 'typing-text' }));
    // sneak peek: the visitor's draft, greyed, as it is typed (never stored; desk.md)
    this.peekEl = h('div', { class: 'peek', hidden: true, 'aria-live': 'off' },
      h('span', { class: 'peek-label' }, 'Typing, not sent yet'), h('div', { class: 'peek-text' }));

    // composer
    this.input = h('textarea', {
      class: 'composer-input', rows: '1', maxlength: String(MAX_CHARS),
      'aria-label': 'Reply', placeholder: 'Write a reply…',
    });
    this.input.value = c.draft || '';
    this.input.addEventListener('input', () => this.onInput());
    this.input.addEventListener('keydown', (e) => this.onKeyDown(e));
    this.counter = h('span', { class: 'composer-count', hidden: true });
    this.sendBtn = h('button', { class: 'btn btn-primary btn-send', type: 'button', onclick: () => this.submit() },
      h('span', null, 'Send'), icon('send', 15));
    this.noteBtn = h('button', {
      class: 'btn btn-ghost btn-note', type: 'button', 'aria-pressed': 'false',
      title: 'Write an internal note instead of a reply (Ctrl+Shift+N)', onclick: () => this.setNoteMode(!this.conv.noteMode),
    }, icon('note', 15), h('span', null, 'Note'));
    this.hintEl = h('span', { class: 'composer-hint' }, h('kbd', null, 'Enter'), ' to send · ', h('kbd', null, 'Shift'), '+', h('kbd', null, 'Enter'), ' for a new line');
    this.noteHintEl = h('span', { class: 'composer-hint note-hint', hidden: true }, icon('lock', 12), 'Internal note · only agents see this');
    this.composer = h('div', { class: 'composer' },
      this.input,
      h('div', { class: 'composer-bar' },
        this.hintEl, this.noteHintEl,
        h('span', { class: 'composer-right' }, this.counter, this.noteBtn, this.sendBtn)));
    if (c.noteMode) this.setNoteMode(true, { quiet: true });
    this.files = attachControls(this); // paperclip, drop and paste (attachments.js)
    this.composer.prepend(this.files.list);
    this.noteBtn.before(this.files.button);
    this.canned = new CannedPicker(this); // `#` opens the canned responses (canned.js)
    this.footer = h('footer', { class: 'conv-foot' });

    this.details = h('aside', { class: 'conv-details', 'aria-label': 'Conversation details' });

    this.root = h('section', { class: 'conv', dataset: { chat: String(c.id) } },
      this.head,
      h('div', { class: 'conv-body' },
        h('div', { class: 'conv-main' },
          this.noticeEl,
          h('div', { class: 'thread-wrap' }, this.thread, this.jumpBtn),
          this.typingEl,
          this.peekEl,
          this.footer),
        this.details));
    this.autosize();
  }

  // ---- lifecycle -------------------------------------------------------------------------
  attach(container) {
    container.appendChild(this.root);
    this.update();
    this.renderThread(true);
    const c = this.conv;
    if (c.stickToBottom || c.scrollTop == null) this.scrollToBottom(false);
    else this.thread.scrollTop = c.scrollTop;
    this.autosize();
  }

  detach() {
    this.saveScroll();
    this.root.remove();
  }

  saveScroll() {
    if (!this.root.isConnected) return;
    this.conv.scrollTop = this.thread.scrollTop;
    this.conv.stickToBottom = this.atBottom();
  }

  get attached() { return this.root.isConnected; }

  focusComposer() {
    if (this.canReply() && this.attached) this.input.focus({ preventScroll: true });
  }

  canReply() {
    const s = this.conv.summary;
    return !!s && s.status === 'active' && (this.data.session.isMine(s) || this.supervision.isParticipant(this.conv));
  }

  // ---- header, notice, footer, details ---------------------------------------------------
  update() {
    const c = this.conv;
    const s = c.summary || { id: c.id };
    const name = visitorName(s);
    replaceChildren(this.avatarSlot, avatar(name, s.visitor && s.visitor.id, 'lg'));
    this.titleEl.textContent = name;

    const status = s.status || 'unknown';
    const meta = [h('span', { class: `pill pill-${status}` }, STATUS_LABEL[status] || 'Loading')];
    if (s.department) meta.push(deptTag(s.department));
    meta.push(h('span', { class: 'meta-item' }, `Chat #${c.id}`));
    if (Number(s.required_level) > 1 && status !== 'closed') {
      meta.push(h('span', { class: 'level-chip', title: `Escalated: for agents of level ${s.required_level} or higher` },
        icon('escalate', 12), `Level ${s.required_level}`));
    }
    if (status === 'queued') {
      const since = parseTime(s.queued_at) || parseTime(s.created_at);
      meta.push(h('span', { class: 'meta-item', dataset: { since: String(since || '') } },
        `Waiting ${duration(Date.now() - (since || Date.now()))}`));
    } else if (status === 'active' && s.assignee) {
      meta.push(h('span', { class: 'meta-item' },
        this.data.session.isMine(s) ? 'Assigned to you' : `Assigned to ${s.assignee.name || 'another agent'}`));
    } else if (status === 'closed' && s.closed_at) {
      meta.push(h('span', { class: 'meta-item' }, `Closed ${fullTime(parseTime(s.closed_at))}`));
    }
    if (s.rating) meta.push(ratingChip(s.rating));
    replaceChildren(this.metaEl, meta);

    // actions (rebuilt only when they change, so a click in progress is never lost)
    const mine = this.data.session.isMine(s);
    const role = this.data.session.me && this.data.session.me.role;
    const manager = role === 'admin' || role === 'manager' || role === 'supervisor';
    const canTransfer = status === 'active' && (mine || manager);
    const canEscalate = status === 'active' && mine;
    const escalation = canEscalate ? nextLevel(this.data, s) : null;
    const joined = this.supervision.isParticipant(c); // a supervisor in the chat may leave it
    const actSig = `${status}|${mine}|${c.busy}|${this.closeArmed}|${canTransfer}|${escalation && escalation.possible}|${joined}`;
    if (actSig !== this.actSig) {
      this.actSig = actSig;
      clear(this.actionsEl);
      if (canTransfer) {
        this.actionsEl.append(h('button', {
          class: 'btn btn-secondary', type: 'button', disabled: !!c.busy,
          title: 'Hand this chat to another agent or department', 'aria-haspopup': 'dialog',
          onclick: () => openTransferDialog(this.data, this.act, c),
        }, icon('transfer', 16), 'Transfer'));
      }
      if (canEscalate) {
        const top = escalation.possible === false;
        this.actionsEl.append(h('button', {
          class: 'btn btn-secondary btn-escalate', type: 'button', disabled: !!c.busy || top, 'aria-haspopup': 'dialog',
          title: top ? 'You are at the top level of this department: there is no higher level'
            : `Pass this chat to a level ${escalation.level || 'higher'} agent, with a reason`,
          onclick: () => openEscalateDialog(this.data, this.act, c),
        }, icon('escalate', 16), 'Escalate'));
      }
      if (joined) {
        this.actionsEl.append(h('button', {
          class: 'btn btn-secondary', type: 'button', disabled: !!c.busy, title: 'Leave the chat (the visitor sees it)',
          onclick: () => this.supervision.leave(c),
        }, icon('logout', 16), 'Leave chat'));
      }
      if (status === 'queued') {
        this.actionsEl.append(h('button', {
          class: 'btn btn-primary', type: 'button', disabled: c.busy === 'accept',
          onclick: () => this.act.accept(c.id),
        }, icon('check', 16), c.busy === 'accept' ? 'Accepting…' : 'Accept'));
      } else if (status === 'active' && mine) {
        const armed = this.closeArmed;
        this.actionsEl.append(h('button', {
          class: `btn ${armed ? 'btn-danger' : 'btn-secondary'}`, type: 'button',
          disabled: c.busy === 'close', title: armed ? 'Click again to close this chat' : 'Close this chat',
          onclick: () => this.onCloseClick(),
        }, icon(armed ? 'alert' : 'check', 16),
        c.busy === 'close' ? 'Closing…' : armed ? 'Confirm close' : 'Close chat'));
      }
    }

    // notice banner
    if (c.notice) {
      this.noticeEl.hidden = false;
      this.noticeEl.className = `conv-notice notice-${c.notice.kind || 'info'}`;
      replaceChildren(this.noticeEl, icon(c.notice.kind === 'warn' ? 'alert' : 'info', 16),
        h('span', null, c.notice.text));
    } else {
      this.noticeEl.hidden = true;
    }

    this.renderFooter();
    this.renderDetails();
    this.renderTyping();
  }

  onCloseClick() {
    if (!this.closeArmed) {
      this.closeArmed = true;
      clearTimeout(this.closeTimer);
      this.closeTimer = setTimeout(() => { this.closeArmed = false; this.update(); }, 4000);
      this.update();
      return;
    }
    clearTimeout(this.closeTimer);
    this.closeArmed = false;
    this.act.closeChat(this.conv.id);
  }

  renderFooter() {
    const c = this.conv;
    const s = c.summary;
    const status = s && s.status;
    const sup = this.supervision;
    const joined = sup.isParticipant(c);
    const footSig = s ? `${status}|${this.data.session.isMine(s)}|${c.busy}|${s.assignee ? s.assignee.name : ''}|${joined}|${sup.lead}` : 'none';
    if (footSig === this.footSig) {
      if (this.footer.firstChild === this.composer) { this.placeholder(); this.updateCounter(); }
      return;
    }
    this.footSig = footSig;
    let content;
    if (!s) {
      content = h('div', { class: 'foot-note' }, 'Loading…');
    } else if (status === 'queued') {
      content = h('div', { class: 'foot-cta' },
        h('div', { class: 'foot-cta-text' },
          h('strong', null, 'This visitor is waiting for an agent.'),
          h('span', null, 'Accept the chat to reply. It moves to My chats.')),
        h('button', {
          class: 'btn btn-primary btn-lg', type: 'button', disabled: c.busy === 'accept',
          onclick: () => this.act.accept(c.id),
        }, icon('check', 16), c.busy === 'accept' ? 'Accepting…' : 'Accept chat'));
    } else if (status === 'active' && (this.data.session.isMine(s) || joined)) {
      content = this.composer;
      this.placeholder();
      this.updateCounter();
    } else if (status === 'active' && sup.lead) {
      content = sup.footer(this); // watching: whisper, join, take over (supervise.js)
    } else if (status === 'active') {
      content = h('div', { class: 'foot-note' }, icon('user', 16),
        `${(s.assignee && s.assignee.name) || 'Another agent'} is handling this chat.`);
    } else if (status === 'closed') {
      content = h('div', { class: 'foot-note' }, icon('lock', 16),
        h('span', null, 'This conversation is closed. The transcript is read-only.'),
        h('a', { class: 'link', href: `/api/v1/chats/${c.id}/transcript.txt`, download: `chat-${c.id}.txt` }, 'Download transcript'));
    } else {
      content = h('div', { class: 'foot-note' }, '');
    }
    if (this.footer.firstChild !== content || this.footer.childNodes.length !== 1) {
      const hadFocus = document.activeElement === this.input;
      replaceChildren(this.footer, content);
      if (hadFocus && content === this.composer) this.input.focus({ preventScroll: true });
    }
  }

  placeholder() {
    const name = visitorName(this.conv.summary);
    this.input.placeholder = this.conv.noteMode ? `Internal note about ${name} — the visitor won’t see it` : `Reply to ${name}…`;
    if (this.canned) this.canned.updateScripted();
  }

  renderDetails() {
    const c = this.conv;
    const s = c.summary || { id: c.id };
    const name = visitorName(s);
    const created = parseTime(s.created_at);
    const assigned = parseTime(s.assigned_at);
    const closed = parseTime(s.closed_at);
    const row = (label, value, cls) => h('div', { class: 'kv' },
      h('dt', null, label), h('dd', { class: cls || null }, value == null || value === '' ? '—' : value));
    const vid = s.visitor && s.visitor.id != null ? String(s.visitor.id) : null;
    replaceChildren(this.details,
      h('div', { class: 'details-card details-visitor' },
        avatar(name, vid, 'xl'),
        h('div', { class: 'details-name' }, name),
        s.visitor && s.visitor.email ? h('div', { class: 'details-sub' }, s.visitor.email) : null),
      ratingSection(s),
      h('div', { class: 'details-section' },
        h('h3', null, 'Visitor'),
        h('dl', null,
          row('Name', s.visitor && s.visitor.name ? s.visitor.name : 'Not provided'),
          s.visitor && s.visitor.email ? row('Email', s.visitor.email) : null,
          row('Visitor ID', vid, 'mono'))),
      h('div', { class: 'details-section' },
        h('h3', null, 'Conversation'),
        h('dl', null,
          row('Chat', `#${c.id}`),
          row('Status', STATUS_LABEL[s.status] || '—'),
          s.department ? row('Department', s.department.name || s.department.slug) : null,
          row('Started', created ? fullTime(created) : null),
          row('Waited', created ? duration((assigned || closed || Date.now()) - created) : null),
          row('Agent', s.assignee ? (this.data.session.isMine(s) ? `${s.assignee.name || 'You'} (you)` : s.assignee.name) : 'Unassigned'),
          closed ? row('Closed', fullTime(closed)) : null,
          row('Messages', String(c.messageCount())))),
      // on the site: this visit's pages with times, earlier visits and chats, place and device
      journeySection(this.data, this.act, c, () => { if (this.details.isConnected) this.renderDetails(); }),
      tagsSection(this.data, this.act, c),
      this.supervision.reviewSection(this),
      h('div', { class: 'details-section' },
        h('a', {
          class: 'btn btn-secondary btn-block', href: `/api/v1/chats/${c.id}/transcript.txt`,
          download: `chat-${c.id}.txt`,
        }, icon('download', 16), 'Download transcript')),
      visitorDataSection(this.data, this.act, c));
  }

  renderTyping() {
    const c = this.conv;
    const show = c.visitorTyping && c.summary && c.summary.status !== 'closed';
    this.typingEl.hidden = !show;
    if (show) {
      const v = c.summary && c.summary.visitor;
      const who = v && v.name ? v.name : 'Visitor';
      this.typingEl.querySelector('.typing-text').textContent = `${who} is typing…`;
    }
    const draft = show && typeof c.visitorDraft === 'string' ? c.visitorDraft : '';
    this.peekEl.hidden = !draft.trim();
    this.peekEl.querySelector('.peek-text').textContent = draft; // visitor text: text only, never HTML
  }

  // ---- transcript ------------------------------------------------------------------------
  renderThread(force = false) {
    if (!this.attached && !force) { this.dirty = true; return; }
    this.dirty = false;
    const c = this.conv;
    const wasAtBottom = this.attached ? this.atBottom() : c.stickToBottom;
    const prevTop = this.thread.scrollTop;
    const prevCount = this.list.childElementCount;

    const nodes = [];
    const events = c.sorted();
    const cache = this.nodes;
    const s = c.summary;
    const visitorLabel = visitorName(s);
    const online = this.act.connected();
    const canReply = this.canReply();
    let prev = null;
    let lastDay = null;
    // "Seen": the last agent message at or before what the visitor has read (chat.read, summary)
    const readUpTo = Math.max(c.visitorRead || 0, Number(s && s.visitor_read_seq) || 0);
    let seenSeq = 0;
    for (const ev of events) {
      if (ev.kind === 'message' && ev.author && ev.author.type === 'agent' && ev.seq <= readUpTo) seenSeq = Math.max(seenSeq, ev.seq);
    }
    const add = (item) => {
      const ts = item.ts;
      if (ts != null) {
        const key = dayKey(ts);
        if (key !== lastDay) {
          const label = dayLabel(ts);
          nodes.push(cache.get(`day:${key}`, label, () => h('div', { class: 'day' }, h('span', null, label))));
          lastDay = key;
          prev = null;
        }
      }
      const key = item.pending ? `p:${item.pending.client_id}` : `e:${item.seq}`;
      if (item.kind === 'message') {
        const grouped = !!prev && prev.kind === 'message' && sameAuthor(prev.author, item.author)
          && ts != null && prev.ts != null && ts - prev.ts < GROUP_WINDOW;
        const p = item.pending;
        const sig = [grouped, visitorLabel, p ? `${p.status}|${p.error || ''}|${online}|${canReply}` : '',
          clockTime(ts), item.seq ? this.supervision.annotationSig(c.id, item.seq) : '', item.seq === seenSeq].join('\u0001');
        nodes.push(cache.get(key, sig, () => this.messageNode(item, grouped, item.seq === seenSeq)));
      } else if (item.kind === 'note') {
        nodes.push(cache.get(key, `note\u0001${clockTime(ts)}`, () => this.noteNode(item)));
      } else if (item.kind === 'whisper') {
        nodes.push(cache.get(key, `whisper\u0001${clockTime(ts)}`, () => this.supervision.whisperNode(this, item)));
      } else {
        const node = cache.get(key, `${visitorLabel}\u0001${clockTime(ts)}`, () => this.systemNode(item) || h('span', { hidden: true }));
        nodes.push(node);
      }
      prev = item;
    };

    if (!c.loaded && c.loading && events.length === 0) {
      nodes.push(cache.get('status:loading', '', () => h('div', { class: 'thread-status' }, h('span', { class: 'spinner' }), 'Loading conversation…')));
    } else if (c.loadError && events.length === 0) {
      nodes.push(cache.get('status:error', c.loadError, () => h('div', { class: 'thread-status error' }, icon('alert', 16), c.loadError,
        h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => this.act.loadConv(c, true) }, 'Try again'))));
    }
    for (const ev of events) {
      add({
        kind: ev.kind, seq: ev.seq, author: ev.author || null, text: ev.text, data: ev.data || {},
        ts: parseTime(ev.created_at), ev,
      });
    }
    for (const p of c.pending.values()) {
      add({
        kind: 'message', author: { type: 'agent', id: this.data.session.me.id, name: this.data.session.me.name },
        text: p.text, ts: p.at, pending: p,
      });
    }
    reconcile(this.list, nodes);
    cache.sweep();

    if (wasAtBottom) {
      this.scrollToBottom(false);
    } else {
      this.thread.scrollTop = prevTop;
      if (this.list.childElementCount > prevCount && prevCount > 0) {
        c.unseenBelow += 1;
        this.jumpBtn.hidden = false;
      }
    }
    if (this.details.isConnected) this.renderDetails();
  }

  messageNode(item, grouped, seen = false) {
    const author = item.author || {};
    const isVisitor = author.type === 'visitor';
    const mine = !isVisitor && Number(author.id) === Number(this.data.session.me.id);
    const side = isVisitor ? 'visitor' : mine ? 'me' : 'agent';
    const s = this.conv.summary;
    const name = isVisitor ? visitorName(s) : mine ? 'You' : (author.name || 'Agent');
    const classes = ['msg', `msg-${side}`];
    if (grouped) classes.push('grouped');
    if (item.pending) classes.push(`msg-${item.pending.status}`);

    const bubble = h('div', { class: 'bubble' });
    bubble.textContent = String(item.text ?? ''); // visitor text: always text, never HTML
    if (item.data && item.data.attachment) fileBubble(bubble, this.conv.id, item.data.attachment);

    let status = null;
    if (item.pending) {
      const p = item.pending;
      if (p.status === 'failed') {
        status = h('div', { class: 'msg-status failed' }, icon('alert', 13),
          h('span', null, p.error || 'Not sent'),
          this.canReply() ? h('button', { class: 'linkbtn', type: 'button', onclick: () => this.act.retrySend(this.conv, p.client_id) }, 'Retry') : null,
          h('button', { class: 'linkbtn muted', type: 'button', onclick: () => this.act.discardSend(this.conv, p.client_id) }, 'Discard'));
      } else {
        status = h('div', { class: 'msg-status pending' }, h('span', { class: 'spinner spinner-xs' }),
          this.act.connected() ? 'Sending…' : 'Waiting for connection…');
      }
    } else if (seen) {
      status = h('div', { class: 'msg-status seen', title: 'The visitor has seen this message' }, 'Seen');
    }

    const meta = grouped ? null : h('div', { class: 'msg-meta' },
      h('span', { class: 'msg-author' }, name),
      item.ts != null ? h('time', { datetime: new Date(item.ts).toISOString(), title: fullTime(item.ts) }, clockTime(item.ts)) : null);

    const av = isVisitor
      ? (grouped ? h('span', { class: 'avatar-spacer' }) : avatar(name, s && s.visitor && s.visitor.id, 'sm'))
      : null;

    return h('div', {
      class: classes.join(' '),
      dataset: item.seq ? { seq: String(item.seq) } : { pending: item.pending.client_id },
    }, av, h('div', { class: 'msg-body' }, meta, h('div', { class: 'bubble-row' }, bubble,
      grouped && item.ts != null ? h('time', { class: 'msg-hover-time', title: fullTime(item.ts) }, clockTime(item.ts)) : null),
    status, this.supervision.messageExtras(this, item)));
  }

  noteNode(item) {
    const author = item.author || {};
    const mine = Number(author.id) === Number(this.data.session.me.id);
    const text = h('div', { class: 'note-text' });
    text.textContent = String(item.text ?? ''); // always text, never HTML
    return h('div', { class: 'note', dataset: { seq: String(item.seq) } },
      h('div', { class: 'note-card' },
        h('div', { class: 'note-label' }, icon(item.data && item.data.escalation ? 'escalate' : 'lock', 12),
          h('span', null, item.data && item.data.escalation ? 'Escalation reason · only agents see this' : 'Internal note · only agents see this')),
        text,
        h('div', { class: 'note-meta' },
          h('span', { class: 'note-author' }, mine ? 'You' : (author.name || 'An agent')),
          item.ts != null ? h('time', { datetime: new Date(item.ts).toISOString(), title: fullTime(item.ts) }, clockTime(item.ts)) : null)));
  }

  systemNode(item) {
    const d = item.data || {};
    let text;
    let ic = 'info';
    switch (item.kind) {
      case 'chat.started':
        text = `${visitorName(this.conv.summary)} started the chat`;
        ic = 'chat';
        break;
      case 'chat.assigned': {
        const agent = d.agent || {};
        const mine = Number(agent.id) === Number(this.data.session.me.id);
        text = mine ? 'You joined the chat' : `${agent.name || 'An agent'} joined the chat`;
        ic = 'user';
        break;
      }
      case 'chat.closed': {
        const by = d.by === 'visitor' ? 'by the visitor' : d.by === 'agent' ? 'by the agent'
          : d.by === 'system' ? 'automatically' : '';
        if (d.reason === 'missed') text = 'Missed — the visitor left while waiting';
        else if (d.reason === 'department_deleted') text = 'Closed — the department was deleted';
        else text = `Chat closed ${by}`.trim();
        ic = d.reason === 'missed' ? 'alert' : 'lock';
        break;
      }
      case 'chat.escalated': {
        const me = this.data.session.me.id;
        const from = d.from_agent ? (Number(d.from_agent.id) === Number(me) ? 'you' : d.from_agent.name || 'an agent') : null;
        text = `Escalated to level ${d.to_level || '?'}${from ? ` by ${from}` : ''} — the visitor was told a specialist is coming`;
        ic = 'escalate';
        break;
      }
      case 'chat.transferred': {
        const me = this.data.session.me.id;
        const who = (a) => (a && Number(a.id) === Number(me) ? 'you' : (a && a.name) || 'an agent');
        const from = d.from_agent ? ` by ${who(d.from_agent)}` : '';
        if (d.to_agent) text = `Transferred to ${who(d.to_agent)}${from}`;
        else if (d.to_department) text = `Transferred to ${d.to_department.name || d.to_department.slug || 'another department'}${from}`;
        else text = `Transferred${from}`;
        ic = 'transfer';
        break;
      }
      case 'chat.joined':
      case 'chat.left':
      case 'chat.taken_over':
        [text, ic] = this.supervision.systemText(item);
        break;
      default:
        if (typeof item.text === 'string' && item.text) {
          const b = h('div', { class: 'sys-note' });
          b.textContent = item.text;
          return h('div', { class: 'sys' }, b);
        }
        return null;
    }
    const missed = item.kind === 'chat.closed' && d.reason === 'missed';
    return h('div', { class: `sys sys-${item.kind.replace('.', '-')}${missed ? ' sys-missed' : ''}` },
      icon(ic, 13), h('span', null, text),
      item.ts != null ? h('time', { title: fullTime(item.ts) }, clockTime(item.ts)) : null);
  }

  // ---- scrolling -------------------------------------------------------------------------
  atBottom() {
    const t = this.thread;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 48;
  }

  scrollToBottom(smooth) {
    const t = this.thread;
    if (smooth) t.scrollTo({ top: t.scrollHeight, behavior: 'smooth' });
    else t.scrollTop = t.scrollHeight;
    this.conv.unseenBelow = 0;
    this.jumpBtn.hidden = true;
  }

  onScroll() {
    if (this.atBottom()) {
      this.conv.unseenBelow = 0;
      this.jumpBtn.hidden = true;
      this.act.markRead(this.conv);
    }
  }

  // ---- composer --------------------------------------------------------------------------
  onKeyDown(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing) {
      e.preventDefault();
      this.submit();
    } else if ((e.ctrlKey || e.metaKey) && e.shiftKey && (e.key === 'N' || e.key === 'n')) {
      e.preventDefault();
      this.setNoteMode(!this.conv.noteMode);
    } else if (e.key === 'Escape' && this.conv.noteMode && !this.input.value) {
      this.setNoteMode(false);
    }
  }

  onInput() {
    this.conv.draft = this.input.value;
    this.autosize();
    this.updateCounter();
    // a note is for agents only: never tell the visitor someone is typing it
    if (!this.conv.noteMode) this.act.typingInput(this.conv, this.input.value.trim().length > 0);
  }

  setNoteMode(on, { quiet = false } = {}) {
    this.conv.noteMode = !!on;
    this.composer.classList.toggle('composer-note', !!on);
    this.noteBtn.setAttribute('aria-pressed', String(!!on));
    this.noteBtn.classList.toggle('active', !!on);
    this.hintEl.hidden = !!on;
    this.noteHintEl.hidden = !on;
    this.sendBtn.firstChild.textContent = on ? 'Add note' : 'Send';
    this.input.setAttribute('aria-label', on ? 'Internal note' : 'Reply');
    if (on) this.act.stopTyping(this.conv);
    else if (this.input.value.trim()) this.act.typingInput(this.conv, true);
    this.placeholder();
    if (!quiet) this.input.focus();
  }

  updateCounter() {
    const n = this.input.value.length;
    this.counter.hidden = n < MAX_CHARS - 500;
    this.counter.textContent = `${n} / ${MAX_CHARS}`;
    this.counter.classList.toggle('over', n > MAX_CHARS);
    this.sendBtn.disabled = this.input.value.trim().length === 0 || n > MAX_CHARS || !!this.noteBusy;
  }

  autosize() {
    const el = this.input;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 220)}px`;
  }

  submit() {
    const text = this.input.value;
    if (!text.trim() || text.length > MAX_CHARS || !this.canReply()) return;
    if (this.conv.noteMode) { this.submitNote(text); return; }
    const cannedId = this.canned.cannedIdFor(text); // inserted with # and not edited
    this.canned.sent();
    this.input.value = '';
    this.conv.draft = '';
    this.autosize();
    this.updateCounter();
    this.act.sendMessage(this.conv, text.replace(/\s+$/, ''), cannedId ? { canned_id: cannedId } : undefined);
    this.scrollToBottom(false);
    this.input.focus();
  }

  async submitNote(text) {
    if (this.noteBusy) return;
    this.noteBusy = true;
    this.input.readOnly = true;
    this.updateCounter();
    const ok = await this.act.addNote(this.conv, text.replace(/\s+$/, ''));
    this.noteBusy = false;
    this.input.readOnly = false;
    if (ok && this.input.value === text) {
      this.input.value = '';
      this.conv.draft = '';
      this.autosize();
      this.scrollToBottom(false);
    }
    this.updateCounter();
    if (this.attached) this.input.focus();
  }

  /** Refreshes relative times (waiting counter in the header). */
  tick() {
    const el = this.metaEl.querySelector('[data-since]');
    if (el && el.dataset.since) el.textContent = `Waiting ${duration(Date.now() - Number(el.dataset.since))}`;
    tickClocks(this.details); // the visitor's time on their current page (visitors.js)
  }
}

function sameAuthor(a, b) {
  if (!a || !b) return false;
  if (a.type !== b.type) return false;
  if (a.type === 'visitor') return true;
  return Number(a.id) === Number(b.id);
}
