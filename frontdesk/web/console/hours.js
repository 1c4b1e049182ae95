// Business hours editor: time zone, "Open 24/7", weekly intervals per day and dated
// exceptions. Produces the `hours` object of docs/api.md and maps every part to the field path
// the server names in its errors (`hours.weekly.mon[1]`, `hours.exceptions[0].date`, …).

import { h, icon } from './dom.js';

export const DAYS = [
  ['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday'],
];
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'];
const DEFAULT_INTERVAL = ['09:00', '17:00'];

let zoneList = null;
export function timeZones() {
  if (!zoneList) {
    let zones = [];
    try { zones = Intl.supportedValuesOf('timeZone'); } catch { zones = []; }
    zoneList = ['UTC', ...zones.filter((z) => z !== 'UTC')];
  }
  return zoneList;
}

export function localTimeZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

/** "24:00" cannot live in <input type=time>: it is shown as 00:00 and read back as 24:00. */
const toInput = (v) => (v === '24:00' ? '00:00' : String(v || ''));
const fromInput = (v, isEnd) => (isEnd && v === '00:00' ? '24:00' : v);

export class HoursEditor {
  /**
   * @param {object} hours  the department's `hours` (may be null)
   * @param {{disabled?: boolean, idPrefix: string, onChange?: () => void}} o
   */
  constructor(hours, o) {
    this.o = o;
    const hrs = hours && typeof hours === 'object' ? hours : {};
    this.timezone = typeof hrs.timezone === 'string' && hrs.timezone ? hrs.timezone : localTimeZone();
    const weekly = hrs.weekly && typeof hrs.weekly === 'object' ? hrs.weekly : {};
    this.always = Object.keys(weekly).length === 0;
    this.days = {};
    for (const [key] of DAYS) {
      const list = Array.isArray(weekly[key]) ? weekly[key].map((p) => [toInput(p[0]), toInput(p[1])]) : [];
      this.days[key] = { open: list.length > 0, intervals: list };
    }
    if (this.always) this.setDefaultWeek();
    this.exceptions = (Array.isArray(hrs.exceptions) ? hrs.exceptions : []).map((x) => ({
      date: String(x.date || ''),
      closed: !!x.closed || !Array.isArray(x.hours) || x.hours.length === 0,
      intervals: Array.isArray(x.hours) && x.hours.length ? x.hours.map((p) => [toInput(p[0]), toInput(p[1])]) : [[...DEFAULT_INTERVAL]],
    }));
    this.fields = new Map();
    this.root = h('div', { class: 'hours' });
    this.render();
  }

  setDefaultWeek() {
    for (const [key] of DAYS) {
      const on = WEEKDAYS.includes(key);
      this.days[key] = { open: on, intervals: on ? [[...DEFAULT_INTERVAL]] : [] };
    }
  }

  changed() { if (this.o.onChange) this.o.onChange(); }

  /** The `hours` object to send. Incomplete times are sent as typed so the server names them. */
  value() {
    const weekly = {};
    if (!this.always) {
      for (const [key] of DAYS) {
        const d = this.days[key];
        if (d.open) weekly[key] = d.intervals.map(([a, b]) => [fromInput(a, false), fromInput(b, true)]);
      }
    }
    const exceptions = this.exceptions.map((x) => (x.closed
      ? { date: x.date, closed: true }
      : { date: x.date, hours: x.intervals.map(([a, b]) => [fromInput(a, false), fromInput(b, true)]) }));
    return { timezone: this.timezone, weekly, exceptions };
  }

  /** A problem the server would accept silently but the admin surely did not mean, or null. */
  check() {
    if (!this.always && !DAYS.some(([key]) => this.days[key].open && this.days[key].intervals.length)) {
      return { field: 'hours.weekly', message: 'Open the department on at least one day, or tick “Open 24/7”.' };
    }
    return null;
  }

  reg(path, el, container) { this.fields.set(path, { el, container: container || el }); }

  render() {
    const dis = !!this.o.disabled;
    const p = this.o.idPrefix;
    this.fields = new Map();

    const tz = h('select', { id: `${p}-tz`, class: 'input', disabled: dis });
    const zones = timeZones();
    const list = zones.includes(this.timezone) ? zones : [this.timezone, ...zones];
    for (const z of list) tz.appendChild(h('option', { value: z }, z.replace(/_/g, ' ')));
    tz.value = this.timezone;
    tz.addEventListener('change', () => { this.timezone = tz.value; this.changed(); });
    const tzField = h('div', { class: 'field' },
      h('label', { class: 'field-label', for: tz.id }, 'Time zone'), tz,
      h('span', { class: 'field-hint' }, 'Opening hours and exception dates are in this time zone.'));
    this.reg('timezone', tz, tzField);
    this.reg('hours.timezone', tz, tzField);

    const always = h('input', { id: `${p}-always`, type: 'checkbox', disabled: dis });
    always.checked = this.always;
    always.addEventListener('change', () => {
      this.always = always.checked;
      if (this.always) for (const [key] of DAYS) this.days[key] = { open: false, intervals: [] };
      else this.setDefaultWeek();
      this.render();
      this.changed();
      this.root.querySelector(`#${p}-always`).focus();
    });
    const alwaysField = h('label', { class: 'check', for: always.id }, always,
      h('span', null, h('strong', null, 'Open 24/7'), h('span', { class: 'check-sub' }, 'Always open, except on the dates listed below.')));

    const weekEl = h('div', { class: 'week', role: 'group', 'aria-label': 'Weekly hours' });
    this.reg('hours.weekly', always, weekEl);
    this.reg('hours', always, weekEl);
    if (!this.always) {
      for (const [key, label] of DAYS) weekEl.appendChild(this.dayRow(key, label));
      const mon = this.days.mon;
      weekEl.appendChild(h('div', { class: 'week-tools' },
        h('button', {
          class: 'linkbtn', type: 'button', disabled: dis || !mon.open,
          onclick: () => {
            for (const d of WEEKDAYS.slice(1)) this.days[d] = { open: mon.open, intervals: mon.intervals.map((x) => [...x]) };
            this.render();
            this.changed();
          },
        }, 'Copy Monday to Tuesday–Friday'),
        h('span', { class: 'field-hint' }, 'End at midnight (00:00) to stay open until the end of the day.')));
    }

    const exEl = h('div', { class: 'exceptions' });
    this.reg('hours.exceptions', exEl, exEl);
    this.exceptions.forEach((x, i) => exEl.appendChild(this.exceptionRow(x, i)));
    const addEx = h('button', {
      class: 'btn btn-secondary btn-sm', type: 'button', disabled: dis,
      onclick: () => {
        this.exceptions.push({ date: '', closed: true, intervals: [[...DEFAULT_INTERVAL]] });
        this.render();
        this.changed();
        const inputs = this.root.querySelectorAll('.exception input[type="date"]');
        if (inputs.length) inputs[inputs.length - 1].focus();
      },
    }, icon('plus', 14), 'Add exception');

    this.root.replaceChildren(
      tzField,
      h('div', { class: 'subsection' }, h('h4', { class: 'subhead' }, 'Weekly hours'), alwaysField,
        this.always ? null : weekEl,
        this.always ? h('div', { class: 'hint-box' }, icon('clock', 14), 'Chats are accepted at any time of day, every day.') : null),
      h('div', { class: 'subsection' },
        h('h4', { class: 'subhead' }, 'Exceptions', h('span', { class: 'subhead-note' }, 'Holidays and special opening hours')),
        this.exceptions.length ? exEl : h('p', { class: 'empty-note' }, 'No exceptions. Add one for a holiday or a day with different hours.'),
        addEx));
  }

  intervalsEl(intervals, path, labelFor, onRemove, onAdd) {
    const dis = !!this.o.disabled;
    const wrap = h('div', { class: 'intervals' });
    intervals.forEach((pair, i) => {
      const from = h('input', { type: 'time', class: 'input input-time', value: pair[0], disabled: dis, 'aria-label': `${labelFor}, interval ${i + 1}, opens at` });
      const to = h('input', { type: 'time', class: 'input input-time', value: pair[1], disabled: dis, 'aria-label': `${labelFor}, interval ${i + 1}, closes at` });
      from.addEventListener('input', () => { pair[0] = from.value; this.changed(); });
      to.addEventListener('input', () => { pair[1] = to.value; this.changed(); });
      const row = h('div', { class: 'interval' }, from, h('span', { class: 'interval-dash', 'aria-hidden': 'true' }, '–'), to,
        h('button', {
          class: 'btn btn-icon btn-ghost btn-xs', type: 'button', disabled: dis, title: 'Remove these hours',
          'aria-label': `Remove ${labelFor} interval ${i + 1}`, onclick: () => onRemove(i),
        }, icon('x', 14)));
      this.reg(`${path}[${i}]`, from, row);
      wrap.appendChild(row);
    });
    wrap.appendChild(h('button', {
      class: 'linkbtn add-interval', type: 'button', disabled: dis, onclick: onAdd,
    }, icon('plus', 13), intervals.length ? 'Add hours' : 'Add opening hours'));
    return wrap;
  }

  dayRow(key, label) {
    const dis = !!this.o.disabled;
    const d = this.days[key];
    const id = `${this.o.idPrefix}-day-${key}`;
    const toggle = h('input', { id, type: 'checkbox', class: 'switch', disabled: dis, 'aria-label': `Open on ${label}` });
    toggle.checked = d.open;
    toggle.addEventListener('change', () => {
      d.open = toggle.checked;
      if (d.open && !d.intervals.length) d.intervals.push([...DEFAULT_INTERVAL]);
      this.render();
      this.changed();
      const again = this.root.querySelector(`#${id}`);
      if (again) again.focus();
    });
    const refocus = (sel) => { const el = this.root.querySelector(sel); if (el) el.focus(); };
    const row = h('div', { class: `day-row${d.open ? '' : ' closed'}`, dataset: { day: key } },
      h('div', { class: 'day-name' }, toggle, h('label', { for: id }, label)),
      d.open
        ? this.intervalsEl(d.intervals, `hours.weekly.${key}`, label,
          (i) => {
            d.intervals.splice(i, 1);
            if (!d.intervals.length) d.open = false;
            this.render();
            this.changed();
            refocus(`#${id}`);
          },
          () => {
            const last = d.intervals[d.intervals.length - 1];
            const ok = last && /^\d\d:\d\d$/.test(last[1]) && last[1] !== '00:00' && last[1] <= '19:00';
            d.intervals.push(ok ? [bump(last[1], 60), bump(last[1], 240)] : [...DEFAULT_INTERVAL]);
            this.render();
            this.changed();
            const times = this.root.querySelectorAll(`[data-day="${key}"] input[type="time"]`);
            if (times.length >= 2) times[times.length - 2].focus();
          })
        : h('div', { class: 'day-closed' }, 'Closed'));
    this.reg(`hours.weekly.${key}`, toggle, row);
    return row;
  }

  exceptionRow(x, i) {
    const dis = !!this.o.disabled;
    const base = `hours.exceptions[${i}]`;
    const date = h('input', { type: 'date', class: 'input input-date', value: x.date, disabled: dis, 'aria-label': `Exception ${i + 1}, date` });
    date.addEventListener('input', () => { x.date = date.value; this.changed(); });
    const kind = h('select', { class: 'input input-kind', disabled: dis, 'aria-label': `Exception ${i + 1}, opening` },
      h('option', { value: 'closed' }, 'Closed all day'), h('option', { value: 'hours' }, 'Special hours'));
    kind.value = x.closed ? 'closed' : 'hours';
    kind.addEventListener('change', () => {
      x.closed = kind.value === 'closed';
      if (!x.closed && !x.intervals.length) x.intervals.push([...DEFAULT_INTERVAL]);
      this.render();
      this.changed();
      const again = this.root.querySelectorAll('.exception .input-kind')[i];
      if (again) again.focus();
    });
    const label = x.date ? `Exception ${x.date}` : `Exception ${i + 1}`;
    const row = h('div', { class: 'exception' },
      h('div', { class: 'exception-main' }, date, kind,
        h('button', {
          class: 'btn btn-icon btn-ghost btn-xs', type: 'button', disabled: dis, title: 'Remove this exception',
          'aria-label': `Remove exception ${i + 1}`,
          onclick: () => { this.exceptions.splice(i, 1); this.render(); this.changed(); },
        }, icon('trash', 15))),
      x.closed ? null : this.intervalsEl(x.intervals, `${base}.hours`, label,
        (j) => {
          x.intervals.splice(j, 1);
          if (!x.intervals.length) x.closed = true;
          this.render();
          this.changed();
        },
        () => { x.intervals.push([...DEFAULT_INTERVAL]); this.render(); this.changed(); }));
    this.reg(base, date, row);
    this.reg(`${base}.date`, date, row);
    this.reg(`${base}.hours`, kind, row);
    this.reg(`${base}.closed`, kind, row);
    return row;
  }
}

function bump(hhmm, minutes) {
  const [hh, mm] = String(hhmm).split(':').map(Number);
  const t = Math.min(24 * 60, (hh || 0) * 60 + (mm || 0) + minutes);
  if (t >= 24 * 60) return '00:00';
  return `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
}
