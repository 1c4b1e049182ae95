// The Visitors page (admins, managers, supervisors, greeter agents): who is on the site now,
// one page at a time, filtered, sorted and paged by the server (data/visitors.js), live from
// `visitors.page` frames. A row opens the visitor's journey (pages with times, past visits,
// past chats) with an Invite form (free text or a canned response). The journey's sections are
// also the "On the site" part of a chat's details panel (journeySection, conversation.js).
// Everything a visitor controls (URLs, titles, referrers, names, places) is drawn as text: h().

import { api, get } from './api.js';
import { filterCanned } from './canned.js';
import { fullTime, h, icon, NodeCache, parseTime, reconcile, replaceChildren, clockTime } from './dom.js';
import {
  clockText, deviceText, FILTER_KEYS, inviteErrorText, journeyOf, pathOf, placeText, referrerText, SORTS,
  stateText, STATES, timeOnPage, timeOnSite, visitText, VisitorBoard,
} from './data/visitors.js';

const STATE_LABEL = { none: 'No chat', invited: 'Invited', waiting: 'Waiting', chatting: 'Chatting' };
const COUNTERS = [
  ['online', 'Online now', null], ['chatting', 'Chatting', 'chatting'], ['waiting', 'Waiting', 'waiting'], ['invited', 'Invited', 'invited'],
];

let regionNames = null;
/** "FR" → "France" (the browser's own names); the code itself when it does not know it. */
export function countryName(code) {
  const c = String(code || '').toUpperCase();
  if (!/^[A-Z]{2}$/.test(c)) return c;
  try {
    regionNames = regionNames || new Intl.DisplayNames(['en'], { type: 'region' });
    return regionNames.of(c) || c;
  } catch {
    return c;
  }
}

/** A visitor's name as shown: their name when they gave one, else a short id. */
function who(v) {
  const name = v && typeof v.name === 'string' ? v.name.trim() : '';
  if (name) return name;
  const id = String((v && (v.visitor_id ?? v.id)) ?? '');
  return `Visitor #${id.replace(/^V(?=.{8})/, '').slice(0, 6)}`;
}

/** The host of a URL ("shop.example"), or the text itself. */
function hostOf(url) {
  try { return new URL(String(url)).host; } catch { return String(url ?? ''); }
}

/** Moves the ticking clocks (time on the site, on a page) under `root` to now. */
export function tickClocks(root, now = Date.now()) {
  for (const el of root.querySelectorAll('.vis-tick[data-since]')) {
    const since = Number(el.dataset.since);
    if (el.dataset.since !== '' && Number.isFinite(since)) el.textContent = clockText(now - since);
  }
}

function ticking(since, cls = '') {
  return h('span', { class: `vis-tick ${cls}`.trim(), dataset: { since: String(since ?? '') } }, since == null ? '—' : clockText(Date.now() - since));
}

export class VisitorsPage {
  /** @param {object} data  the data modules  @param {object} act  the App's callbacks (App.viewActions) */
  constructor(data, act) {
    this.data = data;
    this.act = act;
    this.board = new VisitorBoard({
      send: (frame) => act.send(frame),
      fetchPage: (q) => get(`/api/v1/visitors/live?${q}`),
    });
    this.board.subscribe(() => this.render());
    this.nodes = new NodeCache();
    this.open = null; // {id, row, journey, error, invite: {text, canned_id, busy, error, sent}}
    this.timer = 0;
    this.build();
  }

  build() {
    const b = this.board;
    this.statusEl = h('p');
    this.counterEls = {};
    const counters = h('div', { class: 'vis-counters' }, COUNTERS.map(([key, label, state]) => {
      const n = h('strong', null, '0');
      this.counterEls[key] = n;
      return h('button', {
        class: `vis-counter vis-counter-${key}`, type: 'button', dataset: { state: state || '' },
        title: state ? `Show only ${label.toLowerCase()} visitors` : 'Show every visitor',
        onclick: () => { b.setFilter('state', state || ''); this.syncFilters(); },
      }, n, h('span', null, label));
    }));

    const text = (key, label, placeholder, attrs = {}) => {
      const input = h('input', { class: 'input', type: 'search', name: `vis-${key}`, placeholder, autocomplete: 'off', 'aria-label': label, ...attrs });
      let t = 0;
      input.addEventListener('input', () => { clearTimeout(t); t = setTimeout(() => b.setFilter(key, input.value), 300); });
      input.addEventListener('change', () => { clearTimeout(t); b.setFilter(key, input.value); });
      return input;
    };
    const select = (key, label, options) => {
      const sel = h('select', { class: 'input', name: `vis-${key}`, 'aria-label': label, onchange: () => b.setFilter(key, sel.value) },
        options.map(([value, text]) => h('option', { value }, text)));
      return sel;
    };
    this.deptSel = select('department', 'Department', [['', 'All departments']]);
    this.inputs = {
      url: text('url', 'Page URL contains', 'Page URL contains…', { maxlength: '200' }),
      country: text('country', 'Country code', 'Country', { maxlength: '2', size: '4', title: 'A two-letter country code, e.g. FR' }),
      referrer: text('referrer', 'Referrer contains', 'Referrer contains…', { maxlength: '200' }),
      returning: select('returning', 'New or returning', [['', 'New and returning'], ['false', 'New visitors'], ['true', 'Returning visitors']]),
      state: select('state', 'Chat state', [['', 'Any chat state'], ...STATES.map((s) => [s, STATE_LABEL[s]])]),
      department: this.deptSel,
    };
    this.clearBtn = h('button', {
      class: 'btn btn-ghost btn-sm', type: 'button', hidden: true,
      onclick: () => { b.clearFilters(); this.syncFilters(); },
    }, icon('x', 13), 'Clear');
    const filters = h('div', { class: 'vis-filters', role: 'search', 'aria-label': 'Filter visitors' },
      FILTER_KEYS.map((k) => h('span', { class: `vis-f vis-f-${k}` }, this.inputs[k])), this.clearBtn);

    const th = (label, column, cls = null) => {
      if (!column) return h('th', { scope: 'col', class: cls }, label);
      const btn = h('button', { class: 'vis-sort', type: 'button', onclick: () => b.setSort(column) }, label, h('span', { class: 'vis-sort-mark', 'aria-hidden': 'true' }));
      return h('th', { scope: 'col', class: cls, dataset: { sort: column } }, btn);
    };
    this.headRow = h('tr', null,
      th('Visitor', 'visit'), th('Current page', 'page'), th('From', 'country', 'vis-place'), th('Referrer', null, 'vis-col-ref'),
      th('On site', 'time', 'vis-num'), th('Pages', 'pages', 'vis-num vis-col-pages'), th('Chat'));
    this.rows = h('tbody');
    this.emptyEl = h('div', { class: 'vis-empty', hidden: true });
    this.prevBtn = h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => b.goTo(b.page - 1) }, 'Previous');
    this.nextBtn = h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => b.goTo(b.page + 1) }, 'Next');
    this.rangeEl = h('span', { class: 'vis-range' });
    this.pager = h('nav', { class: 'vis-pager', 'aria-label': 'Pages of visitors' }, this.prevBtn, this.rangeEl, this.nextBtn);
    this.panel = h('aside', { class: 'vis-journey', hidden: true, 'aria-label': 'Visitor journey' });

    this.root = h('section', { class: 'settings visitors', 'aria-label': 'Visitors' },
      h('header', { class: 'settings-head' },
        h('div', { class: 'settings-title' },
          h('span', { class: 'settings-icon' }, icon('users', 18)),
          h('div', null, h('h1', null, 'Visitors'), this.statusEl)),
        h('button', { class: 'btn btn-secondary btn-sm vis-back', type: 'button', onclick: () => this.act.leaveScreen(true) },
          icon('arrowLeft', 15), 'Back to chats')),
      h('div', { class: 'vis-body' },
        h('div', { class: 'vis-main' },
          counters, filters,
          h('div', { class: 'vis-table-wrap' },
            h('table', { class: 'vis-table' }, h('thead', null, this.headRow), this.rows)),
          this.emptyEl, this.pager),
        this.panel));
  }

  /** Shown: ask for the page and its updates (again after a reconnect: App.onWelcome). */
  start() {
    this.fillDepartments();
    this.data.directory.loadDepartments().then(() => this.fillDepartments(), () => {});
    this.board.start();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), 1000);
    this.render();
  }

  stop() {
    this.board.stop();
    clearInterval(this.timer);
    this.timer = 0;
  }

  /** Frames while shown; true when the frame was only for this page. */
  onFrame(f) { return this.board.applyFrame(f); }

  fillDepartments() {
    const depts = [...(this.data.directory.departments || [])].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const sig = JSON.stringify(depts.map((d) => [d.id, d.name]));
    if (sig === this.deptSig) return;
    this.deptSig = sig;
    replaceChildren(this.deptSel, h('option', { value: '' }, 'All departments'), depts.map((d) => h('option', { value: String(d.id) }, d.name)));
    this.deptSel.value = this.board.filter.department;
    this.deptSel.parentNode.hidden = depts.length < 2 && !this.board.filter.department;
  }

  /** The inputs show the board's filter (after Clear, or a counter clicked). */
  syncFilters() {
    for (const k of FILTER_KEYS) if (this.inputs[k].value !== this.board.filter[k]) this.inputs[k].value = this.board.filter[k];
  }

  render() {
    if (!this.root.isConnected) return;
    const b = this.board;
    for (const [key] of COUNTERS) this.counterEls[key].textContent = String(b.counters[key] ?? 0);
    for (const btn of this.root.querySelectorAll('.vis-counter')) {
      btn.classList.toggle('active', (btn.dataset.state || '') === b.filter.state && (b.filter.state !== '' || !b.filtered));
    }
    this.statusEl.textContent = b.state === 'loading' ? 'Loading…' : b.state === 'error' ? 'Not live'
      : b.state === 'polled' ? 'Not live: reconnecting…' : 'Who is on the site now — live';
    for (const cell of this.headRow.querySelectorAll('th[data-sort]')) {
      const on = b.sort.column === cell.dataset.sort;
      cell.setAttribute('aria-sort', on ? (b.sort.desc ? 'descending' : 'ascending') : 'none');
      cell.querySelector('.vis-sort-mark').textContent = on ? (b.sort.desc ? '↓' : '↑') : '';
    }
    this.clearBtn.hidden = !b.filtered;
    reconcile(this.rows, b.items.map((v) => this.nodes.get(`v:${v.visitor_id}`,
      JSON.stringify([v, this.open && this.open.id === v.visitor_id]), () => this.row(v), { morph: true })));
    this.nodes.sweep();
    this.emptyEl.hidden = b.items.length > 0 && b.state !== 'error';
    this.emptyEl.textContent = b.state === 'error' ? b.error : b.state === 'loading' ? 'Loading…'
      : b.filtered ? 'No visitor on the site matches these filters.' : 'Nobody is on the site right now.';
    this.pager.hidden = b.total <= b.pageSize && b.page === 1;
    this.rangeEl.textContent = `${b.rangeText()} · page ${b.page} of ${b.pages}`;
    this.prevBtn.disabled = b.page <= 1;
    this.nextBtn.disabled = b.page >= b.pages;
    if (this.open) {
      const row = b.items.find((v) => v.visitor_id === this.open.id);
      if (row && JSON.stringify(row) !== JSON.stringify(this.open.row)) { this.open.row = row; this.renderPanel(); }
    }
  }

  row(v) {
    const page = v.page || {};
    const since = parseTime(v.started_at);
    const pageSince = parseTime(page.since);
    const state = v.state || 'none';
    // rows are morphed in place (their listeners stay): handlers read the visitor's current row
    const current = () => this.board.items.find((x) => x.visitor_id === v.visitor_id) || v;
    const open = () => this.openJourney(current());
    return h('tr', {
      class: `vis-row st-${state}${this.open && this.open.id === v.visitor_id ? ' selected' : ''}`, tabindex: '0',
      dataset: { visitor: String(v.visitor_id) }, title: 'Open this visitor’s journey',
      onclick: open, onkeydown: (e) => { if (e.key === 'Enter' && e.target === e.currentTarget) open(); },
    },
    h('td', { class: 'vis-who' }, h('span', { class: 'vis-name' }, who(v)), h('span', { class: 'vis-sub' }, visitText(v))),
    h('td', { class: 'vis-page' },
      h('span', { class: 'vis-title', title: page.title || page.url || '' }, page.title || pathOf(page.url) || '—'),
      h('span', { class: 'vis-url', title: page.url || '' }, page.title ? pathOf(page.url) : hostOf(page.url)),
      pageSince != null ? h('span', { class: 'vis-sub' }, 'for ', ticking(pageSince)) : null),
    h('td', { class: 'vis-place', dataset: { label: 'From' } }, h('span', { class: 'vis-line' }, placeText(v, countryName)),
      h('span', { class: 'vis-sub', title: 'Browser · system · device' }, deviceText(v))),
    h('td', { class: 'vis-ref vis-col-ref', title: v.referrer || 'No referrer', dataset: { label: 'Referrer' } }, referrerText(v.referrer)),
    h('td', { class: 'vis-num', dataset: { label: 'On site' } }, ticking(since)),
    h('td', { class: 'vis-num vis-col-pages', dataset: { label: 'Pages' } }, String(v.pages ?? 0)),
    h('td', { class: 'vis-chat' }, state === 'none' ? h('button', {
      class: 'btn btn-secondary btn-sm', type: 'button', 'aria-label': `Invite ${who(v)}`,
      onclick: (e) => { e.stopPropagation(); this.openJourney(current(), { invite: true }); },
    }, 'Invite') : h('span', { class: `vis-state vis-state-${state}` }, stateText(v))));
  }

  tick() {
    if (this.root.isConnected) tickClocks(this.root);
  }

  // ---- the journey and the invitation ---------------------------------------------------
  async openJourney(v, { invite = false } = {}) {
    const id = v.visitor_id;
    if (!this.open || this.open.id !== id) {
      this.open = { id, row: v, journey: null, error: null, invite: { text: '', canned: null, busy: false, error: null, sent: null, shown: invite } };
      this.render();
      this.renderPanel();
      this.loadJourney(id);
    } else if (invite) {
      this.open.invite.shown = true;
      this.renderPanel();
    }
    if (invite) setTimeout(() => { const t = this.panel.querySelector('textarea'); if (t) t.focus(); }, 0);
  }

  async loadJourney(id) {
    try {
      const r = await get(`/api/v1/visitors/${encodeURIComponent(id)}/journey`);
      if (this.open && this.open.id === id) { this.open.journey = journeyOf(r); this.open.error = null; }
    } catch (err) {
      if (this.open && this.open.id === id) this.open.error = err.status === 404 ? 'This visitor is no longer known.' : err.message;
    }
    if (this.open && this.open.id === id) this.renderPanel();
  }

  closeJourney() {
    this.open = null;
    this.panel.hidden = true;
    this.root.classList.remove('with-journey');
    this.render();
  }

  renderPanel() {
    const o = this.open;
    if (!o) { this.panel.hidden = true; return; }
    this.panel.hidden = false;
    this.root.classList.add('with-journey');
    const v = o.row;
    const j = o.journey;
    const body = [];
    if (o.error) body.push(h('p', { class: 'field-msg', role: 'alert' }, icon('alert', 13), h('span', null, o.error)));
    else if (!j) body.push(h('p', { class: 'muted' }, 'Loading the journey…'));
    else body.push(...journeyParts(j, this.act, { current: v }));
    replaceChildren(this.panel,
      h('div', { class: 'vis-journey-head' },
        h('div', null, h('h2', null, who(v)), h('p', { class: 'muted small' }, `${visitText(v)} · ${placeText(v, countryName)} · ${deviceText(v)}`)),
        h('button', { class: 'btn btn-icon btn-ghost', type: 'button', 'aria-label': 'Close the journey', title: 'Close', onclick: () => this.closeJourney() }, icon('x', 16))),
      this.inviteBox(),
      h('div', { class: 'vis-journey-body' }, body));
  }

  inviteBox() {
    const o = this.open;
    const inv = o.invite;
    const v = o.row;
    if (v.state && v.state !== 'none' && !inv.sent) {
      return h('div', { class: 'vis-invite vis-invite-note' }, icon('info', 14), h('span', null, stateText(v)));
    }
    if (inv.sent) {
      return h('div', { class: 'vis-invite vis-invite-sent', role: 'status' }, icon('check', 14),
        h('span', null, 'Invitation sent. It shows in the visitor’s chat window until they answer or it expires.'));
    }
    if (!inv.shown) {
      return h('div', { class: 'vis-invite' }, h('button', {
        class: 'btn btn-primary btn-sm', type: 'button', onclick: () => { inv.shown = true; this.renderPanel(); this.panel.querySelector('textarea').focus(); },
      }, icon('chat', 14), 'Invite to chat'));
    }
    const text = h('textarea', {
      class: 'input vis-invite-text', rows: '3', maxlength: '2000', 'aria-label': 'Invitation message',
      placeholder: 'Hi! Can I help you find something?',
    });
    text.value = inv.canned ? '' : inv.text;
    text.disabled = !!inv.canned || inv.busy;
    text.addEventListener('input', () => { inv.text = text.value; inv.error = null; msg.hidden = true; });
    const msg = h('div', { class: 'field-msg', role: 'alert', hidden: !inv.error }, icon('alert', 13), h('span', null, inv.error || ''));
    const chosen = inv.canned
      ? h('div', { class: 'vis-canned-chosen' }, icon('reply', 13), h('span', null, inv.canned.title || inv.canned.shortcut || 'Canned response'),
        h('button', { class: 'linkbtn', type: 'button', onclick: () => { inv.canned = null; this.renderPanel(); } }, 'Write my own'))
      : null;
    const send = h('button', { class: 'btn btn-primary btn-sm', type: 'button', disabled: inv.busy, onclick: () => this.sendInvite() },
      icon('send', 14), inv.busy ? 'Sending…' : 'Send invitation');
    return h('div', { class: 'vis-invite vis-invite-form' },
      h('h3', null, 'Invite to chat'),
      chosen || text,
      inv.canned ? null : cannedChooser((item) => { inv.canned = item; inv.error = null; this.renderPanel(); }),
      msg,
      h('div', { class: 'vis-invite-bar' },
        h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => { inv.shown = false; inv.error = null; this.renderPanel(); } }, 'Cancel'),
        send));
  }

  async sendInvite() {
    const o = this.open;
    if (!o) return;
    const inv = o.invite;
    const body = inv.canned ? { canned_id: inv.canned.id } : { text: inv.text.trim() };
    if (!inv.canned && !body.text) { inv.error = 'Write a message, or pick a canned response.'; this.renderPanel(); return; }
    const dept = this.board.filter.department ? Number(this.board.filter.department) : o.row.department_id;
    if (dept != null) body.department_id = dept;
    inv.busy = true;
    inv.error = null;
    this.renderPanel();
    try {
      inv.sent = await api('POST', `/api/v1/visitors/${encodeURIComponent(o.id)}/invitations`, body);
    } catch (err) {
      if (err.status === 401) return;
      inv.error = inviteErrorText(err);
    } finally {
      inv.busy = false;
      if (this.open === o) this.renderPanel();
    }
  }
}

/** A small canned-response chooser: type to filter (canned.js's order), click to use one. */
function cannedChooser(onPick) {
  const list = h('ul', { class: 'vis-canned-list', role: 'listbox', 'aria-label': 'Canned responses' });
  const q = h('input', { class: 'input', type: 'search', placeholder: 'Or search canned responses…', 'aria-label': 'Search canned responses', autocomplete: 'off' });
  let items = null;
  const draw = () => {
    if (items == null) { replaceChildren(list); return; }
    const shown = filterCanned(items, q.value).slice(0, 6);
    replaceChildren(list, shown.length ? shown.map((c) => h('li', null, h('button', {
      class: 'vis-canned', type: 'button', role: 'option', 'aria-selected': 'false', onclick: () => onPick(c),
    }, c.shortcut ? h('kbd', null, `#${c.shortcut}`) : null, h('span', null, c.title || ''), h('span', { class: 'muted small vis-canned-body' }, c.body || c.text || ''))))
      : h('li', { class: 'muted small' }, 'No canned response matches.'));
  };
  q.addEventListener('focus', async () => {
    if (items != null) return;
    try {
      const r = await get('/api/v1/canned');
      items = Array.isArray(r && r.canned) ? r.canned : [];
    } catch {
      items = [];
    }
    draw();
  });
  q.addEventListener('input', draw);
  return h('div', { class: 'vis-canned-pick' }, q, list);
}

/**
 * The journey's parts: this visit's pages with times, earlier visits, past chats (they open in
 * the Archive), and where from / on what. `current`: the live row, when known.
 */
export function journeyParts(j, act, { current = null, compact = false, excludeChat = null } = {}) {
  const visits = j.visits || [];
  const now = visits.find((v) => v.ongoing) || null;
  const earlier = visits.filter((v) => v !== now);
  const pageList = (pages) => h('ol', { class: 'vis-pages' }, pages.map((p) => h('li', { class: p.current ? 'current' : null },
    h('span', { class: 'vis-pages-time' }, p.at != null ? clockTime(p.at) : ''),
    h('span', { class: 'vis-pages-what' },
      h('span', { class: 'vis-pages-title', title: p.url || '' }, p.title || pathOf(p.url) || '—'),
      h('span', { class: 'vis-url', title: p.url || '' }, pathOf(p.url))),
    h('span', { class: 'vis-pages-ms' }, p.current ? ticking(p.at, 'vis-now') : p.ms != null ? clockText(p.ms) : ''))));
  const parts = [];
  const loc = now || current || visits[0] || null;
  if (loc) {
    const kv = (label, value) => h('div', { class: 'kv' }, h('dt', null, label), h('dd', null, value || '—'));
    parts.push(h('div', { class: 'details-section vis-where' },
      h('h3', null, 'Location and device'),
      h('dl', null,
        kv('Location', placeText(loc, countryName)),
        kv('Device', deviceText(loc)),
        loc.language ? kv('Language', String(loc.language)) : null,
        kv('Referrer', referrerText(loc.referrer)))));
  }
  parts.push(h('div', { class: 'details-section' },
    h('h3', null, now ? `This visit · ${now.pages.length} page${now.pages.length === 1 ? '' : 's'}` : 'This visit'),
    now && now.pages.length ? pageList(now.pages) : h('p', { class: 'details-muted' }, now ? 'No page seen yet.' : 'Not on the site now.')));
  const shownVisits = compact ? earlier.slice(0, 3) : earlier;
  parts.push(h('div', { class: 'details-section' },
    h('h3', null, `Earlier visits · ${earlier.length}`),
    earlier.length ? h('ul', { class: 'vis-visits' }, shownVisits.map((v) => h('li', null,
      h('details', null,
        h('summary', null,
          h('span', null, `Visit ${v.number || ''}`.trim()), ' ',
          h('span', { class: 'muted small' }, `${fullTime(parseTime(v.started_at))} · ${v.pages.length} page${v.pages.length === 1 ? '' : 's'}`)),
        v.pages.length ? pageList(v.pages) : null))))
      : h('p', { class: 'details-muted' }, 'None: this is their first visit.'),
    compact && earlier.length > shownVisits.length ? h('p', { class: 'details-muted' }, `and ${earlier.length - shownVisits.length} more`) : null));
  const chats = (j.chats || []).filter((c) => c.id !== excludeChat);
  parts.push(h('div', { class: 'details-section' },
    h('h3', null, `Past chats · ${chats.length}`),
    chats.length ? h('ul', { class: 'vis-chats' }, chats.map((c) => h('li', null,
      h('button', { class: 'linkbtn', type: 'button', title: 'Read the transcript', onclick: () => (c.status === 'closed' ? act.showArchive(c.id) : act.openChat(c.id)) },
        `Chat #${c.id}`),
      h('span', { class: 'muted small' }, ` ${fullTime(parseTime(c.created_at))}${c.agent && c.agent.name ? ` · ${c.agent.name}` : ''}${c.status && c.status !== 'closed' ? ` · ${c.status === 'queued' ? 'waiting' : c.status}` : ''}`))))
      : h('p', { class: 'details-muted' }, 'No earlier chat.')));
  return parts;
}

// ---- the chat's details panel (conversation.js): the visitor's journey, read once per chat -----
const journeys = new Map(); // visitor id -> {at, journey, error, loading}
const JOURNEY_FRESH_MS = 30000;

/** The "On the site" sections of a chat's details, for agents in a chat; null before the first read. */
export function journeySection(data, act, conv, redraw) {
  const s = conv.summary;
  const vid = s && s.visitor && s.visitor.id;
  if (vid == null) return null;
  let entry = journeys.get(vid);
  if (!entry || (!entry.loading && Date.now() - entry.at > JOURNEY_FRESH_MS)) {
    entry = entry || { at: 0, journey: null, error: null, loading: false };
    journeys.set(vid, entry);
    entry.loading = true;
    get(`/api/v1/visitors/${encodeURIComponent(vid)}/journey`).then((r) => {
      entry.journey = journeyOf(r);
      entry.error = null;
    }, (err) => {
      entry.error = err.status === 403 || err.status === 404 ? 'hidden' : err.message;
    }).finally(() => {
      entry.loading = false;
      entry.at = Date.now();
      redraw();
    });
  }
  if (entry.error === 'hidden') return null; // no journey for this chat's visitor (or not allowed)
  if (!entry.journey) {
    return h('div', { class: 'details-section vis-onsite', dataset: { section: 'journey' } },
      h('h3', null, 'On the site'), h('p', { class: 'details-muted' }, entry.error || 'Loading…'));
  }
  const j = entry.journey;
  if (!j.visits.length && !j.chats.some((x) => x.id !== conv.id)) {
    return h('div', { class: 'details-section vis-onsite', dataset: { section: 'journey' } },
      h('h3', null, 'On the site'), h('p', { class: 'details-muted' }, 'No visits of theirs are known (tracking may be off).'));
  }
  return h('div', { class: 'vis-onsite', dataset: { section: 'journey' } }, journeyParts(j, act, { compact: true, excludeChat: conv.id }));
}
