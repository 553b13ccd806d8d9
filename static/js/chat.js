// Schoolchat conversation page: live events over one websocket, resumed by seq.
// No build step and no external assets. Protocol: docs/protocol.md.
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  if (!chat) { return; }

  var d = chat.dataset;
  var conversationId = Number(d.conversation);
  var lastSeq = Number(d.lastSeq) || 0;       // highest event seq applied to the page
  var firstSeq = Number(d.firstSeq) || 0;     // oldest message shown (paging back)
  var maxChars = Number(d.maxChars) || 4000;
  var me = Number(d.me);
  var isStaff = d.staff === "1";
  var canPost = d.canPost === "1";
  var audience = Number(d.audience) || 0;
  var editMs = (Number(d.editMinutes) || 15) * 60000;
  var baseUrl = d.baseUrl;
  var myName = (document.querySelector(".me") || { textContent: "" }).textContent;
  var list = document.getElementById("messages");
  var statusEl = document.getElementById("status");
  var form = document.getElementById("composer");
  var input = document.getElementById("id_body");
  var errorEl = document.getElementById("composer-error");
  var replyField = document.getElementById("id_reply_to");
  var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var socket = null;
  var backoff = 500;
  var pending = {};        // client_id -> {frame, element}
  var confirmed = false;   // the sender confirmed the audience once on this page
  var attachments = [];    // tokens uploaded for the next message
  var fillingGap = false;

  function t(key, values) {
    var text = d[key] || "";
    Object.keys(values || {}).forEach(function (k) {
      text = text.split("{" + k + "}").join(String(values[k]));
    });
    return text;
  }

  function setStatus(text, online) {
    statusEl.textContent = text;
    chat.classList.toggle("offline", !online);
  }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // Text with http(s) links made clickable. Built from text nodes and <a> elements only, so
  // nothing in a message can become markup.
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
  function fillBody(p, text) {
    p.textContent = "";
    var lines = text.split("\n");
    lines.forEach(function (line, i) {
      if (i > 0) { p.appendChild(document.createElement("br")); }
      var last = 0;
      line.replace(URL_RE, function (match, offset) {
        var url = match.replace(/[.,;:!?)\]}]+$/, "");
        p.appendChild(document.createTextNode(line.slice(last, offset)));
        var a = el("a", null, url);
        a.href = url;
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        p.appendChild(a);
        last = offset + url.length;
        return match;
      });
      p.appendChild(document.createTextNode(line.slice(last)));
    });
  }

  function formatTime(iso) {
    var date = new Date(iso);
    return date.toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
  }

  function postForm(action, className, label, extra) {
    var f = el("form", "inline " + className);
    f.method = "post";
    f.action = baseUrl + action;
    if (csrfInput) {
      var c = document.createElement("input");
      c.type = "hidden"; c.name = "csrfmiddlewaretoken"; c.value = csrfInput.value;
      f.appendChild(c);
    }
    if (extra) { f.appendChild(extra); }
    var b = el("button", className === "retract-form" ? "danger" : (className === "ack-form" ? "ack" : ""), label);
    b.type = "submit";
    f.appendChild(b);
    return f;
  }

  function attachmentItem(a) {
    var li = el("li");
    li.dataset.token = a.token;
    if (a.hidden) {
      li.appendChild(el("span", "hidden-photo", d.textHidden));
    } else if (a.kind === "image") {
      var link = el("a");
      link.href = a.url; link.target = "_blank"; link.rel = "noopener";
      var img = el("img");
      img.src = a.thumbnail_url || a.url;
      img.alt = d.textPhoto + ": " + a.name;
      img.loading = "lazy";
      link.appendChild(img);
      li.appendChild(link);
    } else {
      var file = el("a", "file", a.name);
      file.href = a.url;
      li.appendChild(file);
    }
    return li;
  }

  // The same structure as templates/messaging/_message.html.
  function messageElement(ev) {
    var mine = ev.sender.id === me;
    var li = el("li", "message" + (mine ? " mine" : "") + (ev.retracted ? " retracted" : "") + (ev.urgent ? " urgent" : ""));
    li.id = "m" + ev.id;
    li.tabIndex = -1;
    li.dataset.id = ev.id;
    li.dataset.seq = ev.seq;
    li.dataset.clientId = ev.client_id;
    li.dataset.sender = ev.sender.id;
    li.dataset.created = ev.created_at;
    li.appendChild(el("span", "sender", ev.sender.name));
    if (ev.reply_to) {
      var q = el("blockquote", "quote");
      q.appendChild(el("span", "sender", ev.reply_to.sender));
      q.appendChild(document.createTextNode(" " + (ev.reply_to.retracted ? d.textRetracted : ev.reply_to.excerpt)));
      li.appendChild(q);
    }
    if (ev.urgent) { li.appendChild(el("strong", "badge", d.textUrgent)); }
    if (ev.retracted) {
      li.appendChild(el("p", "body gone", d.textRetracted));
    } else {
      if (ev.body) {
        var p = el("p", "body");
        fillBody(p, ev.body);
        li.appendChild(p);
      }
      if (ev.attachments && ev.attachments.length) {
        var ul = el("ul", "attachments");
        ev.attachments.forEach(function (a) { ul.appendChild(attachmentItem(a)); });
        li.appendChild(ul);
      }
    }
    var time = el("time", null, formatTime(ev.created_at));
    time.dateTime = ev.created_at;
    li.appendChild(time);
    if (ev.edited && !ev.retracted) { li.appendChild(el("span", "edited", d.textEdited)); }
    if (!ev.retracted) { li.appendChild(metaElement(ev, mine)); }
    return li;
  }

  function metaElement(ev, mine) {
    var meta = el("div", "meta");
    if (mine || isStaff) {
      var seen = el("a", "seen", t("textSeen", { n: 0, m: audience }));
      seen.href = baseUrl + "m/" + ev.id + "/seen";
      meta.appendChild(seen);
    }
    if (ev.ack_requested) {
      if (isStaff) {
        var list_ = el("a", "ack-list", t("textAckCount", { n: 0 }));
        list_.href = baseUrl + "m/" + ev.id + "/acknowledgements";
        meta.appendChild(list_);
      }
      if (!mine) { meta.appendChild(postForm("m/" + ev.id + "/acknowledge", "ack-form", d.textAcknowledge)); }
    }
    if (isStaff && canPost) {
      var hidden = el("input");
      hidden.type = "hidden"; hidden.name = "pinned"; hidden.value = ev.pinned ? "0" : "1";
      meta.appendChild(postForm("m/" + ev.id + "/pin", "pin-form", ev.pinned ? d.textUnpin : d.textPin, hidden));
    }
    if (canPost) {
      var reply = el("a", "reply", d.textReply);
      reply.href = "?reply_to=" + ev.id + "#composer";
      reply.dataset.reply = ev.id;
      meta.appendChild(reply);
    }
    if (mine && canPost && Date.now() - new Date(ev.created_at).getTime() < editMs) {
      var details = el("details", "own-actions");
      details.appendChild(el("summary", null, d.textEdit + " / " + d.textRetract));
      var area = el("textarea");
      area.name = "body"; area.rows = 2; area.maxLength = maxChars; area.required = true;
      area.value = ev.body;
      area.id = "edit-" + ev.id;
      var label = el("label", null, d.textEdit);
      label.htmlFor = area.id;
      var wrap = document.createDocumentFragment();
      wrap.appendChild(label); wrap.appendChild(area);
      details.appendChild(postForm("m/" + ev.id + "/edit", "edit-form", d.textSave, wrap));
      details.appendChild(postForm("m/" + ev.id + "/retract", "retract-form", d.textRetract));
      meta.appendChild(details);
    }
    return meta;
  }

  function findMessage(id) { return document.getElementById("m" + id); }

  function removeEmptyNote() {
    var empty = list.querySelector(".empty");
    if (empty) { empty.remove(); }
  }

  // --- events from the server ------------------------------------------------------------
  function applyEvent(ev) {
    if (ev.seq <= lastSeq) { return; }                 // already applied
    if (ev.seq > lastSeq + 1) {                          // a gap: fetch what is missing first
      fillGap();
      return;
    }
    if (ev.type === "message") { showMessage(ev); }
    else if (ev.type === "edited") { showEdit(ev); }
    else if (ev.type === "retracted") { showRetraction(ev); }
    else if (ev.type === "attachment_hidden") { hideAttachment(ev); }
    else if (ev.type === "pinned") { showPin(ev); }
    lastSeq = ev.seq;
    chat.dataset.lastSeq = lastSeq;
    markSeen();
  }

  function fillGap() {
    if (fillingGap) { return; }
    fillingGap = true;
    fetch(d.eventsUrl + "?after_seq=" + lastSeq, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        fillingGap = false;
        // The server's list is the truth: seqs missing from it no longer exist (retention
        // deleted them), so the next one it sends is applied even across the hole.
        (data.events || []).forEach(function (ev) {
          if (ev.seq > lastSeq + 1) { lastSeq = ev.seq - 1; }
          applyEvent(ev);
        });
      })
      .catch(function () { fillingGap = false; });
  }

  function showMessage(ev) {
    var item = pending[ev.client_id];
    var node = messageElement(ev);
    if (item && ev.sender.id === me) {
      item.element.replaceWith(node);
      delete pending[ev.client_id];
    }
    removeEmptyNote();
    list.appendChild(node);
    node.scrollIntoView({ block: "end" });
    if (!firstSeq) { firstSeq = ev.seq; }
    if (ev.sender.id !== me) { notify(ev); }
  }

  function showEdit(ev) {
    var node = findMessage(ev.id);
    if (!node || node.classList.contains("retracted")) { return; }
    var body = node.querySelector(".body");
    if (!body) {
      body = el("p", "body");
      node.insertBefore(body, node.querySelector("time"));
    }
    fillBody(body, ev.body);
    if (!node.querySelector(".edited")) {
      node.insertBefore(el("span", "edited", d.textEdited), node.querySelector(".meta"));
    }
    var area = node.querySelector(".edit-form textarea");
    if (area) { area.value = ev.body; }
  }

  function showRetraction(ev) {
    var node = findMessage(ev.id);
    if (!node) { return; }
    node.classList.add("retracted");
    ["p.body", ".attachments", ".edited", ".meta"].forEach(function (sel) {
      var x = node.querySelector(sel);
      if (x) { x.remove(); }
    });
    node.insertBefore(el("p", "body gone", d.textRetracted), node.querySelector("time"));
    var pin = document.querySelector('#pinned-list li[data-id="' + ev.id + '"]');
    if (pin) { pin.remove(); document.getElementById("pinned").hidden = !document.getElementById("pinned-list").children.length; }
  }

  function showPin(ev) {
    var bar = document.getElementById("pinned");
    var pins = document.getElementById("pinned-list");
    var old = pins.querySelector('li[data-id="' + ev.id + '"]');
    if (old) { old.remove(); }
    if (ev.pinned) {
      var li = el("li");
      li.dataset.id = ev.id;
      var a = el("a");
      a.href = "#m" + ev.id;
      a.appendChild(el("span", "sender", ev.sender));
      a.appendChild(document.createTextNode(" " + ev.excerpt));
      li.appendChild(a);
      pins.insertBefore(li, pins.firstChild);
    }
    bar.hidden = !pins.children.length;
    var form = findMessage(ev.id) && findMessage(ev.id).querySelector(".pin-form");
    if (form) {
      form.querySelector("input[name=pinned]").value = ev.pinned ? "0" : "1";
      form.querySelector("button").textContent = ev.pinned ? d.textUnpin : d.textPin;
    }
  }

  function hideAttachment(ev) {
    var item = list.querySelector('.attachments li[data-token="' + CSS.escape(ev.attachment) + '"]');
    if (!item) { return; }
    item.textContent = "";
    item.appendChild(el("span", "hidden-photo", d.textHidden));
  }

  function showReceipts(ev) {
    Object.keys(ev.seen).forEach(function (id) {
      var link = findMessage(id) && findMessage(id).querySelector(".seen");
      if (link) { link.textContent = t("textSeen", { n: ev.seen[id], m: audience }); }
    });
  }

  function showAcknowledged(ev) {
    var link = findMessage(ev.id) && findMessage(ev.id).querySelector(".ack-list");
    if (link) { link.textContent = t("textAckCount", { n: ev.count }); }
  }

  var seenSent = 0;
  var seenTimer = null;
  function markSeen() {
    // At most one "seen" a second, and only for what a visible tab has shown.
    if (seenTimer || document.hidden || lastSeq <= seenSent) { return; }
    seenTimer = setTimeout(function () {
      seenTimer = null;
      if (document.hidden || !socket || socket.readyState !== WebSocket.OPEN) { return; }
      seenSent = lastSeq;
      socket.send(JSON.stringify({ type: "seen", conversation: conversationId, seq: lastSeq }));
    }, 1000);
  }

  // --- browser notifications (only while a tab is open) ----------------------------------
  var notifyButton = document.getElementById("notify-button");
  if (notifyButton && "Notification" in window && Notification.permission === "default") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(function () { notifyButton.hidden = true; });
    });
  }

  function notify(ev) {
    if (ev.quiet || !document.hidden || !("Notification" in window) ||
        Notification.permission !== "granted") { return; }
    // The sender's name only: the text stays inside the app.
    var n = new Notification(t("textNewMessage", { name: ev.sender.name }), { tag: "conv-" + conversationId });
    n.onclick = function () { window.focus(); n.close(); };
  }

  // --- sending -----------------------------------------------------------------------------
  function sendFrame(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) { return false; }
    socket.send(JSON.stringify(frame));
    return true;
  }

  function sendPending(clientId) {
    var item = pending[clientId];
    if (item) { sendFrame(item.frame); }
  }

  function showError(text) {
    errorEl.textContent = text;
    errorEl.hidden = false;
  }

  var confirmBox = document.getElementById("confirm-box");
  var confirmText = document.getElementById("confirm-text");
  var waitingConfirm = null;   // client_id of the message waiting for the sender's yes

  function askConfirm(clientId, count) {
    waitingConfirm = clientId;
    confirmText.textContent = t("textConfirm", { n: count });
    confirmBox.hidden = false;
    document.getElementById("confirm-yes").focus();
  }

  function restoreDraft(item) {
    item.element.remove();
    input.value = item.frame.body;             // nothing typed is lost
  }

  function onAck(ev) {
    var item = pending[ev.client_id];
    if (item) {
      item.element.classList.add("acked");
      var state = item.element.querySelector(".state");
      if (state) { state.remove(); }
    }
    if (ev.away) {
      ev.away.forEach(function (p) {
        var when = p.reads_from ? new Date(p.reads_from).toLocaleString([], { weekday: "long", hour: "2-digit", minute: "2-digit" }) : "";
        var note = el("p", "notice away", t("textAway", { name: p.name, when: when }));
        note.setAttribute("role", "note");
        list.parentNode.insertBefore(note, list);
      });
    }
  }

  function onError(ev) {
    var item = ev.client_id && pending[ev.client_id];
    if (item && ev.code === "confirm_required") {
      askConfirm(ev.client_id, ev.recipients);
      return;
    }
    if (item) {
      delete pending[ev.client_id];
      restoreDraft(item);
      showError(ev.message);
      return;
    }
    if (ev.id && (ev.code === "window_expired" || ev.code === "forbidden" || ev.code === "retracted" || ev.code === "not_found")) {
      var node = findMessage(ev.id);
      var own = node && node.querySelector(".own-actions");
      if (own) { own.remove(); }
      showError(ev.message);
      return;
    }
    if (ev.code === "not_found" && ev.conversation === conversationId) { location.reload(); }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/");
    socket.onopen = function () {
      backoff = 500;
      setStatus(d.textOnline, true);
      // Resume: everything after the last event applied to this page.
      sendFrame({ type: "subscribe", conversation: conversationId, after_seq: lastSeq });
      Object.keys(pending).forEach(sendPending);   // same client_id: a retry never duplicates
    };
    socket.onmessage = function (e) {
      var ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      if (ev.conversation !== undefined && ev.conversation !== conversationId) { return; }
      if (ev.seq !== undefined && ev.type !== "ack" && ev.type !== "subscribed") { applyEvent(ev); }
      else if (ev.type === "subscribed") { if (ev.seq > lastSeq) { fillGap(); } markSeen(); chat.dataset.subscribed = "1"; }
      else if (ev.type === "ack") { onAck(ev); }
      else if (ev.type === "error") { onError(ev); }
      else if (ev.type === "receipt") { showReceipts(ev); }
      else if (ev.type === "acknowledged") { showAcknowledged(ev); }
      else if (ev.type === "removed") { location.href = "/"; }
    };
    socket.onclose = function (e) {
      setStatus(d.textOffline, false);
      chat.dataset.subscribed = "";
      if (e.code === 4401 || e.code === 4403) { location.reload(); return; }
      setTimeout(connect, backoff + Math.random() * 250);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  function submitMessage() {
    var body = input.value.trim();
    errorEl.hidden = true;
    if (!body && !attachments.length) { return; }
    if (body.length > maxChars) { showError(d.textTooLong); return; }
    var clientId = uuid4();
    var frame = { type: "send", conversation: conversationId, client_id: clientId, body: body };
    if (replyField && replyField.value) { frame.reply_to = Number(replyField.value); }
    if (confirmed) { frame.confirm = true; }
    var urgent = document.getElementById("id_urgent");
    if (urgent && urgent.checked) { frame.urgent = true; urgent.checked = false; }
    var ack = document.getElementById("id_ack_requested");
    if (ack && ack.checked) { frame.ack_requested = true; ack.checked = false; }
    if (attachments.length) { frame.attachments = attachments.map(function (a) { return a.token; }); }
    var node = el("li", "message mine pending");
    node.appendChild(el("span", "sender", myName));
    var p = el("p", "body");
    fillBody(p, body);
    node.appendChild(p);
    node.appendChild(el("span", "state", d.textPending));
    removeEmptyNote();
    list.appendChild(node);
    node.scrollIntoView({ block: "end" });
    pending[clientId] = { frame: frame, element: node };
    input.value = "";
    clearReply();
    attachments = [];
    document.getElementById("attached").textContent = "";
    sendPending(clientId);
  }

  function clearReply() {
    if (!replyField) { return; }
    replyField.value = "";
    document.getElementById("replying").hidden = true;
  }

  if (form) {
    form.addEventListener("submit", function (e) {
      if (!window.WebSocket) { return; }       // the plain form post still works
      var later = document.getElementById("id_send_at");
      if (later && later.value) { return; }    // scheduling goes through the form post
      e.preventDefault();
      submitMessage();
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      } else if (e.key === "Escape") {
        clearReply();
      }
    });
    document.getElementById("reply-cancel").addEventListener("click", clearReply);
    document.getElementById("confirm-yes").addEventListener("click", function (e) {
      e.preventDefault();
      confirmBox.hidden = true;
      confirmed = true;
      var item = waitingConfirm && pending[waitingConfirm];
      if (item) { item.frame.confirm = true; sendPending(waitingConfirm); }
      waitingConfirm = null;
      input.focus();
    });
    document.getElementById("confirm-no").addEventListener("click", function () {
      confirmBox.hidden = true;
      var item = waitingConfirm && pending[waitingConfirm];
      if (item) { delete pending[waitingConfirm]; restoreDraft(item); }
      waitingConfirm = null;
      input.focus();
    });
    setupAttachments();
  }

  // Reply, edit, retract and acknowledge: links and forms work without JavaScript; with it,
  // they go over the socket.
  list.addEventListener("click", function (e) {
    var reply = e.target.closest("a.reply");
    if (reply && replyField) {
      e.preventDefault();
      var node = reply.closest(".message");
      replyField.value = reply.dataset.reply;
      document.getElementById("replying-text").textContent = t("textReplying", { name: node.querySelector(".sender").textContent });
      document.getElementById("replying").hidden = false;
      input.focus();
    }
  });
  list.addEventListener("submit", function (e) {
    var f = e.target;
    var node = f.closest(".message");
    if (!node || !socket || socket.readyState !== WebSocket.OPEN) { return; }
    var id = Number(node.dataset.id);
    if (f.classList.contains("edit-form")) {
      e.preventDefault();
      sendFrame({ type: "edit", conversation: conversationId, id: id, body: f.querySelector("textarea").value });
      var details = f.closest("details");
      if (details) { details.open = false; }
    } else if (f.classList.contains("retract-form")) {
      e.preventDefault();
      if (window.confirm(d.textRetractConfirm)) {
        sendFrame({ type: "retract", conversation: conversationId, id: id });
      }
    } else if (f.classList.contains("pin-form")) {
      e.preventDefault();
      sendFrame({ type: "pin", conversation: conversationId, id: id, pinned: f.querySelector("input[name=pinned]").value === "1" });
    } else if (f.classList.contains("ack-form")) {
      e.preventDefault();
      sendFrame({ type: "acknowledge", conversation: conversationId, id: id });
      var done = el("span", "acked-note", d.textAcknowledged);
      f.replaceWith(done);
    }
  });

  // --- attachments: upload first (HTTP), then reference the token in the message ---------
  function setupAttachments() {
    var fileInput = document.getElementById("id_file");
    var tags = document.getElementById("tags");
    var tagList = document.getElementById("tag-list");
    var noPupils = document.getElementById("no-pupils");
    var attached = document.getElementById("attached");
    var chosen = null;
    var pupilsLoaded = false;

    function loadPupils() {
      if (pupilsLoaded) { return; }
      pupilsLoaded = true;
      fetch(d.pupilsUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        data.pupils.forEach(function (p) {
          var label = el("label");
          var box = el("input");
          box.type = "checkbox"; box.name = "pupils"; box.value = p.id;
          label.appendChild(box);
          label.appendChild(document.createTextNode(" " + p.name));
          tagList.appendChild(label);
        });
      });
    }

    function upload(file, fields) {
      var body = new FormData();
      body.append("file", file);
      Object.keys(fields).forEach(function (k) {
        [].concat(fields[k]).forEach(function (v) { body.append(k, v); });
      });
      var item = el("li", null, d.textUploading);
      attached.appendChild(item);
      errorEl.hidden = true;
      fetch(d.uploadUrl, { method: "POST", body: body, credentials: "same-origin",
                           headers: { "X-CSRFToken": csrfInput.value } })
        .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
        .then(function (res) {
          if (!res.ok) { item.remove(); showError(res.data.error); return; }
          attachments.push(res.data);
          item.textContent = res.data.name + " ";
          var remove = el("button", "link", d.textRemove);
          remove.type = "button";
          remove.addEventListener("click", function () {
            attachments = attachments.filter(function (a) { return a.token !== res.data.token; });
            item.remove();
          });
          item.appendChild(remove);
          item.dataset.token = res.data.token;
        })
        .catch(function () { item.remove(); showError(d.textOffline); });
    }

    fileInput.addEventListener("change", function () {
      chosen = fileInput.files[0] || null;
      if (!chosen) { return; }
      if (chosen.type === "application/pdf") {
        upload(chosen, {});
        fileInput.value = "";
        chosen = null;
        return;
      }
      fileInput.closest("details").open = true;
      tags.hidden = false;                     // a photo: who can be recognised in it?
      loadPupils();
      (tagList.querySelector("input") || noPupils).focus();
    });
    document.getElementById("upload-button").addEventListener("click", function () {
      if (!chosen) { return; }
      var ids = Array.prototype.map.call(tagList.querySelectorAll("input:checked"), function (b) { return b.value; });
      upload(chosen, ids.length ? { pupils: ids } : (noPupils.checked ? { no_pupils: "1" } : {}));
      tags.hidden = true;
      noPupils.checked = false;
      Array.prototype.forEach.call(tagList.querySelectorAll("input"), function (b) { b.checked = false; });
      fileInput.value = "";
      chosen = null;
    });
  }

  // --- paging back through history -----------------------------------------------------------
  var older = document.getElementById("older");
  if (older) {
    older.addEventListener("click", function () {
      older.disabled = true;
      fetch(d.messagesUrl + "?before_seq=" + firstSeq, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var anchor = list.firstElementChild;
          data.messages.forEach(function (ev) { list.insertBefore(messageElement(ev), anchor); });
          if (data.messages.length) { firstSeq = data.messages[0].seq; }
          if (!data.messages.length || data.messages.length < 50) {
            older.replaceWith(el("p", "hint", d.textNoOlder));
          } else {
            older.disabled = false;
          }
          if (anchor) { anchor.focus(); }
        })
        .catch(function () { older.disabled = false; });
    });
  }

  document.addEventListener("visibilitychange", markSeen);
  var last = list.lastElementChild;
  if (last) { last.scrollIntoView({ block: "end" }); }
  connect();
})();
