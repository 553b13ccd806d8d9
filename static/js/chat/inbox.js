// The inbox, live: one socket that hears every conversation the person reads (the server
// joins only those, and stops at once when a membership ends). A new message becomes its
// conversation's last line (sender, excerpt, time in the page's time zone and format), moves
// the conversation to the top and, from someone else, raises its unread count. After a lost
// connection the list is read again from the server, which is the truth. Protocol:
// docs/protocol.md ("inbox").
import { formatTime, readFormats } from "./format.js";
import { Connection, TOO_MANY_SOCKETS } from "./socket.js";

const root = document.getElementById("inbox");
const PAGES_CACHE = "schoolchat-pages";    // the service worker's kept pages
if (root) { start(root); }

// What the server's truncatechars:120 writes: an ellipsis in place of the 120th character.
function excerpt(text) {
  const chars = Array.from(text || "");
  return chars.length > 120 ? `${chars.slice(0, 119).join("")}…` : chars.join("");
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) { node.className = className; }
  if (text !== undefined) { node.textContent = text; }
  return node;
}

function start(root) {
  const d = root.dataset;
  const me = Number(d.me);
  const formats = readFormats(d, document.documentElement.lang);
  const unreadForms = JSON.parse(d.unreadForms || "{}");
  const plurals = new Intl.PluralRules(formats.lang);
  const list = document.getElementById("conversation-list");
  const statusEl = document.getElementById("status");
  let connectedBefore = false;

  const row = (id) => list.querySelector(`li[data-conversation="${Number(id)}"]`);

  function setStatus(text, online) {
    statusEl.textContent = text;
    root.classList.toggle("offline", !online);
    root.dataset.connection = online ? "online" : "offline";
  }

  function setUnread(li, count) {
    const badge = li.querySelector(".unread");
    badge.dataset.count = count;
    badge.hidden = count <= 0;
    const form = unreadForms[plurals.select(count)] || unreadForms.other || "{n}";
    badge.textContent = form.split("{n}").join(String(count));
  }

  function lastLine(ev) {
    const line = el("span", "last");
    line.appendChild(el("span", "sender", ev.sender.name));
    line.appendChild(document.createTextNode(": "));
    if (ev.retracted || ev.removed) {
      line.appendChild(el("span", "excerpt gone", ev.removed ? d.textRemoved : d.textRetracted));
      return line;
    }
    if (ev.sensitive) {               // never previewed: its category stands for it
      line.appendChild(el("span", "excerpt gone", sensitiveText(ev.sensitive)));
      return line;
    }
    line.appendChild(el("span", "excerpt", excerpt(ev.body)));
    for (const a of ev.attachments || []) {
      if (a.hidden) { continue; }      // a hidden photo is not mentioned at all
      line.appendChild(document.createTextNode(" "));
      const names = { image: d.textPhoto, audio: d.textVoice };
      const note = el("span", "attachment-note", names[a.kind] || a.name);
      note.dataset.token = a.token;
      line.appendChild(note);
    }
    return line;
  }

  function sensitiveText(category) {
    const names = JSON.parse(d.sensitiveCategories || "{}");
    return (d.textSensitive || "").split("{category}").join(names[category] || category);
  }

  // Marked sensitive after it was sent: its preview goes.
  function showSensitive(ev) {
    const li = lastOf(ev);
    const line = li && li.querySelector(".last");
    if (!line) { return; }
    const sender = line.querySelector(".sender");
    line.textContent = "";
    if (sender) { line.appendChild(sender); line.appendChild(document.createTextNode(": ")); }
    line.appendChild(el("span", "excerpt gone", sensitiveText(ev.sensitive)));
  }

  function showMessage(ev) {
    const li = row(ev.conversation);
    if (!li) { refresh(); return; }
    if (Number(li.dataset.lastSeq || 0) >= ev.seq) { return; }
    li.dataset.lastId = ev.id;
    li.dataset.lastSeq = ev.seq;
    li.querySelector(".last").replaceWith(lastLine(ev));
    const side = li.querySelector(".side");
    let time = side.querySelector("time");
    if (!time) { time = el("time"); side.prepend(time); }
    time.setAttribute("datetime", ev.created_at);
    time.textContent = formatTime(ev.created_at, formats);
    if (ev.sender.id !== me && !ev.retracted && !ev.removed) {
      setUnread(li, Number(li.querySelector(".unread").dataset.count || 0) + 1);
      li.dataset.liveUnread = `${li.dataset.liveUnread || ""} ${ev.id}`;
    }
    list.prepend(li);                  // latest activity first
  }

  function lastOf(ev) {
    const li = row(ev.conversation);
    return li && Number(li.dataset.lastId) === ev.id ? li : null;
  }

  function showEdit(ev) {
    const li = lastOf(ev);
    const text = li && li.querySelector(".last .excerpt:not(.gone)");
    if (text) { text.textContent = excerpt(ev.body); }
  }

  // A retraction, or the school's removal (``text`` says which).
  function showRetraction(ev, text = d.textRetracted) {
    const li = row(ev.conversation);
    if (!li) { return; }
    const counted = (li.dataset.liveUnread || "").split(" ");
    if (counted.includes(String(ev.id))) {
      li.dataset.liveUnread = counted.filter((x) => x !== String(ev.id)).join(" ");
      setUnread(li, Math.max(Number(li.querySelector(".unread").dataset.count || 0) - 1, 0));
    }
    if (Number(li.dataset.lastId) !== ev.id) { return; }
    const line = li.querySelector(".last");
    const sender = line.querySelector(".sender");
    line.textContent = "";
    if (sender) { line.appendChild(sender); line.appendChild(document.createTextNode(": ")); }
    line.appendChild(el("span", "excerpt gone", text));
  }

  function hideAttachment(ev) {
    const li = lastOf(ev);
    const note = li && li.querySelector(`.attachment-note[data-token="${CSS.escape(ev.attachment)}"]`);
    if (note) { note.remove(); }
  }

  let refreshing = false;
  function refresh() {
    if (refreshing) { return; }
    refreshing = true;
    fetch(location.href, { credentials: "same-origin" })
      .then((r) => r.text())
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("conversation-list");
        if (fresh) { list.replaceChildren(...Array.from(fresh.children, (c) => document.importNode(c, true))); }
      })
      .catch(() => {})
      .finally(() => { refreshing = false; });
  }

  function onOpen() {
    setStatus(d.textOnline, true);
    connection.send({ type: "inbox" });
    if (connectedBefore) { refresh(); }    // what happened while the socket was away
    connectedBefore = true;
  }

  function onClose(code) {
    // Closed as the oldest of too many sockets of this person: say so and stay closed.
    if (code === TOO_MANY_SOCKETS) { setStatus(d.textTooManySockets, false); return false; }
    setStatus(d.textOffline, false);
    // Signed out elsewhere: the reload shows the login page. Not while this page itself is
    // signing out (static/notifications/logout.js): its own form goes there.
    if (code === 4401 || code === 4403) {
      if (!document.documentElement.dataset.signingOut) { location.reload(); }
      return false;
    }
    return true;
  }

  function onFrame(ev) {
    if (ev.type === "message") { showMessage(ev); }
    else if (ev.type === "edited") { showEdit(ev); }
    else if (ev.type === "retracted") { showRetraction(ev); }
    else if (ev.type === "message_removed") { showRetraction(ev, d.textRemoved); }
    else if (ev.type === "attachment_hidden") { hideAttachment(ev); }
    else if (ev.type === "sensitive") { showSensitive(ev); }
    else if (ev.type === "removed") { const li = row(ev.conversation); if (li) { li.remove(); } }
    else if (ev.type === "added") { refresh(); }
    else if (ev.type === "inbox_subscribed") { root.dataset.subscribed = "1"; }
  }

  // Offline, the conversations this device kept (static/notifications/sw.js keeps the last ones
  // opened) are marked, so a person knows which ones open without a network.
  async function markKept() {
    for (const mark of list.querySelectorAll(".kept-offline")) { mark.remove(); }
    if (navigator.onLine || !("caches" in window)) { return; }
    let paths = new Set();
    try {
      if (await caches.has(PAGES_CACHE)) {
        const kept = await (await caches.open(PAGES_CACHE)).keys();
        paths = new Set(kept.map((r) => new URL(r.url).pathname));
      }
    } catch (err) { return; }
    for (const li of list.children) {
      const link = li.querySelector("a");
      if (link && paths.has(new URL(link.href).pathname)) {
        li.querySelector(".side").appendChild(el("span", "kept-offline", d.textKeptOffline));
      }
    }
  }
  window.addEventListener("offline", markKept);
  window.addEventListener("online", markKept);
  markKept();

  const heartbeatMs = (Number(d.heartbeatSeconds) || 12) * 1000;
  const connection = new Connection(d.socketPath, { onOpen, onFrame, onClose },
    { heartbeatMs, beat: () => ({ visible: !document.hidden }) });
  // Back to the inbox from a conversation (the browser's page cache): read the list again.
  window.addEventListener("pageshow", (e) => { if (e.persisted) { refresh(); } });
  if (!navigator.onLine) { setStatus(d.textOffline, false); }
  connection.connect();
}
