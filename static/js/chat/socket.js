// One websocket per tab: connect, resume from the last seq on every (re)connect, and resend
// what was typed but not yet acknowledged (same client_id, so a retry never duplicates).

export class Connection {
  // path: the socket's path on this host (the page's data-socket-path).
  // heartbeatMs: how often a ping goes; a socket that then hears nothing for one more beat
  // (and 3 s) is dead: closed here and reconnected, so a silent network shows within 30 s.
  // beat(): the fields the ping carries (is the page visible, this browser's push endpoint).
  constructor(path, { onOpen, onFrame, onClose }, { heartbeatMs = 12000, beat = () => ({}) } = {}) {
    this.path = path;
    this.onOpen = onOpen;
    this.onFrame = onFrame;
    this.onClose = onClose;
    this.heartbeatMs = heartbeatMs;
    this.beat = beat;
    this.socket = null;
    this.backoff = 500;
    this.retry = null;      // the timer of the next reconnect
    this.ticker = null;     // the heartbeat interval
    this.deadline = null;   // fires when a ping got no answer in time
    this.stopped = false;
    window.addEventListener("offline", () => this.drop());
    window.addEventListener("online", () => { if (!this.socket) { this.reconnectNow(); } });
  }

  get open() { return !!this.socket && this.socket.readyState === WebSocket.OPEN; }

  connect() {
    this.retry = null;
    if (this.stopped || this.socket) { return; }
    if (navigator.onLine === false) { return; }   // the "online" event connects
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + this.path);
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) { return; }
      this.backoff = 500;
      this.startHeartbeat();
      this.onOpen();
    };
    socket.onmessage = (e) => {
      if (this.socket !== socket) { return; }
      this.heard();
      let frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      if (frame.type === "pong") { return; }
      this.onFrame(frame);
    };
    socket.onclose = (e) => { if (this.socket === socket) { this.lost(e.code); } };
  }

  // The socket is gone (closed, silent, or the browser went offline): say so, then reconnect.
  lost(code) {
    this.stopHeartbeat();
    this.socket = null;
    // 4401 not signed in, 4403 deactivated, 4429 one socket too many: reconnecting would not
    // help (the page's onClose says so by returning false).
    if (this.onClose(code) === false) { this.stopped = true; return; }
    if (!this.retry) {
      this.retry = setTimeout(() => this.connect(), this.backoff + Math.random() * 250);
      this.backoff = Math.min(this.backoff * 2, 15000);
    }
  }

  // Give up on the current socket now (no answer, or offline); its late events are ignored.
  drop() {
    const socket = this.socket;
    if (!socket) { return; }
    try { socket.close(); } catch (err) { /* already closing */ }
    this.lost(4000);
  }

  reconnectNow() {
    clearTimeout(this.retry);
    this.retry = null;
    this.backoff = 500;
    this.connect();
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.ticker = setInterval(() => this.ping(), this.heartbeatMs);
    this.ping();
  }

  stopHeartbeat() {
    clearInterval(this.ticker);
    clearTimeout(this.deadline);
    this.ticker = null;
    this.deadline = null;
  }

  // A heartbeat now (also when the page is shown or hidden, so presence follows at once).
  ping() {
    if (!this.open) { return; }
    this.socket.send(JSON.stringify({ type: "ping", ...this.beat() }));
    if (!this.deadline) {
      this.deadline = setTimeout(() => { this.deadline = null; this.drop(); }, this.heartbeatMs + 3000);
    }
  }

  heard() {
    clearTimeout(this.deadline);
    this.deadline = null;
  }

  send(frame) {
    if (!this.open) { return false; }
    this.socket.send(JSON.stringify(frame));
    return true;
  }
}

// Sends that have no ack yet: client_id -> {frame, element, timer, waiting, tries, failed}.
// Each is sent when added, again on every reconnect, after the delay a refusal asks for
// ("rate_limited", "unavailable"), and again when no ack came within the ack timeout (which
// doubles each time). After MAX_TRIES sends without an ack it is failed: onFailed(item) shows
// it with "Try again", which sends it once more (retry(clientId)). With a storage key the
// frames are also kept in localStorage (per person and conversation), so what was written
// offline survives a reload and goes when the connection is back; the same client_id makes a
// second try return the first message. logout.js forgets them.
export const ACK_TIMEOUT_MS = 5000;
// The close code of a socket closed as the oldest of its person's too many (docs/protocol.md).
export const TOO_MANY_SOCKETS = 4429;
export const MAX_TRIES = 4;

export class Outbox {
  constructor(connection, storageKey = null, { onFailed = () => {}, onRetrying = () => {},
                                               ackTimeoutMs = ACK_TIMEOUT_MS } = {}) {
    this.connection = connection;
    this.items = new Map();
    this.storageKey = storageKey;
    this.onFailed = onFailed;       // (item): no ack after MAX_TRIES sends
    this.onRetrying = onRetrying;   // (item): a failed or refused send goes again
    this.ackTimeoutMs = ackTimeoutMs;
  }

  add(clientId, frame, element) {
    this.items.set(clientId, this.item(frame, element));
    this.save();
    this.send(clientId);
  }

  item(frame, element) {
    return { frame, element, timer: null, waiting: null, tries: 0, failed: false };
  }

  // The frames kept from an earlier page, not yet sent (they go on the next resendAll).
  stored() {
    if (!this.storageKey) { return []; }
    try {
      const frames = JSON.parse(localStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(frames) ? frames.filter((f) => f && f.client_id) : [];
    } catch (err) { return []; }
  }

  restore(frame, element) {
    this.items.set(frame.client_id, this.item(frame, element));
  }

  save() {
    if (!this.storageKey) { return; }
    try {
      const frames = Array.from(this.items.values(), (item) => item.frame);
      if (frames.length) { localStorage.setItem(this.storageKey, JSON.stringify(frames)); }
      else { localStorage.removeItem(this.storageKey); }
    } catch (err) { /* storage full or switched off: the outbox still works on this page */ }
  }

  get(clientId) { return clientId ? this.items.get(clientId) : undefined; }

  take(clientId) {
    const item = this.items.get(clientId);
    if (item) {
      clearTimeout(item.timer);
      clearTimeout(item.waiting);
      this.items.delete(clientId);
      this.save();
    }
    return item;
  }

  // The server answered the send (an ack: stored, and its message event, which takes the
  // item, follows; or a refusal): no resend for want of an answer.
  answered(clientId) {
    const item = this.items.get(clientId);
    if (item) { clearTimeout(item.waiting); item.waiting = null; }
  }

  send(clientId) {
    const item = this.items.get(clientId);
    if (!item || item.failed) { return; }
    clearTimeout(item.waiting);
    item.waiting = null;
    if (!this.connection.send(item.frame)) { return; }   // not connected: resendAll sends it
    item.tries += 1;
    const wait = this.ackTimeoutMs * 2 ** (item.tries - 1);
    item.waiting = setTimeout(() => {
      item.waiting = null;
      if (this.items.get(clientId) !== item) { return; }
      if (item.tries >= MAX_TRIES) { this.fail(item); } else { this.send(clientId); }
    }, wait);
  }

  fail(item) {
    clearTimeout(item.timer);
    item.timer = null;
    item.failed = true;
    this.onFailed(item);
  }

  // "Try again": a failed send goes once more, with the same client_id.
  retry(clientId) {
    const item = this.items.get(clientId);
    if (!item) { return; }
    item.failed = false;
    item.tries = 0;
    this.onRetrying(item);
    this.send(clientId);
  }

  // On (re)connect; a send waiting out a refusal's delay goes when its wait is over, and a
  // failed one is tried again (the connection it met may have been the problem).
  resendAll() {
    for (const [clientId, item] of this.items) {
      if (item.failed) { this.retry(clientId); } else if (!item.timer) { this.send(clientId); }
    }
  }

  // A refusal that asks for a resend after ``seconds``; the tries are counted, so a server
  // that keeps refusing ends in "Try again" rather than a send that is tried for ever.
  // counted false: a wait the server set (a rate limit), which ends, is not a failure.
  retryAfter(clientId, seconds, then, { counted = true } = {}) {
    const item = this.items.get(clientId);
    if (!item) { return; }
    clearTimeout(item.timer);
    clearTimeout(item.waiting);
    item.waiting = null;
    if (!counted) { item.tries = 0; } else if (item.tries >= MAX_TRIES) { this.fail(item); return; }
    const ms = Math.max(Number(seconds) || 1, 0.2) * 1000;
    item.timer = setTimeout(() => {
      item.timer = null;
      if (this.items.get(clientId) !== item) { return; }
      if (then) { then(item); }
      this.send(clientId);
    }, ms);
  }
}

export function uuid4() {
  if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
  const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
