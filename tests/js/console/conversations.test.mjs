// The console's delivery rules (docs/protocol.md): seq and gaps, sync after a drop, fetching
// what a sync left missing, and the outbox (resends keep their client_id).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ACK_TIMEOUT, Conversations, MAX_TRIES } from '../../../frontdesk/web/console/data/conversations.js';
import { clock, fakeStorage, fakeWire, message } from './helpers.mjs';

/** A Conversations over a fake wire, a fake clock and a transcript server holding `held`. */
function setup({ held = {}, storage = fakeStorage(), wire = fakeWire(), c = clock() } = {}) {
  const fetched = [];
  const convs = new Conversations({
    send: wire.send,
    now: c.now,
    random: () => 0,
    storage,
    newId: (() => { let n = 0; return (p) => `${p}${++n}`; })(),
    fetchEvents: async (id, after, limit) => {
      fetched.push({ id, after, limit });
      return { events: (held[id] || []).filter((e) => e.seq > after).slice(0, limit) };
    },
  });
  convs.reset('fd.console.pending.7');
  return { convs, wire, c, fetched, storage };
}

async function loaded(convs, id) {
  const conv = convs.ensure(id);
  await convs.load(conv);
  return conv;
}

test('events are kept by seq: a duplicate is dropped, a gap asks for a sync after the last held', async () => {
  const { convs, wire } = setup({ held: { 5: [message(5, 1), message(5, 2)] } });
  const conv = await loaded(convs, 5);
  assert.equal(conv.lastSeq, 2);
  wire.take();
  assert.equal(convs.applyEvent({ type: 'event', ...message(5, 2) }), null); // duplicate
  const got = convs.applyEvent({ type: 'event', ...message(5, 4) });
  assert.equal(got.ev.type, undefined);
  assert.deepEqual(wire.take(), [{ type: 'sync', chat_id: 5, after: 2 }]);
  assert.equal(conv.maxSeq, 4);
  assert.equal(conv.lastSeq, 2);
});

test('a second gap within 5 s does not ask again; after 5 s (or forced) it does', async () => {
  const { convs, wire, c } = setup({ held: { 5: [message(5, 1)] } });
  const conv = await loaded(convs, 5);
  wire.take();
  convs.applyEvent(message(5, 3));
  convs.applyEvent(message(5, 5));
  assert.equal(wire.take().length, 1);
  c.advance(5001);
  convs.applyEvent(message(5, 7));
  assert.equal(wire.take().length, 1);
  assert.equal(convs.requestSync(conv, true), true);
  assert.equal(wire.take().length, 1);
});

test('no sync before the transcript is loaded, nor while disconnected', async () => {
  const { convs, wire } = setup({ held: { 5: [message(5, 1)] } });
  const conv = convs.ensure(5);
  assert.equal(convs.requestSync(conv), false);
  await convs.load(conv);
  wire.take();
  wire.connected = false;
  assert.equal(convs.requestSync(conv), false);
  assert.equal(conv.syncing, false);
});

test('synced with a hole left: the missing range is read over HTTP', async () => {
  const held = { 5: [message(5, 1)] };
  const { convs, fetched } = setup({ held });
  const conv = await loaded(convs, 5);
  convs.applyEvent(message(5, 3));
  held[5].push(message(5, 2), message(5, 3));
  const threads = [];
  convs.subscribe((what, cv) => { if (what === 'thread') threads.push(cv.id); });
  convs.applySynced({ type: 'synced', chat_id: 5, last_seq: 3 });
  assert.equal(conv.syncing, false);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(fetched.at(-1), { id: 5, after: 1, limit: 500 });
  assert.equal(conv.lastSeq, 3);
  assert.deepEqual(threads, [5]);
});

test('synced raises the known last seq of the summary', async () => {
  const { convs } = setup({ held: { 5: [message(5, 1)] } });
  const conv = await loaded(convs, 5);
  conv.summary = { id: 5, last_seq: 1 };
  convs.applySynced({ chat_id: 5, last_seq: 4 });
  assert.equal(conv.summary.last_seq, 4);
  assert.equal(conv.behind(), true);
});

test('a long transcript is read in pages of 500', async () => {
  const events = Array.from({ length: 1200 }, (_, i) => message(5, i + 1));
  const { convs, fetched } = setup({ held: { 5: events } });
  const conv = await loaded(convs, 5);
  assert.deepEqual(fetched.map((f) => f.after), [0, 500, 1000]);
  assert.equal(conv.lastSeq, 1200);
  assert.equal(conv.loaded, true);
});

test('a send goes out with a client id; its ack settles it and adds the stored event', async () => {
  const { convs, wire } = setup({ held: { 5: [message(5, 1)] } });
  const conv = await loaded(convs, 5);
  wire.take();
  const p = convs.queueSend(conv, 'hello', { canned_id: 3 });
  assert.deepEqual(wire.take(), [{ type: 'message.send', chat_id: 5, client_id: p.client_id, text: 'hello', canned_id: 3 }]);
  assert.equal(conv.pending.size, 1);
  const back = convs.applyAck({ type: 'ack', ref: p.client_id, chat_id: 5, event: { type: 'event', ...message(5, 2, { author: { type: 'agent' } }) } });
  assert.equal(back, conv);
  assert.equal(conv.pending.size, 0);
  assert.equal(conv.lastSeq, 2);
});

test('an ack without chat_id finds the send by its ref', async () => {
  const { convs } = setup({ held: { 5: [] } });
  const conv = await loaded(convs, 5);
  const p = convs.queueSend(conv, 'x');
  assert.equal(convs.applyAck({ ref: p.client_id, seq: 1, event: { kind: 'message', text: 'x' } }), conv);
  assert.equal(conv.events.get(1).text, 'x');
});

test('unacked sends are resent with the same client id, then fail after the last try', async () => {
  const { convs, wire, c } = setup({ held: { 5: [] } });
  const conv = await loaded(convs, 5);
  const p = convs.queueSend(conv, 'hello');
  const ids = wire.take().map((f) => f.client_id);
  for (let i = 1; i < MAX_TRIES; i++) {
    c.advance(ACK_TIMEOUT + 1);
    convs.watch();
    ids.push(...wire.take().map((f) => f.client_id));
  }
  assert.deepEqual(ids, Array(MAX_TRIES).fill(p.client_id));
  c.advance(ACK_TIMEOUT + 1);
  assert.deepEqual(convs.watch(), [conv]);
  assert.equal(p.status, 'failed');
  assert.equal(p.error, 'No answer from the server');
  assert.equal(wire.take().length, 0);
  convs.retry(conv, ids[0]); // the agent's Retry: the same id again
  assert.deepEqual(wire.take().map((f) => f.client_id), [ids[0]]);
  assert.equal(p.status, 'pending');
  assert.equal(p.tries, 1);
});

test('a send typed while disconnected goes out with the next watch once connected', async () => {
  const { convs, wire } = setup({ held: { 5: [] } });
  const conv = await loaded(convs, 5);
  wire.connected = false;
  const p = convs.queueSend(conv, 'offline');
  assert.equal(p.sentAt, 0);
  wire.connected = true;
  convs.watch();
  assert.deepEqual(wire.take().map((f) => f.client_id), [p.client_id]);
});

test('rate_limited holds the send back for retry_after, then resends it; chat_closed fails it', async () => {
  const { convs, wire, c } = setup({ held: { 5: [] } });
  const conv = await loaded(convs, 5);
  const p = convs.queueSend(conv, 'fast');
  const id = p.client_id;
  wire.take();
  const found = convs.findPending(p.client_id);
  assert.equal(found.conv, conv);
  assert.equal(convs.applySendError(conv, p, 'rate_limited', 3), 'retry');
  convs.watch();
  assert.equal(wire.take().length, 0); // held
  c.advance(3001);
  convs.watch();
  assert.deepEqual(wire.take().map((f) => f.client_id), [id]);
  assert.equal(convs.applySendError(conv, p, 'chat_closed'), 'failed');
  assert.equal(p.error, 'Chat is closed');
  assert.equal(convs.applySendError(conv, p, 'forbidden'), 'failed');
  assert.equal(p.error, 'Not your chat any more');
});

test('pending sends survive a reload and go out again with their client ids', async () => {
  const storage = fakeStorage();
  const first = setup({ storage, held: { 5: [] } });
  const conv = await loaded(first.convs, 5);
  first.wire.connected = false;
  const p = first.convs.queueSend(conv, 'keep me');
  const second = setup({ storage, held: { 5: [] } }); // the reload
  const again = second.convs.ensure(5);
  assert.equal(again.pending.get(p.client_id).text, 'keep me');
  assert.deepEqual(second.wire.take().map((f) => [f.type, f.client_id]), [['message.send', p.client_id]]);
  first.convs.discard(conv, p.client_id);
  assert.equal(setup({ storage }).convs.ensure(5).pending.size, 0);
});

test('after a drop, resume syncs every loaded chat, loads open ones and resends unacked sends', async () => {
  const { convs, wire, fetched } = setup({ held: { 5: [message(5, 1), message(5, 2)], 6: [message(6, 1)] } });
  const five = await loaded(convs, 5);
  const p = convs.queueSend(five, 'again');
  convs.ensure(6);
  convs.ensure(7);
  wire.take();
  convs.resume([6]);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(wire.take(), [
    { type: 'sync', chat_id: 5, after: 2 },
    { type: 'message.send', chat_id: 5, client_id: p.client_id, text: 'again' },
  ]);
  assert.deepEqual(fetched.filter((f) => f.id !== 5).map((f) => f.id), [6]); // 7 is not open
  assert.equal(convs.get(6).loaded, true);
});

test('a failed load says why and can be tried again', async () => {
  const convs = new Conversations({ send: () => true, fetchEvents: async () => { const e = new Error('gone'); e.status = 404; throw e; } });
  const conv = convs.ensure(1);
  await convs.load(conv);
  assert.equal(conv.loaded, false);
  assert.equal(conv.loadError, 'This chat does not exist or is not yours.');
});

test('unread: from the transcript once loaded, else one when the summary ends with the visitor', async () => {
  const { convs } = setup({ held: { 5: [message(5, 1), message(5, 2, { author: { type: 'agent' } }), message(5, 3), message(5, 4)] } });
  const conv = await loaded(convs, 5);
  assert.equal(convs.unreadOf(5), 2);
  assert.equal(convs.markSeen(conv), true);
  assert.equal(convs.unreadOf(5), 0);
  assert.equal(convs.markSeen(conv), false);
  assert.equal(convs.unreadOf(9, { status: 'active', last_seq: 3, last_message: { author: 'visitor' } }), 1);
  assert.equal(convs.unreadOf(9, { status: 'active', last_seq: 3, last_message: { author: 'agent' } }), 0);
});

test("the visitor's typing: on with the draft, off when the message arrives", () => {
  const { convs } = setup();
  assert.equal(convs.applyTyping({ chat_id: 5, typing: true, author: { type: 'visitor' } }), null); // not held, not listed
  const conv = convs.applyTyping({ chat_id: 5, typing: true, text: 'hel', author: { type: 'visitor' } }, true);
  assert.equal(convs.isVisitorTyping(5), true);
  assert.equal(conv.visitorDraft, 'hel');
  assert.equal(convs.applyTyping({ chat_id: 5, typing: true, author: { type: 'agent' } }), null);
  convs.visitorStopped(conv);
  assert.equal(convs.isVisitorTyping(5), false);
  assert.equal(conv.visitorDraft, '');
  clearTimeout(conv.typingTimer);
});
