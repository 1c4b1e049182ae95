// Small DOM and formatting helpers. Nothing here ever parses HTML: every string that reaches
// the page goes through textContent / createTextNode / setAttribute.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value == null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = value;
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value);
      } else if (value === true) el.setAttribute(key, '');
      else el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/**
 * Makes `parent`'s children exactly `nodes`, moving as little as possible: nodes already in
 * place stay untouched, so clicks in progress and text selections survive live updates.
 */
export function reconcile(parent, nodes) {
  let cur = parent.firstChild;
  for (const node of nodes) {
    if (node === cur) {
      cur = cur.nextSibling;
      continue;
    }
    parent.insertBefore(node, cur);
  }
  while (cur) {
    const next = cur.nextSibling;
    parent.removeChild(cur);
    cur = next;
  }
}

/**
 * Makes `old` look like `fresh` while keeping every element of `old` whose tag still matches, so
 * a click that is half done (mouse down, a live update, mouse up) lands on the same element and
 * still fires. Listeners stay those of `old`: only morph nodes whose handlers depend on the
 * node's identity (a chat id), not on the data it showed. Returns the node now in place.
 */
export function morph(old, fresh) {
  if (old.nodeType !== fresh.nodeType || old.nodeName !== fresh.nodeName
    || (old.nodeType !== Node.ELEMENT_NODE && old.nodeType !== Node.TEXT_NODE)) {
    if (old.parentNode) old.parentNode.replaceChild(fresh, old);
    return fresh;
  }
  if (old.nodeType === Node.TEXT_NODE) {
    if (old.data !== fresh.data) old.data = fresh.data;
    return old;
  }
  for (const a of [...old.attributes]) if (!fresh.hasAttribute(a.name)) old.removeAttribute(a.name);
  for (const a of fresh.attributes) if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
  const was = [...old.childNodes];
  const now = [...fresh.childNodes];
  now.forEach((child, i) => { if (i < was.length) morph(was[i], child); else old.appendChild(child); });
  for (const extra of was.slice(now.length)) old.removeChild(extra);
  return old;
}

/** A cache of built nodes keyed by identity and rebuilt only when their signature changes. */
export class NodeCache {
  constructor() { this.map = new Map(); this.used = new Set(); }
  /** With `{ morph: true }` a changed node is updated in place (see morph) instead of replaced. */
  get(key, sig, build, opts = null) {
    this.used.add(key);
    const hit = this.map.get(key);
    if (hit && hit.sig === sig) return hit.node;
    const built = build();
    const node = hit && opts && opts.morph ? morph(hit.node, built) : built;
    this.map.set(key, { sig, node });
    return node;
  }
  /** Forgets nodes not requested since the last sweep. */
  sweep() {
    for (const key of this.map.keys()) if (!this.used.has(key)) this.map.delete(key);
    this.used.clear();
  }
}

export function replaceChildren(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// --- icons: static, trusted path data, built with the SVG DOM API -------------------------
const SVG_NS = 'http://www.w3.org/2000/svg';
const ICONS = {
  clip: ['M20.5 11.5l-8.6 8.6a5.3 5.3 0 0 1-7.5-7.5l8.6-8.6a3.5 3.5 0 0 1 5 5l-8.6 8.6a1.8 1.8 0 0 1-2.5-2.5l7.9-7.9'],
  file: ['M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8Z', 'M14 3v5h5', 'M9 13h6', 'M9 17h6'],
  camera: ['M4 8h3l2-3h6l2 3h3a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V9a1 1 0 0 1 1-1Z', 'M12 17a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7Z'],
  send: ['M4 12 20 4l-6 16-3-7-7-1Z', 'M11 13l9-9'],
  check: ['M5 12.5 10 17l9-10'],
  checks: ['M2 12.5 6.5 17 15 7', 'M10.5 16l1 1L20 7'],
  x: ['M6 6l12 12', 'M18 6 6 18'],
  logout: ['M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3', 'M10 17l-5-5 5-5', 'M5 12h11'],
  inbox: ['M4 13h4l2 3h4l2-3h4', 'M4 13 6.5 5.5A2 2 0 0 1 8.4 4h7.2a2 2 0 0 1 1.9 1.5L20 13v5a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2Z'],
  archive: ['M3 5h18v4H3Z', 'M5 9v9a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V9', 'M10 13h4'],
  clock: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Z', 'M12 7v5l3 2'],
  download: ['M12 4v11', 'M7 10l5 5 5-5', 'M5 20h14'],
  volume: ['M4 9h4l5-4v14l-5-4H4Z', 'M16.5 8.5a5 5 0 0 1 0 7', 'M19 6a8.5 8.5 0 0 1 0 12'],
  mute: ['M4 9h4l5-4v14l-5-4H4Z', 'M17 9.5l5 5', 'M22 9.5l-5 5'],
  bell: ['M6 16V11a6 6 0 1 1 12 0v5l2 2H4Z', 'M10 20a2 2 0 0 0 4 0'],
  info: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Z', 'M12 11v5', 'M12 8h.01'],
  alert: ['M12 3 2 20h20Z', 'M12 10v4', 'M12 17h.01'],
  retry: ['M4 12a8 8 0 0 1 14-5.3L20 9', 'M20 4v5h-5', 'M20 12a8 8 0 0 1-14 5.3L4 15', 'M4 20v-5h5'],
  chat: ['M4 5h16v11H9l-5 4Z'],
  lock: ['M6 11h12v9H6Z', 'M8.5 11V8a3.5 3.5 0 0 1 7 0v3'],
  panel: ['M4 5h16v14H4Z', 'M15 5v14'],
  user: ['M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Z', 'M4 20a8 8 0 0 1 16 0'],
  arrowDown: ['M12 5v14', 'M6 13l6 6 6-6'],
  arrowLeft: ['M19 12H5', 'M11 6l-6 6 6 6'],
  chevronDown: ['M6 9l6 6 6-6'],
  gear: ['M12.22 2h-.44a2 2 0 0 0-2 2v.18a2 2 0 0 1-1 1.73l-.43.25a2 2 0 0 1-2 0l-.15-.08a2 2 0 0 0-2.73.73l-.22.38a2 2 0 0 0 .73 2.73l.15.1a2 2 0 0 1 1 1.72v.51a2 2 0 0 1-1 1.74l-.15.09a2 2 0 0 0-.73 2.73l.22.38a2 2 0 0 0 2.73.73l.15-.08a2 2 0 0 1 2 0l.43.25a2 2 0 0 1 1 1.73V20a2 2 0 0 0 2 2h.44a2 2 0 0 0 2-2v-.18a2 2 0 0 1 1-1.73l.43-.25a2 2 0 0 1 2 0l.15.08a2 2 0 0 0 2.73-.73l.22-.39a2 2 0 0 0-.73-2.73l-.15-.08a2 2 0 0 1-1-1.74v-.5a2 2 0 0 1 1-1.74l.15-.09a2 2 0 0 0 .73-2.73l-.22-.38a2 2 0 0 0-2.73-.73l-.15.08a2 2 0 0 1-2 0l-.43-.25a2 2 0 0 1-1-1.73V4a2 2 0 0 0-2-2Z', 'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6Z'],
  mail: ['M4 6h16a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1Z', 'M3.5 7 12 13l8.5-6'],
  reply: ['M9 14 4 9l5-5', 'M4 9h11a5 5 0 0 1 5 5v6'],
  transfer: ['M4 8h15', 'M15 4l4 4-4 4', 'M20 16H5', 'M9 12l-4 4 4 4'],
  note: ['M4 20h4L19 9l-4-4L4 16Z', 'M13.5 6.5l4 4'],
  plus: ['M12 5v14', 'M5 12h14'],
  trash: ['M4 7h16', 'M10 11v6', 'M14 11v6', 'M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12', 'M9 7V4h6v3'],
  users: ['M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8Z', 'M2 21a7 7 0 0 1 14 0', 'M16 3.5a4 4 0 0 1 0 7', 'M18.5 14.5A7 7 0 0 1 22 21'],
  layers: ['M12 3 2 8l10 5 10-5Z', 'M2 13l10 5 10-5'],
  escalate: ['M12 20V6', 'M6 11l6-6 6 6', 'M5 3h14'],
  tag: ['M3 12.6V4a1 1 0 0 1 1-1h8.6l8.4 8.4a1.4 1.4 0 0 1 0 2L13.4 21a1.4 1.4 0 0 1-2 0Z', 'M7.5 7.5h.01'],
  keyboard: ['M3 6h18v12H3Z', 'M7 10h.01', 'M11 10h.01', 'M15 10h.01', 'M17 14H7'],
  eye: ['M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12Z', 'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6Z'],
  star: ['M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9Z'],
  whisper: ['M4 5h16v11H9l-5 4Z', 'M8 10h.01', 'M12 10h.01', 'M16 10h.01'],
  search: ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14Z', 'M20 20l-4-4'],
  chart: ['M4 4v16h16', 'M8 16v-4', 'M12 16V8', 'M16 16v-6', 'M20 16V5'],
};

export function icon(name, size = 16) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '1.8');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('icon');
  for (const d of ICONS[name] || []) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
  }
  return svg;
}

// --- identity ---------------------------------------------------------------------------------
export function shortVisitorId(id) {
  const s = String(id ?? '');
  const core = s.length > 8 && s[0] === 'V' ? s.slice(1) : s;
  return core.length > 6 ? core.slice(0, 6) : core;
}

export function visitorName(summary) {
  const v = summary && summary.visitor;
  const name = v && typeof v.name === 'string' ? v.name.trim() : '';
  if (name) return name;
  if (v && v.id != null) return `Visitor #${shortVisitorId(v.id)}`;
  return summary && summary.id != null ? `Visitor #${summary.id}` : 'Visitor';
}

export function initials(name) {
  const s = String(name || '').trim();
  if (!s) return '?';
  if (s.startsWith('Visitor #')) return 'V';
  const parts = s.split(/\s+/).filter(Boolean);
  const words = parts.filter((p) => /^\p{L}/u.test(p));
  const use = words.length ? words : parts;
  const first = Array.from(use[0] || '')[0] || '';
  const last = use.length > 1 ? Array.from(use[use.length - 1])[0] || '' : '';
  return (first + last).toUpperCase() || '?';
}

const HUES = [212, 262, 172, 24, 330, 142, 196, 45];
export function hueFor(key) {
  const s = String(key ?? '');
  let x = 0;
  for (let i = 0; i < s.length; i++) x = (x * 31 + s.charCodeAt(i)) >>> 0;
  return HUES[x % HUES.length];
}

export function avatar(name, key, size = 'md') {
  const el = h('span', { class: `avatar avatar-${size}`, 'aria-hidden': 'true' }, initials(name));
  el.style.setProperty('--hue', String(hueFor(key ?? name)));
  return el;
}

// --- time -------------------------------------------------------------------------------------
export { parseTime } from './data/util.js';

/** "<1m", "2m", "1h 5m", "3d" — for waiting time. */
export function duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const m = Math.floor(ms / 60000);
  if (m < 1) return '<1m';
  if (m < 60) return `${m}m`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return m % 60 ? `${hrs}h ${m % 60}m` : `${hrs}h`;
  return `${Math.floor(hrs / 24)}d`;
}

/** "now", "5m", "3h", "Mon", "Nov 3" — for list timestamps. */
export function ago(ts, now = Date.now()) {
  if (ts == null) return '';
  const diff = Math.max(0, now - ts);
  if (diff < 60000) return 'now';
  if (diff < 3600000) return `${Math.floor(diff / 60000)}m`;
  if (diff < 86400000) return `${Math.floor(diff / 3600000)}h`;
  const d = new Date(ts);
  if (diff < 6 * 86400000) return d.toLocaleDateString(undefined, { weekday: 'short' });
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export function clockTime(ts) {
  if (ts == null) return '';
  return new Date(ts).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

export function fullTime(ts) {
  if (ts == null) return '';
  return new Date(ts).toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
  });
}

export function dayLabel(ts, now = Date.now()) {
  const d = new Date(ts);
  const today = new Date(now);
  const startOf = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(today) - startOf(d)) / 86400000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const opts = { weekday: 'long', month: 'short', day: 'numeric' };
  if (d.getFullYear() !== today.getFullYear()) opts.year = 'numeric';
  return d.toLocaleDateString(undefined, opts);
}

export function dayKey(ts) {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

// --- departments and availability ----------------------------------------------------------
/** A small tag naming a chat's department (the name is server data: text only). */
export function deptTag(dept, { small = false } = {}) {
  if (!dept || !(dept.name || dept.slug)) return null;
  const name = String(dept.name || dept.slug);
  const el = h('span', { class: `dept-tag${small ? ' dept-tag-sm' : ''}`, title: `Department: ${name}` }, name);
  el.style.setProperty('--hue', String(hueFor(dept.slug || name)));
  return el;
}

export const STATUS_LABELS = { online: 'Online', away: 'Away', offline: 'Offline' };

export function statusDot(status, extra = '') {
  const s = STATUS_LABELS[status] ? status : 'offline';
  return h('i', { class: `sdot sdot-${s}${extra ? ` ${extra}` : ''}`, 'aria-hidden': 'true' });
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** A mailto: link target; the address is percent-encoded so it cannot add headers. */
export function mailto(address, { subject, body } = {}) {
  const to = encodeURIComponent(String(address || '').trim()).replace(/%40/g, '@');
  const q = [];
  if (subject) q.push(`subject=${encodeURIComponent(subject)}`);
  if (body) q.push(`body=${encodeURIComponent(body)}`);
  return `mailto:${to}${q.length ? `?${q.join('&')}` : ''}`;
}

// --- misc -------------------------------------------------------------------------------------
export { randomId } from './data/util.js';

export function oneLine(text, max = 140) {
  const s = String(text ?? '').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
