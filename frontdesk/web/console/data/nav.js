// Where the agent is: the open chat tabs and the active one, the sidebar's tab, and the screen
// shown instead of a chat (a ticket, Settings, Monitor, Reviews, Archive, Reports, Staffing). The App changes it
// (routing); views read it. No DOM.

export class Nav {
  constructor() {
    this.openIds = []; // chat ids with a tab, in tab order
    this.activeId = null; // the chat shown, or null
    this.tab = 'inbox'; // the sidebar's tab: inbox | tickets | history
    this.screen = null; // null (chats) | {kind: 'ticket', id} | {kind: 'settings', route} | {kind: 'monitor'} …
  }

  isOpen(id) { return this.openIds.includes(id); }

  isActive(id) { return this.activeId === id; }

  /** The ticket shown, or null. */
  ticketShown() { return this.screen && this.screen.kind === 'ticket' ? this.screen.id : null; }

  on(kind) { return !!(this.screen && this.screen.kind === kind); }
}
