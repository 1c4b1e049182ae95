// The widget's delivery rules (docs/protocol.md, docs/architecture/frontend.md): events kept by
// seq and shown once, a gap asked for with sync, the outbox resent with the same client ids.
import assert from "node:assert/strict";
import { test } from "node:test";

import { loadCore } from "./load-core.mjs";

const core = loadCore();

const newChat = () => ({ ev: {}, last: 0 });
const event = (seq, extra = {}) => ({ type: "event", chat_id: 7, seq, kind: "message", text: `m${seq}`, ...extra });
const seqs = (events) => Array.from(events, (e) => e.seq);
// what the core builds lives in the vm's realm (its own Object and Array): compare it as data
const plain = (value) => JSON.parse(JSON.stringify(value));

test("the core loads without a window or a document and starts nothing", () => {
  assert.deepEqual(Object.keys(core).sort(), [
    "addEvent", "eventOf", "messageFrame", "page", "pageView", "resendFrames", "samePage", "screenClass", "seen", "settle",
    "settledBy", "skipHidden", "syncFrame", "track", "tracks", "visibleMs", "visit",
  ]);
});

test("events in seq order become contiguous one by one", () => {
  const chat = newChat();
  for (const seq of [1, 2, 3]) {
    const added = core.addEvent(chat, event(seq));
    assert.deepEqual(seqs(added.run), [seq]);
    assert.equal(added.gap, false);
  }
  assert.equal(chat.last, 3);
});

test("events out of order are released in seq order once the hole is filled", () => {
  const chat = newChat();
  core.addEvent(chat, event(1));
  const early = core.addEvent(chat, event(3));
  assert.deepEqual(seqs(early.run), []);
  assert.equal(chat.last, 1);
  const filler = core.addEvent(chat, event(2));
  assert.deepEqual(seqs(filler.run), [2, 3]);
  assert.equal(filler.gap, false);
  assert.equal(chat.last, 3);
});

test("a seq already held is ignored: never shown twice, the first copy kept", () => {
  const chat = newChat();
  const first = event(1, { text: "first" });
  core.addEvent(chat, first);
  assert.equal(core.addEvent(chat, event(1, { text: "again" })), null);
  assert.equal(chat.ev[1], first);
  // a duplicate above a gap is ignored too, and does not ask for the gap a second time
  core.addEvent(chat, event(4));
  assert.equal(core.addEvent(chat, event(4)), null);
  assert.equal(chat.last, 1);
});

test("a gap is detected and the sync asks for everything after the contiguous part", () => {
  const chat = newChat();
  core.addEvent(chat, event(1));
  core.addEvent(chat, event(2));
  const added = core.addEvent(chat, event(5));
  assert.equal(added.gap, true);
  assert.deepEqual(seqs(added.run), []);
  assert.deepEqual(plain(core.syncFrame("7", chat)), { type: "sync", chat_id: 7, after: 2 });
  // the sync's answer fills the hole; no gap is left
  core.addEvent(chat, event(3));
  const last = core.addEvent(chat, event(4));
  assert.deepEqual(seqs(last.run), [4, 5]);
  assert.equal(last.gap, false);
  assert.deepEqual(plain(core.syncFrame(7, chat)), { type: "sync", chat_id: 7, after: 5 });
});

test("a fresh chat syncs from the start", () => {
  assert.deepEqual(plain(core.syncFrame(3, newChat())), { type: "sync", chat_id: 3, after: 0 });
});

test("synced skips the seqs the visitor never sees and releases what was held above them", () => {
  const chat = newChat();
  core.addEvent(chat, event(1));
  core.addEvent(chat, event(3)); // 2 is an agents' note: the server never sends it here
  core.addEvent(chat, event(4));
  assert.equal(chat.last, 1);
  assert.deepEqual(seqs(core.skipHidden(chat, 4)), [3, 4]);
  assert.equal(chat.last, 4);
  // notes at the end (seqs 5 and 6) are skipped too, so a later event 7 is no gap
  assert.deepEqual(seqs(core.skipHidden(chat, 6)), []);
  assert.equal(chat.last, 6);
  assert.equal(core.addEvent(chat, event(7)).gap, false);
});

test("synced also releases events held beyond its last_seq that are now contiguous", () => {
  const chat = newChat();
  core.addEvent(chat, event(1));
  core.addEvent(chat, event(3)); // sent with the sync's answer
  core.addEvent(chat, event(4)); // arrived live just after it
  core.addEvent(chat, event(6)); // above a real gap: still held
  assert.deepEqual(seqs(core.skipHidden(chat, 3)), [3, 4]);
  assert.equal(chat.last, 4);
});

test("an ack carries the stored send; its chat and seq may come on the frame", () => {
  const stored = { kind: "message", seq: 4, chat_id: 7, client_id: "c1", author: { type: "visitor" } };
  assert.equal(core.eventOf({ type: "ack", ref: "c1", event: stored }), stored);
  const bare = core.eventOf({ type: "ack", ref: "c1", chat_id: 7, seq: 4, event: { kind: "message" } });
  assert.equal(bare.chat_id, 7);
  assert.equal(bare.seq, 4);
  const frame = event(2);
  assert.equal(core.eventOf(frame), frame);
});

test("typing and other frames carry no event and leave the chat and outbox alone", () => {
  const chat = newChat();
  core.addEvent(chat, event(1));
  const before = JSON.stringify(chat);
  const outbox = [{ client_id: "c1", text: "hi" }];
  const frames = [
    { type: "typing", chat_id: 7, typing: true, author: { type: "agent" }, seq: 2 },
    { type: "queue", chat_id: 7, position: 2, seq: 2 },
    { type: "welcome", chat: { id: 7 } },
    { type: "synced", chat_id: 7, last_seq: 1 },
    { type: "error", ref: "c1", code: "unavailable" },
    { type: "pong" },
  ];
  for (const frame of frames) {
    const carried = core.eventOf(frame);
    assert.equal(carried, null, frame.type);
  }
  assert.equal(JSON.stringify(chat), before);
  assert.deepEqual(outbox, [{ client_id: "c1", text: "hi" }]);
  // and a typing frame between two events does not disturb their order
  assert.equal(core.addEvent(chat, event(2)).gap, false);
});

test("after a reconnect every unacknowledged send goes again, in order, with the same client id", () => {
  const outbox = [
    { client_id: "a1", text: "Hello?", start: { department: "sales", name: "Ana" } },
    { client_id: "b2", text: "Anyone there?" },
    { client_id: "c3", text: "too long", fail: "too large" },
    { client_id: "d4", text: "Still here" },
  ];
  const first = plain(core.resendFrames(outbox, "sales"));
  assert.deepEqual(first, [
    { type: "chat.start", client_id: "a1", text: "Hello?", department: "sales", name: "Ana" },
    { type: "message.send", client_id: "b2", text: "Anyone there?", department: "sales" },
    { type: "message.send", client_id: "d4", text: "Still here", department: "sales" },
  ]);
  // the socket drops before any ack: the next welcome resends the very same frames
  assert.deepEqual(plain(core.resendFrames(outbox, "sales")), first);
  // no department asked for: the field is left out (undefined is dropped by JSON)
  assert.equal(JSON.stringify(core.messageFrame(outbox[1], "")), '{"type":"message.send","client_id":"b2","text":"Anyone there?"}');
  assert.equal(core.messageFrame(outbox[2], "sales"), null);
});

test("an ack removes exactly its send from the outbox; the rest are resent as before", () => {
  let outbox = [
    { client_id: "a1", text: "one" },
    { client_id: "b2", text: "two" },
    { client_id: "c3", text: "three" },
  ];
  const ack = { type: "ack", ref: "b2", event: { kind: "message", chat_id: 7, seq: 3, client_id: "b2", author: { type: "visitor" } } };
  const chat = newChat();
  core.addEvent(chat, event(1));
  core.addEvent(chat, event(2));
  core.addEvent(chat, core.eventOf(ack));
  outbox = core.settle(outbox, ack.ref);
  assert.deepEqual(Array.from(outbox, (o) => o.client_id), ["a1", "c3"]);
  assert.deepEqual(Array.from(core.resendFrames(outbox, ""), (f) => f.client_id), ["a1", "c3"]);
  // an unknown ref leaves the outbox as it is
  assert.deepEqual(Array.from(core.settle(outbox, "zz"), (o) => o.client_id), ["a1", "c3"]);
});

test("the visitor's own message settles its send even when the event beats the ack", () => {
  const chat = newChat();
  const echo = event(1, { client_id: "a1", author: { type: "visitor" } });
  assert.equal(core.settledBy(echo), "a1");
  core.addEvent(chat, echo);
  // the ack that follows carries the same seq: it is not shown a second time
  const ack = { type: "ack", ref: "a1", event: { ...echo, type: undefined } };
  assert.equal(core.addEvent(chat, core.eventOf(ack)), null);
  // other events settle nothing
  assert.equal(core.settledBy(event(2, { author: { type: "agent" }, client_id: "x" })), null);
  assert.equal(core.settledBy(event(3, { kind: "chat.closed", author: { type: "visitor" }, client_id: "y" })), null);
  assert.equal(core.settledBy(event(4, { author: { type: "visitor" } })), null);
});
