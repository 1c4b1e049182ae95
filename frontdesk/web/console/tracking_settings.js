// Settings → Privacy → "Visitor tracking" (admins): whether the widget reports page views
// (on / respect Do-Not-Track / after consent / off) and whether visits keep IP addresses
// shortened. GET / PUT /api/v1/settings/tracking (docs/api.md); the server audit-logs changes.

import { api, get } from './api.js';
import { TRACKING_MODES } from './data/invite_rules.js';
import { h, icon, replaceChildren } from './dom.js';

function errorAt(container, text) {
  for (const old of container.querySelectorAll(':scope > .field-msg')) old.remove();
  if (text) container.appendChild(h('div', { class: 'field-msg', role: 'alert' }, icon('alert', 13), h('span', null, text)));
}

const STRIP = /^[\w.[\]-]+: /;

/** The "Visitor tracking" card; it loads its settings itself. `act`: the App's callbacks (toast). */
export function trackingCard(act) {
  const body = h('div', { class: 'form-stack' }, h('div', { class: 'aside-empty' }, h('span', { class: 'spinner spinner-xs' }), 'Loading…'));
  const root = h('section', { class: 'card form-card', id: 'tracking-settings' },
    h('div', { class: 'card-head' }, h('div', null, h('h2', null, 'Visitor tracking'),
      h('p', { class: 'card-sub' }, 'What the chat widget tells the live view about visitors who have not written yet: the pages they open and for how long. Automatic invitations need it.'))),
    body);
  load(act, body);
  return root;
}

async function load(act, body) {
  let t;
  try {
    const r = await get('/api/v1/settings/tracking');
    t = { mode: 'on', truncate_ip: true, ...((r && (r.tracking || r)) || {}) };
  } catch (err) {
    replaceChildren(body);
    if (err.status !== 401) errorAt(body, err.message);
    return;
  }
  const radio = ([value, title, sub]) => {
    const input = h('input', { type: 'radio', name: 'tracking-mode', value, id: `tracking-${value}` });
    input.checked = t.mode === value;
    return h('label', { class: 'radio-card', for: input.id }, input, h('span', null, h('strong', null, title), h('span', { class: 'check-sub' }, sub)));
  };
  const modes = h('div', { class: 'radio-cards', role: 'radiogroup', 'aria-label': 'Tracking' }, TRACKING_MODES.map(radio));
  const truncate = h('input', { type: 'checkbox', id: 'tracking-truncate' });
  truncate.checked = t.truncate_ip !== false;
  const truncateField = h('label', { class: 'check', for: 'tracking-truncate' }, truncate, h('span', null,
    h('strong', null, 'Keep IP addresses shortened'),
    h('span', { class: 'check-sub' }, 'Visits store only the network part (the first three numbers of an IPv4 address, the first 48 bits of IPv6): enough for the country, not for the household.')));
  const save = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save tracking');
  const form = h('form', { class: 'form-stack', novalidate: true }, modes, truncateField,
    h('p', { class: 'card-sub' }, 'Page views are kept as long as chats (Retention, above) and go with “Delete this visitor’s data”. Changes are in the audit log.'),
    h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const mode = form.querySelector('input[name="tracking-mode"]:checked');
    errorAt(modes, null);
    errorAt(truncateField, null);
    errorAt(form, null);
    save.disabled = true;
    try {
      const r = await api('PUT', '/api/v1/settings/tracking', { mode: mode ? mode.value : t.mode, truncate_ip: truncate.checked });
      t = { ...t, ...((r && (r.tracking || r)) || {}) };
      const label = (TRACKING_MODES.find(([v]) => v === t.mode) || [null, t.mode])[1];
      act.toast(`Visitor tracking: ${label}${t.truncate_ip ? ', IP addresses shortened' : ''}.`, 'success');
    } catch (err) {
      if (err.status === 401) return;
      const text = String(err.message || '').replace(STRIP, '');
      const field = String(err.field || '');
      errorAt(field.startsWith('mode') ? modes : field.startsWith('truncate_ip') ? truncateField : form,
        text.charAt(0).toUpperCase() + text.slice(1));
    } finally { save.disabled = false; }
  });
  replaceChildren(body, form);
}
