// Chats the server offers to this agent (`chat.offered`, automatic routing): one card each at
// the top of the sidebar with a countdown to `expires_at`, Accept and Decline.

import {
  avatar, deptTag, h, icon, NodeCache, oneLine, reconcile, visitorName,
} from './dom.js';

export class OfferCards {
  /** @param {import('./data/chats.js').ChatList} chats  @param {object} act  openChat, acceptOffer, declineOffer, offerExpired */
  constructor(chats, act) {
    this.chats = chats;
    this.act = act;
    this.nodes = new NodeCache();
    this.list = h('div', { class: 'offers-list' });
    this.root = h('section', { class: 'offers', hidden: true, 'aria-label': 'Chats offered to you' }, this.list);
    this.timer = null;
  }

  render() {
    const offers = [...this.chats.offers.values()].sort((a, b) => a.expiresAt - b.expiresAt);
    this.root.hidden = offers.length === 0;
    reconcile(this.list, offers.map((o) => {
      const s = o.chat;
      const lm = s.last_message || {};
      const sig = JSON.stringify([visitorName(s), lm.text, s.department && s.department.name, o.busy, o.expiresAt]);
      return this.nodes.get(`o:${s.id}`, sig, () => this.card(o));
    }));
    this.nodes.sweep();
    this.tick();
    if (offers.length && !this.timer) this.timer = setInterval(() => this.tick(), 250);
    if (!offers.length && this.timer) { clearInterval(this.timer); this.timer = null; }
  }

  card(o) {
    const { act } = this;
    const s = o.chat;
    const name = visitorName(s);
    const lm = s.last_message;
    const first = lm && lm.text ? oneLine(lm.text, 160) : '';
    const busy = o.busy;
    const bar = h('span', { class: 'offer-bar' });
    const count = h('span', { class: 'offer-count', 'aria-hidden': 'true' });
    const el = h('article', {
      class: `offer${busy ? ' busy' : ''}`, dataset: { chat: String(s.id) },
      'aria-label': `Chat offered to you: ${name}`,
    },
    h('div', { class: 'offer-head' },
      h('span', { class: 'offer-kicker' }, h('span', { class: 'offer-pulse', 'aria-hidden': 'true' }), 'Incoming chat'),
      deptTag(s.department, { small: true }),
      count),
    h('button', {
      class: 'offer-body', type: 'button', title: 'Preview the conversation',
      onclick: () => act.openChat(s.id, s),
    },
    avatar(name, s.visitor && s.visitor.id, 'md'),
    h('span', { class: 'offer-text' },
      h('span', { class: 'offer-name' }, name),
      first ? h('span', { class: 'offer-msg' }, first) : h('span', { class: 'offer-msg muted' }, 'No message yet'))),
    h('div', { class: 'offer-actions' },
      h('button', {
        class: 'btn btn-secondary btn-sm', type: 'button', disabled: !!busy,
        onclick: () => act.declineOffer(s.id),
      }, busy === 'decline' ? 'Declining…' : 'Decline'),
      h('button', {
        class: 'btn btn-primary btn-sm offer-accept', type: 'button', disabled: !!busy,
        onclick: () => act.acceptOffer(s.id),
      }, icon('check', 14), busy === 'accept' ? 'Accepting…' : 'Accept')),
    h('div', { class: 'offer-track', 'aria-hidden': 'true' }, bar));
    el._bar = bar;
    el._count = count;
    return el;
  }

  /** Updates the countdowns; expires offers whose time is up (plus a grace for the server). */
  tick() {
    const now = Date.now();
    for (const o of [...this.chats.offers.values()]) {
      const left = o.expiresAt - now;
      if (left < -1500 && !o.busy) {
        this.act.offerExpired(o.chat.id);
        continue;
      }
      const node = this.list.querySelector(`[data-chat="${o.chat.id}"]`);
      if (!node) continue;
      const secs = Math.max(0, Math.ceil(left / 1000));
      node._count.textContent = `${secs}s`;
      node._count.title = `Expires in ${secs} seconds`;
      node._bar.style.transform = `scaleX(${Math.max(0, Math.min(1, left / o.total))})`;
      node.classList.toggle('urgent', left < 8000);
    }
  }
}
