import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Session } from '../../../frontdesk/web/console/data/session.js';

function signedIn(status = 'online') {
  const s = new Session();
  s.start({ id: 7, role: 'agent', status, name: 'Ann' }, 0);
  return s;
}

test('welcome: the server says who I am; the first is no reconnect, the next is', () => {
  const s = signedIn(null);
  assert.equal(s.myStatus, null);
  assert.deepEqual(s.applyWelcome({ status: 'away', name: 'Ann B' }), { reconnect: false, statusKnown: true });
  assert.equal(s.me.name, 'Ann B');
  assert.equal(s.myStatus, 'away');
  assert.deepEqual(s.applyWelcome({}), { reconnect: true, statusKnown: false });
});

test('my own change shows at once, is put back when the server refuses it', () => {
  const s = signedIn('online');
  const prev = s.beginStatusChange('away', 100);
  assert.equal(prev, 'online');
  assert.equal(s.myStatus, 'away');
  assert.equal(s.beginStatusChange('offline'), undefined); // one change at a time
  s.finishStatusChange({ failed: true, prev });
  assert.equal(s.myStatus, 'online');
  assert.equal(s.statusBusy, false);
  assert.equal(s.beginStatusChange('busy'), undefined); // not a status
});

test('agent.status: my own change echoed back is no news; the server moving me is', () => {
  const s = signedIn('online');
  s.beginStatusChange('away', 1000);
  s.finishStatusChange({ got: 'away' });
  assert.deepEqual(s.applyAgentStatus('away', true, 2000), { prev: 'away', news: false });
  assert.deepEqual(s.applyAgentStatus('offline', true, 3000), { prev: 'away', news: true });
  assert.deepEqual(s.applyAgentStatus('online', false, 3000), { prev: 'offline', news: false }); // before welcome
  assert.equal(s.applyAgentStatus('nonsense', true), null);
});

test("the users list's status loses to the socket's word that came after the read started", () => {
  const s = signedIn('online');
  const epoch = s.statusEpoch;
  s.applyAgentStatus('away', true);
  assert.equal(s.applyListedStatus('online', epoch), false);
  assert.equal(s.myStatus, 'away');
  assert.equal(s.applyListedStatus('offline', s.statusEpoch), true);
  assert.equal(s.myStatus, 'offline');
});

test('connection state keeps its start time while unchanged', () => {
  const s = signedIn();
  s.applyConnection({ state: 'waiting', retryAt: 50 }, 10);
  assert.equal(s.applyConnection({ state: 'waiting', retryAt: 90 }, 20), 'waiting');
  assert.deepEqual(s.conn, { state: 'waiting', retryAt: 90, since: 10 });
  s.applyConnection({ state: 'open' }, 30);
  assert.equal(s.conn.since, 30);
});

test('isMine, isLead and profile edits', () => {
  const s = signedIn();
  assert.equal(s.isMine({ assignee: { id: '7' } }), true);
  assert.equal(s.isMine({ assignee: { id: 8 } }), false);
  assert.equal(s.isMine({ assignee: null }), false);
  assert.equal(s.isLead(), false);
  const heard = [];
  s.subscribe((w) => heard.push(w));
  s.updateMe({ title: 'Lead' });
  assert.equal(s.me.title, 'Lead');
  s.end();
  assert.equal(s.isMine({ assignee: { id: 7 } }), false);
  assert.deepEqual(heard, ['me', 'me']);
});
