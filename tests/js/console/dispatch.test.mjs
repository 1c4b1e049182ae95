// The one dispatch of socket frames: data first, then the views (a recording `ui`).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChatList } from '../../../frontdesk/web/console/data/chats.js';
import { Conversations } from '../../../frontdesk/web/console/data/conversations.js';
import { HistoryList } from '../../../frontdesk/web/console/data/history.js';
import { Session } from '../../../frontdesk/web/console/data/session.js';
import { TicketList } from '../../../frontdesk/web/console/data/tickets.js';
import { FrameDispatch } from '../../../frontdesk/web/console/dispatch.js';
import { fakeDirectory, fakeWire, message, summary } from './helpers.mjs';

function setup({ open = [], routed = () => false, held = {} } = {}) {
  const wire = fakeWire();
  const session = new Session();
  session.start({ id: 7, role: 'agent', status: 'online' });
  const chats = new ChatList(session, fakeDirectory());
  const conversations = new Conversations({
    send: wire.send,
    fetchEvents: async (id, after) => ({ events: (held[id] || []).filter((e) => e.seq > after) }),
  });
  const data = { session, chats, conversations, tickets: new TicketList(), history: new HistoryList() };
  const calls = [];
  const record = (name) => (...args) => { calls.push([name, ...args]); };
  const ui = {
    route: routed,
    render: record('render'),
    renderConv: record('renderConv'),
    renderThread: record('renderThread'),
    renderTyping: record('renderTyping'),
    loadConv: (conv) => { calls.push(['loadConv', conv.id]); return conversations.load(conv); },
    isOpen: (id) => open.includes(id),
    openIds: () => open,
    stopTyping: record('stopTyping'),
    toast: record('toast'),
    connected: () => wire.connected,
    announceQueued: record('announceQueued'),
    announceOffer: record('announceOffer'),
    announceMessage: record('announceMessage'),
    announceTicket: record('announceTicket'),
    afterEvent: record('afterEvent'),
    markRead: record('markRead'),
    onRated: record('onRated'),
    welcome: record('welcome'),
    loadTickets: record('loadTickets'),
    statusNews: record('statusNews'),
    refuseScripted: () => false,
  };
  const names = () => calls.map((c) => c[0]);
  return { dispatch: new FrameDispatch(data, ui), data, calls, names, wire };
}

test('chat.updated: a new queued chat is listed and announced once, then the views render', () => {
  const { dispatch, data, calls, names } = setup();
  dispatch.onFrame({ type: 'chat.updated', chat: summary(1) });
  assert.equal(data.chats.has(1), true);
  assert.deepEqual(names(), ['announceQueued', 'render']);
  calls.length = 0;
  dispatch.onFrame({ type: 'chat.updated', chat: summary(1, { last_seq: 2 }) });
  assert.deepEqual(names(), ['render']);
});

test('a chat assigned to me is loaded; one taken by another agent warns its open conversation', async () => {
  const { dispatch, data, calls } = setup({ open: [2], held: { 1: [message(1, 1)] } });
  dispatch.onFrame({ type: 'chat.updated', chat: summary(1, { status: 'active', assignee: { id: 7 } }) });
  assert.deepEqual(calls.find((c) => c[0] === 'loadConv'), ['loadConv', 1]);
  await data.conversations.get(1).loading;
  assert.equal(data.conversations.get(1).loaded, true);
  data.conversations.ensure(2, summary(2));
  dispatch.onFrame({ type: 'chat.updated', chat: summary(2, { status: 'active', assignee: { id: 9, name: 'Bo' }, last_seq: 2 }) });
  assert.deepEqual(data.conversations.get(2).notice, { kind: 'warn', text: 'Another agent took this chat (Bo).' });
  assert.equal(data.conversations.has(2), true); // open in a tab: kept
});

test('an event: stored, list preview patched, visitor messages announced in my loaded chats', async () => {
  const { dispatch, data, names, calls } = setup({ held: { 1: [message(1, 1)] } });
  dispatch.onFrame({ type: 'chat.updated', chat: summary(1, { status: 'active', assignee: { id: 7 } }) });
  await data.conversations.get(1).loading;
  calls.length = 0;
  dispatch.onFrame({ type: 'event', ...message(1, 2, { text: 'hi' }) });
  assert.equal(data.chats.get(1).last_message.text, 'hi');
  assert.equal(data.chats.get(1).last_seq, 2);
  assert.deepEqual(names(), ['afterEvent', 'renderTyping', 'announceMessage', 'renderThread', 'markRead', 'render']);
  calls.length = 0;
  dispatch.onFrame({ type: 'event', ...message(1, 2) }); // the same seq again
  assert.deepEqual(names(), []);
});

test('welcome: the session first, then the views, then sync and resend', async () => {
  const { dispatch, data, calls, wire } = setup({ held: { 1: [message(1, 1)] } });
  const conv = data.conversations.ensure(1);
  await data.conversations.load(conv);
  wire.take();
  dispatch.onFrame({ type: 'welcome', agent: { status: 'away' } });
  assert.deepEqual(calls, [['welcome', { reconnect: false, statusKnown: true }]]);
  assert.equal(data.session.myStatus, 'away');
  assert.deepEqual(wire.take(), [{ type: 'sync', chat_id: 1, after: 1 }]);
});

test('error frames: a refused send fails with a toast; a conflict warns; others clear syncing', async () => {
  const { dispatch, data, calls } = setup({ held: { 1: [] } });
  const conv = data.conversations.ensure(1);
  await data.conversations.load(conv);
  const p = data.conversations.queueSend(conv, 'x');
  dispatch.onFrame({ type: 'error', ref: p.client_id, code: 'too_large', message: 'Too long' });
  assert.equal(p.error, 'Message too long');
  assert.deepEqual(calls.at(-1), ['toast', 'Too long', 'error']);
  dispatch.onFrame({ type: 'error', code: 'conflict' });
  assert.deepEqual(calls.at(-1), ['toast', 'Another agent took this chat', 'warn']);
  conv.syncing = true;
  dispatch.onFrame({ type: 'error', code: 'internal' });
  assert.equal(conv.syncing, false);
  assert.deepEqual(calls.at(-1), ['toast', 'Server error: internal', 'error']);
});

test('offers, status news, tickets and rated chats', () => {
  const { dispatch, data, names, calls } = setup();
  dispatch.onFrame({ type: 'chat.offered', chat: summary(3, { offered_to: { id: 7 } }) });
  assert.equal(data.chats.offers.has(3), true);
  assert.ok(names().includes('announceOffer'));
  assert.ok(!names().includes('announceQueued')); // the offer says it already
  calls.length = 0;
  dispatch.onFrame({ type: 'agent.status', status: 'away', reason: 'offer_timeout' });
  assert.deepEqual(calls, [['statusNews', 'away', 'offer_timeout']]);
  calls.length = 0;
  dispatch.onFrame({ type: 'ticket.created', ticket: { id: 4, status: 'open', text: 'call me' } });
  assert.deepEqual(names(), ['announceTicket', 'render']);
  dispatch.onFrame({ type: 'chat.rated', chat: summary(3, { status: 'closed', rating: { score: 5 }, last_seq: 3 }) });
  assert.equal(calls.at(-1)[0], 'onRated');
  assert.equal(data.chats.has(3), false);
});

test('frames a page owns (supervision, Monitor) and unknown frames change no data', () => {
  const { dispatch, data, calls } = setup({ routed: (f) => f.type === 'monitor' || f.type === 'chat.updated' });
  dispatch.onFrame({ type: 'chat.updated', chat: summary(1) });
  dispatch.onFrame({ type: 'something.new' });
  assert.equal(data.chats.has(1), false);
  assert.deepEqual(calls, []);
});

test('chat.read: the open conversation learns how far the visitor has read, never less', () => {
  const { dispatch, data, calls } = setup();
  dispatch.onFrame({ type: 'chat.read', chat_id: 9, seq: 4 }); // not open here: nothing to mark
  assert.deepEqual(calls, []);
  const conv = data.conversations.ensure(9, summary(9, { status: 'active' }));
  dispatch.onFrame({ type: 'chat.read', chat_id: 9, seq: 6 });
  dispatch.onFrame({ type: 'chat.read', chat_id: 9, seq: 5 }); // a late, lower one
  assert.equal(conv.visitorRead, 6);
  assert.deepEqual(calls.map((c) => c[0]), ['renderThread', 'renderThread']);
});
