/*! frontdesk chat widget (served at /widget.js) · size: 22911 bytes gzipped (gzip -9 -c widget.js | wc -c)
 *
 * Embed it with this snippet. The stub queues calls made before the script has loaded; every
 * stub method returns a Promise that settles with the real method's result once it has.
 *
 *   <script>
 *     (function (w, f) {
 *       f = w.Frontdesk = w.Frontdesk || {q: []};
 *       "open close on sendMessage setVisitor setDepartment endChat consent".split(" ").forEach(function (m) {
 *         f[m] = f[m] || function () {
 *           var a = arguments;
 *           return new Promise(function (r, j) { f.q.push([m, a, r, j]); });
 *         };
 *       });
 *     })(window);
 *   </script>
 *   <script src="https://chat.example.com/widget.js" async></script>
 *
 * Script tag options: data-title="Talk to us", data-greeting="Hi!", data-color="#0b7a5c",
 * data-position="left", data-department="sales" (no topic choice). The rest comes from
 * /api/v1/widget/config on first open: pre-chat form (before the page's first chat), offline form.
 *
 * API (window.Frontdesk):
 *   open() / close()             show or hide the chat window (not the chat itself)
 *   sendMessage(text)            → Promise of the stored event; rejects with an Error with .code
 *                                ("offline" with .reason: the window shows the offline form,
 *                                holding the text); skips the pre-chat form
 *   setVisitor({name, email})    tell agents who the visitor is (sent once connected)
 *   setDepartment(slug)          start chats in this department (null: the default one)
 *   endChat()                    → Promise; closes the visitor's open chat
 *   on(name, cb)                 "message" (both directions), "chat:started", "chat:assigned",
 *                                "chat:closed"; cb gets the event; returns an unsubscribe function
 *   consent(yes)                 the visitor's answer to the site's consent banner, remembered:
 *                                true lets a site in "consent" tracking mode send page views;
 *                                false stops them in every mode
 *
 * Tracking (the site's mode in /api/v1/widget/config: on, respect_dnt, consent, off): when
 * allowed, the widget connects at load and sends page views (SPA navigation too) and the visible
 * time; an agent's invitation shows as a bubble by the launcher.
 *
 * When a chat has ended the window asks for a rating (thumbs or stars, as the widget settings
 * say) with an optional comment, and offers the transcript by e-mail (frames chat.rate and
 * transcript.email).
 *
 * Wire protocol: docs/protocol.md (socket /api/v1/widget/ws). User text is only ever set with
 * textContent.
 */
(function (window, document) {
  "use strict";

  // ---- delivery core (docs/protocol.md): seq order, gaps, outbox. No DOM, storage, socket or
  // timer: tests/js/widget runs it in node. chat: {ev: {seq: event}, last: highest seq with none
  // missing below} (short keys: it is stored as is); outbox: [{client_id, text, start?, fail?}].
  var core = {
    // null for a seq already held (never shown twice); else {run: events now contiguous, in seq
    // order; gap: the event sits above a missing seq (ask with syncFrame)}.
    addEvent: function (chat, event) {
      var run = [];
      if (chat.ev[event.seq]) return null;
      chat.ev[event.seq] = event;
      while (chat.ev[chat.last + 1]) run.push(chat.ev[++chat.last]);
      return {run: run, gap: event.seq > chat.last};
    },
    syncFrame: function (chatId, chat) { // fetch everything after the contiguous part
      return {type: "sync", chat_id: +chatId, after: chat.last};
    },
    // synced {last_seq}: seqs up to it that never came are kinds the visitor doesn't see (notes).
    skipHidden: function (chat, lastSeq) {
      var run = [];
      while (chat.last < lastSeq || chat.ev[chat.last + 1]) if (chat.ev[++chat.last]) run.push(chat.ev[chat.last]);
      return run;
    },
    eventOf: function (frame) { // an event frame, an ack's stored send, or null (typing, queue...)
      var event = frame.type === "event" ? frame : frame.type === "ack" ? frame.event || {} : null;
      if (event && event !== frame) {
        event.chat_id = event.chat_id || frame.chat_id;
        event.seq = event.seq || frame.seq;
      }
      return event;
    },
    // Send or resend an entry, always with its client_id (the server dedupes); none while failed.
    messageFrame: function (entry, slug) {
      return entry.fail ? null : Object.assign({type: entry.start ? "chat.start" : "message.send",
        client_id: entry.client_id, text: entry.text, invitation_id: entry.inv}, entry.start || {department: slug || undefined});
    },
    resendFrames: function (outbox, slug) { // after a (re)connect, in the order written
      return outbox.map(function (entry) { return core.messageFrame(entry, slug); }).filter(Boolean);
    },
    settledBy: function (event) { // the client id the visitor's own message settles
      return event.kind === "message" && (event.author || {}).type === "visitor" && event.client_id || null;
    },
    settle: function (outbox, clientId) {
      return outbox.filter(function (entry) { return entry.client_id !== clientId; });
    },

    // ---- tracking (docs/architecture/visitors.md). May this page send page views? The site's
    // mode, the browser's DNT / GPC, the page's consent (true; false: refused, in any mode; undefined).
    tracks: function (mode, dnt, gpc, consent) {
      return consent !== false && (mode === "on" || mode === "respect_dnt" && !dnt && !gpc || mode === "consent" && consent === true);
    },
    // By the screen's short side (a phone held sideways is still a phone) and long side.
    screenClass: function (width, height) {
      var s = Math.min(width, height), l = Math.max(width, height);
      return s < 500 ? "phone" : l < 1200 ? "tablet" : "desktop";
    },
    // Visible time on a page, t = {ms: counted, on: visible since (0: hidden)}, told each change.
    seen: function (t, visible, now) {
      if (t.on) t.ms += Math.max(0, now - t.on);
      t.on = visible ? now : 0;
      return t;
    },
    visibleMs: function (t, now) { return Math.round(t.ms + (t.on ? Math.max(0, now - t.on) : 0)); },
    // The visit count {n, at: last activity}: a new visit after 30 minutes without activity.
    visit: function (v, now) {
      return {n: !v || !v.n ? 1 : now - v.at > 18e5 ? v.n + 1 : v.n, at: now};
    },
    // A page as sent (hello, page.view): bounded as the server stores it.
    page: function (url, title, referrer) {
      return {url: cut(url, 2000), title: cut(title, 300), referrer: cut(referrer, 2000)};
    },
    pageView: function (url, title, referrer, prevVisibleMs) {
      return Object.assign({type: "page.view"}, core.page(url, title, referrer), {prev_visible_ms: prevVisibleMs});
    },
    // A new page: the path or query changed (or a #/ or #! route), not an anchor.
    samePage: function (a, b) {
      var key = function (u) { return String(u).replace(/#(?![/!]).*$/, ""); };
      return key(a) === key(b);
    },
    // The hello's `track`: languages (at most 5), screen class, DNT/GPC, the visit count, consent.
    track: function (nav, width, height, visits, consent) {
      return {languages: [].concat(nav.languages || nav.language || []).slice(0, 5).map(function (l) { return cut(l, 35); }),
        screen: core.screenClass(width, height), dnt: nav.doNotTrack === "1" || !!nav.globalPrivacyControl, visits: visits, spa: false, consent: consent};
    }
  };
  function cut(s, n) { return String(s == null ? "" : s).slice(0, n); }
  // Tests load this file in a bare node vm context: no document, so they get the core through
  // `module.exports` and nothing below runs. A page always has a document (and its own global
  // `module`, if any, is never touched).
  if (!document) { if (typeof module == "object") module.exports = core; return; }

  var Frontdesk = window.Frontdesk = window.Frontdesk || {q: []};
  if (Frontdesk.loaded) return;
  Frontdesk.loaded = 1;

  var script = document.currentScript || [].filter.call(document.scripts, function (s) {
    return /\/widget\.js([?#]|$)/.test(s.src);
  }).pop() || {src: location.origin + "/widget.js", dataset: {}};
  var options = script.dataset || {};
  var BASE_URL = script.src.replace(/\/widget\.js([?#].*)?$/, "");
  var WS_URL = BASE_URL.replace(/^http/, "ws") + "/api/v1/widget/ws";
  var MAX_CHARS = 4000, KEY = "frontdesk:", TOKEN_KEY = KEY + "visitor_token";

  // ---- storage: token (raw string), chats + open state, outbox -----------------------------
  function storage(k, v) {
    try {
      if (v === undefined) return localStorage.getItem(k);
      if (v === null) localStorage.removeItem(k); else localStorage.setItem(k, v);
    } catch (e) { /* storage blocked: work in memory */ }
  }
  function loadStored(k, d) { try { return JSON.parse(storage(KEY + k)) || d; } catch (e) { return d; } }
  var token = storage(TOKEN_KEY);
  // state.chats: {chatId: {ev: {seq: event}, last: contiguous seq held, done, agent}}
  var state = loadStored("state", {chats: {}, cur: 0, open: false});
  var outbox = loadStored("outbox", []); // [{client_id, text, fail?}] until acknowledged
  var config = loadStored("config", {}); // .dept: the department asked for
  var department = options.department || "";
  function save() { storage(KEY + "state", JSON.stringify(state)); storage(KEY + "outbox", JSON.stringify(outbox)); }

  // ---- connection state -------------------------------------------------------------------
  var socket, ready, stopped, attempt = 0, retryTimer, stableTimer, tokenRequest, lastReceivedAt = 0, quickRetries = 0;
  var liveEvents = {}, syncing = {}, waiters = {}, closers = [], queuedFrames = [], identity, listeners = {}, unread = 0;
  var typingSent = 0, typingSentAt = 0, typingStopTimer, agentTypingTimer, draftTimer, draftSent = null;
  // chatStarted: a chat was started this page session; offline: the offline form {dept, back: view, ok: e-mail}
  var chatStarted, offline, formValues = {}, configLoadedAt = 0, configRequest, configLoaded, prechatError, panelKey;

  function randomId() {
    return [].map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }
  function apiError(code, msg, extra) {
    var e = new Error(msg || code);
    e.code = code;
    if (extra) e.retryAfter = extra;
    return e;
  }
  function emit(name, data) {
    (listeners[name] || []).slice().forEach(function (f) {
      try { f(data); } catch (x) { setTimeout(function () { throw x; }); }
    });
  }
  function chat(id) { return state.chats[id] || (state.chats[id] = {ev: {}, last: 0}); }
  function currentChat() { return state.cur ? chat(state.cur) : null; }
  function isOpenChat() { var c = currentChat(); return c && !c.done; }
  function sendFrame(o) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(o)); }

  // ---- DOM ----------------------------------------------------------------------------------
  var ICON = {
    chat: '<svg class="i1" viewBox="0 0 24 24"><path d="M12 3c5 0 9 3.6 9 8s-4 8-9 8c-1 0-2-.1-2.9-.4L4.5 20.5l1.2-3.9A7.6 7.6 0 0 1 3 11c0-4.4 4-8 9-8z"/></svg>',
    down: '<svg class="i2" viewBox="0 0 24 24"><path d="M6 9l6 6 6-6"/></svg>',
    chev: '<svg viewBox="0 0 24 24"><path d="M6 9l6 6 6-6"/></svg>',
    ok: '<svg viewBox="0 0 24 24"><path d="M5 12.5l4.5 4.5L19 7.5"/></svg>',
    x: '<svg viewBox="0 0 24 24"><path d="M6 6l12 12M18 6L6 18"/></svg>',
    send: '<svg viewBox="0 0 24 24"><path d="M5 12h13M12 5l7 7-7 7"/></svg>',
    clip: '<svg viewBox="0 0 24 24"><path d="M20.5 11.5l-8.6 8.6a5.3 5.3 0 0 1-7.5-7.5l8.6-8.6a3.5 3.5 0 0 1 5 5l-8.6 8.6a1.8 1.8 0 0 1-2.5-2.5l7.9-7.9"/></svg>',
    up: '<svg viewBox="0 0 24 24"><path d="M7 22V11l4-9a3 3 0 0 1 3 3v4h5.7a2 2 0 0 1 2 2.3l-1.4 9a2 2 0 0 1-2 1.7zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3"/></svg>',
    dn: '<svg viewBox="0 0 24 24"><path d="M17 2v11l-4 9a3 3 0 0 1-3-3v-4H4.3a2 2 0 0 1-2-2.3l1.4-9a2 2 0 0 1 2-1.7zM17 2h3a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2h-3"/></svg>',
    star: '<svg viewBox="0 0 24 24"><path d="M12 2.5l2.9 6 6.6.9-4.8 4.6 1.2 6.5L12 17.4l-5.9 3.1 1.2-6.5-4.8-4.6 6.6-.9z"/></svg>'
  };
  var STYLE = ":host{all:initial}*{box-sizing:border-box}[hidden]{display:none!important}" +
    ".fd{--a:#2f5bea;position:fixed;right:20px;bottom:20px;z-index:2147483000;color:#1d2230;" +
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;" +
    "-webkit-font-smoothing:antialiased;text-align:left}.fd.l{right:auto;left:20px}" +
    "button{font:inherit;color:inherit;background:none;border:0;padding:0;margin:0;cursor:pointer}" +
    "button:focus-visible{outline:2px solid var(--a);outline-offset:2px}" +
    "svg{width:24px;height:24px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}" +
    ".ln{position:relative;display:grid;place-items:center;width:60px;height:60px;border-radius:50%;" +
    "background:var(--a);color:#fff;box-shadow:0 4px 12px rgba(0,0,0,.15),0 12px 32px rgba(0,0,0,.15);transition:transform .2s}" +
    ".ln:hover{transform:scale(1.06)}.ln svg{position:absolute;width:28px;height:28px;transition:transform .25s,opacity .2s}" +
    ".i1{fill:#fff;stroke:none}.i2,.open .i1{opacity:0;transform:rotate(-60deg) scale(.5)}.open .i2{opacity:1;transform:none}" +
    ".bd{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;" +
    "background:#e5484d;color:#fff;font-size:12px;font-weight:700;line-height:18px;text-align:center;border:2px solid #fff}.bd:empty{display:none}" +
    ".win{position:absolute;right:0;bottom:76px;width:384px;height:min(640px,calc(100vh - 116px));display:flex;flex-direction:column;" +
    "background:#fff;border-radius:18px;overflow:hidden;box-shadow:0 16px 50px rgba(17,24,39,.22),0 2px 8px rgba(17,24,39,.08);" +
    "opacity:0;visibility:hidden;transform:translateY(14px) scale(.97);transform-origin:bottom right;" +
    "transition:opacity .2s,transform .2s,visibility 0s .2s}.l .win{right:auto;left:0;transform-origin:bottom left}" +
    ".open .win{opacity:1;visibility:visible;transform:none;transition:opacity .2s,transform .2s}" +
    "header{display:flex;align-items:center;gap:10px;padding:16px 10px 16px 16px;color:#fff;background:var(--a);" +
    "background:linear-gradient(135deg,var(--a),color-mix(in srgb,var(--a),#000 28%))}" +
    ".av{flex:none;display:grid;place-items:center;width:38px;height:38px;margin-right:2px;border-radius:50%;background:rgba(255,255,255,.2);" +
    "font-size:16px;font-weight:600;text-transform:uppercase;box-shadow:0 0 0 2px rgba(255,255,255,.35)}" +
    ".hd{flex:1;min-width:0;display:flex;flex-direction:column}.t,.s{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}" +
    ".t{font-size:16px;font-weight:600}.s{font-size:13px;opacity:.85}" +
    ".end{padding:6px 9px;border-radius:8px;background:rgba(255,255,255,.16);font-size:12px;font-weight:500;white-space:nowrap}" +
    ".end:hover,.x:hover{background:rgba(255,255,255,.28)}.x{display:grid;place-items:center;width:32px;height:32px;border-radius:8px}" +
    ".st{padding:6px 12px;background:#fff6dc;color:#7a5800;font-size:12.5px;text-align:center;overflow:hidden;animation:fdin .2s .8s both}" +
    ".st.bad{background:#fdecec;color:#a8262c;animation:none}" +
    "@keyframes fdin{from{max-height:0;padding:0 12px;opacity:0}to{max-height:40px}}" +
    ".log,.c,.cs,.pe{display:flex;flex-direction:column}.log{flex:1;overflow-y:auto;padding:8px 14px 14px;background:#f5f6f8;overscroll-behavior:contain}" +
    ".m{max-width:82%;margin-top:10px;align-self:flex-start;display:flex;flex-direction:column;align-items:flex-start}" +
    ".me{align-self:flex-end;align-items:flex-end}.me+.me,.them+.them{margin-top:3px}" +
    ".n{font-size:12px;color:#6b7180;margin:0 0 3px 12px}.them.same .n{display:none}" +
    ".b{padding:9px 13px;border-radius:18px 18px 18px 6px;white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;" +
    "box-shadow:0 1px 2px rgba(16,24,40,.1)}.me .b{background:var(--a);color:#fff;border-radius:18px 18px 6px 18px}" +
    ".p .b{opacity:.55}.f{font-size:11.5px;color:#8a8f9c;margin:3px 4px 0;animation:fdv 0s 1.5s both}@keyframes fdv{from{visibility:hidden}}" +
    ".bad .b{opacity:1;background:#fff;color:#1d2230;box-shadow:inset 0 0 0 1px #efb2b2}.bad .f{color:#c2373d;animation:none}" +
    ".rt{color:var(--a);font-weight:600;text-decoration:underline;margin-left:4px}" +
    ".sy{align-self:center;margin:14px 8px 2px;font-size:12px;color:#8a8f9c;text-align:center}" +
    ".ty{align-self:flex-start;display:flex;gap:4px;margin-top:10px;padding:13px 14px;border-radius:18px 18px 18px 6px;background:#fff;box-shadow:0 1px 2px rgba(16,24,40,.1)}" +
    ".ty i{width:7px;height:7px;border-radius:50%;background:#9ca1ad;animation:fdt 1.2s infinite}" +
    ".ty i:nth-child(2){animation-delay:.15s}.ty i:nth-child(3){animation-delay:.3s}" +
    "@keyframes fdt{0%,60%,100%{transform:none;opacity:.45}30%{transform:translateY(-4px);opacity:1}}" +
    ".ov{align-self:center;margin:16px 8px 4px;padding:10px 14px;border-radius:12px;border:1px dashed #cfd3db;font-size:13px;color:#555b68;text-align:center}" +
    ".cm{display:flex;align-items:flex-end;gap:8px;padding:10px 10px 10px 16px;border-top:1px solid #eceef2;background:#fff}" +
    ".cm textarea{flex:1;resize:none;border:0;outline:0;font:inherit;color:inherit;background:none;height:38px;max-height:120px;padding:8px 0;margin:0}" +
    ".cm textarea::placeholder{color:#9aa0ac}.go{flex:none;display:grid;place-items:center;width:38px;height:38px;border-radius:50%;background:var(--a);color:#fff;transition:opacity .15s}" +
    ".go:disabled{opacity:.3;cursor:default}.go svg{width:18px;height:18px}" +
    ".at{flex:none;display:grid;place-items:center;width:30px;height:38px;margin-left:-8px;color:#7a8090}.at:hover{color:var(--a)}.at svg{width:20px;height:20px}" +
    ".dz .log{outline:2px dashed var(--a);outline-offset:-6px}.b.im{padding:0;overflow:hidden;line-height:0;background:#e9ebef}" +
    ".im img{display:block;max-width:100%;height:auto;max-height:240px;object-fit:cover}.fa{color:inherit;font-weight:600;text-decoration:underline}" +
    ".fa small{display:inline-block;width:100%;font-weight:400;opacity:.75}.av{position:relative;overflow:hidden}.av img{position:absolute;inset:0;width:100%;height:100%;object-fit:cover}" +
    ".ja{width:22px;height:22px;border-radius:50%;margin-right:6px;vertical-align:middle;object-fit:cover}" +
    ".er{padding:0 16px 6px;color:#c2373d;font-size:12.5px;background:#fff}.er:empty{display:none}" +
    ".qu{padding:7px 12px;font-size:12.5px;font-weight:500;text-align:center;color:color-mix(in srgb,var(--a),#000 30%);" +
    "background:color-mix(in srgb,var(--a) 10%,#fff)}" +
    ".qu:before{content:'';display:inline-block;width:7px;height:7px;margin:0 8px 1px 0;border-radius:50%;background:currentColor;animation:fdp 1.6s infinite}" +
    "@keyframes fdp{50%{opacity:.25}}" +
    ".lk{display:block;margin:8px auto 0;color:var(--a);font-weight:600}.lk:hover,.bk:hover{text-decoration:underline}" +
    ".pn{flex:1;overflow-y:auto;padding:20px 20px 16px;overscroll-behavior:contain}.pn>p{margin:0 0 16px;color:#3d4350}" +
    ".fl{margin-bottom:14px}.fl label{display:block;margin-bottom:5px;font-size:13px;font-weight:600;color:#2f3441}" +
    ".op{margin-left:2px;font-weight:400;color:#8a8f9c}" +
    ".in{display:block;width:100%;margin:0;padding:9px 12px;border:1px solid #d3d7df;border-radius:10px;outline:0;background:#fff;" +
    "font:inherit;color:inherit}" +
    ".in:focus{border-color:var(--a);box-shadow:0 0 0 3px color-mix(in srgb,var(--a) 18%,transparent)}" +
    ".in[aria-invalid=true]{border-color:#d4453b}" +
    "textarea.in{height:96px;resize:vertical}" +
    ".sl{position:relative}select.in{appearance:none;padding-right:36px;cursor:pointer}" +
    ".sl svg{position:absolute;right:10px;top:50%;width:18px;height:18px;margin-top:-9px;color:#6b7180;pointer-events:none}" +
    ".hl,.fe{margin-top:5px;font-size:12.5px;color:#6b7180}.hl:empty,.fe:empty{display:none}.fe{color:#c2373d}.all{margin:0 0 10px}" +
    ".bt{display:block;width:100%;padding:11px 16px;border-radius:10px;background:var(--a);color:#fff;font-weight:600}" +
    ".bt:hover{filter:brightness(1.08)}.bt:disabled{opacity:.6;cursor:default}" +
    ".bk{display:block;margin:14px auto 0;font-size:13px;color:#6b7180}" +
    ".wb{margin:-6px 0 18px;padding:9px 12px;border-radius:10px;background:#f3f4f7;font-size:13px;color:#3d4350}" +
    ".dn{padding-top:48px;text-align:center}.dn>p{margin:0 0 24px}" +
    ".ck{display:grid;place-items:center;width:56px;height:56px;margin:0 auto 16px;border-radius:50%;" +
    "background:color-mix(in srgb,var(--a) 12%,#fff);color:var(--a)}.ck svg{width:28px;height:28px;stroke-width:2.5}" +
    ".pw{padding:0 0 8px;font-size:11px;color:#a3a8b3;text-align:center;background:#fff}" +
    ".rc{margin:16px 2px 4px;padding:16px;border-radius:14px;background:#fff;box-shadow:0 1px 2px rgba(16,24,40,.1);text-align:center}" +
    ".rc>b{display:block;margin-bottom:12px}.rb{display:flex;justify-content:center;gap:12px;margin-bottom:12px}" +
    ".rb>*{display:grid;place-items:center;width:46px;height:46px;border-radius:50%;border:1px solid #d3d7df;color:#6b7180}" +
    ".rb button:hover{border-color:var(--a);color:var(--a)}.rb .on{background:var(--a);border-color:var(--a);color:#fff}" +
    ".rb.sr{gap:2px}.rb.sr>*{width:34px;height:34px;border:0;color:#c9ccd4}.rb.sr .on{background:none;color:#f2a516}" +
    ".rb.sr svg{fill:currentColor;stroke:none;width:28px;height:28px}.rc textarea.in{height:64px;margin-bottom:10px}" +
    ".rq{margin:0 0 4px;color:#3d4350;white-space:pre-wrap;overflow-wrap:anywhere}.rc .fe{margin:8px 0 0}" +
    ".tx{margin-top:14px;padding-top:14px;border-top:1px solid #eceef2;text-align:left}.tx p{margin:0;text-align:center;color:#3d4350}" +
    ".tx label{display:block;margin-bottom:5px;font-size:13px;font-weight:600}.tx div{display:flex;gap:8px}" +
    ".tx .bt{width:auto;padding:9px 14px}" +
    ".iv{position:absolute;right:0;bottom:76px;width:320px;max-width:calc(100vw - 40px);padding:14px 14px 12px;border-radius:16px;background:#fff;" +
    "box-shadow:0 12px 40px rgba(17,24,39,.2),0 2px 6px rgba(17,24,39,.08);animation:fdi .25s both}.l .iv{right:auto;left:0}" +
    "@keyframes fdi{from{opacity:0;transform:translateY(10px)}}.ih{display:flex;align-items:center;gap:10px}" +
    ".iv .av{width:36px;height:36px;margin:0;background:var(--a);color:#fff;box-shadow:none;font-size:14px}.iv .t{flex:1;min-width:0;font-size:14px}" +
    ".ic{display:grid;place-items:center;width:28px;height:28px;border-radius:8px;color:#6b7180}.ic:hover{background:#f0f1f4}.ic svg{width:18px;height:18px}" +
    ".ix{margin:10px 2px 12px;max-height:40vh;overflow-y:auto;white-space:pre-wrap;overflow-wrap:anywhere;color:#2f3441}" +
    ".ir{display:flex;gap:8px}.ir .in{flex:1;min-width:0;padding:8px 14px;border-radius:19px}" +
    "@media (max-width:480px){.win{position:fixed;inset:0;width:auto;height:auto;border-radius:0}.open .ln{display:none}.cm textarea,.in{font-size:16px}}" +
    "@media (prefers-reduced-motion:reduce){*{transition:none!important}}";
  var HTML = '<div class="fd"><section class="win" role="dialog" aria-modal="false">' +
    '<header><div class="av" aria-hidden="true"></div><div class="hd"><b class="t"></b><span class="s"></span></div>' +
    '<button type="button" class="end" aria-label="End chat">End chat</button>' +
    '<button type="button" class="x" aria-label="Minimize chat window">' + ICON.chev + '</button></header>' +
    '<div class="st" role="status" hidden></div><div class="qu" role="status" hidden></div>' +
    '<div class="log" role="log" aria-live="polite"><div class="m them gr" hidden><div class="b"></div></div>' +
    '<div class="cs"></div><div class="pe"></div><div class="ty" aria-label="Agent is typing" hidden><i></i><i></i><i></i></div>' +
    '<div class="rc" role="region" aria-label="Rate this chat" hidden></div><div class="ov" hidden>This chat has ended. Write a message to start a new one.' +
    '<button type="button" class="lk" hidden>Leave us a message instead</button></div></div><div class="pn" hidden></div>' +
    '<form class="cm"><button type="button" class="at" aria-label="Attach a file" hidden>' + ICON.clip +
    '</button><input type="file" hidden><textarea rows="1" aria-label="Message" placeholder="Write a message…"></textarea>' +
    '<button class="go" type="submit" aria-label="Send message" disabled>' + ICON.send + '</button></form>' +
    '<div class="er" role="alert"></div><div class="pw">Powered by frontdesk</div></section>' +
    '<button type="button" class="ln" aria-label="Open chat" aria-expanded="false">' + ICON.chat + ICON.down +
    '<span class="bd" aria-hidden="true"></span></button><div class="iv" role="dialog" aria-live="polite" hidden></div></div>';

  var host, root, $ = function (s) { return root.querySelector(s); };
  var widgetEl, windowEl, logEl, chatsEl, pendingEl, textarea, sendButton, typingEl, endedEl, statusEl, subtitleEl, endButton;
  var launcher, queueEl, panelEl, composer, offlineLink, ratingEl, chatSections = {}, bubbles = {}, openedAt = 0;

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }
  function button(parent, cls, text, click) {
    var b = parent.appendChild(el("button", cls, text));
    b.type = "button";
    b.onclick = click;
  }
  function clockTime(s) {
    var d = new Date(s);
    return isNaN(d) ? "" : d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
  }
  // Insert n into parent keeping children ordered by their .s (seq or chat id).
  function insertBySeq(parent, n) {
    var c = parent.lastChild;
    while (c && c.s > n.s) c = c.previousSibling;
    parent.insertBefore(n, c ? c.nextSibling : parent.firstChild);
  }
  function nearBottom() { return logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 80; }
  function scrollToBottom() { logEl.scrollTop = logEl.scrollHeight; }

  function eventNode(e, c) {
    var k = e.kind, a = e.author || {}, d = e.data || {}, n, to = d.to_agent || d.to_department;
    if (k === "message") {
      n = el("div", "m " + (a.type === "visitor" ? "me" : "them"));
      if (a.type !== "visitor") n.appendChild(el("div", "n", a.name || "Support")).parentNode.aid = a.id || 0;
      var b = n.appendChild(el("div", "b", d.attachment ? null : e.text));
      b.title = clockTime(e.created_at);
      if (d.attachment) fileView(b, d.attachment);
    } else if (k === "chat.started") {
      n = el("div", "sy", "Chat started · " + clockTime(e.created_at));
    } else if (k === "chat.assigned") {
      n = el("div", "sy");
      a = d.agent || {};
      drawFace(n, a, "ja");
      n.appendChild(document.createTextNode((a.name || "An agent") + (a.title ? ", " + a.title + "," : "") + " joined the chat"));
    } else if (k === "chat.transferred") {
      n = el("div", "sy", "Transferred to " + (to ? to.name : "another agent"));
    } else if (k === "chat.escalated") { // the reason stays with the agents (never sent here)
      n = el("div", "sy", "We're connecting you with a specialist");
    } else if (k === "chat.joined" || k === "chat.left" || k === "chat.taken_over") { // a supervisor
      n = el("div", "sy", ((d.agent || {}).name || "An agent") +
        (k === "chat.joined" ? " joined the chat" : k === "chat.left" ? " left the chat" : " is now helping you"));
    } else if (k === "chat.closed") {
      a = a.name || (c.agent || {}).name;
      n = el("div", "sy", d.reason === "missed" ? "Sorry, nobody could answer in time. Chat ended." :
        d.by === "visitor" ? "Chat ended by you" : d.by === "agent" && a ? "Chat ended by " + a : "Chat ended");
    }
    if (n) n.s = e.seq;
    return n;
  }
  function drawEvent(id, e) {
    var n = eventNode(e, chat(id)), s = chatSections[id];
    if (!n) return;
    if (!s) { s = chatSections[id] = el("div", "c"); s.s = +id; insertBySeq(chatsEl, s); }
    insertBySeq(s, n);
    markAuthorRun(n);
    markAuthorRun(n.nextSibling);
  }
  // An agent's name shows once over their run of messages; with a supervisor in the chat, a
  // different agent's message starts a new run.
  function markAuthorRun(n) {
    if (n && n.aid != null) n.classList.toggle("same", !!n.previousSibling && n.previousSibling.aid === n.aid);
  }
  function drawPending(o) {
    var n = bubbles[o.client_id], f;
    if (!n) {
      n = bubbles[o.client_id] = el("div", "m me p");
      n.appendChild(el("div", "b", o.text));
      n.appendChild(el("div", "f"));
      pendingEl.appendChild(n);
    }
    n.classList.toggle("bad", !!o.fail);
    f = n.lastChild;
    f.textContent = o.fail ? "Not sent: " + o.fail : "Sending…";
    if (o.fail) button(f, "rt", "Retry", function () { delete o.fail; save(); drawPending(o); transmit(o); connect(); });
  }
  function initials(s) {
    return (s || "").split(/\s+/).filter(Boolean).slice(0, 2).map(function (w) { return w[0]; }).join("");
  }
  function windowTitle() { return options.title || config.title || "Chat with us"; }
  function greeting() { return options.greeting || config.greeting; }

  function render() { // header, banners, badge: everything derived from state
    if (!root) return;
    var c = currentChat(), open = c && !c.done, ag = open && c.agent, m = windowMode(), chatting = m === "chat";
    var queue = chatting && open && !ag && c.q, wait = queue && queue.estimated_wait_seconds;
    $(".t").textContent = windowTitle();
    windowEl.setAttribute("aria-label", windowTitle());
    subtitleEl.textContent = stopped ? "Chat is unavailable" : ag ? ag.title ? ag.name + " · " + ag.title : "You're chatting with " + ag.name.split(" ")[0] :
      open ? queue ? "Waiting for an agent…" : "Waiting for an agent to join…" :
      m === "off" || config.online === false ? "We're away — leave a message" : "We typically reply in a few minutes";
    queueEl.hidden = !queue;
    if (queue) {
      queueEl.textContent = "You're #" + queue.position + " in line · " + (wait == null ? "waiting for the next available agent" :
        "about " + Math.max(1, Math.ceil(wait / 60)) + " min");
    }
    var av = $(".av"), faceKey = ag ? ag.name + ag.avatar_url : windowTitle();
    if (av.k !== faceKey) { av.k = faceKey; av.textContent = initials(ag ? ag.name : windowTitle()) || "?"; drawFace(av, ag); }
    $(".at").hidden = stopped || !open || !((config.attachments || {types: [1]}).types || []).length;
    endButton.hidden = !open || stopped;
    endedEl.hidden = !(c && c.done) || outbox.length > 0;
    offlineLink.hidden = !(c && c.miss);
    logEl.hidden = composer.hidden = $(".er").hidden = !chatting;
    panelEl.hidden = chatting;
    drawPanel(m);
    var g = $(".gr");
    g.hidden = !greeting();
    g.firstChild.textContent = greeting() || "";
    var color = options.color || config.accent_color;
    if (color && window.CSS && CSS.supports("color", color)) widgetEl.style.setProperty("--a", color);
    widgetEl.classList.toggle("l", options.position === "left");
    widgetEl.classList.toggle("open", !!state.open);
    launcher.setAttribute("aria-expanded", !!state.open);
    launcher.setAttribute("aria-label", state.open ? "Close chat" : "Open chat");
    $(".bd").textContent = unread && !state.open ? unread > 9 ? "9+" : unread : "";
    textarea.disabled = !!stopped;
    sendButton.disabled = stopped || !textarea.value.trim();
    drawRating();
    drawInvitation();
    markRead();
  }
  function showStatus(t, bad) {
    if (!statusEl) return;
    statusEl.textContent = t || "";
    statusEl.hidden = !t;
    statusEl.classList.toggle("bad", !!bad);
  }
  function agentTyping(on) {
    clearTimeout(agentTypingTimer);
    var nb = nearBottom();
    typingEl.hidden = !on;
    if (on) agentTypingTimer = setTimeout(agentTyping, 8000, false);
    if (nb) scrollToBottom();
  }
  function showWindow(open) {
    state.open = !!open;
    save();
    if (!root) return;
    if (open) { unread = 0; openedAt = Date.now(); loadConfig(); scrollToBottom(); setTimeout(focusWindow, 50); }
    render();
  }
  // ---- the invitation bubble: an `invitation` frame shows it by the launcher (window closed, no
  // open chat); a reply starts the chat with invitation_id, × sends invitation.dismiss.
  var invitation, invitationsShown = {};
  function drawInvitation() {
    var bubble = $(".iv"), inv = invitation, on = inv && !state.open && !isOpenChat() && !stopped, a, h, f, i, b;
    bubble.hidden = !on;
    if (!on || bubble.k === inv.id) return;
    bubble.k = inv.id;
    bubble.textContent = "";
    a = inv.agent || {name: config.title || options.title || "Our team"};
    bubble.setAttribute("aria-label", "Message from " + a.name);
    h = bubble.appendChild(el("div", "ih"));
    drawFace(h.appendChild(el("div", "av", initials(a.name) || "?")), a);
    h.appendChild(el("b", "t", a.name));
    button(h, "ic", null, function () {
      sendFrame({type: "invitation.dismiss", invitation_id: inv.id});
      invitation = 0;
      render();
    });
    h.lastChild.innerHTML = ICON.x;
    h.lastChild.setAttribute("aria-label", "Dismiss");
    bubble.appendChild(el("p", "ix", inv.text));
    f = bubble.appendChild(el("form", "ir"));
    i = f.appendChild(el("input", "in"));
    i.maxLength = MAX_CHARS;
    i.placeholder = "Write a reply…";
    i.setAttribute("aria-label", "Reply");
    b = f.appendChild(el("button", "go"));
    b.innerHTML = ICON.send;
    b.setAttribute("aria-label", "Send reply");
    f.onsubmit = function (e) {
      e.preventDefault();
      if (!i.value.trim()) return i.focus();
      invitation = 0;
      sendMessage(i.value, 0, inv.id).catch(function () {});
      showWindow(1);
    };
    if (!invitationsShown[inv.id]) sendFrame({type: "invitation.shown", invitation_id: invitationsShown[inv.id] = inv.id});
  }
  function focusWindow(n) {
    n = n || panelEl.querySelector(".in,.bt");
    (panelEl.hidden || !n ? textarea : n).focus();
  }

  // ---- config, pre-chat form, offline form ----------------------------------------------------
  // The window shows "chat", "pre" (pre-chat form), "off" (offline form), "thx" (sent) or "wait".
  function windowMode() {
    var d = configLoadedAt && onlyDepartment();
    if (offline) return offline.ok ? "thx" : "off";
    if (stopped || chatStarted || isOpenChat() || outbox.length) return "chat";
    if (d && !d.accepting_chats) return "off";
    if (config.dept !== department && !configLoaded) return "wait";
    return (config.prechat || {}).enabled ? "pre" : "chat";
  }
  function departments() { return config.dept === department && config.departments || []; }
  function departmentBySlug(slug) { return departments().filter(function (d) { return d.slug === slug; })[0]; }
  function onlyDepartment() { var ds = departments(); return ds.length === 1 && ds[0]; }
  function loadConfig(force) {
    var d = department;
    if (configRequest || !force && config.dept === d && Date.now() - configLoadedAt < 60000) return;
    configRequest = fetch(BASE_URL + "/api/v1/widget/config" + (d ? "?department=" + encodeURIComponent(d) : "")).then(function (r) {
      if (r.status === 404 && d && d === department) {
        department = "";
        console.warn("frontdesk: no department " + d);
      }
      return r.ok && r.json();
    }).then(function (c) {
      if (c) { c.dept = d; config = c; configLoadedAt = Date.now(); storage(KEY + "config", JSON.stringify(c)); setMode(c.tracking); }
    }).catch(function () {}).then(function () {
      configRequest = 0;
      if (d === department) { configLoaded = 1; render(); } else loadConfig();
    });
  }
  function readableError(m) { // "email: is not valid" → "Is not valid"
    return String(m).replace(/^[\w.[\]]+: (.)/, function (x, c) { return c.toUpperCase(); });
  }
  var REQUIRED = {name: "Please enter your name.", email: "Please enter your e-mail address.", department: "Please choose a topic.",
    question: "Please tell us how we can help.", text: "Please write your message."};
  function fieldError(n, m) { // message m at field n (or above the button)
    var i = root.getElementById("fd-" + n), e = i ? root.getElementById("fd-" + n + "-e") : panelEl.querySelector(".all");
    if (e) e.textContent = m || "";
    if (i) i.setAttribute("aria-invalid", !!m);
    return i;
  }
  function buildForm(label, ok) {
    var f = panelEl.appendChild(el("form", "")), b;
    f.noValidate = true;
    f.appendChild(el("div", "fe all")).setAttribute("role", "alert");
    b = f.appendChild(el("button", "bt", label));
    b.type = "submit";
    f.onsubmit = function (e) {
      var v = {}, bad;
      e.preventDefault();
      [].forEach.call(f.querySelectorAll(".in"), function (i) {
        var t = v[i.name] = formValues[i.name] = i.value.trim();
        t = t ? i.type === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(t) && "Please enter a valid e-mail address." : i.rq && REQUIRED[i.name];
        fieldError(i.name, t);
        if (t && !bad) bad = i;
      });
      fieldError("", "");
      if (bad) bad.focus(); else ok(v, b);
    };
    return f;
  }
  function addField(f, x, ds) { // x: {name, label, required}; ds: departments for a select
    var n = x.name, id = "fd-" + n, w = el("div", "fl"), l = w.appendChild(el("label", "", x.label || n)), i, e, h;
    l.htmlFor = id;
    if (!x.required) l.appendChild(el("span", "op", " optional"));
    if (ds) {
      e = w.appendChild(el("div", "sl"));
      e.innerHTML = ICON.chev;
      i = e.insertBefore(el("select", "in"), e.firstChild);
      [{slug: "", name: "Choose…"}].concat(ds).forEach(function (d) {
        i.appendChild(el("option", "", d.name + (d.accepting_chats === false ? " — offline" : ""))).value = d.slug;
      });
    } else {
      i = w.appendChild(el(n === "question" || n === "text" ? "textarea" : "input", "in"));
      i.maxLength = n === "name" ? 100 : n === "email" ? 254 : MAX_CHARS;
      if (n === "email") i.type = "email";
      if (i.type !== "textarea") i.autocomplete = n;
    }
    i.id = id;
    i.name = n;
    i.rq = x.required;
    i.value = formValues[n] || "";
    if (x.required) i.setAttribute("aria-required", "true");
    i.setAttribute("aria-describedby", id + "-e");
    h = ds && w.appendChild(el("div", "hl", (departmentBySlug(i.value) || {}).description));
    w.appendChild(el("div", "fe")).id = id + "-e";
    i.oninput = i.onchange = function () {
      var d = ds && departmentBySlug(i.value) || {};
      formValues[n] = i.value;
      fieldError(n, "");
      if (h) h.textContent = d.description || "";
      if (d.accepting_chats === false) { offline = {dept: d.slug, back: "pre"}; formValues.text = formValues.text || formValues.question; render(); }
    };
    f.insertBefore(w, f.querySelector(".all"));
  }
  function openingTime(s) { // "tomorrow at 09:00", in the visitor's time zone and language
    var d = new Date(s), t = d.toLocaleTimeString([], {hour: "numeric", minute: "2-digit"});
    var days = Math.round((new Date(s).setHours(0, 0, 0, 0) - new Date().setHours(0, 0, 0, 0)) / 864e5);
    return (days < 1 ? "today" : days < 2 ? "tomorrow" :
      d.toLocaleDateString([], {weekday: "long", month: "short", day: "numeric"})) + " at " + t;
  }
  function drawPanel(m) { // (re)built when what it shows changes; keeps the focus in the window
    var k = m + (m === "chat" ? "" : JSON.stringify([config.prechat, greeting(), departments(), department, offline])), a = root.activeElement;
    var keep = panelKey && state.open && (a ? a === launcher || windowEl.contains(a) : Date.now() - openedAt < 3000), f, s, d, i;
    if (k === panelKey) return;
    panelKey = k;
    panelEl.textContent = "";
    panelEl.className = "pn" + (m === "thx" ? " dn" : "");
    if (m === "pre") {
      d = departments();
      if (greeting()) panelEl.appendChild(el("p", "", greeting()));
      f = buildForm("Start chat", function (v) {
        sendMessage(v.question, {department: department || v.department || undefined, name: v.name || undefined,
          email: v.email || undefined}).catch(function () {});
      });
      ((config.prechat || {}).fields || []).concat({name: "question", label: "How can we help?", required: 1}).forEach(function (x) {
        var n = x.name;
        if (!root.getElementById("fd-" + n) && (n === "department" ? !department && d.length > 1 : /^(name|email|question)$/.test(n))) {
          addField(f, x, n === "department" && d);
        }
      });
      if (prechatError) i = fieldError(prechatError[0] === "text" ? "question" : prechatError[0], readableError(prechatError[1]));
      prechatError = 0;
    }
    if (m === "off") {
      s = offline ? offline.dept : onlyDepartment().slug;
      d = departmentBySlug(s) || {};
      panelEl.appendChild(el("p", "", d.offline_message || "Leave us a message and we'll reply by e-mail."));
      if (d.next_opening) panelEl.appendChild(el("p", "wb", "We're back ")).appendChild(el("b", "", openingTime(d.next_opening)));
      f = buildForm("Send message", function (v, b) { sendOffline(s, v, b); });
      addField(f, {name: "name", label: "Your name"});
      addField(f, {name: "email", label: "E-mail", required: 1});
      addField(f, {name: "text", label: "Your message", required: 1});
      if (offline && offline.back) {
        button(panelEl, "bk", offline.back === "pre" ? "← Choose another topic" : "← Back to the chat", function () {
          if (offline.back === "pre") formValues.department = "";
          offline = 0;
          render();
        });
      }
    }
    if (m === "thx") {
      panelEl.appendChild(el("div", "ck")).innerHTML = ICON.ok;
      panelEl.appendChild(el("p", "", "Thanks — we'll e-mail you at " + offline.ok + "."));
      button(panelEl, "bt", "Done", function () { offline = 0; showWindow(0); launcher.focus(); });
    }
    if (keep) focusWindow(i || a && a.name && root.getElementById("fd-" + a.name));
  }
  function sendOffline(s, v, b) {
    b.disabled = true;
    b.textContent = "Sending…";
    fetch(BASE_URL + "/api/v1/widget/offline", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({
      department: s || undefined, name: v.name || undefined, email: v.email, text: v.text, visitor_token: token || undefined
    })}).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.ok) { offline = {dept: s, ok: v.email}; formValues.text = ""; return render(); }
        throw r.status === 429 ? "You've sent several messages in a short time. Please wait a few minutes and try again." :
          r.status === 400 && j.error || 0;
      });
    }).catch(function (e) {
      b.disabled = false;
      b.textContent = "Send message";
      e = fieldError(e.field, typeof e === "string" ? e : e.message ? readableError(e.message) : "Your message could not be sent. Please try again.");
      if (e) e.focus();
    });
  }

  // ---- events ---------------------------------------------------------------------------------
  function setCurrentChat(id) {
    if (+id === +state.cur) return;
    state.cur = +id;
    chat(id).done = 0;
    Object.keys(state.chats).sort(function (a, b) { return b - a; }).slice(3).forEach(function (old) {
      delete state.chats[old];
      if (chatSections[old]) { chatSections[old].remove(); delete chatSections[old]; }
    });
  }
  function onEvent(e, live) {
    var id = e.chat_id, s = e.seq, c, nb = root && nearBottom();
    if (!id || !s) return;
    if (+id > +state.cur) setCurrentChat(id);
    c = chat(id);
    delete e.type;
    var added = core.addEvent(c, e);
    if (!added) return; // a seq already held
    if (live) liveEvents[id + ":" + s] = 1;
    added.run.forEach(function (x) { announce(id, x); }); // API events go out in seq order
    if (added.gap) resync(id); // a gap below s
    var k = e.kind, a = e.author || {};
    if (k === "chat.assigned" || k === "chat.transferred" || k === "chat.taken_over") {
      c.agent = (e.data || {}).agent || (e.data || {}).to_agent;
      c.q = 0;
    }
    if (k === "chat.escalated") c.agent = null; // waiting again, for a specialist
    if (k === "chat.closed") {
      c.done = 1;
      c.miss = /^(missed|department_deleted)$/.test((e.data || {}).reason); // offer the offline form
      if ((e.data || {}).reason === "department_deleted") c.dept = "";
      closers.splice(0).forEach(function (w) { w[0](e); });
    }
    if (root) drawEvent(id, e);
    if (core.settledBy(e)) settle(e.client_id, e);
    if (k === "message" && a.type !== "visitor" && root) {
      agentTyping(false);
      if (!state.open && live) unread++;
    }
    save();
    render();
    if (root && (nb || a.type === "visitor")) scrollToBottom();
  }
  // Read receipts: the newest agent message shown (the window open on the chat, the page visible)
  // goes to the server as `read` a second later, once per seq (it marks it "Seen" for the agent).
  var readSent = {}, readTimer;
  function markRead() {
    readTimer = readTimer || setTimeout(function () {
      var id = state.cur, c = currentChat(), s = 0, k, e;
      readTimer = 0;
      if (!ready || !state.open || document.hidden || !c || c.done || windowMode() !== "chat") return;
      for (k in c.ev) if (e = c.ev[k], +k <= c.last && e.kind === "message" && (e.author || {}).type === "agent" && +k > s) s = +k;
      if (s > (readSent[id] || 0)) { readSent[id] = s; sendFrame({type: "read", seq: s}); }
    }, 1000);
  }
  function announce(id, e) {
    var k = e.kind, f = id + ":" + e.seq;
    if (liveEvents[f]) emit(k === "message" ? k : k.replace(".", ":"), e);
    delete liveEvents[f];
  }
  function settle(cid, e) {
    var w = waiters[cid];
    outbox = core.settle(outbox, cid);
    if (bubbles[cid]) { bubbles[cid].remove(); delete bubbles[cid]; }
    if (w) { delete waiters[cid]; w[0](e); }
    save();
  }
  function resync(id) {
    if (ready && !syncing[id]) {
      syncing[id] = 1;
      sendFrame(core.syncFrame(id, chat(id)));
    }
  }
  function onError(m) {
    var r = m.ref, o = r && outbox.filter(function (x) { return x.client_id === r; })[0], w = r && waiters[r], e;
    if (o) {
      if (m.code === "unavailable") return setTimeout(transmit, 2000, o);
      if (m.code === "offline" || o.start && m.field) { // to the offline form, or back to the pre-chat one
        outbox = outbox.filter(function (x) { return x !== o; });
        if (bubbles[r]) { bubbles[r].remove(); delete bubbles[r]; }
        if (o.start) chatStarted = 0;
        if (m.code === "offline") {
          formValues.text = (offline && formValues.text ? formValues.text + "\n\n" : "") + o.text; // keep what they wrote
          offline = {dept: m.department || (o.start || {}).department || department,
            back: o.start ? !department && departments().length > 1 && "pre" : chatsEl.firstChild && "chat"};
          loadConfig(1);
        } else prechatError = [m.field, m.message];
      } else {
        o.fail = m.message || m.code;
        if (root) drawPending(o);
      }
      save();
      render();
    }
    if (w) {
      delete waiters[r];
      closers = closers.filter(function (c) { return c !== w; });
      if (m.code === "chat_closed" && !o) w[0]();
      else { e = apiError(m.code, m.message, m.retry_after); e.reason = m.reason; w[1](e); }
    }
  }
  function onFrame(m) {
    lastReceivedAt = Date.now();
    var t = m.type, ch = m.chat, c = currentChat(), e = core.eventOf(m);
    if (m.ref && requests[m.ref]) return onReply(m);
    if (t === "welcome") {
      ready = 1;
      clearTimeout(stableTimer);
      stableTimer = setTimeout(function () { attempt = 0; quickRetries = 0; }, 10000);
      showStatus("");
      ["name", "email"].forEach(function (k) { formValues[k] = formValues[k] || (m.visitor || {})[k] || ""; });
      if (ch) {
        setCurrentChat(ch.id);
        c = chat(ch.id);
        c.done = 0;
        if (ch.agent) c.agent = ch.agent;
      } else if (c) c.done = 1;
      if (state.cur) resync(state.cur);
      core.resendFrames(outbox, department).forEach(sendFrame);
      queuedFrames.splice(0).forEach(sendFrame);
      if (identity) sendFrame(identity);
      if (helloTracked) countedUrl = helloTracked;
      sendPageView();
      if (m.tracking) setMode(m.tracking);
      invitation = m.invitation || 0;
      save();
      render();
    } else if (e) { // an event, or the ack of the visitor's own send
      onEvent(e, 1);
      if (t === "ack") settle(m.ref, chat(e.chat_id).ev[e.seq] || e);
    } else if (t === "synced") { // seqs it skipped are agents' notes: don't wait for them
      syncing[m.chat_id] = 0;
      core.skipHidden(chat(m.chat_id), m.last_seq).forEach(function (x) { announce(m.chat_id, x); });
      save();
    } else if (t === "typing") { if ((m.author || {}).type === "agent" && root) agentTyping(m.typing); }
    else if (t === "visitor") identity = null;
    else if (t === "queue" && m.chat_id) { c = chat(m.chat_id); c.q = m; c.dept = m.department; save(); render(); }
    else if (t === "error") onError(m);
    else if (t === "invitation") { invitation = m.invitation || 0; render(); }
    else if (t === "invitation.closed") { if (invitation && invitation.id === m.invitation_id) invitation = 0; render(); }
    else if (t === "chat.rated") { chat(m.chat_id).rt = m.rating; save(); render(); } // from another tab
    else if (t === "visitor.forgotten") { // their data was deleted: nothing of it is kept or sent again
      outbox = [];
      identity = null;
      c = socket; onLost(4001); c.close(); // the server closes it with 4001 too, on every node
    }
  }

  // ---- after a chat: rating and transcript by e-mail (frames chat.rate, transcript.email) ----
  var requests = {}, card = {}, ratingKey;
  function request(f, cb) { // a frame answered by its ref: cb(error frame or 0, answer)
    f.ref = randomId();
    requests[f.ref] = {cb: cb, sent: !!ready};
    if (ready) sendFrame(f); else { queuedFrames.push(f); connect(); }
  }
  function onReply(m) {
    var q = requests[m.ref];
    delete requests[m.ref];
    q.cb(m.type === "error" && m, m);
  }
  function ratingConfig() { return Object.assign({enabled: true, scale: "thumbs", transcript: true}, config.rating); }
  function ratingButton(w, tag, n, on, svg, label, click) {
    var b = w.appendChild(el(tag, on ? "on" : ""));
    b.innerHTML = svg;
    if (click) {
      b.type = "button";
      b.setAttribute("aria-label", label);
      b.setAttribute("aria-pressed", !!on);
      b.onclick = function () { click(n); };
    }
  }
  function ratingScale(n, click, thumbs) { // the thumbs (5 or 1) or five stars; buttons when click is given
    var w = ratingEl.appendChild(el("div", "rb" + (thumbs ? "" : " sr"))), i, tag = click ? "button" : "span";
    if (!click) {
      w.setAttribute("role", "img");
      w.setAttribute("aria-label", thumbs ? n > 3 ? "Good" : "Bad" : n + " of 5");
    }
    if (thumbs) {
      if (click || n > 3) ratingButton(w, tag, 5, n === 5, ICON.up, "Good", click);
      if (click || n < 3) ratingButton(w, tag, 1, n === 1, ICON.dn, "Bad", click);
    } else for (i = 1; i < 6; i++) ratingButton(w, tag, i, click ? i === n : i <= n, ICON.star, i + " star" + (i > 1 ? "s" : ""), click);
  }
  function drawRating() { // the card under an ended chat; rebuilt only when what it shows changes
    var c = currentChat(), r = ratingConfig(), rt = c && c.rt, id = state.cur, f, i, b;
    var on = windowMode() === "chat" && c && c.done && !c.miss && c.agent && r.enabled && !outbox.length;
    ratingEl.hidden = !on;
    if (!on) return;
    if (card.id !== id) card = {id: id, s: 0, cm: ""};
    var edit = !rt || card.ed, late = rt && Date.now() > Date.parse(rt.changeable_until);
    var k = JSON.stringify([id, rt, c.tx, formValues.email, r, card.s, card.ed, card.busy, card.err, card.tb, card.te, late]);
    if (k === ratingKey) return;
    ratingKey = k;
    ratingEl.textContent = "";
    if (!edit) {
      ratingEl.appendChild(el("b", "", "Thanks for your feedback!"));
      ratingScale(rt.score, 0, r.scale === "thumbs" && (rt.score === 5 || rt.score === 1));
      if (rt.comment) ratingEl.appendChild(el("p", "rq", "\u201c" + rt.comment + "\u201d"));
      if (!late) button(ratingEl, "bk", "Change my rating", function () { card.ed = 1; card.s = rt.score; card.cm = rt.comment || ""; render(); });
    } else {
      ratingEl.appendChild(el("b", "", "How was your chat with " + (c.agent.name || "us").split(" ")[0] + "?"));
      ratingScale(card.s, function (n) { card.s = n; card.err = ""; render(); }, r.scale === "thumbs");
      if (card.s) {
        var commentBox = ratingEl.appendChild(el("textarea", "in"));
        commentBox.id = "fd-rc";
        commentBox.maxLength = 1000;
        commentBox.placeholder = "Tell us more (optional)";
        commentBox.setAttribute("aria-label", "Comment (optional)");
        commentBox.value = card.cm;
        commentBox.oninput = function () { card.cm = commentBox.value; };
        button(ratingEl, "bt", card.busy ? "Sending…" : "Send feedback", function () {
          card.busy = 1;
          render();
          request({type: "chat.rate", chat_id: id, rating: card.s, comment: card.cm.trim() || undefined}, function (e, m) {
            card.busy = 0;
            card.err = e ? readableError(e.message || "Your rating could not be sent.") : "";
            if (!e) { chat(id).rt = m.rating; card.ed = 0; save(); }
            render();
          });
        });
        ratingEl.lastChild.disabled = !!card.busy;
      }
      ratingEl.appendChild(el("div", "fe", card.err || "")).setAttribute("role", "alert");
    }
    for (i in c.ev) if (c.ev[i].kind === "message" && c.ev[i].author.type === "agent") b = 1;
    if (!r.transcript || !formValues.email || !b) return; // only an answered chat, to the address the visitor gave
    f = ratingEl.appendChild(el("form", "tx"));
    if (c.tx && !card.te) return f.appendChild(el("p", "", "We've sent the transcript to " + c.tx + "."));
    f.noValidate = true;
    f.appendChild(el("label", "", "E-mail me the transcript")).htmlFor = "fd-tx";
    b = f.appendChild(el("div", ""));
    i = b.appendChild(el("input", "in"));
    i.id = "fd-tx";
    i.type = "email";
    i.autocomplete = "email";
    i.maxLength = 254;
    i.value = formValues.email;
    i.readOnly = true;
    b.appendChild(el("button", "bt", card.tb ? "Sending…" : "Send")).disabled = !!card.tb;
    f.appendChild(el("div", "fe", card.te || "")).setAttribute("role", "alert");
    f.onsubmit = function (ev) {
      ev.preventDefault();
      card.tb = 1;
      card.te = "";
      render();
      request({type: "transcript.email", chat_id: id, email: formValues.email}, function (e, m) {
        card.tb = 0;
        card.te = e ? readableError(e.message || "The transcript could not be sent.") : "";
        if (!e) { chat(id).tx = m.email; save(); }
        render();
      });
    };
  }

  // ---- connection -----------------------------------------------------------------------------
  function getToken() {
    tokenRequest = fetch(BASE_URL + "/api/v1/widget/visitors", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"
    }).then(function (r) {
      if (r.status === 403) return stop();
      if (!r.ok) throw apiError("http_" + r.status);
      return r.json().then(function (j) {
        token = j.visitor_token;
        storage(TOKEN_KEY, token);
        tokenRequest = 0;
        connect();
      });
    }).catch(function () { tokenRequest = 0; retry(); });
  }
  function connect() {
    if (stopped || socket || retryTimer || tokenRequest) return;
    if (!token) return getToken();
    var s = socket = new WebSocket(WS_URL);
    showStatus(attempt ? "Reconnecting…" : "Connecting…");
    s.onopen = function () {
      lastReceivedAt = Date.now();
      // A tracked reconnect on a page the server already counted sends no page (no second view).
      var url = helloTracked = tracking && location.href;
      sendFrame({type: "hello", v: 1, token: token, page: url && core.samePage(url, countedUrl) ? undefined : core.page(location.href, document.title, pageReferrer),
        track: tracking ? core.track(navigator, screen.width, screen.height, visitCount().n, consented()) : undefined});
    };
    s.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (x) { return; }
      if (m && typeof m === "object") onFrame(m);
    };
    s.onclose = function (ev) { if (s === socket) onLost(ev.code); };
  }
  function onLost(code) {
    socket = null;
    ready = 0;
    syncing = {};
    clearTimeout(stableTimer);
    if (root) agentTyping(false);
    typingSent = 0;
    for (var r in requests) if (requests[r].sent) onReply({ref: r, type: "error", message: "Connection lost. Please try again."});
    if (code === 4003) return stop();
    showStatus("Reconnecting…");
    if (code === 4001) {
      token = null;
      storage(TOKEN_KEY, null);
      state.chats = {};
      state.cur = 0;
      save();
      if (root) { chatsEl.textContent = ""; chatSections = {}; render(); }
    }
    // 4000 (resync) and 4001 (new token) reconnect at once, unless that keeps happening.
    retry((code === 4000 || code === 4001) && !quickRetries++ ? 0 : undefined);
  }
  function retry(delay) {
    if (stopped || retryTimer) return;
    if (delay === undefined) delay = Math.random() * Math.min(30000, 500 * Math.pow(2, attempt++));
    retryTimer = setTimeout(function () { retryTimer = 0; connect(); }, delay);
  }
  function stop() {
    stopped = 1;
    showStatus("Chat unavailable on this site", 1);
    render();
  }
  // No pings from a hidden page without an open chat (the server's own protocol pings keep the
  // connection checked); the silence clock restarts when the page is shown again.
  setInterval(function () {
    if (!ready || document.hidden && !isOpenChat()) return;
    if (Date.now() - lastReceivedAt > 65000) { var s = socket; onLost(1006); s.close(); return; } // silent socket
    sendFrame({type: "ping"});
  }, 25000);
  window.addEventListener("online", function () {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = 0; connect(); }
  });

  // ---- tracking: when core.tracks allows, the widget connects at load (the hello's page is this
  // page view); an SPA navigation sends page.view; page.time the visible time, at most every 15 s
  // and only while visible. The site's mode: /api/v1/widget/config (kept an hour), each welcome.
  var tracking, helloTracked, countedUrl, pendingView, siteMode, pageTimer, navTimer, pageTimeSent = 0, pageTimeMs = -1;
  var pageUrl = location.href, pageReferrer = document.referrer, seenTime = core.seen({ms: 0}, !document.hidden, Date.now());
  var trackMode = loadStored("trk", {});
  if (Date.now() - trackMode.at < 36e5) siteMode = trackMode.m;
  function visitCount() {
    var v = core.visit(loadStored("visit"), Date.now());
    storage(KEY + "visit", JSON.stringify(v));
    return v;
  }
  function setMode(m) {
    m = m && m.mode || m;
    if (typeof m != "string") return;
    storage(KEY + "trk", JSON.stringify({m: m, at: Date.now()}));
    siteMode = m;
    decide();
  }
  function consented() { var c = storage(KEY + "consent"); return c ? c === "1" : undefined; }
  function decide() {
    var was = tracking, s = socket;
    tracking = core.tracks(siteMode, navigator.doNotTrack === "1", !!navigator.globalPrivacyControl, consented());
    onVisibility();
    if (tracking && ready && !helloTracked) { onLost(4000); s.close(); } // a hello with `track` this time
    else if (tracking) connect();
    else if (was && !isOpenChat() && !outbox.length && !Object.keys(requests).length) { // open for tracking alone: hang up
      clearTimeout(retryTimer);
      socket = retryTimer = ready = 0;
      if (s) s.close();
    }
  }
  function sendPageTime(leaving) { // every 15 s while visible; at once when hidden (it may be leaving)
    var now = Date.now(), ms = core.visibleMs(seenTime, now);
    if (!ready || !tracking || (!leaving && now - pageTimeSent < 14e3) || ms === pageTimeMs) return;
    pageTimeSent = now;
    sendFrame({type: "page.time", visible_ms: pageTimeMs = ms});
    visitCount();
  }
  function onVisibility(shown) { // a timer only while tracking and visible
    core.seen(seenTime, !document.hidden, Date.now());
    clearInterval(pageTimer);
    pageTimer = tracking && !document.hidden && setInterval(sendPageTime, 15e3);
    if (document.hidden) sendPageTime(1); // what it was visible for: the tab may be closing
    else if (shown) { lastReceivedAt = Date.now(); render(); } // shown again (the event): the silence clock restarts; read receipts
  }
  document.addEventListener("visibilitychange", onVisibility);
  function navigated() { // pushState, replaceState, popstate: one page.view once it settles
    clearTimeout(navTimer);
    navTimer = setTimeout(function () {
      var url = location.href, now = Date.now(), ms = core.visibleMs(seenTime, now);
      if (core.samePage(url, pageUrl)) return;
      seenTime = core.seen({ms: 0}, !document.hidden, now);
      pendingView = tracking && [url, core.pageView(url, document.title, pageUrl, ms)];
      if (ready) sendPageView();
      pageReferrer = pageUrl;
      pageUrl = url;
    }, 300);
  }
  function sendPageView() { // once connected; a hello sent after the navigation carried it already
    var v = pendingView;
    pendingView = 0;
    if (!v || !tracking || core.samePage(v[0], countedUrl)) return;
    sendFrame(v[1]);
    countedUrl = v[0];
    pageTimeSent = Date.now();
    pageTimeMs = 0;
    visitCount();
    onVisibility();
  }
  ["pushState", "replaceState"].forEach(function (k) {
    var f = history[k];
    if (f) history[k] = function () { var r = f.apply(this, arguments); navigated(); return r; };
  });
  window.addEventListener("popstate", navigated);
  function consent(yes) {
    storage(KEY + "consent", yes ? "1" : "0");
    decide();
  }

  // ---- sending ----------------------------------------------------------------------------------
  function transmit(o) {
    var f = ready && core.messageFrame(o, department);
    if (f) sendFrame(f);
  }
  // Typing, with the draft (sneak peek: the server shows it to the chat's agent only where the
  // department allows, and never stores it): at most every 300 ms, once more when it settles.
  function sendTyping(on) {
    clearTimeout(typingStopTimer);
    clearTimeout(draftTimer);
    if (!on) {
      if (typingSent) sendFrame({type: "typing", typing: false});
      typingSent = 0;
      draftSent = null;
      return;
    }
    if (!ready || !isOpenChat()) return;
    var now = Date.now(), t = textarea ? textarea.value.slice(0, MAX_CHARS) : "";
    if (t !== draftSent && now - typingSentAt < 300) draftTimer = setTimeout(sendTyping, 300 - (now - typingSentAt), true);
    else if (t !== draftSent || !typingSent || now - typingSentAt > 2000) {
      sendFrame({type: "typing", typing: true, text: t});
      typingSentAt = now; typingSent = 1; draftSent = t;
    }
    typingStopTimer = setTimeout(sendTyping, 3000, false);
  }
  function sendMessage(text, start, inv) {
    text = String(text == null ? "" : text).trim();
    if (stopped) return Promise.reject(apiError("forbidden", "Chat unavailable on this site"));
    if (!text) return Promise.reject(apiError("bad_request", "text: must not be blank"));
    if (Array.from(text).length > MAX_CHARS) return Promise.reject(apiError("too_large", "text: at most 4000 characters"));
    var o = {client_id: randomId(), text: text};
    if (start) o.start = start;
    if (inv) o.inv = inv;
    chatStarted = 1;
    sendTyping(false);
    outbox.push(o);
    save();
    if (root) { drawPending(o); scrollToBottom(); render(); }
    return new Promise(function (res, rej) {
      waiters[o.client_id] = [res, rej];
      transmit(o);
      connect();
    });
  }
  function endChat() {
    if (!isOpenChat()) return Promise.resolve();
    var ref = randomId();
    return new Promise(function (res, rej) {
      closers.push(waiters[ref] = [res, rej]);
      if (ready) sendFrame({type: "chat.close", ref: ref});
      else { queuedFrames.push({type: "chat.close", ref: ref}); connect(); }
    });
  }
  function setVisitor(v) {
    v = v || {};
    identity = {type: "visitor.update"};
    if (v.name != null) identity.name = String(v.name);
    if (v.email != null) identity.email = String(v.email);
    sendFrame(identity); // sent again after each welcome until the server answers with `visitor`
    connect();
  }
  function setDepartment(slug) {
    department = slug ? String(slug) : "";
    configLoaded = 0;
    if (state.open) loadConfig();
    render();
  }
  function on(name, cb) {
    (listeners[name] = listeners[name] || []).push(cb);
    return function () { listeners[name] = listeners[name].filter(function (f) { return f !== cb; }); };
  }

  // ---- files: sent and fetched over HTTP with the token in a header (never in a URL)
  var blobs = {}, uploads = {};
  function drawFace(n, g, c) { // an agent's photo (a public URL) over the initials; dropped if it fails
    if (!g || !g.avatar_url) return;
    var i = n.insertBefore(el("img", c || ""), n.firstChild);
    i.alt = "";
    i.onerror = i.remove;
    i.src = BASE_URL + g.avatar_url;
  }
  function fetchBlob(id) {
    return blobs[id] = blobs[id] || fetch(BASE_URL + "/api/v1/widget/attachments/" + id, {headers: {"X-Visitor-Token": token}})
      .then(function (r) { if (r.ok) return r.blob(); throw r; }).then(URL.createObjectURL)
      .catch(function (e) { delete blobs[id]; throw e; });
  }
  function fileSize(n) { return n < 1024 ? n + " B" : n < 1048576 ? (n >> 10) + " KB" : +(n / 1048576).toFixed(1) + " MB"; }
  function fileView(b, f) { // an image as a thumbnail (full size in a new tab), anything else as a link
    var l = b.appendChild(el("a", f.image ? "" : "fa", f.image ? null : f.name)), i;
    l.target = "_blank";
    l.rel = "noopener";
    if (f.image) {
      b.classList.add("im");
      i = l.appendChild(el("img", ""));
      i.alt = f.name;
      i.width = f.width;
      i.height = f.height;
      fetchBlob(f.id).then(function (u) { i.src = l.href = u; }, function () { i.alt = f.name + " (not available)"; });
    } else {
      l.appendChild(el("small", "", fileSize(f.size)));
      l.href = "#";
      l.download = f.name;
      l.onclick = function (e) {
        if (l.u) return;
        e.preventDefault();
        fetchBlob(f.id).then(function (u) { l.href = l.u = u; l.click(); });
      };
    }
    return b;
  }
  function attach(fs) {
    var lim = (config.attachments || {}).max_bytes, er = $(".er");
    [].forEach.call(fs, function (f) {
      er.textContent = !isOpenChat() || stopped ? "Send a message first, then add files." : !f.size ? f.name + " is empty." :
        lim && f.size > lim ? f.name + " is larger than the " + fileSize(lim) + " limit." : "";
      if (er.textContent) return;
      var o = uploads[f.name + f.size] = {client_id: randomId(), f: f, k: f.name + f.size};
      upload(o);
    });
  }
  function upload(o) {
    var x = new XMLHttpRequest(), b = new FormData();
    b.append("client_id", o.client_id);
    b.append("file", o.f, o.f.name);
    o.fail = 0;
    o.text = o.f.name + " · 0%";
    x.open("POST", BASE_URL + "/api/v1/widget/attachments");
    x.setRequestHeader("X-Visitor-Token", token);
    x.upload.onprogress = function (e) { o.text = o.f.name + " · " + Math.round(99 * e.loaded / e.total) + "%"; drawUpload(o); };
    x.onload = x.onerror = function () {
      var j = {};
      try { j = JSON.parse(x.responseText); } catch (e) { /* a network error */ }
      if (x.status > 199 && x.status < 300) onEvent(j.event, 1);
      else if (x.status > 399 && x.status < 500 && x.status !== 429) $(".er").textContent = readableError((j.error || {}).message || "");
      else { o.fail = x.status ? "the server could not take it" : "no connection"; return drawUpload(o); }
      delete uploads[o.k];
      if (bubbles[o.client_id]) { bubbles[o.client_id].remove(); delete bubbles[o.client_id]; }
    };
    x.send(b);
    drawUpload(o);
    scrollToBottom();
  }
  function drawUpload(o) { // an upload in progress: the pending bubble, retried by hand
    if (uploads[o.k] !== o) return;
    drawPending(o);
    var n = bubbles[o.client_id];
    n.firstChild.textContent = o.text;
    if (o.fail) n.lastChild.lastChild.onclick = function () { upload(o); };
  }

  // ---- boot -------------------------------------------------------------------------------------
  function boot() {
    host = document.createElement("frontdesk-widget");
    root = host.attachShadow({mode: "open"});
    root.innerHTML = "<style>" + STYLE + "</style>" + HTML; // static markup only
    widgetEl = $(".fd"); windowEl = $(".win"); logEl = $(".log"); chatsEl = $(".cs"); pendingEl = $(".pe"); composer = $(".cm"); textarea = $(".cm textarea");
    sendButton = $(".go"); typingEl = $(".ty"); endedEl = $(".ov"); statusEl = $(".st"); subtitleEl = $(".s"); endButton = $(".end"); launcher = $(".ln");
    queueEl = $(".qu"); panelEl = $(".pn"); offlineLink = $(".lk"); ratingEl = $(".rc");
    Object.keys(state.chats).forEach(function (id) {
      var ev = state.chats[id].ev;
      Object.keys(ev).forEach(function (s) { drawEvent(id, ev[s]); });
    });
    outbox.forEach(drawPending);
    launcher.onclick = function () { showWindow(!state.open); };
    $(".x").onclick = function () { showWindow(0); launcher.focus(); };
    endButton.onclick = function () {
      if (endButton.dataset.c) { endChat().catch(function () {}); return; }
      endButton.dataset.c = 1;
      endButton.textContent = "End chat?";
      setTimeout(function () { delete endButton.dataset.c; endButton.textContent = "End chat"; }, 3000);
    };
    windowEl.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { showWindow(0); launcher.focus(); }
    });
    function growComposer() {
      textarea.style.height = "";
      textarea.style.height = Math.min(textarea.scrollHeight, 120) + "px";
    }
    function submit() {
      var t = textarea.value;
      if (!t.trim()) return;
      if (Array.from(t.trim()).length > MAX_CHARS) {
        $(".er").textContent = "That message is too long (4000 characters at most).";
        return;
      }
      textarea.value = "";
      growComposer();
      sendMessage(t).catch(function () {});
      render();
    }
    textarea.onkeydown = function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    };
    textarea.oninput = function () {
      growComposer();
      $(".er").textContent = "";
      sendTyping(!!textarea.value.trim());
      render();
    };
    composer.onsubmit = function (e) { e.preventDefault(); submit(); };
    var fileInput = $(".cm input");
    $(".at").onclick = function () { fileInput.click(); };
    fileInput.onchange = function () { attach(fileInput.files); fileInput.value = ""; };
    textarea.onpaste = function (e) {
      var f = (e.clipboardData || {}).files;
      if (f && f.length) { e.preventDefault(); attach(f); }
    };
    windowEl.ondragover = function (e) {
      if ([].indexOf.call(e.dataTransfer.types, "Files") < 0 || !isOpenChat()) return;
      e.preventDefault();
      windowEl.classList.add("dz");
    };
    windowEl.ondragleave = function (e) { if (!windowEl.contains(e.relatedTarget)) windowEl.classList.remove("dz"); };
    windowEl.ondrop = function (e) {
      windowEl.classList.remove("dz");
      if (e.dataTransfer.files.length) { e.preventDefault(); attach(e.dataTransfer.files); }
    };
    offlineLink.onclick = function () { // after a missed chat: leave what they wrote as an offline message
      var c = currentChat(), t = [];
      for (var s in c.ev) if (c.ev[s].kind === "message" && c.ev[s].author.type === "visitor") t.push(c.ev[s].text);
      formValues.text = t.join("\n\n");
      offline = {dept: c.dept || department, back: "chat"};
      loadConfig(1);
      render();
    };
    document.body.appendChild(host);
    render();
    scrollToBottom();
    // Tracking allowed: connect now (a new visitor gets a token first). Else only a visitor with an
    // open chat or unsent messages connects; a new one gets a token when they first send something
    // or are identified with setVisitor().
    if (siteMode) decide();
    if (!siteMode || state.open) loadConfig();
    if (outbox.length || token && isOpenChat()) connect();
  }
  function runQueued(c) {
    var r;
    try { r = Frontdesk[c[0]].apply(Frontdesk, c[1] || []); } catch (x) { if (c[3]) c[3](x); return; }
    if (c[2]) Promise.resolve(r).then(c[2], c[3]);
  }

  var api = {
    open: function () { showWindow(1); }, close: function () { showWindow(0); },
    sendMessage: function (t) { return sendMessage(t); }, setVisitor: setVisitor, setDepartment: setDepartment,
    endChat: endChat, on: on, consent: consent
  };
  Object.keys(api).forEach(function (k) { Frontdesk[k] = api[k]; });
  // Replay calls queued by the stub, in order, then route late stub calls straight through.
  var queued = Frontdesk.q || [];
  Frontdesk.q = {push: runQueued};
  [].forEach.call(queued, runQueued);
  if (document.body) boot(); else document.addEventListener("DOMContentLoaded", boot);
})(typeof window == "object" ? window : null, typeof document == "object" ? document : null);
