// The one way a message is drawn. Markup, labels and translations come from the server: the
// page renders templates/messaging/_message.html three times into <template> prototypes
// (#message-mine, #message-other, #message-retracted) with every optional part present, and a
// message is a clone of one with the parts it lacks removed and its text and attributes filled
// in. User text only ever goes into textContent and attribute values, never into markup.
import { refreshCard } from "./cards.js";
import { dayKey, dayLabel, formatSize, formatTime } from "./format.js";

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;

// The "@name" of any of ``names`` as a whole, the longest first, as messaging/mentions.py
// pattern() finds it (Python's \w: a letter, a digit or "_" of any script).
const WORD = "[\\p{L}\\p{N}_]";
export function mentionPattern(names) {
  const unique = Array.from(new Set((names || []).filter(Boolean)))
    .sort((a, b) => b.length - a.length || (a < b ? -1 : (a > b ? 1 : 0)));
  if (!unique.length) { return null; }
  const escaped = unique.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  return new RegExp(`(?<!${WORD})@(?:${escaped.join("|")})(?!${WORD})`, "gu");
}

// Text, with each mention in a highlighted span (messaging/text.py _mark).
function appendText(p, text, mentions) {
  if (!mentions) { p.appendChild(document.createTextNode(text)); return; }
  let last = 0;
  for (const match of text.matchAll(mentions)) {
    p.appendChild(document.createTextNode(text.slice(last, match.index)));
    const span = document.createElement("span");
    span.className = "mention";
    span.textContent = match[0];
    p.appendChild(span);
    last = match.index + match[0].length;
  }
  p.appendChild(document.createTextNode(text.slice(last)));
}

// Text with http(s) links made clickable and "@name" of the people it mentions highlighted
// (``names``: their display names), as messaging/text.py render_body writes it; with
// ``links`` false (the school's policy, docs/policy.md) web addresses stay plain text.
export function fillBody(p, text, links = true, names = []) {
  p.textContent = "";
  const mentions = mentionPattern(names);
  text.split("\n").forEach((line, i) => {
    if (i > 0) { p.appendChild(document.createElement("br")); }
    if (!links) { appendText(p, line, mentions); return; }
    let last = 0;
    line.replace(URL_RE, (match, offset) => {
      const url = match.replace(TRAILING, "");
      if (url.length <= "https://".length) { return match; }
      appendText(p, line.slice(last, offset), mentions);
      const a = document.createElement("a");
      a.setAttribute("href", url);
      a.setAttribute("rel", "noopener noreferrer nofollow");
      a.setAttribute("target", "_blank");
      a.textContent = url;
      p.appendChild(a);
      last = offset + url.length;
      return match;
    });
    appendText(p, line.slice(last), mentions);
  });
}

function fill(pattern, values) {
  let text = pattern;
  for (const [k, v] of Object.entries(values)) { text = text.split(`{${k}}`).join(String(v)); }
  return text;
}

export class Renderer {
  constructor({ me, editMinutes, prototypeId, audience, formats, texts, categories }) {
    this.me = me;
    this.categories = categories || {};
    this.editMs = editMinutes * 60000;
    this.protoId = String(prototypeId);
    this.audience = audience;
    this.formats = formats;
    this.texts = texts;
    this.protos = {};
    for (const variant of ["mine", "other", "retracted"]) {
      const t = document.getElementById(`message-${variant}`);
      this.protos[variant] = t ? t.content.querySelector("li.message") : null;
    }
    const sample = this.protos.mine || this.protos.other;
    const items = sample ? Array.from(sample.querySelectorAll(".attachments > li")) : [];
    this.items = {
      image: items.find((li) => li.querySelector("img")),
      file: items.find((li) => li.querySelector("a.file")),
      hidden: items.find((li) => li.querySelector(".hidden-photo")),
      audio: items.find((li) => li.querySelector("audio")),
    };
    // A chip per emoji of the set, in its order (the prototype has them all): a message keeps
    // those someone chose.
    this.chips = {};
    const chips = sample ? sample.querySelectorAll(":scope > .reactions > .chip") : [];
    for (const chip of Array.from(chips)) {
      this.chips[chip.dataset.emoji] = chip.cloneNode(true);
    }
    const seen = sample && sample.querySelector(".seen");
    this.seenPattern = seen ? seen.textContent : "";
    this.gone = this.protos.retracted.querySelector(".body.gone");
    this.edited = sample && sample.querySelector(".edited");
    this.bodyProto = sample && sample.querySelector("p.body");
    // The "Sensitive: {category} — tap to show" wrapper, emptied of the prototype's parts.
    const wrap = sample && sample.querySelector("details.sensitive");
    this.sensitivePattern = wrap ? wrap.querySelector("summary").textContent : "";
    this.sensitiveProto = wrap ? wrap.cloneNode(false) : null;
    if (wrap) { this.sensitiveProto.appendChild(wrap.querySelector("summary").cloneNode(true)); }
    // Day separators: whatever adds messages to the list (live, a page of history, a pending
    // send), the days are marked again once it has.
    const list = document.getElementById("messages");
    if (list) {
      this.markDays(list);
      new MutationObserver(() => this.markDays(list)).observe(list, { childList: true });
    }
  }

  // A "Today" / "Yesterday" / "Mon 7 Dec" separator before the first message of each day, as
  // templates/messaging/conversation.html renders them; changes nothing where they are right.
  markDays(list) {
    let previous = null;
    for (const node of Array.from(list.children)) {
      if (!node.classList.contains("message")) { continue; }
      const key = dayKey(node.dataset.created || null, this.formats.timeZone);
      const before = node.previousElementSibling;
      const separator = before && before.classList.contains("day") ? before : null;
      if (key === previous) {
        if (separator) { separator.remove(); }
      } else if (!separator) {
        node.before(this.daySeparator(key));
      } else if (separator.dataset.day !== key) {
        separator.replaceWith(this.daySeparator(key));
      }
      previous = key;
    }
    for (const separator of Array.from(list.querySelectorAll(":scope > li.day"))) {
      const next = separator.nextElementSibling;
      if (!next || !next.classList.contains("message")) { separator.remove(); }
    }
  }

  daySeparator(key) {
    const li = document.createElement("li");
    li.className = "day";
    li.dataset.day = key;
    const h = document.createElement("h2");
    h.textContent = dayLabel(key, this.formats);
    li.appendChild(h);
    return li;
  }

  // A message's text and files out of the prototype's sensitive wrapper (a message that is
  // not sensitive has none; a sensitive one is wrapped again when it is filled in).
  unwrap(li) {
    const wrap = li.querySelector(":scope > details.sensitive");
    if (!wrap) { return; }
    for (const child of Array.from(wrap.children)) {
      if (child.tagName !== "SUMMARY") { wrap.before(child); }
    }
    wrap.remove();
  }

  // Hide a message's text and files behind "Sensitive: health — tap to show".
  wrapSensitive(li, category) {
    if (!this.sensitiveProto) { return; }
    let wrap = li.querySelector(":scope > details.sensitive");
    if (!wrap) {
      const first = li.querySelector(":scope > p.body") || li.querySelector(":scope > .attachments");
      if (!first) { return; }
      wrap = this.sensitiveProto.cloneNode(true);
      first.before(wrap);
      for (const sel of [":scope > p.body", ":scope > .attachments"]) {
        const part = li.querySelector(sel);
        if (part) { wrap.appendChild(part); }
      }
    }
    wrap.querySelector("summary").textContent = fill(this.sensitivePattern,
      { category: this.categories[category] || category });
    const form = li.querySelector(".sensitive-form");
    if (form) { form.remove(); }
  }

  // A part of a message that may sit in its sensitive wrapper.
  part(li, selector) {
    return li.querySelector(`:scope > ${selector}`)
      || li.querySelector(`:scope > details.sensitive > ${selector}`);
  }

  // A message event (docs/protocol.md) as an <li>, equal to what the server renders.
  message(ev) {
    const mine = ev.sender.id === this.me;
    const gone = ev.retracted || ev.removed;
    const variant = gone ? "retracted" : (mine ? "mine" : "other");
    const li = this.protos[variant].cloneNode(true);
    this.unwrap(li);
    this.setId(li, ev.id);
    li.classList.toggle("mine", mine);
    li.classList.toggle("urgent", !!ev.urgent);
    const mentions = ev.mentions || [];
    const mentionsMe = !gone && mentions.some((p) => p.id === this.me);
    li.classList.toggle("mentions-me", mentionsMe);
    const note = li.querySelector(":scope > .mentions-you");
    if (note && !mentionsMe) { note.remove(); }
    li.dataset.seq = ev.seq;
    li.dataset.clientId = ev.client_id;
    li.dataset.sender = ev.sender.id;
    li.dataset.created = ev.created_at;
    if (ev.links === false) { li.dataset.plainLinks = "1"; }
    li.querySelector(":scope > .sender").textContent = ev.sender.name;
    const quote = li.querySelector(":scope > .quote");
    if (ev.reply_to) {
      quote.querySelector(".sender").textContent = ev.reply_to.sender;
      quote.querySelector(".excerpt").textContent = ev.reply_to.removed ? this.texts.removed
        : (ev.reply_to.retracted ? this.gone.textContent : ev.reply_to.excerpt);
    } else {
      quote.remove();
    }
    if (!ev.urgent) { li.querySelector(":scope > .badge").remove(); }
    if (ev.removed) {
      li.classList.add("removed");
      li.querySelector(":scope > p.body.gone").textContent = this.texts.removed;
    } else if (!ev.retracted) {
      const body = li.querySelector(":scope > p.body");
      if (ev.body) {
        fillBody(body, ev.body, ev.links !== false, mentions.map((p) => p.name));
      } else { body.remove(); }
      this.fillAttachments(li.querySelector(":scope > .attachments"), ev.attachments || []);
      if (!ev.edited) { li.querySelector(":scope > .edited").remove(); }
      this.fillMeta(li.querySelector(":scope > .meta"), ev, mine);
    }
    const card = li.querySelector(":scope > .message-card");
    if (card && (!ev.card || gone || ev.held)) { card.remove(); }
    else if (card) { card.dataset.card = ev.card; refreshCard(li); }
    const ask = li.querySelector(":scope > .ack-request");
    if (ask && (!ev.ack_requested || gone || ev.held)) { ask.remove(); }
    else if (ask) { this.refreshAckCount(li); }
    if (!gone) { this.setReactions(li, ev.reactions || {}, ev.reacted || ""); }
    const time = li.querySelector(":scope > time");
    time.setAttribute("datetime", ev.created_at);
    time.textContent = formatTime(ev.created_at, this.formats);
    if (ev.held) { this.hold(li, ev.rejected); }
    if (ev.sensitive && !gone) { this.wrapSensitive(li, ev.sensitive); }
    return li;
  }

  // The prototype's id stands wherever the message's id goes: URLs, ids, labels.
  setId(root, id) {
    for (const node of [root, ...root.querySelectorAll("*")]) {
      for (const attr of Array.from(node.attributes)) {
        if (attr.value.includes(this.protoId)) {
          node.setAttribute(attr.name, attr.value.split(this.protoId).join(String(id)));
        }
      }
    }
  }

  fillAttachments(ul, attachments) {
    if (!attachments.length) { ul.remove(); return; }
    ul.textContent = "";
    for (const a of attachments) { ul.appendChild(this.attachment(a)); }
  }

  attachment(a) {
    const kind = a.hidden ? "hidden" : (["image", "audio"].includes(a.kind) ? a.kind : "file");
    const li = this.items[kind].cloneNode(true);
    li.dataset.token = a.token;
    if (kind === "image") {
      li.querySelector("a").setAttribute("href", a.url);
      const img = li.querySelector("img");
      img.setAttribute("src", a.thumbnail_url || a.url);
      img.setAttribute("alt", fill(img.getAttribute("alt"), { name: a.name }));
    } else if (kind === "audio") {
      li.querySelector("audio").setAttribute("src", a.url);
      li.querySelector(".duration").textContent = a.duration || "";
    } else if (kind === "file") {
      const link = li.querySelector("a.file");
      link.setAttribute("href", a.url);
      link.querySelector(".name").textContent = a.name;
      link.querySelector(".size").textContent = formatSize(a.size, this.formats);
    }
    return li;
  }

  fillMeta(meta, ev, mine) {
    const seen = meta.querySelector(".seen");
    if (seen) { seen.textContent = this.seenText(0); }
    const pin = meta.querySelector(".pin-form");
    if (pin) { this.setPinForm(pin, ev.pinned); }
    const own = meta.querySelector(".own-actions");
    if (own) {
      const open = mine && Date.now() - new Date(ev.created_at).getTime() < this.editMs;
      if (open) { this.setEditText(own, ev.body); } else { own.remove(); }
    }
  }

  // Staff's "3 of 25 families" on a message that asked to be acknowledged, as the server
  // counts them now (the "acknowledged" hint counts people, not families).
  refreshAckCount(node) {
    const link = node.querySelector(":scope > .ack-request .ack-families");
    if (!link) { return; }
    const url = new URL(link.getAttribute("href"), location.href);
    url.searchParams.set("format", "json");
    fetch(url, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => { if (data) { link.textContent = data.text; } })
      .catch(() => {});
  }

  // The reactions of a message (the "reactions" hint, or a page of history): a chip per
  // emoji chosen, with its count, in the set's order, ``mine`` ("" for none) pressed, in the
  // chips and in the pickers. Chips that stay are changed in place (one the reader just
  // pressed keeps its focus); the row, and the menu's "Who reacted", hide while there are none.
  setReactions(node, counts, mine) {
    const row = node.querySelector(":scope > .reactions");
    if (!row) { return; }
    let previous = row.querySelector(":scope > input[name=csrfmiddlewaretoken]");
    let any = false;
    for (const [emoji, proto] of Object.entries(this.chips)) {
      let chip = Array.from(row.querySelectorAll(":scope > .chip")).find((c) => c.dataset.emoji === emoji);
      const n = Number(counts[emoji]) || 0;
      if (!n) {
        if (chip) { chip.remove(); }
        continue;
      }
      if (!chip) {
        chip = proto.cloneNode(true);
        this.setId(chip, node.dataset.id);
        if (previous) { previous.after(chip); } else { row.prepend(chip); }
      }
      chip.querySelector(".n").textContent = String(n);
      chip.querySelector("button").setAttribute("aria-pressed", emoji === mine ? "true" : "false");
      previous = chip;
      any = true;
    }
    row.hidden = !any;
    const who = node.querySelector(".who-reacted");
    if (who) { who.hidden = !any; }
    for (const button of node.querySelectorAll(".react-choices button")) {
      button.setAttribute("aria-pressed", button.value === mine ? "true" : "false");
    }
  }

  // The reader's own reaction as the page shows it ("" for none).
  reacted(node) {
    const pressed = node.querySelector(".react-choices button[aria-pressed=true], .reactions button[aria-pressed=true]");
    return pressed ? pressed.value : "";
  }

  seenText(n) { return fill(this.seenPattern, { n, m: this.audience }); }

  setEditText(own, body) {
    const area = own.querySelector("textarea");
    if (area) { area.textContent = body; area.value = body; }
  }

  setPinForm(form, pinned) {
    form.querySelector("input[name=pinned]").value = pinned ? "0" : "1";
    form.querySelector("input[name=pinned]").setAttribute("value", pinned ? "0" : "1");
    form.querySelector("button").textContent = pinned ? this.texts.unpin : this.texts.pin;
  }

  // --- changes to a message already on the page ----------------------------------------
  edit(node, body) {
    if (node.classList.contains("retracted")) { return; }
    let p = this.part(node, "p.body");
    if (!p) {
      p = this.bodyProto.cloneNode(false);
      const wrap = node.querySelector(":scope > details.sensitive");
      if (wrap) { wrap.querySelector("summary").after(p); } else {
        node.insertBefore(p, node.querySelector(":scope > .attachments")
          || node.querySelector(":scope > .ack-request") || node.querySelector(":scope > time"));
      }
    }
    // The people it mentions stay those it mentioned when sent (an edit names nobody new).
    const names = Array.from(p.querySelectorAll(".mention"), (span) => span.textContent.slice(1));
    fillBody(p, body, node.dataset.plainLinks !== "1", names);
    if (!node.querySelector(":scope > .edited")) {
      node.querySelector(":scope > time").after(this.edited.cloneNode(true));
    }
    const own = node.querySelector(".own-actions");
    if (own) { this.setEditText(own, body); }
  }

  // Retracted by its sender, or (``removed``) removed by the school.
  retract(node, removed = false) {
    node.classList.add(removed ? "removed" : "retracted");
    node.classList.remove("mentions-me");
    for (const sel of [":scope > p.body", ":scope > .attachments", ":scope > .edited",
      ":scope > .meta", ":scope > .moderation", ":scope > details.sensitive",
      ":scope > .ack-request", ":scope > .reactions", ":scope > .mentions-you"]) {
      const x = node.querySelector(sel);
      if (x) { x.remove(); }
    }
    const gone = this.gone.cloneNode(true);
    if (removed) { gone.textContent = this.texts.removed; }
    node.insertBefore(gone, node.querySelector(":scope > time"));
  }

  // The sender's own message held for the school's review, or (``rejected``) not published.
  hold(node, rejected) {
    node.classList.add("held");
    for (const sel of [":scope > .meta", ":scope > .ack-request", ":scope > .reactions"]) {
      const x = node.querySelector(sel);
      if (x) { x.remove(); }
    }
    let note = node.querySelector(":scope > .moderation");
    if (!note) {
      note = document.createElement("p");
      note.className = "moderation";
      node.appendChild(note);
    }
    note.textContent = rejected ? this.texts.rejected : this.texts.held;
  }

  // A pending send the server acked as held: it becomes that message, the sender's alone.
  markHeld(node, id, seq) {
    node.classList.remove("pending");
    node.id = `m${id}`;
    node.dataset.id = id;
    node.dataset.seq = seq;
    const state = node.querySelector(".state");
    if (state) { state.remove(); }
    this.hold(node, false);
  }

  hideAttachment(item) {
    const hidden = this.items.hidden.cloneNode(true);
    hidden.dataset.token = item.dataset.token;
    item.replaceWith(hidden);
  }
}
