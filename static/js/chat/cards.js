// Live cards (messaging/cards.py): a poll, an activity or a parents' evening shown on the
// message that announces it. The server renders each card for its reader; this page fetches it
// again when the socket says it changed, and sends the card's forms with fetch so the answer
// (or the sentence saying why not) appears on the card, where the person is looking.

// Fetch the card of message node ``li`` again and swap it in. While someone is typing in the
// card (a note with a reply), wait until they leave it: a refresh never takes what they typed.
export function refreshCard(li) {
  const card = li && li.querySelector(":scope > .message-card, :scope > details.sensitive > .card");
  if (!card || !card.dataset.cardUrl) { return; }
  const typing = document.activeElement;
  if (typing && card.contains(typing) && typing.matches("textarea, input:not([type=submit]):not([type=radio]):not([type=checkbox])")) {
    card.addEventListener("focusout", () => refreshCard(li), { once: true });
    return;
  }
  fetch(card.dataset.cardUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then((r) => (r.ok ? r.text() : null))
    .then((html) => {
      if (html === null) { return; }
      const fresh = new DOMParser().parseFromString(html, "text/html").querySelector(".message-card");
      if (!fresh) { return; }
      const hadFocus = card.contains(document.activeElement);
      const current = li.querySelector(":scope > .message-card, :scope > details.sensitive > .card");
      if (!current) { return; }
      const node = document.adoptNode(fresh);
      current.replaceWith(node);
      if (hadFocus) { node.focus({ preventScroll: true }); }
    })
    .catch(() => {});
}

// Forms on cards post to the card's app; its answer is 204 (done: the card is fetched again)
// or 400 with a sentence (shown on the card). ``fallback``: the sentence when the network fails.
export function wireCardForms(list, fallback) {
  list.addEventListener("submit", (ev) => {
    const form = ev.target.closest(".message-card form");
    if (!form) { return; }
    ev.preventDefault();
    const card = form.closest(".message-card");
    const li = card.closest("li.message");
    const error = card.querySelector(".card-error");
    const body = new FormData(form, ev.submitter || null);
    for (const button of form.querySelectorAll("button")) { button.disabled = true; }
    // The card's form carries its CSRF token (rendered with the request); the page's own goes
    // with the request too, as the composer's does, so a card of an older render still works.
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    const headers = { "X-Requested-With": "fetch" };
    if (token) { headers["X-CSRFToken"] = token.value; }
    fetch(form.action, {
      method: "POST", body, credentials: "same-origin", headers,
    }).then((r) => {
      if (r.ok) { if (error) { error.hidden = true; } card.focus({ preventScroll: true }); refreshCard(li); return null; }
      // The card's app says why in a sentence (text/plain); anything else (a proxy's page,
      // a server error) is not for the person to read.
      const plain = (r.headers.get("Content-Type") || "").startsWith("text/plain");
      return plain ? r.text() : fallback;
    }).catch(() => fallback).then((text) => {
      for (const button of form.querySelectorAll("button")) { button.disabled = false; }
      if (text !== null && text !== undefined && error) {
        error.textContent = text || fallback;
        error.hidden = false;
        error.focus({ preventScroll: true });
      }
    });
  });
}
