"""Accessibility checks on the page in front of the person: axe-core (vendored from the npm
registry) and explicit checks of what JIS X 8341-3 / WCAG 2.x AA asks of every page."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.browser.helpers import current_language, network_of, switch_language

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_PATH = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")


@functools.cache
def _axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


def inject_axe(page: Page) -> None:
    """Load axe into the page. Evaluated through DevTools, it is not an inline <script>, so a
    Content-Security-Policy without 'unsafe-inline' does not stop it (a test proves this)."""
    if page.evaluate("() => typeof window.axe === 'object'"):
        return
    from playwright.sync_api import Error

    try:
        page.evaluate(_axe_source())
    except Error:
        page.add_script_tag(path=str(AXE_PATH))
    assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core did not load"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations of the serious and critical kind on the current page."""
    inject_axe(page)
    violations = page.evaluate(
        """async () => {
          // target-size (WCAG 2.2, 2.5.8) is off in axe by default; members tap on phones.
          const result = await axe.run(document, {
            resultTypes: ['violations'], rules: {'target-size': {enabled: true}}});
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                      summary: n.failureSummary || ''}))}));
        }"""
    )
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def describe_violations(violations: list[dict[str, Any]], where: str) -> str:
    lines = [f"axe: {len(violations)} serious/critical violation(s) on {where}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} [{violation['impact']}]: {violation['help']}")
        lines.append(f"    help: {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            summary = " ".join(node["summary"].split())[:300]
            lines.append(f"    at {node['target']}: {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


def where(page: Page) -> str:
    parts = urlsplit(page.url)
    return f"{parts.path or page.url} (lang={current_language(page)})"


def assert_axe_clean(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, describe_violations(violations, where(page))


def assert_language(page: Page, code: str) -> None:
    lang = current_language(page)
    assert lang == code, f"<html lang={lang!r}> on {page.url}, but the page is in {code!r}"


def assert_controls_labelled(page: Page) -> None:
    """Every form control (and button) has a name a screen reader can say."""
    unnamed = page.evaluate(
        """() => {
          const skip = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
          const named = el => (el.labels && [...el.labels].some(l => l.innerText.trim()))
            || (el.getAttribute('aria-label') || '').trim()
            || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id =>
                 id && document.getElementById(id)
                 && document.getElementById(id).innerText.trim())
            || (el.getAttribute('title') || '').trim();
          const out = [];
          for (const el of document.querySelectorAll('input, select, textarea')) {
            if (el.tagName === 'INPUT' && skip.has(el.type)) continue;
            if (!named(el)) out.push(el.outerHTML.slice(0, 160));
          }
          for (const el of document.querySelectorAll('button, input[type=submit]')) {
            const text = (el.innerText || el.value || el.getAttribute('aria-label') || '');
            if (!text.trim()) out.push(el.outerHTML.slice(0, 160));
          }
          return out;
        }"""
    )
    assert not unnamed, f"controls without a label on {where(page)}:\n  " + "\n  ".join(unnamed)


def assert_titled(page: Page) -> None:
    """The window title names the page, not only the site (WCAG 2.4.2)."""
    title = " ".join(page.title().split())
    site = {"回覧 Kairan", "Kairan"}
    assert title and title not in site, f"the page {where(page)} has no title of its own: {title!r}"


def assert_headings(page: Page) -> None:
    h1 = page.locator("h1")
    assert h1.count() == 1, f"{h1.count()} <h1> on {where(page)}; a page has exactly one"
    assert h1.inner_text().strip(), f"the <h1> on {where(page)} is empty"


# The last Tab stop inside a date or time input is Chromium's picker button, in the input's
# shadow root: the input then matches :focus-within only (kairan.css gives it the ring).
_PROBE = """index => { const a = document.activeElement;
  if (!a || a === document.body) return null;
  const marks = (a.getAttribute('data-focus-probe') || '').split(' ').filter(Boolean);
  a.setAttribute('data-focus-probe', marks.concat([String(index)]).join(' '));
  const s = getComputedStyle(a);
  return {what: a.outerHTML.slice(0, 100), outlineStyle: s.outlineStyle,
          outlineWidth: s.outlineWidth, boxShadow: s.boxShadow,
          matches: a.matches(':focus-visible')
            || (a.matches('input[type=date], input[type=time]') && a.matches(':focus-within'))};
}"""
_RESTING = """index => { const el = document.querySelector(`[data-focus-probe~="${index}"]`);
  const s = getComputedStyle(el);
  return {outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, boxShadow: s.boxShadow}; }"""


_IS_FIRST_STOP = """() => { const a = document.activeElement;
  return !!a && (a.getAttribute('data-focus-probe') || '').split(' ').includes('0'); }"""


def _tab_and_probe(page: Page, stops: int, first_index: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for index in range(first_index, first_index + stops):
        page.keyboard.press("Tab")
        style = page.evaluate(_PROBE, index)
        if style is None:
            break
        found.append({"index": index, **style})
    return found


def assert_visible_focus(page: Page, *, stops: int = 5) -> None:
    """Keyboard focus is always visible, and the skip link leads to the content.

    From the top: the first Tab stops; back with Shift+Tab to the first, which must be the
    skip link; Enter (the focus moves to <main>), and the first stops of the page's content.
    Each element reached shows a focus ring (an outline of at least 2px or a box shadow)
    under :focus-visible that it does not show without focus. The focus is let go after."""
    # Blurring alone keeps the browser's sequential-focus starting point (e.g. at a #fragment
    # after a redirect): focus a throw-away element at the very top, then remove it.
    page.evaluate(
        "() => { const t = document.createElement('span'); t.tabIndex = -1;"
        " document.body.prepend(t); t.focus(); t.blur(); t.remove(); window.scrollTo(0, 0); }"
    )
    probes = _tab_and_probe(page, stops, 0)
    assert probes, f"the Tab key reaches nothing on {where(page)}"
    for _ in range(len(probes) + 1):  # back to the first stop
        if page.evaluate(_IS_FIRST_STOP):
            break
        page.keyboard.press("Shift+Tab")
    skip = page.evaluate(
        "() => { const a = document.activeElement; return a && a.tagName === 'A' "
        "&& (a.getAttribute('href') || '').startsWith('#') ? a.getAttribute('href') : null; }"
    )
    assert skip, (
        f"the first Tab stop on {where(page)} is not a skip link to the content: "
        + page.evaluate("() => (document.activeElement || document.body).outerHTML.slice(0, 100)")
        + f" (stops: {[p['what'] for p in probes]})"
    )
    page.keyboard.press("Enter")
    inside = page.evaluate(
        "target => { const t = document.querySelector(target); const a = document.activeElement;"
        " return !!t && (a === t || t.contains(a)); }",
        skip,
    )
    assert inside, f"the skip link {skip} on {where(page)} does not move the focus there"
    # The skip link put #main in the address; a form posted from here would carry it on.
    page.evaluate("() => location.protocol.startsWith('http') && history.replaceState("
                  "history.state, '', location.pathname + location.search)")  # fmt: skip
    probes += _tab_and_probe(page, stops, len(probes))
    # Let the focus go: blurring the active element is not enough when the focus sits inside
    # its shadow root (a date input's picker button), so focus a throw-away element instead.
    page.evaluate(
        "() => { const t = document.createElement('span'); t.tabIndex = -1;"
        " document.body.prepend(t); t.focus(); t.blur(); t.remove(); }"
    )
    problems = []
    for item in probes:
        resting = page.evaluate(_RESTING, item["index"])
        ring = (item["outlineStyle"] != "none" and float(item["outlineWidth"][:-2]) >= 2) or (
            item["boxShadow"] != "none"
        )
        changed = (item["outlineStyle"], item["outlineWidth"], item["boxShadow"]) != (
            resting["outlineStyle"],
            resting["outlineWidth"],
            resting["boxShadow"],
        )
        if not (item["matches"] and ring and changed):
            problems.append(f"{item['what']} focused={item} resting={resting}")
    page.evaluate(
        "() => document.querySelectorAll('[data-focus-probe]')"
        ".forEach(el => el.removeAttribute('data-focus-probe'))"
    )
    assert not problems, f"no visible focus indicator on {where(page)}:\n  " + "\n  ".join(problems)


def untied_errors(page: Page) -> dict[str, list[str]]:
    """Error messages on the page, and those not tied to a field.

    Tied means: a form control names the message (or an element around or inside it) in
    aria-describedby or aria-errormessage; controls marked aria-invalid must be so tied.
    """
    return page.evaluate(
        """() => {
          const messages = [...document.querySelectorAll(
              '.errorlist, [role=alert], .error, .field-error')]
            .filter(el => el.innerText.trim() && el.offsetParent !== null)
            // An error summary repeats the messages shown at their fields, each a link to
            // its field: it is not an untied message as long as every link leads somewhere.
            .filter(el => !(el.closest('.error-summary') && [...el.closest('.error-summary')
                .querySelectorAll('a[href^="#"]')].every(a =>
                  document.getElementById(a.getAttribute('href').slice(1)))))
            .filter((el, _, all) => !all.some(o => o !== el && o.contains(el)));
          const referenced = [];
          for (const c of document.querySelectorAll('input, select, textarea')) {
            const ids = ((c.getAttribute('aria-describedby') || '') + ' '
                         + (c.getAttribute('aria-errormessage') || '')).split(/\\s+/);
            for (const id of ids) {
              const el = id && document.getElementById(id);
              if (el) referenced.push(el);
            }
          }
          const tied = m => referenced.some(r => r === m || r.contains(m) || m.contains(r));
          const invalidUntied = [...document.querySelectorAll('[aria-invalid=true]')]
            .filter(c => !((c.getAttribute('aria-describedby') || '')
                           + (c.getAttribute('aria-errormessage') || '')).trim())
            .map(c => c.outerHTML.slice(0, 120));
          return {
            messages: messages.map(m => m.innerText.trim()),
            untied: messages.filter(m => !tied(m)).map(m => m.innerText.trim())
              .concat(invalidUntied),
          };
        }"""
    )


def assert_errors_tied_to_fields(page: Page) -> None:
    found = untied_errors(page)
    assert found["messages"], f"no error message is shown on {where(page)}"
    assert not found["untied"], (
        f"error messages on {where(page)} not tied to a field "
        f"(aria-describedby / aria-errormessage):\n  " + "\n  ".join(found["untied"])
    )


def assert_page_in(page: Page, code: str) -> None:
    assert_language(page, code)
    assert_axe_clean(page)
    assert_controls_labelled(page)
    assert_headings(page)
    assert_titled(page)
    network_of(page).assert_stayed_home()


def check_page(
    page: Page, *, languages: tuple[str, ...] = ("ja", "en"), focus: bool = True
) -> None:
    """Every check on this page in each language (switched with the header's form), then back
    to the language the person was using."""
    start = current_language(page)
    order = sorted(languages, key=lambda code: code != start)
    for code in order:
        if current_language(page) != code:
            switch_language(page, code)
        assert_page_in(page, code)
    if focus:
        assert_visible_focus(page)
    if current_language(page) != start:
        switch_language(page, start)


_CHECKED: set[tuple[int, str, str, int]] = set()


def forget_checked_pages() -> None:
    _CHECKED.clear()


def check_here(page: Page, *, focus: bool = True) -> None:
    """Every check on this page in the language the person is using (the walkthrough runs
    once in Japanese and once in English, so each of its pages is checked in both).

    A page this browser has already checked with exactly the same content (e.g. a redirect
    back to a page just checked) is not checked twice."""
    content = page.locator("body").inner_text()
    key = (id(page.context), urlsplit(page.url).path, current_language(page), hash(content))
    network_of(page).assert_stayed_home()
    if key in _CHECKED:
        return
    assert_page_in(page, current_language(page))
    if focus:
        assert_visible_focus(page)
    _CHECKED.add(key)
