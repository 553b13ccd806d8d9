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

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Error, Page

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
