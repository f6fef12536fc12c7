"""The checks themselves: each one fails on a page that has the fault it looks for, so a
passing browser test means something."""

from __future__ import annotations

import pytest

from tests.browser.a11y import (
    assert_axe_clean,
    assert_controls_labelled,
    assert_errors_tied_to_fields,
    assert_headings,
    assert_titled,
    assert_visible_focus,
    inject_axe,
)
from tests.browser.helpers import network_of, tab_to

PAGE = """<!DOCTYPE html><html lang="ja"><head><title>試験</title>
<style>:focus-visible {{ outline: 3px solid #000; }}</style></head>
<body><main><h1>試験</h1>{body}</main></body></html>"""


def test_a_request_to_another_host_is_caught(desktop):
    desktop.route("http://elsewhere.invalid/**", lambda route: route.abort())
    desktop.set_content(PAGE.format(body='<img alt="" src="http://elsewhere.invalid/a.png">'))
    watch = network_of(desktop)
    with pytest.raises(AssertionError, match=r"elsewhere\.invalid"):
        watch.assert_stayed_home()
    watch.urls.clear()  # the fault was planted; the fixture's own check must not trip on it


def test_axe_reports_an_unlabelled_field_readably(desktop):
    desktop.set_content(PAGE.format(body='<form><input type="text" name="q"></form>'))
    with pytest.raises(AssertionError) as failure:
        assert_axe_clean(desktop)
    message = str(failure.value)
    assert "label [critical]" in message and "input" in message and "help:" in message
    with pytest.raises(AssertionError, match="without a label"):
        assert_controls_labelled(desktop)


def test_axe_loads_under_a_policy_that_forbids_inline_scripts(desktop, live_server):
    policy = "default-src 'self'; script-src 'self'"
    desktop.route(
        f"{live_server.url}/csp-probe/",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": policy},
            body=PAGE.format(body="<p>本文</p><script>window.inline = 1</script>"),
        ),
    )
    desktop.goto("/csp-probe/")
    assert desktop.evaluate("() => window.inline") is None  # the policy is in force
    inject_axe(desktop)
    assert_axe_clean(desktop)


FOCUSABLE = '<a href="#c">本文へ</a><div id="c" tabindex="-1"><a href="#x">リンク</a></div>'


def test_a_visible_focus_ring_and_a_skip_link_pass(desktop):
    desktop.set_content(PAGE.format(body=FOCUSABLE))
    assert_visible_focus(desktop)


def test_a_missing_focus_ring_is_caught(desktop):
    desktop.set_content(PAGE.format(body=FOCUSABLE).replace("3px solid #000", "none"))
    with pytest.raises(AssertionError, match="no visible focus indicator"):
        assert_visible_focus(desktop)


def test_a_page_without_a_skip_link_is_caught(desktop):
    desktop.set_content(PAGE.format(body='<a href="/elsewhere">リンク</a>'))
    with pytest.raises(AssertionError, match="not a skip link"):
        assert_visible_focus(desktop)


def test_two_h1_are_caught(desktop):
    desktop.set_content(PAGE.format(body="<h1>もう一つ</h1>"))
    with pytest.raises(AssertionError, match="2 <h1>"):
        assert_headings(desktop)


def test_a_page_titled_only_with_the_site_name_is_caught(desktop):
    desktop.set_content(
        PAGE.format(body="<p>本文</p>").replace("<title>試験", "<title>回覧 Kairan")
    )
    with pytest.raises(AssertionError, match="no title of its own"):
        assert_titled(desktop)


def test_an_error_not_tied_to_its_field_is_caught(desktop):
    desktop.set_content(
        PAGE.format(
            body='<form><ul class="errorlist"><li>入力してください。</li></ul>'
            '<label for="a">意見</label><textarea id="a" aria-invalid="true"></textarea></form>'
        )
    )
    with pytest.raises(AssertionError, match="not tied to a field"):
        assert_errors_tied_to_fields(desktop)


def test_tab_to_fails_when_the_focus_order_runs_backwards(desktop):
    desktop.set_content(
        PAGE.format(
            body='<button id="b">送信</button><label for="a">意見</label><input id="a">'
        ).replace("<h1>", '<h1><a href="#top">上へ</a>')
    )
    desktop.locator("#a").focus()
    with pytest.raises(AssertionError, match="focus order"):
        tab_to(desktop, desktop.locator("#b"))
