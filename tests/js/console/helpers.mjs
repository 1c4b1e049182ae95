// Plain fake data for the console's data-module tests (no mocks of the modules under test).

/** The directory's two look-ups over plain lists. */
export function fakeDirectory({ users = [], departments = [] } = {}) {
  return {
    user: (id) => users.find((u) => Number(u.id) === Number(id)) || null,
    department: (id) => departments.find((d) => Number(d.id) === Number(id)) || null,
  };
}

/** A socket stand-in: records frames, answers `connected` like AgentSocket.send does. */
export function fakeWire() {
  const wire = { frames: [], connected: true };
  wire.send = (frame) => {
    if (!wire.connected) return false;
    wire.frames.push(frame);
    return true;
  };
  wire.take = () => wire.frames.splice(0);
  return wire;
}

/** A Web Storage stand-in (sessionStorage survives a "reload" by sharing it). */
export function fakeStorage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}

export function clock(start = 1_000_000) {
  const c = { t: start };
  c.now = () => c.t;
  c.advance = (ms) => { c.t += ms; };
  return c;
}

export function summary(id, fields = {}) {
  return { id, status: 'queued', visitor: { id: 100 + id, name: `V${id}` }, assignee: null, department: { id: 1, name: 'Sales' }, last_seq: 1, ...fields };
}

export function message(chatId, seq, fields = {}) {
  return { chat_id: chatId, seq, kind: 'message', text: `m${seq}`, author: { type: 'visitor' }, created_at: '2026-01-01T00:00:00Z', ...fields };
}
