"""axe-core on every page the browser tests open: a page that breaks an accessibility rule fails
the test that opened it.

Each watched browser context loads the vendored axe (tests/browser/axe/, never served by the
app) into every document with an init script, and every HTML page of the app runs it once it
has loaded and reports what it found through an exposed binding, so a page the test only passes
through is checked too. When the test ends, each page still open is checked again in the state
the test left it (live messages drawn, menus open). The init script is injected by the browser
itself, so the app's strict CSP stays on in these contexts and still guards the tests.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Error, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

AXE_SOURCE = (Path(__file__).parent / "axe" / "axe.min.js").read_text()
BINDING = "__schoolchatAxeReport"

# What a run sends back: only the violations, shortened to what a failure message needs.
RUN = """() => window.axe.run(document, {resultTypes: ["violations"]}).then((results) =>
    results.violations.map((v) => ({
        id: v.id, impact: v.impact || "", help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
    })))"""

# Only the top document of an app page runs it (axe looks into frames itself); an image opened
# on its own, about:blank and Chromium's error pages are not the app's pages.
ON_LOAD = f"""
(() => {{
    if (window !== window.top || !/^https?:$/.test(location.protocol)) {{ return; }}
    const run = () => {{
        if (document.contentType !== "text/html" || !window.axe) {{ return; }}
        const href = location.href;
        ({RUN})().then((violations) => window.{BINDING}(href, violations), () => {{}});
    }};
    window.addEventListener("load", () => setTimeout(run, 0), {{once: true}});
}})();
"""


class Node(TypedDict):
    target: str
    summary: str


class Violation(TypedDict):
    id: str
    impact: str
    help: str
    nodes: list[Node]


@dataclass
class Audit:
    """The violations found on the pages of the contexts it watches, one entry per page path,
    rule and element."""

    contexts: list[BrowserContext] = field(default_factory=list)
    found: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.expose_binding(BINDING, lambda source, href, violations: self.add(href, violations))
        context.add_init_script(script=AXE_SOURCE + ON_LOAD)
        self.contexts.append(context)
        return context

    def add(self, href: str, violations: list[Violation]) -> None:
        parts = urlsplit(href)
        where = parts.path + (f"?{parts.query}" if parts.query else "")
        for violation in violations:
            for node in violation["nodes"]:
                key = (where, violation["id"], node["target"])
                summary = "; ".join(line.strip() for line in node["summary"].splitlines()
                                    if line.strip())
                self.found.setdefault(key, f"{where}  {violation['id']} ({violation['impact']}): "
                                           f"{violation['help']}\n    at {node['target']}: {summary}")

    def check(self, page: Page) -> None:
        """Runs axe on an open page as it is now."""
        if page.is_closed() or urlsplit(page.url).scheme not in ("http", "https"):
            return
        for _attempt in range(3):
            try:
                page.wait_for_load_state()
                if page.evaluate("() => /^https?:$/.test(location.protocol)"
                                 " && document.contentType === 'text/html' && !!window.axe"):
                    self.add(page.url, page.evaluate(RUN))
                return
            except Error as error:  # the page navigated while axe ran: check where it went
                if "context was destroyed" not in str(error) and "navigation" not in str(error):
                    raise

    def finish(self, context: BrowserContext) -> None:
        for page in context.pages:
            self.check(page)

    def finish_all(self) -> None:
        for context in self.contexts:
            try:
                pages = context.pages
            except Error:  # closed
                continue
            for page in pages:
                self.check(page)

    def report(self) -> str:
        return "\n".join(self.found.values())


# Every control a finger has to hit, at least 44 by 44 CSS pixels. A checkbox or radio button
# is hit through its label; a link inside a sentence (or inside a member's message) is exempt,
# as WCAG's target-size rules exempt inline links.
SMALL_TARGETS = """() => {
    const name = (el) => (el.getAttribute("aria-label") || el.textContent || el.value || el.name || "")
        .replace(/\\s+/g, " ").trim().slice(0, 40);
    const inSentence = (el) => {
        if (el.closest(".message .body")) { return true; }
        const block = el.parentElement.closest("p, li, td, dd, label, legend, span.hint, div.hint");
        if (!block || el.tagName !== "A") { return false; }
        const copy = block.cloneNode(true);
        copy.querySelectorAll("a, button, input, select, textarea, form, summary").forEach((x) => x.remove());
        return /\\p{L}/u.test(copy.textContent);
    };
    const small = [];
    const controls = "a[href], button, summary, select, textarea, input:not([type=hidden])";
    for (const el of document.querySelectorAll(controls)) {
        if (!el.checkVisibility({visibilityProperty: true}) || el.closest("[hidden], .skip")) { continue; }
        let box = el.getBoundingClientRect();
        if (["checkbox", "radio"].includes(el.type) && el.labels && el.labels.length) {
            box = el.labels[0].getBoundingClientRect();
        }
        if (box.width >= 44 && box.height >= 44) { continue; }
        if (inSentence(el)) { continue; }
        const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
        small.push(`${el.tagName.toLowerCase()} "${name(el)}": ${size}`);
    }
    return small;
}"""

# The focus ring against what it is drawn on: the first ancestor with a background of its own.
FOCUS_CONTRAST = """(el) => {
    const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => {
        v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const style = getComputedStyle(el);
    if (style.outlineStyle === "none" || parseFloat(style.outlineWidth) < 2) { return 0; }
    let node = el.parentElement, bg = [255, 255, 255];
    while (node) {
        const c = rgb(getComputedStyle(node).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c.slice(0, 3); break; }
        node = node.parentElement;
    }
    const [a, b] = [lum(rgb(style.outlineColor)), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
}"""


def small_targets(page: Page) -> list[str]:
    # Measured once the page's stylesheets apply: a form's answer can be visible (its error
    # shown) a moment before they do, and unstyled every control is small.
    with contextlib.suppress(PlaywrightTimeoutError):  # a sheet that never loads: measure anyway
        page.wait_for_function(
            "() => document.readyState === 'complete' && [...document.querySelectorAll("
            "'link[rel=stylesheet]')].every((link) => link.sheet)", timeout=10_000)
    where = urlsplit(page.url).path
    return [f"{where}  {target}" for target in page.evaluate(SMALL_TARGETS)]


def weak_focus_rings(page: Page, presses: int = 30) -> list[str]:
    """Tabs through the first controls of the page from the top and lists each whose focus
    ring has less than 3:1 contrast with what is behind it (or has none)."""
    where = urlsplit(page.url).path
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    weak = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("() => document.activeElement")
        if page.evaluate("(el) => !el || el === document.body", focused):
            break
        ratio = page.evaluate(FOCUS_CONTRAST, focused)
        if ratio < 3:
            label = page.evaluate("(el) => el.tagName.toLowerCase() + ' '"
                                  " + (el.textContent || el.name || '').trim().slice(0, 30)", focused)
            weak.append(f"{where}  {label}: {ratio:.1f}:1")
    return weak
