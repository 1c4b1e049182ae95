// Loads the widget's delivery core the way the tests need it: widget.js itself, run in a bare
// node vm context (no window, no document, no localStorage, no timers), so a core function that
// reached for any of them would throw here. The file hands its core over through `module.exports`.
import { readFileSync } from "node:fs";
import vm from "node:vm";

const WIDGET = new URL("../../../frontdesk/web/widget.js", import.meta.url);

export function loadCore() {
  const sandbox = { module: { exports: null } };
  vm.runInNewContext(readFileSync(WIDGET, "utf8"), sandbox, { filename: "widget.js" });
  return sandbox.module.exports;
}
