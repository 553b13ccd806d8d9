// The composer: typing and sending, replying, confirming a large audience, attaching files,
// and the errors the server answers a send with.
import { fillBody } from "./render.js";
import { uuid4 } from "./socket.js";

const byId = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) { node.className = className; }
  if (text !== undefined && text !== null) { node.textContent = text; }
  return node;
}

export class Composer {
  // config: {conversationId, maxChars, myName, uploadUrl, pupilsUrl, texts}; list: #messages.
  constructor(config, { outbox, list, fill, reveal }) {
    this.config = config;
    this.texts = config.texts;
    this.outbox = outbox;
    this.list = list;
    this.fill = fill;
    this.reveal = reveal;    // shows the newest message above the composer
    this.form = byId("composer");
    this.input = byId("id_body");
    this.errorEl = byId("composer-error");
    this.replyField = byId("id_reply_to");
    this.csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    this.confirmed = false;        // the sender confirmed the audience once on this page
    this.waitingConfirm = null;    // client_id of the message waiting for the sender's yes
    this.attachments = [];         // uploads for the next message
    this.errorFor = null;          // client_id whose refusal the error line shows
  }

  get enabled() { return !!this.form; }

  start() {
    if (!this.form) { return; }
    this.form.addEventListener("submit", (e) => {
      if (!window.WebSocket) { return; }       // the plain form post still works
      const later = byId("id_send_at");
      if (later && later.value) { return; }    // scheduling goes through the form post
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.form.requestSubmit();
      } else if (e.key === "Escape") {
        this.clearReply();
      }
    });
    byId("reply-cancel").addEventListener("click", () => this.clearReply());
    byId("confirm-yes").addEventListener("click", (e) => {
      e.preventDefault();
      byId("confirm-box").hidden = true;
      this.confirmed = true;
      const item = this.outbox.get(this.waitingConfirm);
      if (item) { item.frame.confirm = true; this.outbox.save(); this.outbox.send(this.waitingConfirm); }
      this.waitingConfirm = null;
      this.input.focus();
    });
    byId("confirm-no").addEventListener("click", () => {
      byId("confirm-box").hidden = true;
      const item = this.outbox.take(this.waitingConfirm);
      if (item) { this.restoreDraft(item); }
      this.waitingConfirm = null;
      this.input.focus();
    });
    this.setupAttachments();
  }

  showError(text, clientId = null) {
    this.errorEl.textContent = text;
    this.errorEl.hidden = false;
    this.errorFor = clientId;
  }

  clearError(clientId) {
    if (clientId === undefined || clientId === this.errorFor) {
      this.errorEl.hidden = true;
      this.errorFor = null;
    }
  }

  submit() {
    const body = this.input.value.trim();
    this.clearError();
    if (!body && !this.attachments.length) { return; }
    if (body.length > this.config.maxChars) { this.showError(this.texts.tooLong); return; }
    const clientId = uuid4();
    const frame = { type: "send", conversation: this.config.conversationId, client_id: clientId, body };
    if (this.replyField && this.replyField.value) { frame.reply_to = Number(this.replyField.value); }
    if (this.confirmed) { frame.confirm = true; }
    const urgent = byId("id_urgent");
    if (urgent && urgent.checked) { frame.urgent = true; urgent.checked = false; }
    const ack = byId("id_ack_requested");
    if (ack && ack.checked) { frame.ack_requested = true; ack.checked = false; }
    const sensitive = byId("id_sensitive");
    if (sensitive && sensitive.value) { frame.sensitive = sensitive.value; sensitive.value = ""; }
    if (this.attachments.length) { frame.attachments = this.attachments.map((a) => a.token); }
    const node = this.pending(frame);
    this.input.value = "";
    this.clearReply();
    this.attachments = [];
    byId("attached").textContent = "";
    this.outbox.add(clientId, frame, node);
  }

  // A stand-in until the server's message event replaces it (also for a send kept offline).
  pending(frame) {
    const node = el("li", "message mine pending");
    node.dataset.clientId = frame.client_id;
    node.appendChild(el("span", "sender", this.config.myName));
    const p = el("p", "body");
    fillBody(p, frame.body || "");
    node.appendChild(p);
    node.appendChild(el("span", "state", this.texts.pending));
    const empty = this.list.querySelector(".empty");
    if (empty) { empty.remove(); }
    this.list.appendChild(node);
    this.reveal();
    return node;
  }

  // A send the server refused for good: its text goes back into the box, nothing is lost.
  restoreDraft(item) {
    item.element.remove();
    this.input.value = item.frame.body;
  }

  askConfirm(clientId, count) {
    this.waitingConfirm = clientId;
    byId("confirm-text").textContent = this.fill(this.texts.confirm, { n: count });
    byId("confirm-box").hidden = false;
    byId("confirm-yes").focus();
  }

  startReply(id, name) {
    if (!this.replyField) { return false; }
    this.replyField.value = id;
    byId("replying-text").textContent = this.fill(this.texts.replying, { name });
    byId("replying").hidden = false;
    this.input.focus();
    return true;
  }

  clearReply() {
    if (!this.replyField) { return; }
    this.replyField.value = "";
    byId("replying").hidden = true;
  }

  // Attachments: upload first (HTTP), then reference the token in the message.
  setupAttachments() {
    const fileInput = byId("id_file");
    const tags = byId("tags");
    const tagList = byId("tag-list");
    const noPupils = byId("no-pupils");
    const attached = byId("attached");
    let chosen = null;
    let pupilsLoaded = false;

    const loadPupils = () => {
      if (pupilsLoaded) { return; }
      pupilsLoaded = true;
      fetch(this.config.pupilsUrl, { credentials: "same-origin" })
        .then((r) => r.json())
        .then((data) => {
          for (const p of data.pupils) {
            const label = el("label");
            const box = el("input");
            box.type = "checkbox"; box.name = "pupils"; box.value = p.id;
            label.appendChild(box);
            label.appendChild(document.createTextNode(` ${p.name}`));
            tagList.appendChild(label);
          }
        });
    };

    const upload = (file, fields) => {
      const body = new FormData();
      body.append("file", file);
      for (const [k, v] of Object.entries(fields)) {
        for (const value of [].concat(v)) { body.append(k, value); }
      }
      const item = el("li", null, this.texts.uploading);
      attached.appendChild(item);
      this.clearError();
      fetch(this.config.uploadUrl, {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": this.csrf.value },
      })
        .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
        .then((res) => {
          if (!res.ok) { item.remove(); this.showError(res.data.error); return; }
          this.attachments.push(res.data);
          item.textContent = `${res.data.name} `;
          const remove = el("button", "link", this.texts.remove);
          remove.type = "button";
          remove.addEventListener("click", () => {
            this.attachments = this.attachments.filter((a) => a.token !== res.data.token);
            item.remove();
          });
          item.appendChild(remove);
          item.dataset.token = res.data.token;
        })
        .catch(() => { item.remove(); this.showError(this.texts.offline); });
    };

    fileInput.addEventListener("change", () => {
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
    byId("upload-button").addEventListener("click", () => {
      if (!chosen) { return; }
      const ids = Array.from(tagList.querySelectorAll("input:checked"), (b) => b.value);
      upload(chosen, ids.length ? { pupils: ids } : (noPupils.checked ? { no_pupils: "1" } : {}));
      tags.hidden = true;
      noPupils.checked = false;
      tagList.querySelectorAll("input").forEach((b) => { b.checked = false; });
      fileInput.value = "";
      chosen = null;
    });
  }
}
