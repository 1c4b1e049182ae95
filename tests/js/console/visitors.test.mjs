// The Visitors page's data (data/visitors.js): what it asks the server, which answers it keeps.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  clockText, deviceText, inviteErrorText, journeyOf, mayViewVisitors, pathOf, placeText, referrerText,
  stateText, timeOnPage, timeOnSite, visitText, VisitorBoard,
} from '../../../frontdesk/web/console/data/visitors.js';
import { fakeWire } from './helpers.mjs';

function board(wire = fakeWire(), fetchPage = async () => ({ items: [], total: 0 })) {
  return new VisitorBoard({ send: wire.send, fetchPage });
}

function page(ref, fields = {}) {
  return {
    type: 'visitors.page', ref, counters: { online: 3, chatting: 1, waiting: 1, invited: 0 },
    total: 3, page: 1, page_size: 25, items: [{ visitor_id: 'V1' }, { visitor_id: 'V2' }, { visitor_id: 'V3' }], ...fields,
  };
}

test('start asks for the first page; filter, sort and page changes ask again with a new ref', () => {
  const wire = fakeWire();
  const b = board(wire);
  b.start();
  assert.equal(b.state, 'loading');
  const [first] = wire.take();
  assert.deepEqual(first, { type: 'visitors.watch', ref: first.ref, filter: {}, sort: '-time_on_site', page: 1, page_size: 25 });

  b.setFilter('url', ' /pricing ');
  b.setFilter('country', 'fr');
  b.setFilter('returning', 'true');
  b.setFilter('department', '2');
  b.setFilter('state', 'chatting');
  b.setFilter('referrer', 'google');
  const frames = wire.take();
  assert.equal(frames.length, 6);
  assert.equal(new Set([first.ref, ...frames.map((f) => f.ref)]).size, 7);
  assert.deepEqual(frames.at(-1).filter, {
    url: '/pricing', country: 'FR', referrer: 'google', returning: true, state: 'chatting', department: 2,
  });
  b.setFilter('country', 'f'); // one letter: not a country code yet, left out
  assert.equal(wire.take()[0].filter.country, undefined);
  b.setFilter('country', 'fr');
  wire.take();
  b.setFilter('url', ' /pricing '); // unchanged: no new ask
  b.setFilter('nonsense', 'x');
  assert.equal(wire.take().length, 0);

  b.setSort('pages');
  assert.equal(wire.take()[0].sort, '-pages');
  b.setSort('pages');
  assert.equal(wire.take()[0].sort, 'pages');
  b.setSort('country');
  assert.equal(wire.take()[0].sort, 'country');
  b.setSort('bogus');
  assert.equal(wire.take().length, 0);
  assert.match(b.query(), /^url=%2Fpricing&country=FR&referrer=google&returning=true&state=chatting&department=2&sort=country&page=1&page_size=25$/);

  b.clearFilters();
  assert.deepEqual(wire.take()[0].filter, {});
  assert.equal(b.filtered, false);
});

test('only the answer to the latest ask is kept; a filter change goes back to page 1', () => {
  const wire = fakeWire();
  const b = board(wire);
  b.start();
  const old = wire.take()[0].ref;
  b.setFilter('country', 'DE');
  const current = wire.take()[0].ref;
  assert.equal(b.applyFrame(page(old, { total: 999 })), true); // this page's frame, but stale
  assert.equal(b.total, 0);
  assert.equal(b.state, 'loading');
  assert.equal(b.applyFrame(page(current, { total: 60, page: 1 })), true);
  assert.equal(b.state, 'live');
  assert.deepEqual(b.counters, { online: 3, chatting: 1, waiting: 1, invited: 0 });
  assert.equal(b.items.length, 3);
  assert.equal(b.pages, 3);

  b.goTo(3);
  const p3 = wire.take()[0];
  assert.equal(p3.page, 3);
  b.goTo(9); // beyond the last page: the last one, already shown
  assert.equal(wire.take().length, 0);
  b.applyFrame(page(p3.ref, { total: 60, page: 3, items: [{ visitor_id: 'V51' }] }));
  assert.equal(b.rangeText(), '51–51 of 60');
  b.setFilter('state', 'waiting');
  assert.equal(wire.take()[0].page, 1);

  // other frames are not this page's; an error answering this ask is
  assert.equal(b.applyFrame({ type: 'chat.updated', chat: {} }), false);
  assert.equal(b.applyFrame({ type: 'error', ref: 'other', message: 'x' }), false);
  assert.equal(b.applyFrame({ type: 'error', ref: b.ref, code: 'bad_request', message: 'page_size: at most 100' }), true);
  assert.equal(b.state, 'error');
  assert.equal(b.error, 'page_size: at most 100');
});

test('stopped: unwatch once, later pages ignored; the socket down reads over HTTP', async () => {
  const wire = fakeWire();
  const b = board(wire);
  b.start();
  const ref = wire.take()[0].ref;
  b.stop();
  b.stop();
  assert.deepEqual(wire.take(), [{ type: 'visitors.unwatch' }]);
  b.applyFrame(page(ref));
  assert.equal(b.items.length, 0);

  const down = fakeWire();
  down.connected = false;
  const asked = [];
  const polled = new VisitorBoard({ send: down.send, fetchPage: async (q) => { asked.push(q); return page(null, { total: 1, items: [{ visitor_id: 'V9' }] }); } });
  polled.start();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(asked, ['sort=-time_on_site&page=1&page_size=25']);
  assert.equal(polled.state, 'polled');
  assert.deepEqual(polled.items, [{ visitor_id: 'V9' }]);

  const refused = new VisitorBoard({ send: down.send, fetchPage: async () => { throw Object.assign(new Error('no'), { status: 403 }); } });
  refused.start();
  await new Promise((r) => setImmediate(r));
  assert.equal(refused.state, 'error');
  assert.match(refused.error, /greeters/);
});

test('who may see the page', () => {
  assert.equal(mayViewVisitors({ role: 'admin' }), true);
  assert.equal(mayViewVisitors({ role: 'manager' }), true);
  assert.equal(mayViewVisitors({ role: 'supervisor' }), true);
  assert.equal(mayViewVisitors({ role: 'agent' }), false);
  assert.equal(mayViewVisitors({ role: 'agent', greeter: true }), true);
  assert.equal(mayViewVisitors(null), false);
  assert.equal(mayViewVisitors({ role: 'agent', greeter: false, may_view_visitors: true }), true); // the server's word wins
  assert.equal(mayViewVisitors({ role: 'supervisor', may_view_visitors: false }), false);
});

test('plain words for a visitor', () => {
  assert.equal(stateText({ state: 'chatting', agent: { id: 1, name: 'Sue' } }), 'Chatting with Sue');
  assert.equal(stateText({ state: 'waiting' }), 'Waiting for an agent');
  assert.equal(stateText({ state: 'invited', agent: null }), 'Invited');
  assert.equal(stateText({ state: 'none' }), '');
  assert.equal(placeText({ country: 'fr', city: 'Lyon' }, (c) => (c === 'FR' ? 'France' : c)), 'Lyon, France');
  assert.equal(placeText({ country: null }), 'Unknown');
  assert.equal(deviceText({ browser: 'Chrome', os: 'Android', device: 'phone' }), 'Chrome · Android · phone');
  assert.equal(deviceText({ device: 'other' }), 'Unknown');
  assert.equal(referrerText('https://www.google.com/search?q=x'), 'google.com');
  assert.equal(referrerText(''), 'Direct');
  assert.equal(referrerText('<b>not a url</b>'), '<b>not a url</b>'); // text, drawn with textContent
  assert.equal(pathOf('https://shop.example/pricing?plan=pro#faq'), '/pricing?plan=pro#faq');
  assert.equal(pathOf('weird'), 'weird');
  assert.equal(visitText({ visit_number: 1, returning: false }), 'First visit');
  assert.equal(visitText({ visit_number: 3, returning: true }), 'Visit 3 · returning');
  const now = Date.parse('2026-01-01T10:10:00Z');
  assert.equal(timeOnSite({ started_at: '2026-01-01T10:00:00Z' }, now), 600000);
  assert.equal(timeOnSite({ started_at: '2026-01-01T10:20:00Z' }, now), 0); // clock skew: never negative
  assert.equal(timeOnPage({ page: { since: '2026-01-01T10:09:15Z' } }, now), 45000);
  assert.equal(timeOnPage({}, now), 0);
  assert.equal(clockText(45000), '45s');
  assert.equal(clockText(185000), '3m 05s');
  assert.equal(clockText(3720000), '1h 02m');
  assert.equal(inviteErrorText({ status: 409, code: 'visitor_gone', message: 'gone' }), 'This visitor has left the site.');
  assert.equal(inviteErrorText({ status: 403 }), 'You may not invite this visitor.');
  assert.equal(inviteErrorText({ status: 400, message: 'text: at most 2000 characters' }), 'text: at most 2000 characters');
});

test('a journey: visits newest first, pages in order with their times, the current page ticking', () => {
  const now = Date.parse('2026-01-02T09:05:00Z');
  const j = journeyOf({
    visitor: { id: 'V1' },
    visits: [
      { id: 1, number: 1, started_at: '2026-01-01T08:00:00Z', ended_at: '2026-01-01T08:40:00Z', pages: [
        { url: 'https://s/a', at: '2026-01-01T08:00:00Z', visible_ms: 30000 },
        { url: 'https://s/b', at: '2026-01-01T08:01:00Z', visible_ms: null },
      ] },
      { id: 2, number: 2, started_at: '2026-01-02T09:00:00Z', ended_at: null, pages: [
        { url: 'https://s/c', at: '2026-01-02T09:03:00Z', visible_ms: null },
        { url: 'https://s/a', at: '2026-01-02T09:00:00Z', visible_ms: null },
      ] },
    ],
    chats: [{ id: 7, created_at: '2026-01-01T08:10:00Z' }, { id: 9, created_at: '2026-01-02T09:01:00Z' }],
  }, now);
  assert.deepEqual(j.visits.map((v) => [v.id, v.ongoing]), [[2, true], [1, false]]);
  const [cur, old] = j.visits;
  assert.deepEqual(cur.pages.map((p) => [p.url, p.ms, p.current]), [['https://s/a', 180000, false], ['https://s/c', 120000, true]]);
  assert.deepEqual(old.pages.map((p) => [p.url, p.ms, p.current]), [['https://s/a', 30000, false], ['https://s/b', null, false]]);
  assert.deepEqual(j.chats.map((c) => c.id), [9, 7]);
  assert.deepEqual(journeyOf(null), { visitor: null, visits: [], chats: [] });
});
