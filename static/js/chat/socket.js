// One websocket per tab: connect, resume from the last seq on every (re)connect, and resend
// what was typed but not yet acknowledged (same client_id, so a retry never duplicates).

export class Connection {
  // path: the socket's path on this host (the page's data-socket-path).
  constructor(path, { onOpen, onFrame, onClose }) {
    this.path = path;
    this.onOpen = onOpen;
    this.onFrame = onFrame;
    this.onClose = onClose;
    this.socket = null;
    this.backoff = 500;
  }

  get open() { return !!this.socket && this.socket.readyState === WebSocket.OPEN; }

  connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + this.path);
    this.socket = socket;
    socket.onopen = () => { this.backoff = 500; this.onOpen(); };
    socket.onmessage = (e) => {
      let frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      this.onFrame(frame);
    };
    socket.onclose = (e) => {
      // 4401 not signed in, 4403 deactivated: reconnecting would not help.
      if (this.onClose(e.code) === false) { return; }
      setTimeout(() => this.connect(), this.backoff + Math.random() * 250);
      this.backoff = Math.min(this.backoff * 2, 15000);
    };
  }

  send(frame) {
    if (!this.open) { return false; }
    this.socket.send(JSON.stringify(frame));
    return true;
  }
}

// Sends that have no ack yet: client_id -> {frame, element, timer}. Each is sent when added,
// again on every reconnect, and after the delay a "rate_limited" refusal asks for.
export class Outbox {
  constructor(connection) {
    this.connection = connection;
    this.items = new Map();
  }

  add(clientId, frame, element) {
    this.items.set(clientId, { frame, element, timer: null });
    this.send(clientId);
  }

  get(clientId) { return clientId ? this.items.get(clientId) : undefined; }

  take(clientId) {
    const item = this.items.get(clientId);
    if (item) {
      clearTimeout(item.timer);
      this.items.delete(clientId);
    }
    return item;
  }

  send(clientId) {
    const item = this.items.get(clientId);
    if (item) { this.connection.send(item.frame); }
  }

  // On (re)connect; a send waiting out a rate limit goes when its wait is over.
  resendAll() {
    for (const [clientId, item] of this.items) {
      if (!item.timer) { this.send(clientId); }
    }
  }

  retryAfter(clientId, seconds, then) {
    const item = this.items.get(clientId);
    if (!item) { return; }
    clearTimeout(item.timer);
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
