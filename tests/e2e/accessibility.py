"""WCAG 2.1 A/AA checks for the browser tests: axe-core (npm, installed by ``make test`` into ``.tools``) run in the
page as it is, and a readable failure listing every violation (rule, impact, the elements, how to fix it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

# Runs in the page: the whole document against the WCAG 2.0/2.1 level A and AA rules; only the fields we report.
_RUN_AXE = """async (tags) => {
  const results = await window.axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(' '), html: n.html, summary: n.failureSummary || '',
    })),
  }));
}"""

# Colours are measured as painted: wait until the opening animations (dialogs fading in, toasts) have ended.
_SETTLED = """() => document.getAnimations().every(
  (a) => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity)"""

MAX_NODES_SHOWN = 5
MAX_HTML_SHOWN = 240


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The WCAG 2.1 A/AA violations axe finds in ``page`` now (injects axe-core once per document)."""
    if not AXE_SCRIPT.is_file():
        raise AssertionError(f"axe-core is not installed ({AXE_SCRIPT} is missing): run `make test` or `make setup`")
    page.wait_for_function(_SETTLED)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, list(WCAG_21_AA))
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{len(nodes)} element(s)]")
        for node in nodes[:MAX_NODES_SHOWN]:
            summary = " ".join(node["summary"].split())
            html = " ".join(node["html"].split())
            html = html if len(html) <= MAX_HTML_SHOWN else f"{html[:MAX_HTML_SHOWN]}…"
            lines.append(f"    {node['target']}: {html}\n      {summary}")
        if len(nodes) > MAX_NODES_SHOWN:
            lines.append(f"    … and {len(nodes) - MAX_NODES_SHOWN} more")
        lines.append(f"    {violation['helpUrl']}")
    return "\n".join(lines)


def assert_accessible(page: Page, *, context: str = "") -> None:
    """Fail with the list of violations when axe-core finds any WCAG 2.1 A/AA problem on the page as shown now."""
    violations = axe_violations(page)
    if violations:
        where = context or page.url
        raise AssertionError(
            f"axe-core: {len(violations)} WCAG 2.1 A/AA violation(s) on {where}:\n{describe(violations)}"
        )
