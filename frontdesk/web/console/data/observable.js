// subscribe/notify for the console's data modules (no DOM): a view or the App subscribes to
// a data module and is told what changed; data modules never draw.

export class Observable {
  constructor() {
    this.listeners = new Set();
  }

  /** Calls `fn(what, data)` on every change; returns the function that unsubscribes. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify(what, data = undefined) {
    for (const fn of [...this.listeners]) fn(what, data);
  }
}
