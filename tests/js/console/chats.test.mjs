import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChatList, reachesLevel, watchesDepartment } from '../../../frontdesk/web/console/data/chats.js';
import { Session } from '../../../frontdesk/web/console/data/session.js';
import { fakeDirectory, summary } from './helpers.mjs';

function lists({ me = { id: 7, role: 'agent', status: 'online' }, users = [], departments = [] } = {}) {
  const session = new Session();
  session.start(me);
  return new ChatList(session, fakeDirectory({ users, departments }));
}

test('a queued chat is listed under Waiting; one assigned to me under My chats', () => {
  const chats = lists();
  chats.apply(summary(1, { queued_at: '2026-01-01T10:00:05Z' }));
  chats.apply(summary(2, { queued_at: '2026-01-01T10:00:01Z' }));
  chats.apply(summary(3, { status: 'active', assignee: { id: 7, name: 'Me' } }));
  assert.deepEqual(chats.waiting().map((s) => s.id), [2, 1]); // longest waiting first
  assert.deepEqual(chats.mine().map((s) => s.id), [3]);
});

test("another agent's active chat leaves the lists", () => {
  const chats = lists();
  chats.apply(summary(1, { last_seq: 1 }));
  const r = chats.apply(summary(1, { status: 'active', assignee: { id: 9, name: 'Bo' }, last_seq: 2 }));
  assert.equal(r.listed, false);
  assert.equal(r.wasQueued, true);
  assert.equal(chats.has(1), false);
});

test('an older summary than the one held is ignored', () => {
  const chats = lists();
  chats.apply(summary(1, { last_seq: 5, status: 'active', assignee: { id: 7 } }));
  const r = chats.apply(summary(1, { last_seq: 4 }));
  assert.equal(r.stale, true);
  assert.equal(chats.get(1).status, 'active');
  // the open conversation's summary counts too when the lists do not hold the chat
  assert.equal(chats.apply(summary(2, { last_seq: 1 }), { prev: { last_seq: 3 } }).stale, true);
});

test("a chat queued in a department I do not work in is not my queue", () => {
  const chats = lists({ users: [{ id: 7, departments: [{ id: 1, level: 1 }] }] });
  assert.equal(chats.apply(summary(1, { department: { id: 2 } })).hidden, true);
  assert.equal(chats.has(1), false);
  assert.equal(chats.apply(summary(2, { department: { id: 1 } })).listed, true);
});

test('department and level rules: leads see every queue; a level-2 chat needs level 2', () => {
  const dir = fakeDirectory({ users: [{ id: 7, departments: [{ id: 1, level: 1 }, 'support'] }] });
  const agent = { id: 7, role: 'agent' };
  assert.equal(watchesDepartment(agent, dir, { id: 2, slug: 'x' }), false);
  assert.equal(watchesDepartment(agent, dir, { id: 3, slug: 'support' }), true);
  assert.equal(watchesDepartment({ id: 7, role: 'supervisor' }, dir, { id: 2 }), true);
  assert.equal(watchesDepartment({ id: 8, role: 'agent' }, dir, { id: 2 }), true); // unknown yet: trust the server
  assert.equal(reachesLevel(agent, dir, { required_level: 2, department: { id: 1 } }), false);
  assert.equal(reachesLevel(agent, dir, { required_level: 1, department: { id: 1 } }), true);
  assert.equal(reachesLevel({ id: 7, role: 'manager' }, dir, { required_level: 3, department: { id: 1 } }), true);
});

test('the department filter narrows Waiting only', () => {
  const chats = lists();
  chats.apply(summary(1, { department: { id: 1 } }));
  chats.apply(summary(2, { department: { id: 2 } }));
  assert.equal(chats.setDeptFilter('2'), 2);
  assert.deepEqual(chats.filteredWaiting().map((s) => s.id), [2]);
  assert.equal(chats.waiting().length, 2);
  assert.equal(chats.setDeptFilter('nonsense'), null);
  assert.equal(chats.filteredWaiting().length, 2);
});

test('a full fetch drops chats it did not return unless a live frame touched them since', () => {
  const chats = lists();
  chats.apply(summary(1), { now: 100 });
  chats.apply(summary(2), { live: true, now: 500 });
  chats.apply(summary(3), { now: 100 });
  const dropped = chats.dropUnseen(new Set([3]), 200);
  assert.deepEqual(dropped, [1]);
  assert.equal(chats.has(2), true);
  assert.equal(chats.listsLoaded, true);
});

test("an offer: the server's deadline unless the clock is clearly off; taken by another agent", () => {
  const chats = lists({ departments: [{ id: 1, offer_timeout_seconds: 20 }] });
  const now = Date.parse('2026-01-01T10:00:00Z');
  const s = summary(1, { offered_to: { id: 7 } });
  assert.deepEqual(chats.offer(s, '2026-01-01T10:00:15Z', now), { known: false });
  assert.equal(chats.offers.get(1).expiresAt, now + 15000);
  assert.equal(chats.offers.get(1).total, 20000);
  assert.deepEqual(chats.offer(s, '2026-01-01T12:00:00Z', now), { known: true }); // two hours: the clock is off
  assert.equal(chats.offers.get(1).expiresAt, now + 20000);
  const r = chats.apply(summary(1, { status: 'active', assignee: { id: 9, name: 'Bo' }, last_seq: 2 }), { live: true, now });
  assert.equal(r.takenBy, 'Bo');
  assert.equal(chats.offers.has(1), false);
});

test('an offer made while this tab was away shows from the summary; one to someone else goes', () => {
  const chats = lists();
  const now = Date.parse('2026-01-01T10:00:00Z');
  chats.apply(summary(1, { offered_to: 7, offer_expires_at: '2026-01-01T10:00:20Z' }), { now });
  assert.equal(chats.offers.get(1).expiresAt, now + 20000);
  chats.apply(summary(1, { offered_to: { id: 8 }, last_seq: 2 }), { now });
  assert.equal(chats.offers.has(1), false);
});

test('offer buttons: busy while accepting; an expired card records when', () => {
  const chats = lists();
  chats.offer(summary(1, { offered_to: 7 }), null, 1000);
  assert.equal(chats.beginOffer(1, 'accept'), true);
  assert.equal(chats.beginOffer(1, 'decline'), false);
  chats.endOffer(1, false);
  assert.equal(chats.offers.get(1).busy, null);
  assert.equal(chats.offerExpired(1, 4242), true);
  assert.equal(chats.lastOfferExpiry, 4242);
  assert.equal(chats.offerExpired(1, 5000), false);
});

test('subscribers hear every change', () => {
  const chats = lists();
  const heard = [];
  const off = chats.subscribe((what) => heard.push(what));
  chats.apply(summary(1));
  chats.offer(summary(2, { offered_to: 7 }), null);
  off();
  chats.apply(summary(3));
  assert.deepEqual(heard, ['lists', 'offers']);
});
