// The agent WebSocket (docs/protocol.md): reconnects with exponential backoff and full jitter,
// reconnects at once on 4000, gives up on 4001 (log in again) and 4003 (origin refused).

const MIN_DELAY = 500;
const MAX_DELAY = 30000;
const PING_EVERY = 20000;
const SILENCE_LIMIT = 50000;

export class AgentSocket {
  /**
   * @param {object} o
   * @param {(frame: object) => void} o.onFrame
   * @param {(status: {state: string, retryAt?: number, attempt?: number}) => void} o.onStatus
   * @param {() => void} o.onUnauthorized   close code 4001
   * @param {(code: number) => void} o.onFatal  close code 4003
   * @param {() => Promise<boolean>} o.checkSession  resolves false when the session is gone
   */
  constructor(o) {
    this.o = o;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.stopped = true;
    this.ready = false; // true after `welcome`
    this.lastHeard = 0;
    this.failuresBeforeWelcome = 0;
    this._onOnline = () => { if (!this.stopped && !this.ws) this.connectNow(); };
    this._onVisible = () => {
      if (document.visibilityState === 'visible' && !this.stopped && !this.ws) this.connectNow();
    };
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/api/v1/agent/ws`;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this._onOnline);
    document.addEventListener('visibilitychange', this._onVisible);
    this.connectNow();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this._onOnline);
    document.removeEventListener('visibilitychange', this._onVisible);
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(1000, 'logout'); } catch { /* already closed */ }
    }
    this.o.onStatus({ state: 'stopped' });
  }

  connectNow() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || this.ws) return;
    this.o.onStatus({ state: 'connecting', attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.heartbeat(), PING_EVERY / 2);
    };
    ws.onmessage = (msg) => {
      this.lastHeard = Date.now();
      let frame;
      try { frame = JSON.parse(msg.data); } catch { return; }
      if (!frame || typeof frame !== 'object' || typeof frame.type !== 'string') return;
      if (frame.type === 'welcome') {
        this.ready = true;
        this.attempt = 0;
        this.failuresBeforeWelcome = 0;
        this.o.onStatus({ state: 'open' });
      }
      if (frame.type === 'pong') return;
      this.o.onFrame(frame);
    };
    ws.onerror = () => { /* onclose follows */ };
    ws.onclose = (ev) => this.handleClose(ws, ev);
  }

  heartbeat() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastHeard > SILENCE_LIMIT) {
      // The connection went quiet (sleeping laptop, dead proxy): drop it and reconnect.
      try { this.ws.close(4999, 'silent'); } catch { /* ignore */ }
      this.handleClose(this.ws, { code: 1006 });
      return;
    }
    if (Date.now() - this.lastHeard > PING_EVERY) this.send({ type: 'ping' });
  }

  async handleClose(ws, ev) {
    if (ws !== this.ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    this.ws = null;
    const wasReady = this.ready;
    this.ready = false;
    clearInterval(this.pingTimer);
    if (this.stopped) return;
    const code = ev && ev.code;
    if (code === 4001) {
      this.o.onStatus({ state: 'stopped' });
      this.o.onUnauthorized();
      return;
    }
    if (code === 4003) {
      this.stopped = true;
      this.o.onStatus({ state: 'refused' });
      this.o.onFatal(code);
      return;
    }
    if (code === 4000) {
      this.attempt = 0;
      this.connectNow();
      return;
    }
    if (!wasReady) {
      // A handshake refused before `welcome` looks like 1006 to the browser; it may be an
      // expired session. Ask the HTTP API now and then.
      this.failuresBeforeWelcome += 1;
      if (this.failuresBeforeWelcome % 2 === 0 && this.o.checkSession) {
        const ok = await this.o.checkSession().catch(() => true);
        if (!ok || this.stopped) return;
      }
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const cap = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt);
    const delay = Math.max(50, Math.random() * cap); // full jitter
    this.attempt = Math.min(this.attempt + 1, 16);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connectNow(), delay);
    this.o.onStatus({ state: 'waiting', retryAt: Date.now() + delay, attempt: this.attempt });
  }

  /** Sends a frame; false when the socket is not open (the caller keeps it for later). */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    if (frame.type !== 'ping' && !this.ready) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  get connected() { return !!this.ws && this.ready; }
}
