// Sound (a WebAudio chime, no asset) and desktop notifications. Both need a user gesture
// first: the AudioContext is unlocked and notification permission is asked on the first one.

let audio = null;
let muted = localStorage.getItem('fd.console.muted') === '1';

function ensureAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  if (!audio) {
    try { audio = new Ctx(); } catch { return null; }
  }
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  return audio;
}

export function installGestureHooks() {
  const once = () => {
    ensureAudio();
    if ('Notification' in window && Notification.permission === 'default') {
      try { Notification.requestPermission().catch(() => {}); } catch { /* old API */ }
    }
    document.removeEventListener('pointerdown', once, true);
    document.removeEventListener('keydown', once, true);
  };
  document.addEventListener('pointerdown', once, true);
  document.addEventListener('keydown', once, true);
}

export function isMuted() { return muted; }
export function setMuted(value) {
  muted = !!value;
  localStorage.setItem('fd.console.muted', muted ? '1' : '0');
}

/** kind: 'queue' (two rising notes) or 'message' (one soft note). */
export function chime(kind = 'queue') {
  if (muted) return;
  const ctx = ensureAudio();
  if (!ctx || ctx.state !== 'running') return;
  const notes = kind === 'queue' ? [[784, 0], [1175, 0.13]] : [[988, 0]];
  const peak = kind === 'queue' ? 0.18 : 0.1;
  const t0 = ctx.currentTime + 0.01;
  for (const [freq, offset] of notes) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.setValueAtTime(freq, t0 + offset);
    gain.gain.setValueAtTime(0.0001, t0 + offset);
    gain.gain.exponentialRampToValueAtTime(peak, t0 + offset + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + offset + 0.32);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0 + offset);
    osc.stop(t0 + offset + 0.35);
  }
}

/** Shows a desktop notification; onClick focuses the window first. */
export function notify(title, body, tag, onClick) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return null;
  try {
    const n = new Notification(title, { body, tag, renotify: true, silent: true });
    n.onclick = () => {
      window.focus();
      n.close();
      if (onClick) onClick();
    };
    setTimeout(() => n.close(), 15000);
    return n;
  } catch {
    return null; // e.g. Android Chrome requires a service worker
  }
}
