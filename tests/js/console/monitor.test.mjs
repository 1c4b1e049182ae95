import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MonitorBoard } from '../../../frontdesk/web/console/data/monitor.js';

const page = {
  departments: [{ id: 1, name: 'Sales' }, { id: 2, name: 'Support' }],
  chats: [
    { id: 1, status: 'active', department: { id: 1 }, queued_at: '2026-01-01T10:00:00Z', last_seq: 3 },
    { id: 2, status: 'queued', department: { id: 2 }, queued_at: '2026-01-01T10:05:00Z', last_seq: 1 },
    { id: 3, status: 'queued', department: { id: 1 }, queued_at: '2026-01-01T10:01:00Z', last_seq: 1 },
  ],
};

test('waiting chats first, the longest wait first; the filter narrows by department', () => {
  const b = new MonitorBoard();
  b.fill(page);
  assert.equal(b.state, 'live');
  assert.deepEqual(b.shown().map((c) => c.id), [3, 2, 1]);
  b.setFilter('1');
  assert.deepEqual(b.shown().map((c) => c.id), [3, 1]);
});

test('live frames: updates in scope kept, closed or out of scope dropped, stale ignored', () => {
  const b = new MonitorBoard();
  b.fill(page);
  assert.equal(b.applyFrame({ type: 'monitor.participants', chat_id: 1, participants: [{ name: 'Sue' }] }, () => false), true);
  assert.equal(b.applyFrame({ type: 'chat.updated', chat: { id: 1, status: 'active', department: { id: 1 }, last_seq: 4 } }, () => false), false);
  assert.deepEqual(b.chats.get(1).participants, [{ name: 'Sue' }]); // kept across the update
  b.applyFrame({ type: 'chat.updated', chat: { id: 1, status: 'active', department: { id: 1 }, last_seq: 2, stale: true } }, () => false);
  assert.equal(b.chats.get(1).stale, undefined);
  b.applyFrame({ type: 'chat.updated', chat: { id: 2, status: 'closed', department: { id: 2 } } }, () => false);
  b.applyFrame({ type: 'chat.updated', chat: { id: 9, status: 'queued', department: { id: 5 } } }, () => false);
  assert.deepEqual([...b.chats.keys()].sort(), [1, 3]);
});

test("a message updates the row; it is only this page's when the console does not hold the chat", () => {
  const b = new MonitorBoard();
  b.fill(page);
  const ev = { type: 'event', chat_id: 3, seq: 2, kind: 'message', text: 'hi', author: { type: 'visitor' }, created_at: 'x' };
  assert.equal(b.applyFrame(ev, () => false), true);
  assert.deepEqual(b.chats.get(3).last_message, { text: 'hi', author: 'visitor', at: 'x' });
  assert.equal(b.chats.get(3).last_seq, 2);
  assert.equal(b.applyFrame(ev, (id) => id === 3), false);
  assert.equal(b.applyFrame({ type: 'event', chat_id: 77, seq: 1, kind: 'message' }, () => false), false);
  assert.equal(b.applyFrame({ type: 'welcome' }, () => false), false);
});
