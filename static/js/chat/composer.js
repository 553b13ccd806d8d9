// The composer: typing and sending, replying, confirming a large audience, attaching files,
// and the errors the server answers a send with.
import { MentionPicker } from "./mentions.js";
import { fillBody } from "./render.js";
import { uuid4 } from "./socket.js";

const byId = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) { node.className = className; }
  if (text !== undefined && text !== null) { node.textContent = text; }
  return node;
}

// "1:05" for a recording's length.
function clock(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

// What MediaRecorder makes here: Opus in WebM (Chromium, Firefox), AAC in MP4 (Safari).
const VOICE_TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"];

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
    this.photo = null;             // a chosen photo, uploaded when the message is sent
    this.sendingPhoto = false;
    this.errorFor = null;          // client_id whose refusal the error line shows
  }

  get enabled() { return !!this.form; }

  start() {
    if (!this.form) { return; }
    // "@" offers the members (group conversations only); its keys come before the ones below.
    this.mentions = MentionPicker.fromPage(this.input);
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
    this.setupVoice();
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
    if (!body && !this.attachments.length && !this.photo) { return; }
    if (body.length > this.config.maxChars) { this.showError(this.texts.tooLong); return; }
    if (this.photo) {
      // The photo goes up first; refused, it stays chosen and the text stays in the box.
      if (this.sendingPhoto) { return; }
      this.sendingPhoto = true;
      this.uploadPhoto()
        .then((ok) => { if (ok) { this.submit(); } })
        .finally(() => { this.sendingPhoto = false; });
      return;
    }
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
    const named = this.mentions ? this.mentions.take(body) : [];
    if (named.length) { frame.mentions = named; }
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
    if (this.mentions) { this.mentions.restore(item.frame.mentions); }
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

  // Attachments: upload first (HTTP), then reference the token in the message. A PDF goes up as
  // soon as it is chosen; a photo waits for the send, so choosing it, marking who can be
  // recognised in it and sending are one step. A refused photo (no one marked, no consent)
  // stays chosen, with its marks and the typed text, until the sender fixes it or removes it.
  setupAttachments() {
    const fileInput = byId("id_file");
    const tags = byId("tags");
    const tagList = byId("tag-list");
    const noPupils = byId("no-pupils");
    const attached = byId("attached");
    this.photo = null;             // {file, item}: the chosen photo, sent with the message
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
        })
        .catch(() => { pupilsLoaded = false; });
    };

    const removeButton = (item, onRemove) => {
      const remove = el("button", "link", this.texts.remove);
      remove.type = "button";
      remove.addEventListener("click", () => { onRemove(); item.remove(); this.input.focus(); });
      item.appendChild(remove);
    };

    // The uploaded file, listed with its remove button; it goes with the next message.
    const uploaded = (item, data) => {
      this.attachments.push(data);
      item.className = "";
      item.textContent = `${data.name} `;
      item.dataset.token = data.token;
      removeButton(item, () => {
        this.attachments = this.attachments.filter((a) => a.token !== data.token);
      });
    };

    // Resolves true once uploaded; false (with the server's sentence shown) when refused.
    const upload = (file, fields, item) => {
      const body = new FormData();
      body.append("file", file);
      for (const [k, v] of Object.entries(fields)) {
        for (const value of [].concat(v)) { body.append(k, value); }
      }
      this.clearError();
      return fetch(this.config.uploadUrl, {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": this.csrf.value },
      })
        .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
        .then((res) => {
          if (!res.ok) { this.showError(res.data.error); return false; }
          uploaded(item, res.data);
          return true;
        })
        .catch(() => { this.showError(this.texts.offline); return false; });
    };

    const forgetPhoto = () => {
      this.photo = null;
      tags.hidden = true;
      noPupils.checked = false;
      tagList.querySelectorAll("input").forEach((b) => { b.checked = false; });
      fileInput.value = "";
    };

    // A voice message: uploaded with its length, then sent at once (with any text typed).
    this.uploadVoice = (blob, durationMs) => {
      const ext = (blob.type || "").includes("mp4") ? "m4a" : ((blob.type || "").includes("ogg") ? "ogg" : "webm");
      const file = new File([blob], `voice-message.${ext}`, { type: blob.type || "audio/webm" });
      const item = el("li", "uploading", `${this.texts.voice} ${clock(durationMs)}`);
      attached.appendChild(item);
      return upload(file, { duration_ms: String(Math.round(durationMs)) }, item).then((ok) => {
        if (!ok) { item.remove(); return; }
        this.submit();
      });
    };

    // Called by submit(): the chosen photo goes up with the pupils marked now.
    this.uploadPhoto = () => {
      const { file, item } = this.photo;
      const ids = Array.from(tagList.querySelectorAll("input:checked"), (b) => b.value);
      const fields = ids.length ? { pupils: ids } : (noPupils.checked ? { no_pupils: "1" } : {});
      item.classList.add("uploading");
      return upload(file, fields, item).then((ok) => {
        item.classList.remove("uploading");
        if (ok) { forgetPhoto(); }
        return ok;
      });
    };

    fileInput.addEventListener("change", () => {
      const file = fileInput.files[0] || null;
      if (!file) { return; }
      if (file.type === "application/pdf") {
        const item = el("li", null, this.texts.uploading);
        attached.appendChild(item);
        upload(file, {}, item).then((ok) => { if (!ok) { item.remove(); } });
        fileInput.value = "";
        return;
      }
      if (this.photo) { this.photo.item.remove(); }   // one photo at a time: the new choice
      const item = el("li", "chosen", `${file.name} `);
      removeButton(item, forgetPhoto);
      attached.appendChild(item);
      this.photo = { file, item };
      fileInput.closest("details").open = true;
      tags.hidden = false;                     // a photo: who can be recognised in it?
      loadPupils();
      (tagList.querySelector("input") || noPupils).focus();
    });
  }

  // Voice messages: record with a running timer, cancel, or send (which stops the recording,
  // uploads it and sends it). The school's longest length stops the recording by itself.
  setupVoice() {
    const button = byId("voice-record");
    if (!button || !window.MediaRecorder || !navigator.mediaDevices
        || !navigator.mediaDevices.getUserMedia) { return; }
    const panel = byId("voice-panel");
    const timer = byId("voice-timer");
    const maxMs = (Number(button.dataset.maxSeconds) || 120) * 1000;
    const type = VOICE_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || "";
    let recorder = null;
    let stream = null;
    let chunks = [];
    let started = 0;
    let ticker = null;
    let keep = false;
    button.hidden = false;

    const elapsed = () => Math.min(Date.now() - started, maxMs);
    const stop = (send) => {
      if (!recorder || recorder.state === "inactive") { return; }
      keep = send;
      clearInterval(ticker);
      recorder.stop();
    };
    const start = async () => {
      this.clearError();
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (err) {
        this.showError(this.texts.noMicrophone);
        return;
      }
      chunks = [];
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      recorder.addEventListener("dataavailable", (e) => { if (e.data.size) { chunks.push(e.data); } });
      recorder.addEventListener("stop", () => {
        const durationMs = elapsed();
        stream.getTracks().forEach((t) => t.stop());
        panel.hidden = true;
        button.hidden = false;
        if (keep && chunks.length) {
          this.uploadVoice(new Blob(chunks, { type: recorder.mimeType || type }), durationMs);
        }
        button.focus();
      });
      recorder.start(250);
      started = Date.now();
      timer.textContent = clock(0);
      ticker = setInterval(() => {
        timer.textContent = clock(elapsed());
        if (elapsed() >= maxMs) { stop(true); }
      }, 250);
      button.hidden = true;
      panel.hidden = false;
      byId("voice-send").focus();
    };
    button.addEventListener("click", start);
    byId("voice-cancel").addEventListener("click", () => stop(false));
    byId("voice-send").addEventListener("click", () => stop(true));
  }
}
