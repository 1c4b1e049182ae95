// Offline messages (tickets) and History.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { HistoryList } from '../../../frontdesk/web/console/data/history.js';
import { TicketList } from '../../../frontdesk/web/console/data/tickets.js';

test('tickets: pages append without duplicates; reset replaces', () => {
  const ts = new TicketList();
  assert.equal(ts.beginLoad(), true);
  assert.equal(ts.beginLoad(), false);
  ts.applyPage({ tickets: [{ id: 1 }, { id: 2 }], next_before: 2 }, true);
  ts.endLoad();
  ts.applyPage({ tickets: [{ id: 2 }, { id: 3 }] }, false);
  assert.deepEqual(ts.items.map((t) => t.id), [1, 2, 3]);
  assert.equal(ts.nextBefore, null);
  ts.applyPage([{ id: 9 }], true); // a bare list
  assert.deepEqual(ts.items.map((t) => t.id), [9]);
  ts.endLoad('Could not load messages: x');
  assert.equal(ts.error, 'Could not load messages: x');
});

test('ticket frames: new ones go first and are announced; done ones leave', () => {
  const ts = new TicketList();
  ts.applyPage([{ id: 1, status: 'open', text: 'a' }], true);
  assert.equal(ts.applyFrame({ id: 2, status: 'open', text: 'b' }, true), 'new');
  assert.equal(ts.applyFrame({ id: 3, status: 'open' }, true), 'new+reload'); // no text: read the list
  assert.equal(ts.applyFrame({ id: 1, status: 'open', note: 'x' }, false), null);
  assert.equal(ts.find(1).note, 'x');
  assert.equal(ts.find(1).text, 'a');
  assert.equal(ts.applyFrame({ id: 2, status: 'done' }, false), null);
  assert.deepEqual(ts.items.map((t) => t.id), [3, 1]);
  assert.equal(ts.applyFrame(null, true), 'reload');
  assert.equal(ts.applyFrame({ id: 4, status: 'open' }, false), null); // an update of one not listed
  assert.equal(ts.remove(1), 1);
  assert.equal(ts.openCount(), 1);
});

test('history: pages, a chat that closes joins the loaded list, a forgotten visitor leaves it', () => {
  const hs = new HistoryList();
  hs.applySummary({ id: 1, status: 'closed' });
  assert.equal(hs.items.length, 0); // not loaded yet: the first fetch brings it
  assert.equal(hs.beginLoad(true), true);
  assert.equal(hs.beforeQuery(true), '');
  hs.applyPage({ chats: [{ id: 5, status: 'closed', visitor: { id: 50 } }], next_before: 5 });
  hs.endLoad();
  assert.equal(hs.beforeQuery(false), '&before=5');
  hs.applySummary({ id: 6, status: 'closed', visitor: { id: 60 } });
  hs.applySummary({ id: 7, status: 'active' });
  hs.applySummary({ id: 5, status: 'closed', visitor: { id: 50 }, rating: { score: 5 } });
  assert.deepEqual(hs.items.map((s) => s.id), [6, 5]);
  assert.equal(hs.items[1].rating.score, 5);
  hs.dropVisitor(50);
  assert.deepEqual(hs.items.map((s) => s.id), [6]);
});
