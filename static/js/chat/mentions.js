// "@" in the composer: typing "@" and a letter or more offers the conversation's members whose
// name has a word starting with what was typed (ignoring case and accents), at most eight. The
// list is a listbox the message box drives (aria-activedescendant): arrow keys move, Enter or
// Tab chooses, Escape closes; a tap chooses too. Choosing writes "@Display Name " into the text
// and remembers the person's id, sent with the message as `mentions` (docs/protocol.md). The
// server keeps only members whose "@name" is still in the text (messaging/mentions.py).
// The people come from the page (#mention-people: ids and display names, nothing else), which
// the server renders only where the reader may mention.

const MAX_SHOWN = 8;
// What was typed since an "@" that starts a word, up to the caret: at most 40 characters of one
// line, so a long text is not searched on every key.
const TYPED = /(?:^|[^\p{L}\p{N}_])@([^\s@][^@\n]{0,39})$/u;

// Lower case without accents ("Zoë" -> "zoe", "Ёлка" -> "елка"), for comparing only.
export function fold(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

// Whether what was typed starts the name or one of its words ("jan" finds "Anna Jansen",
// "anna j" finds it too).
export function matches(name, typed) {
  const folded = fold(name);
  const query = fold(typed);
  if (folded.startsWith(query)) { return true; }
  for (const m of folded.matchAll(/[^\p{L}\p{N}]+/gu)) {
    if (folded.startsWith(query, m.index + m[0].length)) { return true; }
  }
  return false;
}

export class MentionPicker {
  // input: the message box; box: the <ul role="listbox">; ids: where the hidden inputs of the
  // form post go; people: [{id, name}].
  constructor(input, box, ids, people) {
    this.input = input;
    this.box = box;
    this.ids = ids;
    this.people = people;
    this.chosen = new Map();     // id -> name, for the message being written
    this.shown = [];             // the people listed now
    this.active = -1;
    this.start = -1;             // where the "@" being completed stands in the text
  }

  static fromPage(input) {
    const data = document.getElementById("mention-people");
    const box = document.getElementById("mention-list");
    const ids = document.getElementById("mention-ids");
    if (!data || !box || !ids || !input) { return null; }
    let people = [];
    try { people = JSON.parse(data.textContent); } catch (err) { return null; }
    if (!people.length) { return null; }
    const picker = new MentionPicker(input, box, ids, people);
    picker.wire();
    return picker;
  }

  get open() { return !this.box.hidden; }

  wire() {
    this.input.setAttribute("aria-autocomplete", "list");
    this.input.setAttribute("aria-controls", this.box.id);
    // Before the composer's own keys (Enter sends, Escape cancels a reply): while the list is
    // open, these keys are the list's.
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.input.addEventListener("input", () => this.update());
    this.input.addEventListener("click", () => this.update());
    this.input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    // A tap chooses without taking the focus from the message box (the keyboard stays up).
    this.box.addEventListener("pointerdown", (e) => e.preventDefault());
    this.box.addEventListener("mousedown", (e) => e.preventDefault());
    this.box.addEventListener("click", (e) => {
      const option = e.target.closest("[role=option]");
      if (option) { this.choose(Number(option.dataset.index)); }
    });
  }

  key(e) {
    if (!this.open || e.isComposing) { return; }
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      const step = e.key === "ArrowDown" ? 1 : -1;
      this.highlight((this.active + step + this.shown.length) % this.shown.length);
    } else if (e.key === "Enter" || e.key === "Tab") {
      if (e.shiftKey && e.key === "Enter") { return; }
      this.choose(this.active < 0 ? 0 : this.active);
    } else if (e.key === "Escape") {
      this.close();
    } else {
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
  }

  // What the caret is after: "@" and a letter or more at the start of a word, or nothing.
  typed() {
    const caret = this.input.selectionStart;
    if (caret !== this.input.selectionEnd) { return null; }
    const found = this.input.value.slice(0, caret).match(TYPED);
    if (!found) { return null; }
    return { query: found[1], start: caret - found[1].length - 1 };
  }

  update() {
    const typed = this.typed();
    const shown = typed ? this.people.filter((p) => matches(p.name, typed.query))
      .slice(0, MAX_SHOWN) : [];
    if (!shown.length) { this.close(); return; }
    this.start = typed.start;
    this.shown = shown;
    this.box.textContent = "";
    shown.forEach((person, index) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = `mention-option-${person.id}`;
      li.dataset.index = index;
      li.textContent = person.name;
      li.setAttribute("aria-selected", "false");
      this.box.appendChild(li);
    });
    this.box.hidden = false;
    this.highlight(0);
  }

  highlight(index) {
    this.active = index;
    Array.from(this.box.children).forEach((li, i) => {
      li.setAttribute("aria-selected", i === index ? "true" : "false");
      li.classList.toggle("active", i === index);
    });
    const option = this.box.children[index];
    if (option) {
      this.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }

  close() {
    this.box.hidden = true;
    this.box.textContent = "";
    this.shown = [];
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
  }

  // "@Display Name " in place of what was typed; the person's id goes with the message.
  choose(index) {
    const person = this.shown[index];
    if (!person) { this.close(); return; }
    const value = this.input.value;
    const caret = this.input.selectionStart;
    const text = `@${person.name} `;
    this.input.value = value.slice(0, this.start) + text + value.slice(caret);
    const at = this.start + text.length;
    this.input.setSelectionRange(at, at);
    this.remember(person.id, person.name);
    this.close();
    this.input.focus();
  }

  remember(id, name) {
    if (this.chosen.has(id)) { return; }
    this.chosen.set(id, name);
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = "mentions";
    field.value = id;
    this.ids.appendChild(field);
  }

  // The ids of the people still named in the text (the server checks it again).
  take(body) {
    const ids = Array.from(this.chosen.entries())
      .filter(([, name]) => body.includes(`@${name}`)).map(([id]) => id);
    this.chosen.clear();
    this.ids.textContent = "";
    this.close();
    return ids;
  }

  // A draft back in the box (refused): the people it named are remembered again.
  restore(ids) {
    for (const id of ids || []) {
      const person = this.people.find((p) => p.id === id);
      if (person) { this.remember(person.id, person.name); }
    }
  }
}
