// The Monitor page (supervisors, managers, admins): every ongoing chat of the departments you
// supervise, live — who handles it, how long the visitor has waited, the last message. Opening a
// row follows that chat read-only (supervise.js). The Reviews page: your reviews, the team's
// average scores, and the departments' scorecards.

import { api, get } from './api.js';
import { avatar, duration, fullTime, h, icon, oneLine, parseTime, reconcile, replaceChildren, visitorName, NodeCache } from './dom.js';
import { MonitorBoard, waitStart } from './data/monitor.js';
import { isLead, reviewCard } from './supervise.js';

export class MonitorPage {
  /** @param {object} data  the data modules  @param {object} act  the App's callbacks (App.viewActions) */
  constructor(data, act) {
    this.data = data;
    this.act = act;
    this.board = new MonitorBoard(); // the data (data/monitor.js)
    this.board.subscribe(() => this.render());
    this.nodes = new NodeCache();
    this.filterSel = h('select', {
      class: 'mini-select', 'aria-label': 'Department', onchange: () => this.board.setFilter(this.filterSel.value),
    });
    this.countEl = h('p');
    this.rows = h('tbody');
    this.emptyEl = h('div', { class: 'monitor-empty', hidden: true });
    this.root = h('section', { class: 'settings monitor', 'aria-label': 'Monitor' },
      h('header', { class: 'settings-head' },
        h('div', { class: 'settings-title' },
          h('span', { class: 'settings-icon' }, icon('eye', 18)),
          h('div', null, h('h1', null, 'Monitor'), this.countEl)),
        h('span', { class: 'stabs' }, this.filterSel, pageTabs(data, act, 'monitor')),
        h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => act.leaveScreen(true) },
          icon('arrowLeft', 15), 'Back to chats')),
      h('div', { class: 'monitor-body' },
        h('table', { class: 'monitor-table' },
          h('thead', null, h('tr', null,
            h('th', null, 'Visitor'), h('th', null, 'Department'), h('th', null, 'Agent'),
            h('th', null, 'Status'), h('th', null, 'Waiting'), h('th', null, 'Last message'))),
          this.rows),
        this.emptyEl));
  }

  /** Shown: ask the socket for the list and live updates (again after a reconnect). */
  start() {
    this.board.loading();
    if (!this.act.send({ type: 'monitor.start' })) this.loadOverHttp(); // the socket catches up on welcome
  }

  stop() { this.act.send({ type: 'monitor.stop' }); }

  async loadOverHttp() {
    try {
      this.board.fill(await get('/api/v1/monitor/chats'));
    } catch (err) {
      this.board.failed(err.status === 403 ? 'Only supervisors, managers and admins can monitor chats.' : err.message);
    }
  }

  /** Frames while shown; true when the frame was only for this page. */
  onFrame(f) {
    return this.board.applyFrame(f, (id) => this.data.conversations.has(id) || this.data.chats.has(id));
  }

  render() {
    if (!this.root.isConnected) return;
    const board = this.board;
    const depts = [...board.departments].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const sig = JSON.stringify(depts.map((d) => d.id));
    if (sig !== this.deptSig) {
      this.deptSig = sig;
      replaceChildren(this.filterSel, h('option', { value: '' }, 'All my departments'),
        depts.map((d) => h('option', { value: String(d.id) }, d.name)));
      this.filterSel.value = board.filter;
    }
    this.filterSel.hidden = depts.length < 2;
    const shown = board.shown();
    const queued = shown.filter((c) => c.status === 'queued').length;
    this.countEl.textContent = board.state === 'loading' ? 'Loading…'
      : `${shown.length} ongoing · ${queued} waiting · ${shown.length - queued} in progress — live`;
    reconcile(this.rows, shown.map((c) => this.nodes.get(`m:${c.id}`, JSON.stringify(c), () => this.row(c))));
    this.nodes.sweep();
    this.emptyEl.hidden = shown.length > 0 && board.state !== 'error';
    this.emptyEl.textContent = board.state === 'error' ? board.error : board.state === 'loading' ? 'Loading…' : 'No ongoing chats right now.';
    this.tick();
  }

  row(c) {
    const name = visitorName(c);
    const agent = c.assignee ? c.assignee.name : null;
    const people = (c.participants || []).map((p) => p.name).filter(Boolean);
    const last = c.last_message;
    const preview = h('span', { class: 'monitor-preview' });
    preview.textContent = last && last.text ? `${last.author === 'agent' ? 'Agent: ' : ''}${oneLine(last.text, 120)}` : '—';
    const since = waitStart(c);
    return h('tr', {
      class: `monitor-row st-${c.status}`, tabindex: '0', dataset: { chat: String(c.id) },
      title: 'Open and follow this chat (read-only)',
      onclick: () => this.act.openChat(c.id, c),
      onkeydown: (e) => { if (e.key === 'Enter') this.act.openChat(c.id, c); },
    },
    h('td', null, h('span', { class: 'monitor-visitor' }, avatar(name, c.visitor && c.visitor.id, 'sm'), h('span', null, name))),
    h('td', null, (c.department && c.department.name) || '—'),
    h('td', null, agent || h('span', { class: 'muted' }, 'Nobody yet'),
      people.length ? h('span', { class: 'monitor-people', title: 'Joined' }, ` + ${people.join(', ')}`) : null),
    h('td', null, h('span', { class: `pill pill-${c.status}` }, c.status === 'queued' ? 'Waiting' : 'Active')),
    h('td', null, c.status === 'queued'
      ? h('span', { class: 'wait', dataset: { since: String(since) } }, icon('clock', 12), h('span', { class: 'wait-text' }, duration(Date.now() - since)))
      : h('span', { class: 'muted', title: 'How long the visitor waited for an agent' },
        `waited ${duration(Math.max(0, (parseTime(c.assigned_at) || since) - since))}`)),
    h('td', null, preview));
  }

  tick() {
    const now = Date.now();
    for (const el of this.rows.querySelectorAll('.wait[data-since]')) {
      const ms = now - Number(el.dataset.since);
      el.querySelector('.wait-text').textContent = duration(ms);
      el.classList.toggle('late', ms > 10 * 60000);
      el.classList.toggle('warn', ms > 3 * 60000 && ms <= 10 * 60000);
    }
  }
}

/** Leads switch between the Monitor and Reviews pages here. */
function pageTabs(data, act, current) {
  if (!isLead(data.session.me)) return null;
  const tab = (kind, label, ic) => h('button', {
    class: `stab${kind === current ? ' active' : ''}`, type: 'button', role: 'tab', 'aria-selected': String(kind === current),
    onclick: () => { if (kind !== current) act.showPage(kind); },
  }, icon(ic, 15), label);
  return h('nav', { class: 'page-tabs', role: 'tablist', 'aria-label': 'Supervision' },
    tab('monitor', 'Live chats', 'eye'), tab('reviews', 'Reviews', 'star'));
}


// ===== Reviews ===================================================================================
export class ReviewsPage {
  /** @param {object} data  the data modules  @param {object} act  the App's callbacks (App.viewActions) */
  constructor(data, act) {
    this.data = data;
    this.act = act;
    this.body = h('div', { class: 'reviews-body' });
    this.root = h('section', { class: 'settings reviews', 'aria-label': 'Reviews' },
      h('header', { class: 'settings-head' },
        h('div', { class: 'settings-title' },
          h('span', { class: 'settings-icon' }, icon('star', 18)),
          h('div', null, h('h1', null, 'Reviews'),
            h('p', null, isLead(data.session.me) ? 'Your reviews, your team’s average scores and the scorecards.' : 'What reviewers said about your chats.'))),
        h('span', { class: 'stabs' }, pageTabs(data, act, 'reviews')),
        h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => act.leaveScreen(true) },
          icon('arrowLeft', 15), 'Back to chats')),
      this.body);
    this.mine = null;
    this.report = null;
    this.card = null; // {department, criteria, draft}
  }

  async start() {
    this.render();
    const lead = isLead(this.data.session.me);
    const jobs = [get('/api/v1/reviews/mine').then((r) => { this.mine = r; }, (e) => { this.mine = { error: e.message }; })];
    if (lead) {
      jobs.push(get('/api/v1/reports/review-scores').then((r) => { this.report = r; }, (e) => { this.report = { error: e.message }; }));
      jobs.push(this.data.directory.loadDepartments(true));
    }
    await Promise.all(jobs);
    if (lead && !this.card) {
      const first = this.data.directory.departments[0];
      if (first) await this.loadCard(first.id);
    }
    this.render();
  }

  async loadCard(departmentId) {
    try {
      const r = await get(`/api/v1/departments/${departmentId}/scorecard`);
      this.card = { ...r, draft: r.criteria.map((c) => ({ ...c })), error: null };
    } catch (err) {
      this.card = { error: err.message, draft: [] };
    }
    this.render();
  }

  render() {
    const lead = isLead(this.data.session.me);
    const sections = [this.mineSection()];
    if (lead) sections.unshift(this.reportSection(), this.cardSection());
    replaceChildren(this.body, h('div', { class: 'reviews-grid' }, sections));
  }

  mineSection() {
    const m = this.mine;
    let content;
    if (!m) content = h('p', { class: 'muted' }, 'Loading…');
    else if (m.error) content = h('p', { class: 'muted' }, m.error);
    else if (!m.reviews.length) content = h('p', { class: 'muted' }, 'No reviews of your chats yet.');
    else {
      const avg = m.reviews.reduce((n, r) => n + Number(r.score), 0) / m.reviews.length;
      content = [
        h('p', { class: 'reviews-avg' }, 'Average ', h('strong', null, `${avg.toFixed(2)} / 5`), ` over ${m.reviews.length} review${m.reviews.length === 1 ? '' : 's'}`),
        m.reviews.map((r) => h('div', { class: 'my-review' },
          h('div', { class: 'my-review-head' },
            h('button', { class: 'linkbtn', type: 'button', onclick: () => this.act.openChat(r.chat_id) }, `Chat #${r.chat_id}`),
            h('span', { class: 'muted small' }, `${r.chat.department || ''} · ${fullTime(Date.parse(r.chat.created_at))}`)),
          reviewCard(r))),
      ];
    }
    return h('div', { class: 'reviews-card' }, h('h2', null, 'My reviews'), content);
  }

  reportSection() {
    const r = this.report;
    let content;
    if (!r) content = h('p', { class: 'muted' }, 'Loading…');
    else if (r.error) content = h('p', { class: 'muted' }, r.error);
    else if (!r.agents.length) content = h('p', { class: 'muted' }, `No reviews of chats from ${r.from} to ${r.to}.`);
    else {
      content = [
        h('p', { class: 'muted small' }, `Chats from ${r.from} to ${r.to}`),
        h('table', { class: 'score-table' },
          h('thead', null, h('tr', null, h('th', null, 'Agent'), h('th', null, 'Average'), h('th', null, 'Reviews'), h('th', null, 'Range'))),
          h('tbody', null, r.agents.map((a) => h('tr', null,
            h('td', null, a.agent.name || `#${a.agent.id}`), h('td', null, h('strong', null, a.average.toFixed(2))),
            h('td', null, String(a.reviews)), h('td', { class: 'muted' }, `${a.lowest.toFixed(1)}–${a.highest.toFixed(1)}`))))),
        h('table', { class: 'score-table' },
          h('thead', null, h('tr', null, h('th', null, 'Department'), h('th', null, 'Average'), h('th', null, 'Reviews'), h('th', null, ''))),
          h('tbody', null, r.departments.map((d) => h('tr', null,
            h('td', null, d.department.name || `#${d.department.id}`), h('td', null, h('strong', null, d.average.toFixed(2))),
            h('td', null, String(d.reviews)), h('td', null, ''))))),
      ];
    }
    return h('div', { class: 'reviews-card' }, h('h2', null, 'Team scores · last 30 days'), content);
  }

  cardSection() {
    const depts = this.data.directory.departments;
    const card = this.card;
    const sel = h('select', {
      class: 'mini-select', 'aria-label': 'Scorecard of department',
      onchange: () => this.loadCard(Number(sel.value)),
    }, depts.map((d) => h('option', { value: String(d.id) }, d.name)));
    if (card && card.department) sel.value = String(card.department.id);
    const rows = ((card && card.draft) || []).map((c, i) => {
      const name = h('input', { class: 'input', value: c.name, maxlength: '60', 'aria-label': `Criterion ${i + 1} name`, oninput: () => { c.name = name.value; } });
      const weight = h('input', { class: 'input input-num', type: 'number', min: '0.1', step: '0.5', value: String(c.weight), 'aria-label': `Criterion ${i + 1} weight`, oninput: () => { c.weight = Number(weight.value); } });
      return h('div', { class: 'criterion-row' }, name, weight,
        h('button', { class: 'btn btn-icon btn-ghost', type: 'button', 'aria-label': `Remove ${c.name || 'criterion'}`, onclick: () => { card.draft.splice(i, 1); this.render(); } }, icon('trash', 15)));
    });
    const add = h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => { card.draft.push({ name: '', weight: 1 }); this.render(); } }, icon('plus', 14), 'Add criterion');
    const save = h('button', {
      class: 'btn btn-primary btn-sm', type: 'button',
      onclick: async () => {
        save.disabled = true;
        try {
          const body = { criteria: card.draft.map((c) => ({ ...(c.id ? { id: c.id } : {}), name: c.name, weight: Number(c.weight) })) };
          const r = await api('PUT', `/api/v1/departments/${card.department.id}/scorecard`, body);
          this.card = { ...r, draft: r.criteria.map((c) => ({ ...c })) };
          this.act.toast('Scorecard saved', 'success');
          this.render();
        } catch (err) {
          save.disabled = false;
          if (err.status !== 401) this.act.toast(err.message, 'error');
        }
      },
    }, 'Save scorecard');
    return h('div', { class: 'reviews-card' },
      h('h2', null, 'Scorecard ', sel),
      h('p', { class: 'muted small' }, 'Each criterion is scored 0–5; the review’s score is the weighted mean.'),
      card && card.error ? h('p', { class: 'muted' }, card.error) : null,
      h('div', { class: 'criterion-head' }, h('span', null, 'Criterion'), h('span', null, 'Weight')),
      rows, h('div', { class: 'criterion-bar' }, add, card && card.department ? save : null));
  }
}
