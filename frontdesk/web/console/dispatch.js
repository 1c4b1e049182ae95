// The one dispatch of the agent socket's frames (docs/protocol.md): each frame updates the data
// modules (data/*.js) first, then asks the views to render through a few callbacks (`ui`). No
// DOM here either: `ui` is the App's side (views, toasts, sounds), and a test passes plain
// functions. `applySummary` is also how the App's own fetches and actions enter a summary.
//
// data: {session, chats, conversations, tickets, history}   (data/*.js)
// ui:   {route(f) → bool, render(), renderConv(conv), renderThread(conv), renderTyping(conv),
//        loadConv(conv), isOpen(id), stopTyping(conv), toast(text, kind, opts),
//        announceQueued(s), announceOffer(s), announceMessage(conv, ev), announceTicket(t),
//        afterEvent(conv, ev), markRead(conv), onRated(f), welcome({reconnect, statusKnown}),
//        loadTickets(reset), statusNews(status, reason), connected(), openIds(),
//        refuseScripted(conv, pending, message) → bool}

import { visitorName } from './dom.js';

export class FrameDispatch {
  constructor(data, ui) {
    this.data = data;
    this.ui = ui;
  }

  /** One frame from the socket. Unknown frames are ignored (forward compatibility). */
  onFrame(f) {
    if (this.ui.route(f)) return; // supervision and the Monitor page own their frames
    switch (f.type) {
      case 'welcome': this.welcome(f); break;
      case 'chat.updated': if (f.chat && f.chat.id != null) this.applySummary(f.chat, { live: true }); break;
      case 'event': this.event(f); break;
      case 'typing': this.typing(f); break;
      case 'ack': this.ack(f); break;
      case 'synced': this.data.conversations.applySynced(f); break;
      case 'error': this.error(f); break;
      case 'chat.offered': this.offered(f); break;
      case 'agent.status': this.agentStatus(f); break;
      case 'ticket.created': this.ticket(f, true); break;
      case 'ticket.updated': this.ticket(f, false); break;
      case 'chat.rated':
        if (f.chat && f.chat.id != null) { this.applySummary(f.chat, { live: true }); this.ui.onRated(f); }
        break;
      case 'chat.read': this.chatRead(f); break;
      default: break;
    }
  }

  /** The visitor has read the chat up to f.seq: the open conversation marks "Seen". */
  chatRead(f) {
    const conv = this.data.conversations.get(f.chat_id);
    if (!conv) return;
    conv.visitorRead = Math.max(conv.visitorRead || 0, Number(f.seq) || 0);
    this.ui.renderThread(conv);
  }

  welcome(f) {
    const { session, conversations } = this.data;
    const { reconnect, statusKnown } = session.applyWelcome(f.agent);
    this.ui.welcome({ reconnect, statusKnown });
    conversations.resume(this.ui.openIds());
  }

  /**
   * One chat summary (a frame, a fetch, an action's answer) into the lists, the open
   * conversation, the offers and History.
   */
  applySummary(s, { live = false } = {}) {
    const { chats, conversations, history } = this.data;
    const id = s.id;
    const conv = conversations.get(id);
    const r = chats.apply(s, { live, prev: conv ? conv.summary : null });
    if (r.stale) return;
    if (r.hidden) {
      if (conv) { conv.summary = s; this.ui.renderConv(conv); }
      this.ui.render();
      return;
    }
    if (r.takenBy) this.ui.toast(`${visitorName(s)} was taken by ${r.takenBy}`, 'info');
    if (conv) {
      const before = conv.summary;
      conv.summary = s;
      if (before && before.status === 'queued' && s.status === 'active' && !r.mine) {
        const who = s.assignee && s.assignee.name ? ` (${s.assignee.name})` : '';
        conv.notice = { kind: 'warn', text: `Another agent took this chat${who}.` };
      } else if (s.status === 'active' && r.mine) {
        conv.notice = null;
      }
      if (s.status === 'closed') {
        conv.visitorTyping = false;
        this.ui.stopTyping(conv);
      }
      this.ui.renderConv(conv);
      if (conv.loaded && conv.behind()) conversations.scheduleGapCheck(conv);
      if (r.listed && r.mine && !conv.loaded && !conv.loading) this.ui.loadConv(conv);
    } else if (r.listed && r.mine) {
      this.ui.loadConv(conversations.ensure(id, s, chats.get(id)));
    }
    if (!r.listed && conv && !this.ui.isOpen(id) && !conv.pending.size) conversations.delete(id);
    history.applySummary(s);
    if (live && s.status === 'queued' && !r.wasQueued && !chats.offers.has(s.id)) this.ui.announceQueued(s);
    this.ui.render();
  }

  event(f) {
    const { chats, conversations, session } = this.data;
    const got = conversations.applyEvent(f);
    if (!got) return;
    const { conv, ev } = got;
    this.ui.afterEvent(conv, ev);
    const s = conv.summary;
    if (s && ev.kind === 'message') {
      // keep the list preview current until the chat.updated that follows
      const patched = { ...s, last_seq: Math.max(Number(s.last_seq) || 0, ev.seq),
        last_message: { text: ev.text, author: ev.author && ev.author.type, at: ev.created_at } };
      conv.summary = patched;
      chats.patch(conv.id, patched);
    }
    if (ev.kind === 'message' && ev.author && ev.author.type === 'visitor') {
      conversations.visitorStopped(conv); // sent: the draft is now the message
      this.ui.renderTyping(conv);
      if (s && session.isMine(s) && conv.loaded) this.ui.announceMessage(conv, ev);
    }
    this.ui.renderThread(conv);
    this.ui.markRead(conv);
    this.ui.render();
  }

  typing(f) {
    const { chats, conversations } = this.data;
    const conv = conversations.applyTyping(f, f.chat_id != null && chats.has(f.chat_id));
    if (!conv) return;
    this.ui.renderTyping(conv, { keepBottom: true });
    this.ui.render();
  }

  ack(f) {
    if (this.data.conversations.applyAck(f)) this.ui.render();
  }

  error(f) {
    const { conversations } = this.data;
    const code = f.code || 'internal';
    const found = conversations.findPending(f.ref);
    if (found) {
      const { conv, pending } = found;
      if (code === 'scripted' && this.ui.refuseScripted(conv, pending, f.message)) return;
      const outcome = conversations.applySendError(conv, pending, code, f.retry_after);
      if (outcome === 'retry' && code === 'rate_limited') this.ui.toast(f.message || 'You are sending messages too fast.', 'warn');
      if (outcome === 'failed') this.ui.toast(f.message || 'Your message could not be sent.', 'error');
      return;
    }
    if (code === 'conflict') {
      this.ui.toast('Another agent took this chat', 'warn');
      return;
    }
    conversations.clearSyncing();
    this.ui.toast(f.message || `Server error: ${code}`, code === 'rate_limited' ? 'warn' : 'error');
  }

  offered(f) {
    const s = f.chat;
    if (!s || s.id == null) return;
    const { known } = this.data.chats.offer(s, f.expires_at);
    this.applySummary(s, { live: true });
    if (!known) this.ui.announceOffer(s);
    this.ui.render();
  }

  agentStatus(f) {
    const r = this.data.session.applyAgentStatus(f.status, this.ui.connected());
    if (r && r.news) this.ui.statusNews(f.status, String(f.reason || ''));
  }

  ticket(f, created) {
    const { tickets } = this.data;
    const t = f.ticket;
    const out = tickets.applyFrame(t, created);
    if (out === 'reload' || out === 'new+reload') this.ui.loadTickets(true);
    if (out === 'new' || out === 'new+reload') this.ui.announceTicket(t);
    this.ui.render();
  }
}
