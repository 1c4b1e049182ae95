// The widget's tracking rules (docs/architecture/visitors.md, "Tracking"): whether a page may send
// page views, the visible time on a page, the screen class, the visit count, and the frames an SPA
// navigation sends. Pure functions of widget.js's core, run without a browser (load-core.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";

import { loadCore } from "./load-core.mjs";

const core = loadCore();
// what the core builds lives in the vm's realm: compare it as data
const plain = (value) => JSON.parse(JSON.stringify(value));

test("the tracking decision: the site's mode, DNT and GPC, and the page's consent", () => {
  const cases = [
    // mode, dnt, gpc, consent -> tracks
    ["on", false, false, undefined, true],
    ["on", true, true, undefined, true], // "on" is the site's choice: DNT is sent along, not obeyed
    ["on", false, false, false, false], // a refused consent stops it in every mode
    ["respect_dnt", false, false, undefined, true],
    ["respect_dnt", true, false, undefined, false],
    ["respect_dnt", false, true, undefined, false],
    ["respect_dnt", true, false, true, false], // consent does not override the browser's DNT here
    ["consent", false, false, undefined, false], // nothing until the page asks
    ["consent", false, false, true, true],
    ["consent", false, false, false, false],
    ["off", false, false, true, false],
    [undefined, false, false, true, false], // mode not known yet (config not loaded): nothing
    ["something new", false, false, true, false],
  ];
  for (const [mode, dnt, gpc, consent, expected] of cases) {
    assert.equal(core.tracks(mode, dnt, gpc, consent), expected, JSON.stringify([mode, dnt, gpc, consent]));
  }
});

test("the screen class goes by the short side (phones) and the long side (tablets)", () => {
  assert.equal(core.screenClass(390, 844), "phone");
  assert.equal(core.screenClass(844, 390), "phone"); // held sideways, still a phone
  assert.equal(core.screenClass(768, 1024), "tablet");
  assert.equal(core.screenClass(1024, 768), "tablet");
  assert.equal(core.screenClass(1366, 768), "desktop");
  assert.equal(core.screenClass(1280, 800), "desktop");
  assert.equal(core.screenClass(2560, 1440), "desktop");
});

test("visible time counts only while the page is visible", () => {
  const t = core.seen({ ms: 0 }, true, 1000); // loaded visible
  assert.equal(core.visibleMs(t, 4000), 3000);
  core.seen(t, false, 5000); // hidden after 4 s
  assert.equal(core.visibleMs(t, 65000), 4000); // a minute in another tab counts nothing
  core.seen(t, true, 65000);
  assert.equal(core.visibleMs(t, 67500), 6500);
  core.seen(t, true, 68000); // visible again while visible: nothing counted twice
  assert.equal(core.visibleMs(t, 70000), 9000);
});

test("a page loaded in a background tab starts counting when it is first shown", () => {
  const t = core.seen({ ms: 0 }, false, 1000);
  assert.equal(core.visibleMs(t, 30000), 0);
  core.seen(t, true, 30000);
  assert.equal(core.visibleMs(t, 31000), 1000);
});

test("a clock that goes backwards never makes visible time negative", () => {
  const t = core.seen({ ms: 0 }, true, 10000);
  assert.equal(core.visibleMs(t, 9000), 0);
  core.seen(t, false, 8000);
  assert.equal(t.ms, 0);
});

test("the visit count: 1 at first, the same visit within 30 minutes, the next one after", () => {
  let v = core.visit(null, 0);
  assert.deepEqual(plain(v), { n: 1, at: 0 });
  v = core.visit(v, 29 * 60000);
  assert.equal(v.n, 1);
  v = core.visit(v, 29 * 60000 + 30 * 60000); // 30 min later exactly: still the same visit
  assert.equal(v.n, 1);
  v = core.visit(v, v.at + 30 * 60000 + 1);
  assert.equal(v.n, 2);
  assert.equal(core.visit({}, 5).n, 1); // a damaged stored value starts over
});

test("an SPA navigation builds one bounded page.view with the previous page's visible time", () => {
  const frame = plain(core.pageView("https://shop.test/pricing", "Pricing", "https://shop.test/", 4200));
  assert.deepEqual(frame, {
    type: "page.view", url: "https://shop.test/pricing", title: "Pricing", referrer: "https://shop.test/", prev_visible_ms: 4200,
  });
  const long = plain(core.pageView("https://shop.test/?q=" + "x".repeat(5000), "T".repeat(1000), "r".repeat(3000), 0));
  assert.equal(long.url.length, 2000);
  assert.equal(long.title.length, 300);
  assert.equal(long.referrer.length, 2000);
  assert.deepEqual(plain(core.page(undefined, null, "")), { url: "", title: "", referrer: "" });
});

test("a navigation is a new page when the path or query changes, not for an anchor", () => {
  assert.equal(core.samePage("https://s.test/a", "https://s.test/a"), true);
  assert.equal(core.samePage("https://s.test/a#reviews", "https://s.test/a"), true);
  assert.equal(core.samePage("https://s.test/a", "https://s.test/b"), false);
  assert.equal(core.samePage("https://s.test/a?page=2", "https://s.test/a"), false);
  assert.equal(core.samePage("https://s.test/#/pricing", "https://s.test/#/"), false); // hash routers
  assert.equal(core.samePage("https://s.test/#!/cart", "https://s.test/#!/"), false);
});

test("the hello's track: at most 5 bounded languages, the screen class, DNT or GPC, the visit count, consent", () => {
  const nav = { languages: ["de-CH", "de", "en", "fr", "it", "rm", "x".repeat(80)], doNotTrack: "1" };
  assert.deepEqual(plain(core.track(nav, 390, 844, 3)), {
    languages: ["de-CH", "de", "en", "fr", "it"], screen: "phone", dnt: true, visits: 3, spa: false,
  }); // consent not asked: no key at all
  assert.equal(core.track(nav, 390, 844, 3, true).consent, true);
  const gpc = plain(core.track({ languages: ["x".repeat(80)], globalPrivacyControl: true }, 1920, 1080, 1));
  assert.equal(gpc.languages[0].length, 35);
  assert.equal(gpc.dnt, true);
  assert.equal(gpc.screen, "desktop");
  // an old browser with navigator.language only; DNT "0" or unset is no DNT
  assert.deepEqual(plain(core.track({ language: "en-GB", doNotTrack: "0" }, 800, 1280, 1)).languages, ["en-GB"]);
  assert.equal(core.track({ doNotTrack: "0" }, 800, 1280, 1).dnt, false);
  assert.deepEqual(plain(core.track({}, 800, 1280, 1)).languages, []);
});

test("a reply to an invitation carries its id, on every resend", () => {
  const entry = { client_id: "c1", text: "Yes please", inv: 41 };
  assert.deepEqual(plain(core.messageFrame(entry, "sales")), {
    type: "message.send", client_id: "c1", text: "Yes please", invitation_id: 41, department: "sales",
  });
  assert.deepEqual(plain(core.resendFrames([entry], ""))[0].invitation_id, 41);
  assert.equal("invitation_id" in plain(core.messageFrame({ client_id: "c2", text: "hi" }, "")), false);
});
