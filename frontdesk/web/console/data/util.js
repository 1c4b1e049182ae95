// Small helpers shared by the data modules (no DOM).

/** Milliseconds since the epoch for an ISO time, or null. */
export function parseTime(value) {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : null;
}

/** A chat summary from an API answer ({chat: …} or the summary itself), or null. */
export function summaryFrom(r) {
  if (!r) return null;
  if (r.chat && r.chat.id != null && r.chat.status) return r.chat;
  if (r.id != null && typeof r.status === 'string' && ('visitor' in r || 'assignee' in r)) return r;
  return null;
}

/** The stored event in an action's answer ({event: …} or the event itself), without `type`. */
export function eventFrom(r) {
  const ev = r && (r.event || (r.kind && r.seq != null ? r : null));
  if (!ev || ev.seq == null) return null;
  const copy = { ...ev };
  delete copy.type;
  return copy;
}

/** A random id with a prefix: 17 characters of [A-Za-z0-9_-] (client ids of sends). */
export function randomId(prefix = 'c') {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = prefix;
  for (const b of bytes) out += abc[b & 63];
  return out;
}
