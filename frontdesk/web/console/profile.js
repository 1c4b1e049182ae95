// Your profile: the display name, job title and photo visitors see when you join their chat
// (GET/PATCH /api/v1/profile, PUT/DELETE /api/v1/profile/avatar).

import { api, csrf, get } from './api.js';
import { humanSize } from './attachments.js';
import { avatar, h, icon, replaceChildren } from './dom.js';

const PHOTO_TYPES = 'image/png,image/jpeg,image/gif,image/webp';

/** Adds your job title and photo to the session's `me` (the login answer has only id, name and role). */
export async function loadMyProfile(session) {
  try {
    const { profile } = await get('/api/v1/profile');
    if (session.me && profile && profile.id === session.me.id) session.updateMe({ title: profile.title, avatar_url: profile.avatar_url });
  } catch { /* the sidebar shows initials */ }
}

/** Your own shifts as a calendar file (GET /api/v1/staffing/agents/{id}/shifts.ics, shift.view: everyone
 * for themselves) — agents have no Staffing page, so this is where they find it. */
function shiftsLink(me) {
  if (!me || me.id == null) return null;
  return h('p', { class: 'modal-sub profile-shifts' }, 'Your shifts: ',
    h('a', { href: `/api/v1/staffing/agents/${encodeURIComponent(me.id)}/shifts.ics`, download: 'shifts.ics' },
      'download them as a calendar (.ics)'),
    ' — add it to your phone\'s or computer\'s calendar.');
}

/** `session`: data/session.js (who I am; updated on save); `act.toast`. */
export function openProfileDialog(session, act) {
  let profile = null;
  let busy = false;

  const nameInput = h('input', { id: 'profile-name', class: 'input', maxlength: '100', autocomplete: 'name', required: true });
  const titleInput = h('input', {
    id: 'profile-title', class: 'input', maxlength: '100', placeholder: 'e.g. Support engineer', autocomplete: 'organization-title',
  });
  const photoSlot = h('div', { class: 'profile-photo' });
  const fileInput = h('input', { type: 'file', accept: PHOTO_TYPES, hidden: true });
  const limitEl = h('span', { class: 'field-hint' }, 'PNG, JPEG, GIF or WebP. A square photo looks best.');
  const uploadBtn = h('button', { class: 'btn btn-secondary btn-sm', type: 'button', onclick: () => fileInput.click() },
    icon('camera', 15), 'Upload photo');
  const removeBtn = h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => removePhoto() }, 'Remove');
  const errorEl = h('div', { class: 'form-error', role: 'alert', hidden: true }, icon('alert', 16), h('span'));
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save');
  const cancel = h('button', { class: 'btn btn-secondary', type: 'button', onclick: () => dialog.close() }, 'Cancel');

  const form = h('form', { class: 'modal-form', method: 'dialog', novalidate: true },
    h('header', { class: 'modal-head' },
      h('div', null,
        h('h2', { id: 'profile-dialog-title' }, 'Your profile'),
        h('p', { class: 'modal-sub' }, 'Visitors see your name, job title and photo when you join their chat.')),
      h('button', { class: 'btn btn-icon btn-ghost', type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() }, icon('x', 18))),
    h('div', { class: 'profile-photo-row' }, photoSlot,
      h('div', { class: 'profile-photo-actions' },
        h('div', { class: 'profile-photo-buttons' }, uploadBtn, removeBtn),
        limitEl),
      fileInput),
    h('label', { class: 'field', for: nameInput.id }, h('span', { class: 'field-label' }, 'Display name'), nameInput),
    h('label', { class: 'field', for: titleInput.id },
      h('span', { class: 'field-label' }, 'Job title ', h('span', { class: 'field-opt' }, '(optional)')), titleInput),
    errorEl,
    shiftsLink(session.me),
    h('footer', { class: 'modal-foot' }, cancel, submit));

  const dialog = h('dialog', { class: 'modal modal-profile', 'aria-labelledby': 'profile-dialog-title' }, form);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('click', (e) => { if (e.target === dialog && !busy) dialog.close(); });

  function showError(text) {
    errorEl.hidden = !text;
    errorEl.querySelector('span').textContent = text || '';
  }

  function render() {
    const me = session.me || {};
    const name = nameInput.value || (profile && profile.name) || me.name || '';
    const url = profile && profile.avatar_url;
    const face = url
      ? h('img', { class: 'profile-img', src: url, alt: 'Your photo' })
      : avatar(name || '?', `agent-${me.id}`, 'xl');
    replaceChildren(photoSlot, face);
    removeBtn.hidden = !url;
    uploadBtn.lastChild.textContent = url ? 'Change photo' : 'Upload photo';
    for (const el of [uploadBtn, removeBtn, submit, nameInput, titleInput]) el.disabled = busy;
  }

  function applied(p) {
    profile = p;
    session.updateMe({ name: p.name, title: p.title, avatar_url: p.avatar_url }); // the sidebar redraws its foot
  }

  fileInput.addEventListener('change', async () => {
    const file = fileInput.files[0];
    fileInput.value = '';
    if (!file) return;
    busy = true;
    showError(null);
    render();
    const body = new FormData();
    body.append('file', file, file.name);
    try {
      const res = await fetch('/api/v1/profile/avatar', {
        method: 'PUT', body, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() || '', Accept: 'application/json' },
      });
      const data = await res.json().catch(() => null);
      if (!res.ok) throw new Error((data && data.error && data.error.message) || `The server answered ${res.status}.`);
      applied(data.profile);
    } catch (err) {
      showError(String(err.message || err).replace(/^file: /, 'The photo ') || 'The photo could not be uploaded.');
    }
    busy = false;
    render();
  });

  async function removePhoto() {
    busy = true;
    render();
    try {
      applied((await api('DELETE', '/api/v1/profile/avatar')).profile);
      showError(null);
    } catch (err) {
      showError(err.message);
    }
    busy = false;
    render();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!nameInput.value.trim()) { showError('Please enter the name visitors should see.'); nameInput.focus(); return; }
    busy = true;
    render();
    try {
      applied((await api('PATCH', '/api/v1/profile', { name: nameInput.value, title: titleInput.value })).profile);
      busy = false;
      dialog.close();
      act.toast('Profile saved', 'info');
    } catch (err) {
      busy = false;
      showError(err.message);
      render();
    }
  });

  document.body.append(dialog);
  dialog.showModal();
  busy = true;
  render();
  get('/api/v1/profile').then((data) => {
    applied(data.profile);
    if (data.photo_max_bytes) limitEl.textContent = `PNG, JPEG, GIF or WebP, up to ${humanSize(data.photo_max_bytes)}. A square photo looks best.`;
    nameInput.value = profile.name || '';
    titleInput.value = profile.title || '';
    busy = false;
    render();
    nameInput.focus();
  }).catch((err) => { busy = false; showError(err.message); render(); });
}
