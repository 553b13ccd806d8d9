// The conversation page: live events over one websocket, resumed by seq. No build step and no
// external assets; everything the page needs (URLs, page size, texts, formats) is in the
// data-* attributes of #chat, rendered by the server. Protocol: docs/protocol.md.
import { refreshCard, wireCardForms } from "./cards.js";
import { Composer } from "./composer.js";
import { awayNotice, readFormats } from "./format.js";
import { Renderer } from "./render.js";
import { Connection, Outbox, TOO_MANY_SOCKETS } from "./socket.js";

const chat = document.getElementById("chat");
if (chat) { start(chat); }

function fill(pattern, values) {
  let text = pattern || "";
  for (const [k, v] of Object.entries(values || {})) { text = text.split(`{${k}}`).join(String(v)); }
  return text;
}

function start(chat) {
  const d = chat.dataset;
  const conversationId = Number(d.conversation);
  const me = Number(d.me);
  const pageSize = Number(d.pageSize);
  let lastSeq = Number(d.lastSeq) || 0;       // highest event seq applied to the page
  let firstSeq = Number(d.firstSeq) || 0;     // oldest message shown (paging back)
  const texts = {
    pending: d.textPending, failed: d.textFailed, offline: d.textOffline, online: d.textOnline,
    tooLong: d.textTooLong, retractConfirm: d.textRetractConfirm, acknowledged: d.textAcknowledged,
    newMessage: d.textNewMessage, confirm: d.textConfirm, noOlder: d.textNoOlder,
    uploading: d.textUploading, remove: d.textRemove, replying: d.textReplying, away: d.textAway,
    pin: d.textPin, unpin: d.textUnpin, ackCount: d.textAckCount,
    notSent: d.textNotSent, tryAgain: d.textTryAgain, tooManySockets: d.textTooManySockets,
    removed: d.textRemoved, held: d.textHeld, rejected: d.textRejected,
    cardFailed: d.textCardFailed,
    noMicrophone: d.textNoMicrophone, voice: d.textVoice,
  };
  const formats = readFormats(d, document.documentElement.lang);
  const renderer = new Renderer({
    me, editMinutes: Number(d.editMinutes) || 15, prototypeId: d.prototypeId,
    audience: Number(d.audience) || 0, formats, texts,
    categories: JSON.parse(d.sensitiveCategories || "{}"),
  });
  const list = document.getElementById("messages");
  const statusEl = document.getElementById("status");
  const findMessage = (id) => document.getElementById(`m${id}`);
  wireCardForms(list, texts.cardFailed);

  // This browser's push subscription, told to the server with each heartbeat so that this
  // device gets no push for the conversation while it shows it (docs/notifications.md).
  let pushEndpoint = null;
  const beat = () => {
    const fields = { visible: !document.hidden };
    if (pushEndpoint !== null) { fields.endpoint = pushEndpoint; }
    return fields;
  };
  const heartbeatMs = (Number(d.heartbeatSeconds) || 12) * 1000;
  const connection = new Connection(d.socketPath, { onOpen, onFrame, onClose }, { heartbeatMs, beat });
  const outbox = new Outbox(connection, `schoolchat-outbox:${me}:${conversationId}`, {
    onFailed: (item) => showFailed(item), onRetrying: (item) => showPending(item),
    ackTimeoutMs: (Number(d.ackTimeoutSeconds) || 5) * 1000,
  });
  const composer = new Composer({
    conversationId, maxChars: Number(d.maxChars) || 4000,
    myName: (document.querySelector(".me") || { textContent: "" }).textContent,
    uploadUrl: d.uploadUrl, pupilsUrl: d.pupilsUrl, texts,
  }, { outbox, list, fill, reveal: showNewest });

  function setStatus(text, online) {
    statusEl.textContent = text;
    chat.classList.toggle("offline", !online);
    chat.dataset.connection = online ? "online" : "offline";
  }

  // The newest message fully in view, above the sticky composer (a phone's screen is short),
  // and the page's notes between them (away, scheduled, confirmations) with it.
  function showNewest() {
    const notes = chat.querySelectorAll(":scope > .chat-notes, :scope > .notice.away");
    const last = notes.length ? notes[notes.length - 1] : list.lastElementChild;
    if (!last) { return; }
    last.scrollIntoView({ block: "end" });
    const bar = document.getElementById("composer") || statusEl;
    const overlap = last.getBoundingClientRect().bottom - bar.getBoundingClientRect().top;
    if (overlap > 0) { window.scrollBy(0, overlap + 8); }
  }

  function onOpen() {
    setStatus(texts.online, true);
    // Resume: everything after the last event applied to this page.
    connection.send({ type: "subscribe", conversation: conversationId, after_seq: lastSeq });
    outbox.resendAll();
  }

  function onClose(code) {
    chat.dataset.subscribed = "";
    // Closed as the oldest of too many sockets of this person: say so and stay closed, or two
    // tabs would keep closing each other.
    if (code === TOO_MANY_SOCKETS) { setStatus(texts.tooManySockets, false); return false; }
    setStatus(texts.offline, false);
    // Signed out elsewhere: the reload shows the login page. Not while this page itself is
    // signing out (static/notifications/logout.js): its own form goes there.
    if (code === 4401 || code === 4403) {
      if (!document.documentElement.dataset.signingOut) { location.reload(); }
      return false;
    }
    return true;
  }

  function onFrame(ev) {
    if (ev.conversation !== undefined && ev.conversation !== conversationId) { return; }
    if (ev.seq !== undefined && ev.type !== "ack" && ev.type !== "subscribed") { applyEvent(ev); }
    else if (ev.type === "subscribed") {
      if (ev.seq > lastSeq) { fillGap(); }
      markSeen();
      chat.dataset.subscribed = "1";
      connection.ping();   // presence: this conversation is now open on this page
    }
    else if (ev.type === "ack") { onAck(ev); }
    else if (ev.type === "error") { onError(ev); }
    else if (ev.type === "receipt") { showReceipts(ev); }
    else if (ev.type === "acknowledged") { showAcknowledged(ev); }
    else if (ev.type === "card") { refreshCard(findMessage(ev.id)); }
    else if (ev.type === "reactions") { showReactions(ev); }
    else if (ev.type === "rejected") { const n = findMessage(ev.id); if (n) { renderer.hold(n, true); } }
    else if (ev.type === "removed") { location.href = d.inboxUrl; }
  }

  // --- sequenced events ------------------------------------------------------------------
  function applyEvent(ev) {
    if (ev.seq <= lastSeq) { return; }                 // already applied
    if (ev.seq > lastSeq + 1) { fillGap(); return; }   // a gap: fetch what is missing first
    if (ev.type === "message") { showMessage(ev); }
    else if (ev.type === "edited") { const n = findMessage(ev.id); if (n) { renderer.edit(n, ev.body); } }
    else if (ev.type === "retracted") { showRetraction(ev); }
    else if (ev.type === "message_removed") { showRetraction(ev, true); }
    else if (ev.type === "attachment_hidden") { hideAttachment(ev); }
    else if (ev.type === "pinned") { showPin(ev); }
    else if (ev.type === "sensitive") { const n = findMessage(ev.id); if (n) { renderer.wrapSensitive(n, ev.sensitive); } }
    // "skip": a seq that shows this page nothing (docs/protocol.md); only lastSeq moves on.
    lastSeq = ev.seq;
    chat.dataset.lastSeq = lastSeq;
    markSeen();
  }

  let fillingGap = false;
  function fillGap() {
    if (fillingGap) { return; }
    fillingGap = true;
    const url = new URL(d.eventsUrl, location.href);
    url.searchParams.set("after_seq", lastSeq);
    fetch(url, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        fillingGap = false;
        // The server's list is the truth: seqs missing from it no longer exist (retention
        // deleted them), so the next one it sends is applied even across the hole.
        for (const ev of data.events || []) {
          if (ev.seq > lastSeq + 1) { lastSeq = ev.seq - 1; }
          applyEvent(ev);
        }
      })
      .catch(() => { fillingGap = false; });
  }

  function showMessage(ev) {
    const node = renderer.message(ev);
    const item = ev.sender.id === me ? outbox.take(ev.client_id) : undefined;
    if (item) {
      item.element.replaceWith(node);
      composer.clearError(ev.client_id);
    }
    // Released after the school's review: the sender's held copy gives way to the new one.
    const held = findMessage(ev.id);
    if (held && held !== node) { held.remove(); }
    const empty = list.querySelector(".empty");
    if (empty) { empty.remove(); }
    list.appendChild(node);
    showNewest();
    if (!firstSeq) { firstSeq = ev.seq; }
    if (ev.sender.id !== me) { notify(ev); }
  }

  function showRetraction(ev, removed = false) {
    const node = findMessage(ev.id);
    if (node) { renderer.retract(node, removed); }
    const pin = document.querySelector(`#pinned-list li[data-id="${ev.id}"]`);
    if (pin) {
      pin.remove();
      document.getElementById("pinned").hidden = !document.getElementById("pinned-list").children.length;
    }
  }

  function showPin(ev) {
    const bar = document.getElementById("pinned");
    const pins = document.getElementById("pinned-list");
    const old = pins.querySelector(`li[data-id="${ev.id}"]`);
    if (old) { old.remove(); }
    if (ev.pinned) {
      const li = document.createElement("li");
      li.dataset.id = ev.id;
      const a = document.createElement("a");
      a.href = `#m${ev.id}`;
      const sender = document.createElement("span");
      sender.className = "sender";
      sender.textContent = ev.sender;
      a.appendChild(sender);
      a.appendChild(document.createTextNode(` ${ev.excerpt}`));
      li.appendChild(a);
      pins.insertBefore(li, pins.firstChild);
    }
    bar.hidden = !pins.children.length;
    const form = findMessage(ev.id) && findMessage(ev.id).querySelector(".pin-form");
    if (form) { renderer.setPinForm(form, ev.pinned); }
  }

  function hideAttachment(ev) {
    const item = list.querySelector(`.attachments li[data-token="${CSS.escape(ev.attachment)}"]`);
    if (item) { renderer.hideAttachment(item); }
  }

  // --- hints without a seq ---------------------------------------------------------------
  function showReceipts(ev) {
    for (const [id, n] of Object.entries(ev.seen)) {
      const link = findMessage(id) && findMessage(id).querySelector(".seen");
      if (link) { link.textContent = renderer.seenText(n); }
    }
  }

  function showAcknowledged(ev) {
    const link = findMessage(ev.id) && findMessage(ev.id).querySelector(".ack-list");
    if (link) { link.textContent = fill(texts.ackCount, { n: ev.count }); }
    if (findMessage(ev.id)) { renderer.refreshAckCount(findMessage(ev.id)); }
  }

  // A message's reactions changed, on this phone or another one. Whose changed is named, so
  // the reader's own other pages mark (or unmark) theirs; cleared counts clear everything.
  function showReactions(ev) {
    const node = findMessage(ev.id);
    if (!node) { return; }
    const counts = ev.counts || {};
    let mine = "";
    if (ev.user === me) { mine = ev.emoji || ""; }
    else if (Object.keys(counts).length) { mine = renderer.reacted(node); }
    renderer.setReactions(node, counts, mine);
  }

  let seenSent = 0;
  let seenTimer = null;
  function markSeen() {
    // At most one "seen" a second, and only for what a visible tab has shown.
    if (seenTimer || document.hidden || lastSeq <= seenSent) { return; }
    seenTimer = setTimeout(() => {
      seenTimer = null;
      if (document.hidden || !connection.open) { return; }
      seenSent = lastSeq;
      connection.send({ type: "seen", conversation: conversationId, seq: lastSeq });
    }, 1000);
  }

  // --- answers to sends ------------------------------------------------------------------
  // A send with no ack after every try: shown as not sent, with a button to try again.
  function showFailed(item) {
    const node = item.element;
    node.classList.add("failed");
    const state = node.querySelector(".state");
    if (state) { state.textContent = texts.notSent; }
    if (!node.querySelector("button.try-again")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "try-again";
      button.textContent = texts.tryAgain;
      button.addEventListener("click", () => {
        outbox.retry(item.frame.client_id);
        if (connection.open) { return; }
        connection.reconnectNow();
      });
      node.appendChild(button);
    }
  }

  function showPending(item) {
    const node = item.element;
    node.classList.remove("failed");
    const button = node.querySelector("button.try-again");
    if (button) {
      // Keyboard users stay in the conversation: focus goes to the message box.
      if (document.activeElement === button) { document.getElementById("id_body").focus(); }
      button.remove();
    }
    const state = node.querySelector(".state");
    if (state) { state.textContent = texts.pending; }
  }

  function onAck(ev) {
    if (ev.action === "acknowledge") { acknowledged(ev.id); return; }
    outbox.answered(ev.client_id);
    if (ev.held) {
      // Stored, waiting for the school's review: nothing more will come for it, so it leaves
      // the outbox and stays on this page as the sender's alone.
      const held = outbox.take(ev.client_id);
      if (held) { renderer.markHeld(held.element, ev.id, ev.seq); }
      composer.clearError(ev.client_id);
    }
    const item = outbox.get(ev.client_id);
    if (item) {
      item.element.classList.add("acked");
      const state = item.element.querySelector(".state");
      if (state) { state.remove(); }
      composer.clearError(ev.client_id);
    }
    for (const p of ev.away || []) {
      const note = document.createElement("p");
      note.className = "notice away";
      note.setAttribute("role", "note");
      note.textContent = p.reads_from ? awayNotice(p.reads_from, p.name, formats)
        : fill(texts.away, { name: p.name });
      list.parentNode.insertBefore(note, list);
    }
  }

  function onError(ev) {
    if (ev.client_id === undefined && ev.id !== undefined && notAcknowledged(ev.id, ev.message)) { return; }
    outbox.answered(ev.client_id);
    const item = outbox.get(ev.client_id);
    if (item && ev.code === "unavailable") {
      // Not stored yet (the server's database was away): the same send goes again shortly.
      outbox.retryAfter(ev.client_id, ev.retry_after);
      return;
    }
    if (item && ev.code === "confirm_required") {
      composer.askConfirm(ev.client_id, ev.recipients);
      return;
    }
    if (item && ev.code === "rate_limited") {
      // Not stored: the draft stays in the outbox and goes again when the server said.
      composer.showError(ev.message, ev.client_id);
      const state = item.element.querySelector(".state");
      if (state) { state.textContent = texts.failed; }
      outbox.retryAfter(ev.client_id, ev.retry_after, () => {
        if (state) { state.textContent = texts.pending; }
      }, { counted: false });
      return;
    }
    if (item) {
      composer.restoreDraft(outbox.take(ev.client_id));
      composer.showError(ev.message);
      return;
    }
    if (ev.id && ["window_expired", "forbidden", "retracted", "not_found"].includes(ev.code)) {
      const node = findMessage(ev.id);
      const own = node && node.querySelector(".own-actions");
      if (own) { own.remove(); }
      if (composer.enabled) { composer.showError(ev.message); }
      return;
    }
    if (ev.code === "not_found" && ev.conversation === conversationId) { location.reload(); }
  }

  // --- browser notifications (only while a tab is open) ----------------------------------
  const notifyButton = document.getElementById("notify-button");
  if (notifyButton && "Notification" in window && Notification.permission === "default") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", () => {
      Notification.requestPermission().then(() => { notifyButton.hidden = true; });
    });
  }

  function notify(ev) {
    if (ev.quiet || !document.hidden || !("Notification" in window) ||
        Notification.permission !== "granted") { return; }
    // The sender's name only: the text stays inside the app.
    const n = new Notification(fill(texts.newMessage, { name: ev.sender.name }), { tag: `conv-${conversationId}` });
    n.onclick = () => { window.focus(); n.close(); };
  }

  // --- reply, edit, retract, pin, acknowledge and react --------------------------------------
  // The links and forms work without JavaScript; with it, they go over the socket.
  list.addEventListener("click", (e) => {
    const reply = e.target.closest("a.reply");
    if (!reply) { return; }
    const node = reply.closest(".message");
    if (composer.startReply(reply.dataset.reply, node.querySelector(".sender").textContent)) {
      e.preventDefault();
    }
  });
  // On a touch screen, a swipe to the right on a message replies to it, as in other chat
  // apps; the bubble follows the finger a little and springs back.
  const SWIPE_PX = 64;
  let swipe = null;
  list.addEventListener("touchstart", (e) => {
    const node = e.target.closest(".message[data-id]");
    const link = node && node.querySelector("a.reply[data-reply]");
    if (!link || e.touches.length !== 1) { swipe = null; return; }
    swipe = { node, link, x: e.touches[0].clientX, y: e.touches[0].clientY, dx: 0 };
  }, { passive: true });
  list.addEventListener("touchmove", (e) => {
    if (!swipe) { return; }
    const dx = e.touches[0].clientX - swipe.x;
    const dy = e.touches[0].clientY - swipe.y;
    if (Math.abs(dy) > Math.abs(dx)) { swipe.node.style.transform = ""; swipe = null; return; }
    swipe.dx = dx;
    swipe.node.style.transform = `translateX(${Math.max(0, Math.min(dx, SWIPE_PX * 1.25))}px)`;
  }, { passive: true });
  const endSwipe = () => {
    if (!swipe) { return; }
    const { node, link, dx } = swipe;
    swipe = null;
    node.style.transform = "";
    if (dx >= SWIPE_PX) {
      composer.startReply(link.dataset.reply, node.querySelector(".sender").textContent);
    }
  };
  list.addEventListener("touchend", endSwipe);
  list.addEventListener("touchcancel", () => { if (swipe) { swipe.node.style.transform = ""; swipe = null; } });

  list.addEventListener("submit", (e) => {
    const f = e.target;
    const node = f.closest(".message");
    if (!node || !connection.open) { return; }
    const id = Number(node.dataset.id);
    if (f.classList.contains("edit-form")) {
      e.preventDefault();
      connection.send({ type: "edit", conversation: conversationId, id, body: f.querySelector("textarea").value });
      const details = f.closest("details");
      if (details) { details.open = false; }
    } else if (f.classList.contains("retract-form")) {
      e.preventDefault();
      if (window.confirm(texts.retractConfirm)) {
        connection.send({ type: "retract", conversation: conversationId, id });
      }
    } else if (f.classList.contains("pin-form")) {
      e.preventDefault();
      connection.send({ type: "pin", conversation: conversationId, id,
                        pinned: f.querySelector("input[name=pinned]").value === "1" });
    } else if (f.classList.contains("react-form") || f.classList.contains("reactions")) {
      // A chip or a picker's emoji: the pressed button says which; the "reactions" hint
      // then redraws the chips on every open page, this one too.
      const button = e.submitter;
      if (!button || button.name !== "emoji") { return; }
      e.preventDefault();
      connection.send({ type: "react", conversation: conversationId, id, emoji: button.value });
      // The smiley's picker closes (it was opened for this one tap); the Actions menu stays
      // open, its buttons saying which one is pressed now.
      const quick = f.closest("details.react");
      if (quick) { quick.open = false; }
    } else if (f.classList.contains("ack-form")) {
      e.preventDefault();
      acknowledging(f, node, id);
    }
  });

  // Acknowledging: "You acknowledged this" shows once the server has stored it (its ack), not
  // when the button is pressed, so a page left at once never said so wrongly. Without an
  // answer in 10 s the form itself is posted (acknowledging twice is the same as once).
  const pendingAcks = new Map();   // message id -> {form, node, hadFocus, timer}
  function acknowledging(form, node, id) {
    if (pendingAcks.has(id)) { return; }
    const button = form.querySelector("button");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const old = form.querySelector(".error");
    if (old) { old.remove(); }
    const timer = setTimeout(() => { pendingAcks.delete(id); form.submit(); }, 10000);
    pendingAcks.set(id, { form, node, hadFocus: form.contains(document.activeElement), timer });
    if (!connection.send({ type: "acknowledge", conversation: conversationId, id })) {
      clearTimeout(timer);
      pendingAcks.delete(id);
      form.submit();
    }
  }
  function acknowledged(id) {
    const p = pendingAcks.get(id);
    if (!p) { return; }
    pendingAcks.delete(id);
    clearTimeout(p.timer);
    const done = document.createElement("span");
    done.className = "acked-note";
    done.textContent = texts.acknowledged;
    p.form.replaceWith(done);
    // The button is gone: focus stays on its message (one tab stop), not the page's top.
    if (p.hadFocus && (document.activeElement === document.body || p.node.contains(document.activeElement))) {
      p.node.focus({ preventScroll: true });
    }
  }
  function notAcknowledged(id, text) {
    const p = pendingAcks.get(id);
    if (!p) { return false; }
    pendingAcks.delete(id);
    clearTimeout(p.timer);
    const button = p.form.querySelector("button");
    button.disabled = false;
    button.removeAttribute("aria-busy");
    const said = document.createElement("span");
    said.className = "error";
    said.setAttribute("role", "alert");
    said.textContent = text;
    p.form.append(said);
    return true;
  }

  // --- paging back through history ---------------------------------------------------------
  const older = document.getElementById("older");
  if (older) {
    older.addEventListener("click", () => {
      older.disabled = true;
      const url = new URL(d.messagesUrl, location.href);
      url.searchParams.set("before_seq", firstSeq);
      fetch(url, { credentials: "same-origin" })
        .then((r) => r.json())
        .then((data) => {
          const anchor = list.firstElementChild;
          for (const ev of data.messages) { list.insertBefore(renderer.message(ev), anchor); }
          if (data.messages.length) { firstSeq = data.messages[0].seq; }
          if (data.messages.length < pageSize) {
            const hint = document.createElement("p");
            hint.className = "hint";
            hint.textContent = texts.noOlder;
            older.replaceWith(hint);
          } else {
            older.disabled = false;
          }
          if (anchor) { anchor.focus(); }
        })
        .catch(() => { older.disabled = false; });
    });
  }

  composer.start();
  // What was written here but not sent before the page was left (offline, a reload): shown
  // as pending again and sent when the socket opens. A message already stored is on the page.
  for (const frame of outbox.stored()) {
    if (frame.conversation !== conversationId) { continue; }
    if (list.querySelector(`li.message[data-client-id="${CSS.escape(frame.client_id)}"]`)) { continue; }
    outbox.restore(frame, composer.pending(frame));
  }
  outbox.save();
  document.addEventListener("visibilitychange", () => { markSeen(); connection.ping(); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.getRegistration("/")
      .then((reg) => (reg ? reg.pushManager.getSubscription() : null))
      .then((sub) => { pushEndpoint = sub ? sub.endpoint : ""; connection.ping(); })
      .catch(() => {});
  }
  if (!navigator.onLine) { setStatus(texts.offline, false); }
  showNewest();
  window.addEventListener("load", showNewest);
  connection.connect();
}
