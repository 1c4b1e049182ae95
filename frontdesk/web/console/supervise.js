// Supervision in the console: following chats you do not hold (watch / unwatch over the socket),
// whispers, joining and taking over, annotations on messages and the review card of a chat.
// Contract: docs/protocol.md (watch, whisper.send, monitor.*) and docs/api.md (supervision).
// Everything typed by visitors or colleagues is set as text, never HTML.

import { api, get, post } from './api.js';
import { clockTime, fullTime, h, icon, randomId } from './dom.js';

const LEADS = ['admin', 'manager', 'supervisor'];
const LIFECYCLE = ['chat.assigned', 'chat.closed', 'chat.transferred', 'chat.taken_over', 'chat.joined', 'chat.left'];

export function isLead(me) { return !!me && LEADS.includes(me.role); }

export class Supervision {
  /** @param {object} data  the data modules  @param {object} act  the App's callbacks (App.viewActions) */
  constructor(data, act) {
    this.data = data;
    this.act = act;
    this.watching = new Set(); // chat ids this tab asked to follow
    this.annotations = new Map(); // chat id -> {items: [...], loading, loaded, error}
    this.reviews = new Map(); // chat id -> {data, loading, error, open}
    this.participantCache = new Map(); // chat id -> [version, bool]
  }

  get lead() { return isLead(this.data.session.me); }

  // ---- following ----------------------------------------------------------------------
  /** A chat opened in a tab: a lead follows it live unless it is theirs. */
  maybeWatch(conv) {
    if (!this.lead || !conv) return;
    const s = conv.summary;
    if (s && this.data.session.isMine(s)) return;
    if (s && s.status === 'closed') return;
    if (this.watching.has(conv.id)) return;
    this.watching.add(conv.id);
    this.act.send({ type: 'watch', chat_id: conv.id, ref: randomId('w') });
  }

  unwatch(id) {
    if (!this.watching.delete(id)) return;
    this.act.send({ type: 'unwatch', chat_id: id, ref: randomId('u') });
  }

  onWelcome() {
    const ids = [...this.watching];
    this.watching.clear();
    for (const id of ids) {
      const conv = this.data.conversations.get(id);
      if (conv && this.data.nav.isOpen(id)) this.maybeWatch(conv);
    }
  }

  /** Frames of this module; true when handled. */
  onFrame(f) {
    switch (f.type) {
      case 'watching': {
        const conv = this.data.conversations.get(f.chat_id);
        if (conv && f.chat) this.act.upsert(f.chat);
        if (conv && conv.loaded) this.act.requestSync(conv, true); // what was published before we followed
        return true;
      }
      case 'unwatched': return true;
      case 'annotation.added': this.annotationAdded(f.annotation); return true;
      case 'annotation.deleted': this.annotationDeleted(f.chat_id, f.id); return true;
      case 'error':
        if (f.code === 'forbidden' && typeof f.ref === 'string' && f.ref.startsWith('w')) {
          // Not a department we supervise: the chat stays readable, just not live.
          return true;
        }
        return false;
      default: return false;
    }
  }

  /** A stored event reached the app: keep followed chats' summaries right. */
  afterEvent(conv, ev) {
    if (!conv || !LIFECYCLE.includes(ev.kind)) return;
    this.participantCache.delete(conv.id);
    if (conv.summary && !this.data.session.isMine(conv.summary)) this.act.refreshSummary(conv.id);
    if (ev.kind === 'chat.taken_over' && ev.data && ev.data.from_agent && this.data.session.me
        && Number(ev.data.from_agent.id) === Number(this.data.session.me.id)) {
      const who = (ev.data.to_agent && ev.data.to_agent.name) || 'A supervisor';
      conv.notice = { kind: 'warn', text: `${who} took over this chat.` };
      this.act.toast(`${who} took over a chat of yours`, 'warn');
      if (conv.view) conv.view.update();
    }
  }

  /** Whether I joined this chat (and have not left it): I may write to its visitor. */
  isParticipant(conv) {
    if (!conv || !this.data.session.me) return false;
    const cached = this.participantCache.get(conv.id);
    if (cached && cached[0] === conv.version) return cached[1];
    let inside = false;
    for (const ev of conv.sorted()) {
      const who = ev.data && ev.data.agent && Number(ev.data.agent.id) === Number(this.data.session.me.id);
      if (ev.kind === 'chat.joined' && who) inside = true;
      else if ((ev.kind === 'chat.left' || ev.kind === 'chat.taken_over') && who) inside = false;
    }
    const s = conv.summary;
    const result = inside && !!s && s.status === 'active' && !this.data.session.isMine(s);
    this.participantCache.set(conv.id, [conv.version, result]);
    return result;
  }

  // ---- actions --------------------------------------------------------------------------
  async whisper(conv, text) {
    if (!conv.whisperSend || conv.whisperSend.text !== text) conv.whisperSend = { text, clientId: randomId('wh') };
    try {
      const r = await post(`/api/v1/chats/${conv.id}/whispers`, { text, client_id: conv.whisperSend.clientId });
      conv.whisperSend = null;
      if (r && r.event) { conv.addEvent({ ...r.event }); if (conv.view) conv.view.renderThread(); }
      return true;
    } catch (err) {
      if (err.status !== 401) this.act.toast(`Could not whisper: ${err.message}`, 'error');
      return false;
    }
  }

  async join(conv) {
    return this.changeMembership(conv, 'join', 'You joined the chat — the visitor sees you now');
  }

  async leave(conv) {
    return this.changeMembership(conv, 'leave', 'You left the chat');
  }

  async takeOver(conv) {
    return this.changeMembership(conv, 'take-over', 'The chat is yours now');
  }

  /** Join, leave or take over (POST /chats/{id}/{what}). */
  async changeMembership(conv, what, done) {
    if (conv.busy) return false;
    conv.busy = what;
    if (conv.view) conv.view.update();
    try {
      const r = await post(`/api/v1/chats/${conv.id}/${what}`);
      if (r && r.event && r.event.seq != null) conv.addEvent({ ...r.event });
      if (r && r.chat) this.act.upsert(r.chat);
      else this.act.refreshSummary(conv.id);
      this.participantCache.delete(conv.id);
      this.act.toast(done, 'success');
      if (what === 'take-over') this.unwatch(conv.id); // my own chat now: it comes to my agent topic
      return true;
    } catch (err) {
      if (err.status !== 401) this.act.toast(err.message || `Could not ${what.replace('-', ' ')}`, 'error');
      this.act.refreshSummary(conv.id);
      return false;
    } finally {
      conv.busy = null;
      if (conv.view) { conv.view.update(); conv.view.renderThread(); conv.view.focusComposer(); }
      this.act.scheduleRender();
    }
  }

  // ---- conversation parts ---------------------------------------------------------------
  /** The footer when a lead looks at someone else's chat in progress: whisper, join, take over. */
  footer(view) {
    const conv = view.conv;
    const s = conv.summary || {};
    const agentName = (s.assignee && s.assignee.name) || 'the agent';
    if (!view.whisperInput) {
      view.whisperInput = h('textarea', {
        class: 'composer-input', rows: '1', maxlength: '4000', 'aria-label': 'Whisper',
        placeholder: `Whisper to ${agentName} — the visitor won’t see it`,
      });
      view.whisperInput.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submitWhisper(view); }
      });
    }
    view.whisperInput.placeholder = `Whisper to ${agentName} — the visitor won’t see it`;
    const busy = !!conv.busy;
    return h('div', { class: 'supervise-foot' },
      h('div', { class: 'supervise-head' },
        h('span', { class: 'supervise-label' }, icon('eye', 14), `Watching · ${agentName} is handling this chat`),
        h('span', { class: 'supervise-actions' },
          h('button', {
            class: 'btn btn-secondary btn-sm', type: 'button', disabled: busy,
            title: 'Join the chat visibly: the visitor sees you and your replies',
            onclick: () => this.join(conv),
          }, icon('users', 14), conv.busy === 'join' ? 'Joining…' : 'Join chat'),
          h('button', {
            class: 'btn btn-secondary btn-sm', type: 'button', disabled: busy,
            title: 'Take the chat over: you become its agent',
            onclick: () => this.takeOver(conv),
          }, icon('transfer', 14), conv.busy === 'take-over' ? 'Taking over…' : 'Take over'))),
      h('div', { class: 'composer composer-whisper' },
        view.whisperInput,
        h('div', { class: 'composer-bar' },
          h('span', { class: 'composer-hint note-hint' }, icon('lock', 12), 'Whisper · only agents see this'),
          h('span', { class: 'composer-right' },
            h('button', { class: 'btn btn-primary btn-send', type: 'button', onclick: () => this.submitWhisper(view) },
              h('span', null, 'Whisper'), icon('send', 15))))));
  }

  async submitWhisper(view) {
    const input = view.whisperInput;
    const text = input.value.replace(/\s+$/, '');
    if (!text.trim() || view.whisperBusy) return;
    view.whisperBusy = true;
    input.readOnly = true;
    const ok = await this.whisper(view.conv, text);
    view.whisperBusy = false;
    input.readOnly = false;
    if (ok) { input.value = ''; view.scrollToBottom(false); }
    input.focus();
  }

  whisperNode(view, item) {
    const author = item.author || {};
    const mine = this.data.session.me && Number(author.id) === Number(this.data.session.me.id);
    const text = h('div', { class: 'note-text' });
    text.textContent = String(item.text ?? '');
    return h('div', { class: 'note whisper', dataset: { seq: String(item.seq) } },
      h('div', { class: 'note-card' },
        h('div', { class: 'note-label' }, icon('lock', 12), h('span', null, 'Whisper · only agents see this')),
        text,
        h('div', { class: 'note-meta' },
          h('span', { class: 'note-author' }, mine ? 'You' : (author.name || 'A supervisor')),
          item.ts != null ? h('time', { datetime: new Date(item.ts).toISOString(), title: fullTime(item.ts) }, clockTime(item.ts)) : null)));
  }

  /** Text for the supervision events in the transcript. */
  systemText(item) {
    const d = item.data || {};
    const me = this.data.session.me && this.data.session.me.id;
    const who = (a) => (a && Number(a.id) === Number(me) ? 'You' : (a && a.name) || 'A supervisor');
    if (item.kind === 'chat.joined') return [`${who(d.agent)} joined the chat`, 'users'];
    if (item.kind === 'chat.left') return [`${who(d.agent)} left the chat`, 'users'];
    if (item.kind === 'chat.taken_over') {
      const from = d.from_agent ? ` from ${who(d.from_agent) === 'You' ? 'you' : who(d.from_agent)}` : '';
      return [`${who(d.to_agent || d.agent)} took over the chat${from}`, 'transfer'];
    }
    return null;
  }

  // ---- annotations ------------------------------------------------------------------------
  annotationsOf(chatId) {
    let a = this.annotations.get(chatId);
    if (!a) {
      a = { items: [], loading: false, loaded: false, error: null };
      this.annotations.set(chatId, a);
      this.loadAnnotations(chatId);
    }
    return a;
  }

  async loadAnnotations(chatId) {
    const a = this.annotations.get(chatId);
    if (!a || a.loading) return;
    a.loading = true;
    try {
      const r = await get(`/api/v1/chats/${chatId}/annotations`);
      a.items = (r && r.annotations) || [];
      a.loaded = true;
    } catch (err) {
      a.error = err.status === 403 ? 'hidden' : err.message; // not ours to see: show none
    } finally {
      a.loading = false;
      this.refreshThread(chatId);
    }
  }

  annotationAdded(n) {
    if (!n || n.chat_id == null) return;
    const a = this.annotations.get(n.chat_id);
    if (!a) return;
    if (!a.items.some((x) => x.id === n.id)) a.items.push(n);
    this.refreshThread(n.chat_id);
  }

  annotationDeleted(chatId, id) {
    const a = this.annotations.get(chatId);
    if (!a) return;
    a.items = a.items.filter((x) => x.id !== id);
    this.refreshThread(chatId);
  }

  refreshThread(chatId) {
    const conv = this.data.conversations.get(chatId);
    if (conv && conv.view) conv.view.renderThread();
  }

  /** Changes when a message's annotations (or the open form) change: part of its node's key. */
  annotationSig(chatId, seq) {
    const a = this.annotationsOf(chatId);
    const mine = a.items.filter((x) => x.seq === seq).map((x) => x.id).join(',');
    const open = this.formFor && this.formFor.chat === chatId && this.formFor.seq === seq;
    return `${mine}|${open ? 'form' : ''}|${this.lead}`;
  }

  /** Under a message: its annotations, the Annotate button (leads) and the form. */
  messageExtras(view, item) {
    if (!item.seq) return null;
    const chatId = view.conv.id;
    const a = this.annotationsOf(chatId);
    const notes = a.items.filter((x) => x.seq === item.seq);
    const form = this.formFor && this.formFor.chat === chatId && this.formFor.seq === item.seq;
    if (!notes.length && !this.lead) return null;
    return h('div', { class: 'annotations' },
      notes.map((n) => {
        const text = h('span', { class: 'annotation-text' });
        text.textContent = String(n.text ?? '');
        const mine = this.data.session.me && n.author && Number(n.author.id) === Number(this.data.session.me.id);
        return h('div', { class: 'annotation', dataset: { annotation: String(n.id) } },
          icon('note', 12),
          h('span', { class: 'annotation-author' }, mine ? 'You' : (n.author && n.author.name) || 'Supervisor'),
          text,
          h('time', { title: fullTime(Date.parse(n.created_at)) }, clockTime(Date.parse(n.created_at))),
          mine ? h('button', {
            class: 'linkbtn muted', type: 'button', 'aria-label': 'Delete annotation',
            onclick: () => this.deleteAnnotation(chatId, n.id),
          }, 'Delete') : null);
      }),
      form ? this.annotationForm(view, item) : this.lead ? h('button', {
        class: 'annotate-btn', type: 'button', title: 'Comment on this message (agents only)',
        'aria-label': `Annotate message ${item.seq}`,
        onclick: () => { this.formFor = { chat: chatId, seq: item.seq }; view.renderThread(); },
      }, icon('note', 12), 'Annotate') : null);
  }

  annotationForm(view, item) {
    const input = h('textarea', { class: 'annotation-input', rows: '2', maxlength: '2000', 'aria-label': 'Annotation', placeholder: 'What should the agent know about this message?' });
    const save = h('button', { class: 'btn btn-primary btn-sm', type: 'button' }, 'Save annotation');
    const cancel = h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => { this.formFor = null; view.renderThread(); } }, 'Cancel');
    save.addEventListener('click', async () => {
      const text = input.value.trim();
      if (!text) { input.focus(); return; }
      save.disabled = true;
      try {
        const r = await post(`/api/v1/chats/${view.conv.id}/annotations`, { seq: item.seq, text });
        this.formFor = null;
        this.annotationAdded(r.annotation);
      } catch (err) {
        save.disabled = false;
        if (err.status !== 401) this.act.toast(`Could not save the annotation: ${err.message}`, 'error');
      }
    });
    setTimeout(() => input.focus(), 0);
    return h('div', { class: 'annotation-form' }, input, h('div', { class: 'annotation-form-bar' }, cancel, save));
  }

  async deleteAnnotation(chatId, id) {
    try {
      await api('DELETE', `/api/v1/annotations/${id}`);
      this.annotationDeleted(chatId, id);
    } catch (err) {
      if (err.status !== 401) this.act.toast(`Could not delete the annotation: ${err.message}`, 'error');
    }
  }

  // ---- the review card --------------------------------------------------------------------
  reviewState(chatId) {
    let r = this.reviews.get(chatId);
    if (!r) {
      r = { data: null, loading: false, error: null, draft: null, saving: false };
      this.reviews.set(chatId, r);
      this.loadReviews(chatId);
    }
    return r;
  }

  async loadReviews(chatId) {
    const r = this.reviews.get(chatId);
    if (!r || r.loading) return;
    r.loading = true;
    try {
      r.data = await get(`/api/v1/chats/${chatId}/reviews`);
      r.error = null;
    } catch (err) {
      r.error = err.status === 403 ? 'hidden' : err.message;
    } finally {
      r.loading = false;
      const conv = this.data.conversations.get(chatId);
      if (conv && conv.view) conv.view.renderDetails();
    }
  }

  /** The details panel's Review section: the scorecard form (leads) and the reviews. */
  reviewSection(view) {
    const conv = view.conv;
    const s = conv.summary;
    if (!s || !s.assignee) return null;
    const st = this.reviewState(conv.id);
    if (st.error === 'hidden') return null;
    const body = [];
    if (st.loading && !st.data) body.push(h('div', { class: 'muted small' }, 'Loading reviews…'));
    else if (st.error) body.push(h('div', { class: 'muted small' }, st.error));
    const data = st.data || { reviews: [], criteria: [], can_review: false };
    const me = this.data.session.me;
    const mineReview = data.reviews.find((x) => me && x.reviewer && Number(x.reviewer.id) === Number(me.id));
    for (const rv of data.reviews) {
      if (rv === mineReview && data.can_review) continue;
      body.push(reviewCard(rv));
    }
    if (data.can_review) {
      if (!data.criteria.length) {
        body.push(h('div', { class: 'muted small' }, 'This department has no scorecard yet. Set its criteria under Reviews.'));
      } else {
        body.push(this.reviewForm(view, data, mineReview, st));
      }
    } else if (!data.reviews.length && st.data) {
      body.push(h('div', { class: 'muted small' }, 'No reviews yet.'));
    }
    return h('div', { class: 'details-section review-section' }, h('h3', null, 'Review'), body);
  }

  reviewForm(view, data, existing, st) {
    const conv = view.conv;
    const old = new Map(((existing && existing.scores) || []).map((x) => [x.criterion_id, x.score]));
    if (!st.draft) st.draft = { scores: new Map(data.criteria.map((c) => [c.id, old.has(c.id) ? old.get(c.id) : null])), comment: (existing && existing.comment) || '' };
    const draft = st.draft;
    const rows = data.criteria.map((c) => {
      const group = h('div', { class: 'score-buttons', role: 'radiogroup', 'aria-label': `${c.name} score` });
      for (let n = 0; n <= 5; n++) {
        const on = draft.scores.get(c.id) === n;
        group.appendChild(h('button', {
          class: `score-btn${on ? ' on' : ''}`, type: 'button', role: 'radio', 'aria-checked': String(on),
          'aria-label': `${c.name}: ${n}`,
          onclick: () => { draft.scores.set(c.id, n); view.renderDetails(); },
        }, String(n)));
      }
      return h('div', { class: 'score-row' },
        h('div', { class: 'score-name', title: c.description || '' }, c.name, h('span', { class: 'score-weight' }, `×${trim(c.weight)}`)),
        group);
    });
    const comment = h('textarea', { class: 'review-comment', rows: '2', maxlength: '4000', 'aria-label': 'Review comment', placeholder: 'Comment for the agent (optional)' });
    comment.value = draft.comment;
    comment.addEventListener('input', () => { draft.comment = comment.value; });
    const complete = data.criteria.every((c) => Number.isInteger(draft.scores.get(c.id)));
    const total = complete ? weighted(data.criteria, draft.scores) : null;
    const save = h('button', {
      class: 'btn btn-primary btn-sm btn-block', type: 'button', disabled: !complete || st.saving,
      onclick: async () => {
        st.saving = true;
        view.renderDetails();
        try {
          const scores = data.criteria.map((c) => ({ criterion_id: c.id, score: draft.scores.get(c.id) }));
          await api('PUT', `/api/v1/chats/${conv.id}/review`, { scores, comment: draft.comment });
          this.act.toast('Review saved', 'success');
          st.draft = null;
          await this.loadReviews(conv.id);
        } catch (err) {
          if (err.status !== 401) this.act.toast(`Could not save the review: ${err.message}`, 'error');
        } finally {
          st.saving = false;
          view.renderDetails();
        }
      },
    }, st.saving ? 'Saving…' : existing ? 'Update review' : 'Save review');
    return h('div', { class: 'review-form' },
      rows,
      h('div', { class: 'review-total' }, 'Score ', h('strong', null, total == null ? '—' : `${total.toFixed(2)} / 5`)),
      comment, save,
      existing ? h('div', { class: 'muted small' }, `Your review of ${fullTime(Date.parse(existing.updated_at))}`) : null);
  }
}

export function reviewCard(rv) {
  const comment = h('div', { class: 'review-card-comment' });
  comment.textContent = rv.comment || '';
  return h('div', { class: 'review-card' },
    h('div', { class: 'review-card-head' },
      h('span', { class: 'review-score' }, icon('star', 13), `${Number(rv.score).toFixed(2)} / 5`),
      h('span', { class: 'muted small' }, `by ${(rv.reviewer && rv.reviewer.name) || 'a supervisor'}`)),
    h('ul', { class: 'review-card-scores' }, (rv.scores || []).map((x) => h('li', null,
      h('span', null, x.name), h('span', { class: 'mono' }, `${x.score}/5`)))),
    rv.comment ? comment : null);
}

function weighted(criteria, scores) {
  let sum = 0;
  let w = 0;
  for (const c of criteria) { sum += Number(c.weight) * scores.get(c.id); w += Number(c.weight); }
  return w ? Math.round((sum / w) * 100) / 100 : 0;
}

function trim(n) { return String(Math.round(Number(n) * 100) / 100); }

