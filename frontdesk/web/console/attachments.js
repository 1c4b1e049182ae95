// Files in conversations: the paperclip in the composer (also drag-and-drop and paste), upload
// progress, and how a message with `data.attachment` shows (images inline, other files as links).
// Uploads: POST /api/v1/chats/{id}/attachments (multipart); files: GET …/attachments/{file_id}.

import { csrf } from './api.js';
import { h, icon, replaceChildren } from './dom.js';

export function humanSize(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}

export function fileUrl(chatId, att) {
  return `/api/v1/chats/${encodeURIComponent(chatId)}/attachments/${encodeURIComponent(att.id)}`;
}

/** Fills a message bubble with its file: a thumbnail that opens full size, or a download link. */
export function fileBubble(bubble, chatId, att) {
  const url = fileUrl(chatId, att);
  bubble.classList.add(att.image ? 'bubble-image' : 'bubble-file');
  if (att.image) {
    const img = h('img', {
      src: url, alt: att.name, loading: 'lazy', width: att.width || null, height: att.height || null,
    });
    img.addEventListener('error', () => {
      replaceChildren(bubble, h('span', { class: 'att-missing' }, icon('alert', 14), `${att.name} is not available`));
      bubble.classList.remove('bubble-image');
    });
    replaceChildren(bubble, h('a', {
      class: 'att-image', href: url, target: '_blank', rel: 'noopener', title: `${att.name} — open full size`,
    }, img));
  } else {
    replaceChildren(bubble, h('a', { class: 'att-file', href: url, download: att.name, title: `Download ${att.name}` },
      h('span', { class: 'att-icon' }, icon('file', 18)),
      h('span', { class: 'att-text' }, h('span', { class: 'att-name' }, att.name),
        h('span', { class: 'att-size' }, humanSize(att.size)))));
  }
  return bubble;
}

/**
 * The composer's file controls for one conversation view: a paperclip button, a list of uploads
 * in progress above the text box, and drag-and-drop / paste onto the composer.
 */
export function attachControls(view) {
  const input = h('input', { type: 'file', hidden: true, multiple: true });
  const list = h('div', { class: 'uploads', 'aria-live': 'polite' });
  const button = h('span', { class: 'attach' }, h('button', {
    class: 'btn btn-ghost btn-attach', type: 'button', title: 'Attach a file (or drop it here, or paste it)',
    'aria-label': 'Attach a file', onclick: () => input.click(),
  }, icon('clip', 16)), input);
  input.addEventListener('change', () => { send(view, list, input.files); input.value = ''; });
  const target = view.composer;
  target.addEventListener('dragover', (e) => {
    if (!view.canReply() || view.conv.noteMode || ![...e.dataTransfer.types].includes('Files')) return;
    e.preventDefault();
    target.classList.add('drop-target');
  });
  target.addEventListener('dragleave', (e) => {
    if (!target.contains(e.relatedTarget)) target.classList.remove('drop-target');
  });
  target.addEventListener('drop', (e) => {
    target.classList.remove('drop-target');
    if (!e.dataTransfer.files.length) return;
    e.preventDefault();
    send(view, list, e.dataTransfer.files);
  });
  view.input.addEventListener('paste', (e) => {
    const files = e.clipboardData && e.clipboardData.files;
    if (files && files.length && !view.conv.noteMode) { e.preventDefault(); send(view, list, files); }
  });
  return { button, list, input };
}

function send(view, list, files) {
  if (!view.canReply()) return;
  for (const file of files) upload(view, list, file);
}

function randomId() {
  return [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** One upload with its progress row; the message itself arrives as an event like any other. */
function upload(view, list, file) {
  const conv = view.conv;
  const bar = h('span', { class: 'upload-bar' }, h('i'));
  const label = h('span', { class: 'upload-state' }, '0%');
  const row = h('div', { class: 'upload', role: 'status' }, icon('clip', 14),
    h('span', { class: 'upload-name' }, file.name), bar, label);
  list.append(row);
  const body = new FormData();
  body.append('client_id', `f${randomId()}`);
  body.append('file', file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/api/v1/chats/${encodeURIComponent(conv.id)}/attachments`);
  xhr.setRequestHeader('X-CSRF-Token', csrf() || '');
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.upload.addEventListener('progress', (e) => {
    if (!e.lengthComputable) return;
    const pct = Math.min(99, Math.round((100 * e.loaded) / e.total));
    bar.firstChild.style.width = `${pct}%`;
    label.textContent = `${pct}%`;
  });
  const done = () => {
    let data = null;
    try { data = JSON.parse(xhr.responseText); } catch { data = null; }
    if (xhr.status >= 200 && xhr.status < 300 && data && data.event) {
      row.remove();
      view.act.onFrame({ type: 'event', ...data.event });
      return;
    }
    const message = (data && data.error && data.error.message) || (xhr.status ? `The server answered ${xhr.status}.` : 'Cannot reach the server.');
    row.classList.add('upload-failed');
    const reason = message.replace(/^file: /, '');
    replaceChildren(label, h('span', null, reason.charAt(0).toUpperCase() + reason.slice(1)),
      h('button', { class: 'linkbtn muted', type: 'button', onclick: () => row.remove() }, 'Dismiss'));
  };
  xhr.addEventListener('load', done);
  xhr.addEventListener('error', done);
  xhr.send(body);
}
