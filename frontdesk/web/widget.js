/*! frontdesk chat widget (served at /widget.js) · size: 18129 bytes gzipped (gzip -9 -c widget.js | wc -c)
 *
 * Embed it with this snippet. The stub queues calls made before the script has loaded; every
 * stub method returns a Promise that settles with the real method's result once it has.
 *
 *   <script>
 *     (function (w, f) {
 *       f = w.Frontdesk = w.Frontdesk || {q: []};
 *       "open close on sendMessage setVisitor setDepartment endChat".split(" ").forEach(function (m) {
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
 *
 * When a chat has ended the window asks for a rating (thumbs or stars, as the widget settings
 * say) with an optional comment, and offers the transcript by e-mail (frames chat.rate and
 * transcript.email).
 *
 * Wire protocol: docs/protocol.md (socket /api/v1/widget/ws). User text is only ever set with
 * textContent.
 */
(function (W, D) {
  "use strict";
  var F = W.Frontdesk = W.Frontdesk || {q: []};
  if (F.loaded) return;
  F.loaded = 1;

  var me = D.currentScript || [].filter.call(D.scripts, function (s) {
    return /\/widget\.js([?#]|$)/.test(s.src);
  }).pop() || {src: location.origin + "/widget.js", dataset: {}};
  var opt = me.dataset || {};
  var BASE = me.src.replace(/\/widget\.js([?#].*)?$/, "");
  var WS_URL = BASE.replace(/^http/, "ws") + "/api/v1/widget/ws";
  var MAX = 4000, K = "frontdesk:", TK = K + "visitor_token";

  // ---- storage: token (raw string), chats + open state, outbox -----------------------------
  function ls(k, v) {
    try {
      if (v === undefined) return localStorage.getItem(k);
      if (v === null) localStorage.removeItem(k); else localStorage.setItem(k, v);
    } catch (e) { /* storage blocked: work in memory */ }
  }
  function load(k, d) { try { return JSON.parse(ls(K + k)) || d; } catch (e) { return d; } }
  var token = ls(TK);
  // st.chats: {chatId: {ev: {seq: event}, last: contiguous seq held, done, agent}}
  var st = load("state", {chats: {}, cur: 0, open: false});
  var outbox = load("outbox", []); // [{client_id, text, fail?}] until acknowledged
  var conf = load("config", {}); // .dept: the department asked for
  var dept = opt.department || "";
  function save() { ls(K + "state", JSON.stringify(st)); ls(K + "outbox", JSON.stringify(outbox)); }

  // ---- connection state -------------------------------------------------------------------
  var ws, ready, stopped, attempt = 0, timer, stableT, tokP, rx = 0, quick = 0;
  var fresh = {}, syncing = {}, waiters = {}, closers = [], later = [], who, subs = {}, unread = 0;
  var typOn = 0, typAt = 0, typT, agentT, drT, drSent = null;
  // used: a chat was started this page session; off: offline form {dept, back: view, ok: e-mail}
  var used, off, vals = {}, confAt = 0, confP, loaded, perr, pkey;

  function rid() {
    return [].map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }
  function err(code, msg, extra) {
    var e = new Error(msg || code);
    e.code = code;
    if (extra) e.retryAfter = extra;
    return e;
  }
  function emit(name, data) {
    (subs[name] || []).slice().forEach(function (f) {
      try { f(data); } catch (x) { setTimeout(function () { throw x; }); }
    });
  }
  function chat(id) { return st.chats[id] || (st.chats[id] = {ev: {}, last: 0}); }
  function cur() { return st.cur ? chat(st.cur) : null; }
  function isOpenChat() { var c = cur(); return c && !c.done; }
  function send(o) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(o)); }

  // ---- DOM ----------------------------------------------------------------------------------
  var ICON = {
    chat: '<svg class="i1" viewBox="0 0 24 24"><path d="M12 3c5 0 9 3.6 9 8s-4 8-9 8c-1 0-2-.1-2.9-.4L4.5 20.5l1.2-3.9A7.6 7.6 0 0 1 3 11c0-4.4 4-8 9-8z"/></svg>',
    down: '<svg class="i2" viewBox="0 0 24 24"><path d="M6 9l6 6 6-6"/></svg>',
    chev: '<svg viewBox="0 0 24 24"><path d="M6 9l6 6 6-6"/></svg>',
    ok: '<svg viewBox="0 0 24 24"><path d="M5 12.5l4.5 4.5L19 7.5"/></svg>',
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
    '<span class="bd" aria-hidden="true"></span></button></div>';

  var host, R, $ = function (s) { return R.querySelector(s); };
  var fd, win, log, cs, pe, ta, go, ty, ov, stEl, sub, endB, ln, qu, pa, cm, lk, rc, secs = {}, pn = {}, openedAt = 0;

  function el(tag, cls, text) {
    var n = D.createElement(tag);
    n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }
  function btn(parent, cls, text, click) {
    var b = parent.appendChild(el("button", cls, text));
    b.type = "button";
    b.onclick = click;
  }
  function hhmm(s) {
    var d = new Date(s);
    return isNaN(d) ? "" : d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
  }
  // Insert n into parent keeping children ordered by their .s (seq or chat id).
  function place(parent, n) {
    var c = parent.lastChild;
    while (c && c.s > n.s) c = c.previousSibling;
    parent.insertBefore(n, c ? c.nextSibling : parent.firstChild);
  }
  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function bottom() { log.scrollTop = log.scrollHeight; }

  function view(e, c) {
    var k = e.kind, a = e.author || {}, d = e.data || {}, n, to = d.to_agent || d.to_department;
    if (k === "message") {
      n = el("div", "m " + (a.type === "visitor" ? "me" : "them"));
      if (a.type !== "visitor") n.appendChild(el("div", "n", a.name || "Support")).parentNode.aid = a.id || 0;
      var b = n.appendChild(el("div", "b", d.attachment ? null : e.text));
      b.title = hhmm(e.created_at);
      if (d.attachment) fileView(b, d.attachment);
    } else if (k === "chat.started") {
      n = el("div", "sy", "Chat started · " + hhmm(e.created_at));
    } else if (k === "chat.assigned") {
      n = el("div", "sy");
      a = d.agent || {};
      face(n, a, "ja");
      n.appendChild(D.createTextNode((a.name || "An agent") + (a.title ? ", " + a.title + "," : "") + " joined the chat"));
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
  function draw(id, e) {
    var n = view(e, chat(id)), s = secs[id];
    if (!n) return;
    if (!s) { s = secs[id] = el("div", "c"); s.s = +id; place(cs, s); }
    place(s, n);
    same(n);
    same(n.nextSibling);
  }
  // An agent's name shows once over their run of messages; with a supervisor in the chat, a
  // different agent's message starts a new run.
  function same(n) {
    if (n && n.aid != null) n.classList.toggle("same", !!n.previousSibling && n.previousSibling.aid === n.aid);
  }
  function drawPend(o) {
    var n = pn[o.client_id], f;
    if (!n) {
      n = pn[o.client_id] = el("div", "m me p");
      n.appendChild(el("div", "b", o.text));
      n.appendChild(el("div", "f"));
      pe.appendChild(n);
    }
    n.classList.toggle("bad", !!o.fail);
    f = n.lastChild;
    f.textContent = o.fail ? "Not sent: " + o.fail : "Sending…";
    if (o.fail) btn(f, "rt", "Retry", function () { delete o.fail; save(); drawPend(o); sendMsg(o); connect(); });
  }
  function initials(s) {
    return (s || "").split(/\s+/).filter(Boolean).slice(0, 2).map(function (w) { return w[0]; }).join("");
  }
  function title() { return opt.title || conf.title || "Chat with us"; }
  function greet() { return opt.greeting || conf.greeting; }

  function paint() { // header, banners, badge: everything derived from state
    if (!R) return;
    var c = cur(), open = c && !c.done, ag = open && c.agent, m = mode(), chatting = m === "chat";
    var q = chatting && open && !ag && c.q, w = q && q.estimated_wait_seconds;
    $(".t").textContent = title();
    win.setAttribute("aria-label", title());
    sub.textContent = stopped ? "Chat is unavailable" : ag ? ag.title ? ag.name + " · " + ag.title : "You're chatting with " + ag.name.split(" ")[0] :
      open ? q ? "Waiting for an agent…" : "Waiting for an agent to join…" :
      m === "off" || conf.online === false ? "We're away — leave a message" : "We typically reply in a few minutes";
    qu.hidden = !q;
    if (q) {
      qu.textContent = "You're #" + q.position + " in line · " + (w == null ? "waiting for the next available agent" :
        "about " + Math.max(1, Math.ceil(w / 60)) + " min");
    }
    var av = $(".av"), who = ag ? ag.name + ag.avatar_url : title();
    if (av.k !== who) { av.k = who; av.textContent = initials(ag ? ag.name : title()) || "?"; face(av, ag); }
    $(".at").hidden = stopped || !open || !((conf.attachments || {types: [1]}).types || []).length;
    endB.hidden = !open || stopped;
    ov.hidden = !(c && c.done) || outbox.length > 0;
    lk.hidden = !(c && c.miss);
    log.hidden = cm.hidden = $(".er").hidden = !chatting;
    pa.hidden = chatting;
    panel(m);
    var g = $(".gr");
    g.hidden = !greet();
    g.firstChild.textContent = greet() || "";
    var color = opt.color || conf.accent_color;
    if (color && W.CSS && CSS.supports("color", color)) fd.style.setProperty("--a", color);
    fd.classList.toggle("l", opt.position === "left");
    fd.classList.toggle("open", !!st.open);
    ln.setAttribute("aria-expanded", !!st.open);
    ln.setAttribute("aria-label", st.open ? "Close chat" : "Open chat");
    $(".bd").textContent = unread && !st.open ? unread > 9 ? "9+" : unread : "";
    ta.disabled = !!stopped;
    go.disabled = stopped || !ta.value.trim();
    rate();
  }
  function status(t, bad) {
    if (!stEl) return;
    stEl.textContent = t || "";
    stEl.hidden = !t;
    stEl.classList.toggle("bad", !!bad);
  }
  function agentTyping(on) {
    clearTimeout(agentT);
    var nb = nearBottom();
    ty.hidden = !on;
    if (on) agentT = setTimeout(agentTyping, 8000, false);
    if (nb) bottom();
  }
  function show(open) {
    st.open = !!open;
    save();
    if (!R) return;
    if (open) { unread = 0; openedAt = Date.now(); loadConf(); bottom(); setTimeout(focusIn, 50); }
    paint();
  }
  function focusIn(n) {
    n = n || pa.querySelector(".in,.bt");
    (pa.hidden || !n ? ta : n).focus();
  }

  // ---- config, pre-chat form, offline form ----------------------------------------------------
  // The window shows "chat", "pre" (pre-chat form), "off" (offline form), "thx" (sent) or "wait".
  function mode() {
    var d = confAt && autoDept();
    if (off) return off.ok ? "thx" : "off";
    if (stopped || used || isOpenChat() || outbox.length) return "chat";
    if (d && !d.accepting_chats) return "off";
    if (conf.dept !== dept && !loaded) return "wait";
    return (conf.prechat || {}).enabled ? "pre" : "chat";
  }
  function deps() { return conf.dept === dept && conf.departments || []; }
  function dep(slug) { return deps().filter(function (d) { return d.slug === slug; })[0]; }
  function autoDept() { var ds = deps(); return ds.length === 1 && ds[0]; }
  function loadConf(force) {
    var d = dept;
    if (confP || !force && conf.dept === d && Date.now() - confAt < 60000) return;
    confP = fetch(BASE + "/api/v1/widget/config" + (d ? "?department=" + encodeURIComponent(d) : "")).then(function (r) {
      if (r.status === 404 && d && d === dept) {
        dept = "";
        console.warn("frontdesk: no department " + d);
      }
      return r.ok && r.json();
    }).then(function (c) {
      if (c) { c.dept = d; conf = c; confAt = Date.now(); ls(K + "config", JSON.stringify(c)); }
    }).catch(function () {}).then(function () {
      confP = 0;
      if (d === dept) { loaded = 1; paint(); } else loadConf();
    });
  }
  function clean(m) { // "email: is not valid" → "Is not valid"
    return String(m).replace(/^[\w.[\]]+: (.)/, function (x, c) { return c.toUpperCase(); });
  }
  var NEED = {name: "Please enter your name.", email: "Please enter your e-mail address.", department: "Please choose a topic.",
    question: "Please tell us how we can help.", text: "Please write your message."};
  function ferr(n, m) { // message m at field n (or above the button)
    var i = R.getElementById("fd-" + n), e = i ? R.getElementById("fd-" + n + "-e") : pa.querySelector(".all");
    if (e) e.textContent = m || "";
    if (i) i.setAttribute("aria-invalid", !!m);
    return i;
  }
  function form(label, ok) {
    var f = pa.appendChild(el("form", "")), b;
    f.noValidate = true;
    f.appendChild(el("div", "fe all")).setAttribute("role", "alert");
    b = f.appendChild(el("button", "bt", label));
    b.type = "submit";
    f.onsubmit = function (e) {
      var v = {}, bad;
      e.preventDefault();
      [].forEach.call(f.querySelectorAll(".in"), function (i) {
        var t = v[i.name] = vals[i.name] = i.value.trim();
        t = t ? i.type === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(t) && "Please enter a valid e-mail address." : i.rq && NEED[i.name];
        ferr(i.name, t);
        if (t && !bad) bad = i;
      });
      ferr("", "");
      if (bad) bad.focus(); else ok(v, b);
    };
    return f;
  }
  function field(f, x, ds) { // x: {name, label, required}; ds: departments for a select
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
      i.maxLength = n === "name" ? 100 : n === "email" ? 254 : MAX;
      if (n === "email") i.type = "email";
      if (i.type !== "textarea") i.autocomplete = n;
    }
    i.id = id;
    i.name = n;
    i.rq = x.required;
    i.value = vals[n] || "";
    if (x.required) i.setAttribute("aria-required", "true");
    i.setAttribute("aria-describedby", id + "-e");
    h = ds && w.appendChild(el("div", "hl", (dep(i.value) || {}).description));
    w.appendChild(el("div", "fe")).id = id + "-e";
    i.oninput = i.onchange = function () {
      var d = ds && dep(i.value) || {};
      vals[n] = i.value;
      ferr(n, "");
      if (h) h.textContent = d.description || "";
      if (d.accepting_chats === false) { off = {dept: d.slug, back: "pre"}; vals.text = vals.text || vals.question; paint(); }
    };
    f.insertBefore(w, f.querySelector(".all"));
  }
  function when(s) { // "tomorrow at 09:00", in the visitor's time zone and language
    var d = new Date(s), t = d.toLocaleTimeString([], {hour: "numeric", minute: "2-digit"});
    var days = Math.round((new Date(s).setHours(0, 0, 0, 0) - new Date().setHours(0, 0, 0, 0)) / 864e5);
    return (days < 1 ? "today" : days < 2 ? "tomorrow" :
      d.toLocaleDateString([], {weekday: "long", month: "short", day: "numeric"})) + " at " + t;
  }
  function panel(m) { // (re)built when what it shows changes; keeps the focus in the window
    var k = m + (m === "chat" ? "" : JSON.stringify([conf.prechat, greet(), deps(), dept, off])), a = R.activeElement;
    var keep = pkey && st.open && (a ? a === ln || win.contains(a) : Date.now() - openedAt < 3000), f, s, d, i;
    if (k === pkey) return;
    pkey = k;
    pa.textContent = "";
    pa.className = "pn" + (m === "thx" ? " dn" : "");
    if (m === "pre") {
      d = deps();
      if (greet()) pa.appendChild(el("p", "", greet()));
      f = form("Start chat", function (v) {
        sendMessage(v.question, {department: dept || v.department || undefined, name: v.name || undefined,
          email: v.email || undefined}).catch(function () {});
      });
      ((conf.prechat || {}).fields || []).concat({name: "question", label: "How can we help?", required: 1}).forEach(function (x) {
        var n = x.name;
        if (!R.getElementById("fd-" + n) && (n === "department" ? !dept && d.length > 1 : /^(name|email|question)$/.test(n))) {
          field(f, x, n === "department" && d);
        }
      });
      if (perr) i = ferr(perr[0] === "text" ? "question" : perr[0], clean(perr[1]));
      perr = 0;
    }
    if (m === "off") {
      s = off ? off.dept : autoDept().slug;
      d = dep(s) || {};
      pa.appendChild(el("p", "", d.offline_message || "Leave us a message and we'll reply by e-mail."));
      if (d.next_opening) pa.appendChild(el("p", "wb", "We're back ")).appendChild(el("b", "", when(d.next_opening)));
      f = form("Send message", function (v, b) { leave(s, v, b); });
      field(f, {name: "name", label: "Your name"});
      field(f, {name: "email", label: "E-mail", required: 1});
      field(f, {name: "text", label: "Your message", required: 1});
      if (off && off.back) {
        btn(pa, "bk", off.back === "pre" ? "← Choose another topic" : "← Back to the chat", function () {
          if (off.back === "pre") vals.department = "";
          off = 0;
          paint();
        });
      }
    }
    if (m === "thx") {
      pa.appendChild(el("div", "ck")).innerHTML = ICON.ok;
      pa.appendChild(el("p", "", "Thanks — we'll e-mail you at " + off.ok + "."));
      btn(pa, "bt", "Done", function () { off = 0; show(0); ln.focus(); });
    }
    if (keep) focusIn(i || a && a.name && R.getElementById("fd-" + a.name));
  }
  function leave(s, v, b) {
    b.disabled = true;
    b.textContent = "Sending…";
    fetch(BASE + "/api/v1/widget/offline", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({
      department: s || undefined, name: v.name || undefined, email: v.email, text: v.text, visitor_token: token || undefined
    })}).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.ok) { off = {dept: s, ok: v.email}; vals.text = ""; return paint(); }
        throw r.status === 429 ? "You've sent several messages in a short time. Please wait a few minutes and try again." :
          r.status === 400 && j.error || 0;
      });
    }).catch(function (e) {
      b.disabled = false;
      b.textContent = "Send message";
      e = ferr(e.field, typeof e === "string" ? e : e.message ? clean(e.message) : "Your message could not be sent. Please try again.");
      if (e) e.focus();
    });
  }

  // ---- events ---------------------------------------------------------------------------------
  function setCur(id) {
    if (+id === +st.cur) return;
    st.cur = +id;
    chat(id).done = 0;
    Object.keys(st.chats).sort(function (a, b) { return b - a; }).slice(3).forEach(function (old) {
      delete st.chats[old];
      if (secs[old]) { secs[old].remove(); delete secs[old]; }
    });
  }
  function onEvent(e, live) {
    var id = e.chat_id, s = e.seq, c, nb = R && nearBottom();
    if (!id || !s) return;
    if (+id > +st.cur) setCur(id);
    c = chat(id);
    if (c.ev[s]) return; // duplicate
    delete e.type;
    c.ev[s] = e;
    if (live) fresh[id + ":" + s] = 1;
    while (c.ev[c.last + 1]) announce(id, c.ev[++c.last]); // API events go out in seq order
    if (s > c.last) resync(id); // a gap below s
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
    if (R) draw(id, e);
    if (k === "message" && a.type === "visitor" && e.client_id) settle(e.client_id, e);
    if (k === "message" && a.type !== "visitor" && R) {
      agentTyping(false);
      if (!st.open && live) unread++;
    }
    save();
    paint();
    if (R && (nb || a.type === "visitor")) bottom();
  }
  function announce(id, e) {
    var k = e.kind, f = id + ":" + e.seq;
    if (fresh[f]) emit(k === "message" ? k : k.replace(".", ":"), e);
    delete fresh[f];
  }
  function settle(cid, e) {
    var w = waiters[cid];
    outbox = outbox.filter(function (o) { return o.client_id !== cid; });
    if (pn[cid]) { pn[cid].remove(); delete pn[cid]; }
    if (w) { delete waiters[cid]; w[0](e); }
    save();
  }
  function resync(id) {
    if (ready && !syncing[id]) {
      syncing[id] = 1;
      send({type: "sync", chat_id: +id, after: chat(id).last});
    }
  }
  function onError(m) {
    var r = m.ref, o = r && outbox.filter(function (x) { return x.client_id === r; })[0], w = r && waiters[r], e;
    if (o) {
      if (m.code === "unavailable") return setTimeout(sendMsg, 2000, o);
      if (m.code === "offline" || o.start && m.field) { // to the offline form, or back to the pre-chat one
        outbox = outbox.filter(function (x) { return x !== o; });
        if (pn[r]) { pn[r].remove(); delete pn[r]; }
        if (o.start) used = 0;
        if (m.code === "offline") {
          vals.text = (off && vals.text ? vals.text + "\n\n" : "") + o.text; // keep what they wrote
          off = {dept: m.department || (o.start || {}).department || dept,
            back: o.start ? !dept && deps().length > 1 && "pre" : cs.firstChild && "chat"};
          loadConf(1);
        } else perr = [m.field, m.message];
      } else {
        o.fail = m.message || m.code;
        if (R) drawPend(o);
      }
      save();
      paint();
    }
    if (w) {
      delete waiters[r];
      closers = closers.filter(function (c) { return c !== w; });
      if (m.code === "chat_closed" && !o) w[0]();
      else { e = err(m.code, m.message, m.retry_after); e.reason = m.reason; w[1](e); }
    }
  }
  function onFrame(m) {
    rx = Date.now();
    var t = m.type, ch = m.chat, c = cur();
    if (m.ref && rq[m.ref]) return reply(m);
    if (t === "welcome") {
      ready = 1;
      clearTimeout(stableT);
      stableT = setTimeout(function () { attempt = 0; quick = 0; }, 10000);
      status("");
      ["name", "email"].forEach(function (k) { vals[k] = vals[k] || (m.visitor || {})[k] || ""; });
      if (ch) {
        setCur(ch.id);
        c = chat(ch.id);
        c.done = 0;
        if (ch.agent) c.agent = ch.agent;
      } else if (c) c.done = 1;
      if (st.cur) resync(st.cur);
      outbox.forEach(sendMsg);
      later.splice(0).forEach(send);
      if (who) send(who);
      save();
      paint();
    } else if (t === "event") onEvent(m, 1);
    else if (t === "ack") {
      var e = m.event || {};
      e.chat_id = e.chat_id || m.chat_id;
      e.seq = e.seq || m.seq;
      onEvent(e, 1);
      settle(m.ref, chat(e.chat_id).ev[e.seq] || e);
    } else if (t === "synced") { // seqs it skipped are agents' notes: don't wait for them
      syncing[m.chat_id] = 0;
      c = chat(m.chat_id);
      while (c.last < m.last_seq || c.ev[c.last + 1]) if (c.ev[++c.last]) announce(m.chat_id, c.ev[c.last]);
      save();
    } else if (t === "typing") { if ((m.author || {}).type === "agent" && R) agentTyping(m.typing); }
    else if (t === "visitor") who = null;
    else if (t === "queue" && m.chat_id) { c = chat(m.chat_id); c.q = m; c.dept = m.department; save(); paint(); }
    else if (t === "error") onError(m);
    else if (t === "chat.rated") { chat(m.chat_id).rt = m.rating; save(); paint(); } // from another tab
    else if (t === "visitor.forgotten") { // their data was deleted: nothing of it is kept or sent again
      outbox = [];
      who = null;
      c = ws; lost(4001); c.close(); // the server closes it with 4001 too, on every node
    }
  }

  // ---- after a chat: rating and transcript by e-mail (frames chat.rate, transcript.email) ----
  var rq = {}, rv = {}, rkey;
  function req(f, cb) { // a frame answered by its ref: cb(error frame or 0, answer)
    f.ref = rid();
    rq[f.ref] = {cb: cb, sent: !!ready};
    if (ready) send(f); else { later.push(f); connect(); }
  }
  function reply(m) {
    var q = rq[m.ref];
    delete rq[m.ref];
    q.cb(m.type === "error" && m, m);
  }
  function rconf() { return Object.assign({enabled: true, scale: "thumbs", transcript: true}, conf.rating); }
  function pick(w, tag, n, on, svg, label, click) {
    var b = w.appendChild(el(tag, on ? "on" : ""));
    b.innerHTML = svg;
    if (click) {
      b.type = "button";
      b.setAttribute("aria-label", label);
      b.setAttribute("aria-pressed", !!on);
      b.onclick = function () { click(n); };
    }
  }
  function scale(n, click, thumbs) { // the thumbs (5 or 1) or five stars; buttons when click is given
    var w = rc.appendChild(el("div", "rb" + (thumbs ? "" : " sr"))), i, tag = click ? "button" : "span";
    if (!click) {
      w.setAttribute("role", "img");
      w.setAttribute("aria-label", thumbs ? n > 3 ? "Good" : "Bad" : n + " of 5");
    }
    if (thumbs) {
      if (click || n > 3) pick(w, tag, 5, n === 5, ICON.up, "Good", click);
      if (click || n < 3) pick(w, tag, 1, n === 1, ICON.dn, "Bad", click);
    } else for (i = 1; i < 6; i++) pick(w, tag, i, click ? i === n : i <= n, ICON.star, i + " star" + (i > 1 ? "s" : ""), click);
  }
  function rate() { // the card under an ended chat; rebuilt only when what it shows changes
    var c = cur(), r = rconf(), rt = c && c.rt, id = st.cur, f, i, b;
    var on = mode() === "chat" && c && c.done && !c.miss && c.agent && r.enabled && !outbox.length;
    rc.hidden = !on;
    if (!on) return;
    if (rv.id !== id) rv = {id: id, s: 0, cm: ""};
    var edit = !rt || rv.ed, late = rt && Date.now() > Date.parse(rt.changeable_until);
    var k = JSON.stringify([id, rt, c.tx, vals.email, r, rv.s, rv.ed, rv.busy, rv.err, rv.tb, rv.te, late]);
    if (k === rkey) return;
    rkey = k;
    rc.textContent = "";
    if (!edit) {
      rc.appendChild(el("b", "", "Thanks for your feedback!"));
      scale(rt.score, 0, r.scale === "thumbs" && (rt.score === 5 || rt.score === 1));
      if (rt.comment) rc.appendChild(el("p", "rq", "\u201c" + rt.comment + "\u201d"));
      if (!late) btn(rc, "bk", "Change my rating", function () { rv.ed = 1; rv.s = rt.score; rv.cm = rt.comment || ""; paint(); });
    } else {
      rc.appendChild(el("b", "", "How was your chat with " + (c.agent.name || "us").split(" ")[0] + "?"));
      scale(rv.s, function (n) { rv.s = n; rv.err = ""; paint(); }, r.scale === "thumbs");
      if (rv.s) {
        var cm = rc.appendChild(el("textarea", "in"));
        cm.id = "fd-rc";
        cm.maxLength = 1000;
        cm.placeholder = "Tell us more (optional)";
        cm.setAttribute("aria-label", "Comment (optional)");
        cm.value = rv.cm;
        cm.oninput = function () { rv.cm = cm.value; };
        btn(rc, "bt", rv.busy ? "Sending…" : "Send feedback", function () {
          rv.busy = 1;
          paint();
          req({type: "chat.rate", chat_id: id, rating: rv.s, comment: rv.cm.trim() || undefined}, function (e, m) {
            rv.busy = 0;
            rv.err = e ? clean(e.message || "Your rating could not be sent.") : "";
            if (!e) { chat(id).rt = m.rating; rv.ed = 0; save(); }
            paint();
          });
        });
        rc.lastChild.disabled = !!rv.busy;
      }
      rc.appendChild(el("div", "fe", rv.err || "")).setAttribute("role", "alert");
    }
    for (i in c.ev) if (c.ev[i].kind === "message" && c.ev[i].author.type === "agent") b = 1;
    if (!r.transcript || !vals.email || !b) return; // only an answered chat, to the address the visitor gave
    f = rc.appendChild(el("form", "tx"));
    if (c.tx && !rv.te) return f.appendChild(el("p", "", "We've sent the transcript to " + c.tx + "."));
    f.noValidate = true;
    f.appendChild(el("label", "", "E-mail me the transcript")).htmlFor = "fd-tx";
    b = f.appendChild(el("div", ""));
    i = b.appendChild(el("input", "in"));
    i.id = "fd-tx";
    i.type = "email";
    i.autocomplete = "email";
    i.maxLength = 254;
    i.value = vals.email;
    i.readOnly = true;
    b.appendChild(el("button", "bt", rv.tb ? "Sending…" : "Send")).disabled = !!rv.tb;
    f.appendChild(el("div", "fe", rv.te || "")).setAttribute("role", "alert");
    f.onsubmit = function (ev) {
      ev.preventDefault();
      rv.tb = 1;
      rv.te = "";
      paint();
      req({type: "transcript.email", chat_id: id, email: vals.email}, function (e, m) {
        rv.tb = 0;
        rv.te = e ? clean(e.message || "The transcript could not be sent.") : "";
        if (!e) { chat(id).tx = m.email; save(); }
        paint();
      });
    };
  }

  // ---- connection -----------------------------------------------------------------------------
  function getToken() {
    tokP = fetch(BASE + "/api/v1/widget/visitors", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"
    }).then(function (r) {
      if (r.status === 403) return stop();
      if (!r.ok) throw err("http_" + r.status);
      return r.json().then(function (j) {
        token = j.visitor_token;
        ls(TK, token);
        tokP = 0;
        connect();
      });
    }).catch(function () { tokP = 0; retry(); });
  }
  function connect() {
    if (stopped || ws || timer || tokP) return;
    if (!token) return getToken();
    var s = ws = new WebSocket(WS_URL);
    status(attempt ? "Reconnecting…" : "Connecting…");
    s.onopen = function () {
      rx = Date.now();
      send({type: "hello", v: 1, token: token, page: {url: location.href, title: D.title, referrer: D.referrer}});
    };
    s.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (x) { return; }
      if (m && typeof m === "object") onFrame(m);
    };
    s.onclose = function (ev) { if (s === ws) lost(ev.code); };
  }
  function lost(code) {
    ws = null;
    ready = 0;
    syncing = {};
    clearTimeout(stableT);
    if (R) agentTyping(false);
    typOn = 0;
    for (var r in rq) if (rq[r].sent) reply({ref: r, type: "error", message: "Connection lost. Please try again."});
    if (code === 4003) return stop();
    status("Reconnecting…");
    if (code === 4001) {
      token = null;
      ls(TK, null);
      st.chats = {};
      st.cur = 0;
      save();
      if (R) { cs.textContent = ""; secs = {}; paint(); }
    }
    // 4000 (resync) and 4001 (new token) reconnect at once, unless that keeps happening.
    retry((code === 4000 || code === 4001) && !quick++ ? 0 : undefined);
  }
  function retry(delay) {
    if (stopped || timer) return;
    if (delay === undefined) delay = Math.random() * Math.min(30000, 500 * Math.pow(2, attempt++));
    timer = setTimeout(function () { timer = 0; connect(); }, delay);
  }
  function stop() {
    stopped = 1;
    status("Chat unavailable on this site", 1);
    paint();
  }
  setInterval(function () {
    if (!ready) return;
    if (Date.now() - rx > 65000) { var s = ws; lost(1006); s.close(); return; } // silent socket
    send({type: "ping"});
  }, 25000);
  W.addEventListener("online", function () {
    if (timer) { clearTimeout(timer); timer = 0; connect(); }
  });

  // ---- sending ----------------------------------------------------------------------------------
  function sendMsg(o) { // the pre-chat form's first question goes as chat.start, with its fields
    if (ready && !o.fail) {
      send(Object.assign({type: o.start ? "chat.start" : "message.send", client_id: o.client_id, text: o.text},
        o.start || {department: dept || undefined}));
    }
  }
  // Typing, with the draft (sneak peek: the server shows it to the chat's agent only where the
  // department allows, and never stores it): at most every 300 ms, once more when it settles.
  function typing(on) {
    clearTimeout(typT);
    clearTimeout(drT);
    if (!on) {
      if (typOn) send({type: "typing", typing: false});
      typOn = 0;
      drSent = null;
      return;
    }
    if (!ready || !isOpenChat()) return;
    var now = Date.now(), t = ta ? ta.value.slice(0, MAX) : "";
    if (t !== drSent && now - typAt < 300) drT = setTimeout(typing, 300 - (now - typAt), true);
    else if (t !== drSent || !typOn || now - typAt > 2000) {
      send({type: "typing", typing: true, text: t});
      typAt = now; typOn = 1; drSent = t;
    }
    typT = setTimeout(typing, 3000, false);
  }
  function sendMessage(text, start) {
    text = String(text == null ? "" : text).trim();
    if (stopped) return Promise.reject(err("forbidden", "Chat unavailable on this site"));
    if (!text) return Promise.reject(err("bad_request", "text: must not be blank"));
    if (Array.from(text).length > MAX) return Promise.reject(err("too_large", "text: at most 4000 characters"));
    var o = {client_id: rid(), text: text};
    if (start) o.start = start;
    used = 1;
    typing(false);
    outbox.push(o);
    save();
    if (R) { drawPend(o); bottom(); paint(); }
    return new Promise(function (res, rej) {
      waiters[o.client_id] = [res, rej];
      sendMsg(o);
      connect();
    });
  }
  function endChat() {
    if (!isOpenChat()) return Promise.resolve();
    var ref = rid();
    return new Promise(function (res, rej) {
      closers.push(waiters[ref] = [res, rej]);
      if (ready) send({type: "chat.close", ref: ref});
      else { later.push({type: "chat.close", ref: ref}); connect(); }
    });
  }
  function setVisitor(v) {
    v = v || {};
    who = {type: "visitor.update"};
    if (v.name != null) who.name = String(v.name);
    if (v.email != null) who.email = String(v.email);
    send(who); // sent again after each welcome until the server answers with `visitor`
    connect();
  }
  function setDepartment(slug) {
    dept = slug ? String(slug) : "";
    loaded = 0;
    if (st.open) loadConf();
    paint();
  }
  function on(name, cb) {
    (subs[name] = subs[name] || []).push(cb);
    return function () { subs[name] = subs[name].filter(function (f) { return f !== cb; }); };
  }

  // ---- files: sent and fetched over HTTP with the token in a header (never in a URL)
  var blobs = {}, up = {};
  function face(n, g, c) { // an agent's photo (a public URL) over the initials; dropped if it fails
    if (!g || !g.avatar_url) return;
    var i = n.insertBefore(el("img", c || ""), n.firstChild);
    i.alt = "";
    i.onerror = i.remove;
    i.src = BASE + g.avatar_url;
  }
  function blob(id) {
    return blobs[id] = blobs[id] || fetch(BASE + "/api/v1/widget/attachments/" + id, {headers: {"X-Visitor-Token": token}})
      .then(function (r) { if (r.ok) return r.blob(); throw r; }).then(URL.createObjectURL)
      .catch(function (e) { delete blobs[id]; throw e; });
  }
  function size(n) { return n < 1024 ? n + " B" : n < 1048576 ? (n >> 10) + " KB" : +(n / 1048576).toFixed(1) + " MB"; }
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
      blob(f.id).then(function (u) { i.src = l.href = u; }, function () { i.alt = f.name + " (not available)"; });
    } else {
      l.appendChild(el("small", "", size(f.size)));
      l.href = "#";
      l.download = f.name;
      l.onclick = function (e) {
        if (l.u) return;
        e.preventDefault();
        blob(f.id).then(function (u) { l.href = l.u = u; l.click(); });
      };
    }
    return b;
  }
  function attach(fs) {
    var lim = (conf.attachments || {}).max_bytes, er = $(".er");
    [].forEach.call(fs, function (f) {
      er.textContent = !isOpenChat() || stopped ? "Send a message first, then add files." : !f.size ? f.name + " is empty." :
        lim && f.size > lim ? f.name + " is larger than the " + size(lim) + " limit." : "";
      if (er.textContent) return;
      var o = up[f.name + f.size] = {client_id: rid(), f: f, k: f.name + f.size};
      upl(o);
    });
  }
  function upl(o) {
    var x = new XMLHttpRequest(), b = new FormData();
    b.append("client_id", o.client_id);
    b.append("file", o.f, o.f.name);
    o.fail = 0;
    o.text = o.f.name + " · 0%";
    x.open("POST", BASE + "/api/v1/widget/attachments");
    x.setRequestHeader("X-Visitor-Token", token);
    x.upload.onprogress = function (e) { o.text = o.f.name + " · " + Math.round(99 * e.loaded / e.total) + "%"; drawUp(o); };
    x.onload = x.onerror = function () {
      var j = {};
      try { j = JSON.parse(x.responseText); } catch (e) { /* a network error */ }
      if (x.status > 199 && x.status < 300) onEvent(j.event, 1);
      else if (x.status > 399 && x.status < 500 && x.status !== 429) $(".er").textContent = clean((j.error || {}).message || "");
      else { o.fail = x.status ? "the server could not take it" : "no connection"; return drawUp(o); }
      delete up[o.k];
      if (pn[o.client_id]) { pn[o.client_id].remove(); delete pn[o.client_id]; }
    };
    x.send(b);
    drawUp(o);
    bottom();
  }
  function drawUp(o) { // an upload in progress: the pending bubble, retried by hand
    if (up[o.k] !== o) return;
    drawPend(o);
    var n = pn[o.client_id];
    n.firstChild.textContent = o.text;
    if (o.fail) n.lastChild.lastChild.onclick = function () { upl(o); };
  }

  // ---- boot -------------------------------------------------------------------------------------
  function boot() {
    host = D.createElement("frontdesk-widget");
    R = host.attachShadow({mode: "open"});
    R.innerHTML = "<style>" + STYLE + "</style>" + HTML; // static markup only
    fd = $(".fd"); win = $(".win"); log = $(".log"); cs = $(".cs"); pe = $(".pe"); cm = $(".cm"); ta = $(".cm textarea");
    go = $(".go"); ty = $(".ty"); ov = $(".ov"); stEl = $(".st"); sub = $(".s"); endB = $(".end"); ln = $(".ln");
    qu = $(".qu"); pa = $(".pn"); lk = $(".lk"); rc = $(".rc");
    Object.keys(st.chats).forEach(function (id) {
      var ev = st.chats[id].ev;
      Object.keys(ev).forEach(function (s) { draw(id, ev[s]); });
    });
    outbox.forEach(drawPend);
    ln.onclick = function () { show(!st.open); };
    $(".x").onclick = function () { show(0); ln.focus(); };
    endB.onclick = function () {
      if (endB.dataset.c) { endChat().catch(function () {}); return; }
      endB.dataset.c = 1;
      endB.textContent = "End chat?";
      setTimeout(function () { delete endB.dataset.c; endB.textContent = "End chat"; }, 3000);
    };
    win.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { show(0); ln.focus(); }
    });
    function grow() {
      ta.style.height = "";
      ta.style.height = Math.min(ta.scrollHeight, 120) + "px";
    }
    function submit() {
      var t = ta.value;
      if (!t.trim()) return;
      if (Array.from(t.trim()).length > MAX) {
        $(".er").textContent = "That message is too long (4000 characters at most).";
        return;
      }
      ta.value = "";
      grow();
      sendMessage(t).catch(function () {});
      paint();
    }
    ta.onkeydown = function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    };
    ta.oninput = function () {
      grow();
      $(".er").textContent = "";
      typing(!!ta.value.trim());
      paint();
    };
    cm.onsubmit = function (e) { e.preventDefault(); submit(); };
    var fi = $(".cm input");
    $(".at").onclick = function () { fi.click(); };
    fi.onchange = function () { attach(fi.files); fi.value = ""; };
    ta.onpaste = function (e) {
      var f = (e.clipboardData || {}).files;
      if (f && f.length) { e.preventDefault(); attach(f); }
    };
    win.ondragover = function (e) {
      if ([].indexOf.call(e.dataTransfer.types, "Files") < 0 || !isOpenChat()) return;
      e.preventDefault();
      win.classList.add("dz");
    };
    win.ondragleave = function (e) { if (!win.contains(e.relatedTarget)) win.classList.remove("dz"); };
    win.ondrop = function (e) {
      win.classList.remove("dz");
      if (e.dataTransfer.files.length) { e.preventDefault(); attach(e.dataTransfer.files); }
    };
    lk.onclick = function () { // after a missed chat: leave what they wrote as an offline message
      var c = cur(), t = [];
      for (var s in c.ev) if (c.ev[s].kind === "message" && c.ev[s].author.type === "visitor") t.push(c.ev[s].text);
      vals.text = t.join("\n\n");
      off = {dept: c.dept || dept, back: "chat"};
      loadConf(1);
      paint();
    };
    D.body.appendChild(host);
    paint();
    bottom();
    if (st.open) loadConf();
    // A returning visitor (or one with unsent messages) reconnects at once; a new one gets a
    // token only when they first send something or are identified with setVisitor().
    if (token || outbox.length) connect();
  }
  function run(c) {
    var r;
    try { r = F[c[0]].apply(F, c[1] || []); } catch (x) { if (c[3]) c[3](x); return; }
    if (c[2]) Promise.resolve(r).then(c[2], c[3]);
  }

  var api = {
    open: function () { show(1); }, close: function () { show(0); },
    sendMessage: function (t) { return sendMessage(t); }, setVisitor: setVisitor, setDepartment: setDepartment,
    endChat: endChat, on: on
  };
  Object.keys(api).forEach(function (k) { F[k] = api[k]; });
  // Replay calls queued by the stub, in order, then route late stub calls straight through.
  var q = F.q || [];
  F.q = {push: run};
  [].forEach.call(q, run);
  if (D.body) boot(); else D.addEventListener("DOMContentLoaded", boot);
})(window, document);
