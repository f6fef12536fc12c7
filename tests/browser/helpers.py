"""What a person does in the browser: log in, switch the language, use the keyboard; and what
the tests keep: the network log, screenshots for the docs, small material files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import shutil
import struct
import subprocess
import warnings
import zlib
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Locator, Page, Request

PASSWORD = "correct horse battery"
JST = dt.timezone(dt.timedelta(hours=9), "JST")
# The walkthrough's week: sent on Monday morning, due 9月10日(金) 17:00.
START = dt.datetime(2027, 9, 6, 9, 0, tzinfo=JST)
DEADLINE = dt.datetime(2027, 9, 10, 17, 0, tzinfo=JST)
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"

DEVICES: dict[str, dict[str, object]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 3,
    },
}

# The glossary's fixed words (/work/shared/GLOSSARY.md) and their English column. They are
# matched exactly; a page in English may still show the Japanese word while the English
# catalogue is incomplete, so English pages accept either.
ENGLISH = {
    # actions
    "送付する": "Send",
    "意見なし": "No opinion",
    "意見あり": "I have an opinion",
    "審議が必要": "A meeting is needed",
    "審議は不要": "No meeting needed",
    "回答を送信": "Submit reply",
    "質問する": "Ask a question",
    "開催する": "Convene",
    "開催しない": "Do not convene",
    "期限を延長": "Extend deadline",
    "ログイン": "Log in",
    "ログアウト": "Log out",
    # form fields
    "件名": "Title",
    "説明": "Explanation",
    "資料ファイル": "Material file",
    "資料名": "Material title",
    "回答期限": "Reply deadline",
    "送付先": "Recipients",
    "意見": "Opinion",
    "質問": "Question",
    "回答": "Answer",
    "理由": "Reason",
    "メールアドレス": "Email",
    "パスワード": "Password",
    # things and states
    "書面照会": "Circulation",
    "審議結果": "Decision record",
    "回答済み": "Replied",
    "未回答": "Not replied",
}
LANGUAGE_LABEL = re.compile(r"Language")


def words(japanese: str, lang: str = "ja") -> list[str]:
    return [japanese, ENGLISH[japanese]] if lang == "en" else [japanese]


def _alternatives(japanese: str, lang: str) -> str:
    return "|".join(re.escape(word) for word in words(japanese, lang))


def exact_name(japanese: str, lang: str = "ja") -> re.Pattern[str]:
    """A button's or link's glossary name, exactly (in English pages, either language)."""
    return re.compile(rf"^\s*({_alternatives(japanese, lang)})\s*$", re.IGNORECASE)


def exact_label(japanese: str, lang: str = "ja") -> re.Pattern[str]:
    """A glossary field label, exactly, allowing Django's colon and a required mark."""
    return re.compile(
        rf"^\s*({_alternatives(japanese, lang)})\s*[:：]?\s*[*＊]?\s*(\((必須|required)\))?\s*$",
        re.IGNORECASE,
    )


def says(text: str, japanese: str, lang: str = "ja") -> bool:
    """Does the text contain the glossary word (in English pages, in either language)?"""
    return any(word.lower() in text.lower() for word in words(japanese, lang))


def button(page: Page, japanese: str) -> Locator:
    return page.get_by_role("button", name=exact_name(japanese, current_language(page)))


def field(page: Page, japanese: str) -> Locator:
    return page.get_by_label(exact_label(japanese, current_language(page)))


# --- network ------------------------------------------------------------------------------


@dataclasses.dataclass
class NetworkWatch:
    """Every URL a context requested; anything not on the live server is a failure."""

    allowed_origin: str
    urls: list[str] = dataclasses.field(default_factory=list)

    def record(self, request: Request) -> None:
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        home = urlsplit(self.allowed_origin)
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in {"data", "blob", "about"}
            and (urlsplit(url).scheme, urlsplit(url).netloc) != (home.scheme, home.netloc)
        ]

    def assert_stayed_home(self) -> None:
        strays = self.foreign()
        assert not strays, (
            f"requests left {self.allowed_origin} (nothing may be loaded from another host):\n  "
            + "\n  ".join(strays)
        )


_WATCHES: dict[int, NetworkWatch] = {}


def forget_watches() -> None:
    _WATCHES.clear()


def watch_network(context: BrowserContext, *, allowed_origin: str) -> NetworkWatch:
    watch = NetworkWatch(allowed_origin=allowed_origin.rstrip("/"))
    context.on("request", watch.record)
    _WATCHES[id(context)] = watch
    return watch


def network_of(page: Page) -> NetworkWatch:
    return _WATCHES[id(page.context)]


# --- people -------------------------------------------------------------------------------


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    """Log in through the real form, as the person would: メールアドレス, パスワード, ログイン."""
    page.goto("/accounts/login/")
    field(page, "メールアドレス").fill(email)
    field(page, "パスワード").fill(password)
    button(page, "ログイン").click()
    page.wait_for_load_state()
    logout = button(page, "ログアウト")
    assert logout.is_visible(), f"{email} is not logged in; the page says:\n{page_text(page)}"


def page_text(page: Page, limit: int = 1500) -> str:
    return page.locator("body").inner_text()[:limit]


def switch_language(page: Page, code: str) -> None:
    """Use the header's language switch (「言語 / Language」, 切り替え) and wait for the page."""
    select = page.get_by_label(LANGUAGE_LABEL)
    select.select_option(code)
    form = page.locator("form").filter(has=select)
    with page.expect_navigation():
        form.get_by_role("button").click()
    lang = page.locator("html").get_attribute("lang")
    assert lang == code, f"after switching to {code!r} the page says lang={lang!r}"


def current_language(page: Page) -> str:
    return page.locator("html").get_attribute("lang") or ""


@functools.cache
def has_japanese_font() -> bool:
    """Without a Japanese font Chromium draws empty boxes: such pictures must not replace
    the ones in docs/ (CI installs fonts-noto-cjk; see .ci/run)."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(
        ["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path | None:
    """A PNG for README.md and docs/ (CSS pixels, so a phone shot stays 390 px wide)."""
    if not has_japanese_font():
        warnings.warn(f"no Japanese font: docs/screenshots/{name}.png left as it was", stacklevel=2)
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, scale="css", animations="disabled")
    return path


# --- keyboard -----------------------------------------------------------------------------


def is_focused(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def tab_to(page: Page, target: Locator, *, limit: int = 80) -> None:
    """Press Tab until the target has the focus, as a keyboard user would.

    Radio buttons form one Tab stop: Tab lands on the group, then the arrow keys move
    within it (which is how a keyboard user picks a radio button).
    The Tab key must reach the target going forward: passing the end of the page first
    means the focus order does not follow the form's order, which fails.
    """
    target.wait_for()
    for presses in range(limit):
        if is_focused(target):
            return
        if _in_same_radio_group(target):
            _arrow_to(page, target)
            return
        if presses and page.evaluate("() => !document.activeElement || "
                                     "document.activeElement === document.body"):  # fmt: skip
            raise AssertionError(
                f"the Tab key reached the end of the page before {target}; focus order:\n"
                + "\n".join(focus_order(page, limit=limit))
            )
        page.keyboard.press("Tab")
    raise AssertionError(
        f"{limit} presses of Tab never reached {target}; focus order:\n"
        + "\n".join(focus_order(page, limit=limit))
    )


def _in_same_radio_group(target: Locator) -> bool:
    return bool(
        target.evaluate(
            """el => { const a = document.activeElement;
                return el.type === 'radio' && a && a.type === 'radio' && a.name === el.name
                  && a.form === el.form; }"""
        )
    )


def _arrow_to(page: Page, target: Locator) -> None:
    for _ in range(12):
        if is_focused(target):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reached {target}")


def focus_order(page: Page, *, limit: int = 40) -> list[str]:
    """Describe the elements the Tab key visits, for readable failure messages."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                """() => { const a = document.activeElement; if (!a) return '(none)';
                  const name = (a.labels && a.labels[0] ? a.labels[0].innerText
                    : a.getAttribute('aria-label') || a.innerText || a.value || '').trim();
                  return `${a.tagName.toLowerCase()}${a.type ? '[' + a.type + ']' : ''} `
                    + name.slice(0, 40); }"""
            )
        )
    return seen


# --- materials ----------------------------------------------------------------------------


def small_pdf(title: str = "minutes") -> bytes:
    """A valid one-page PDF (magic bytes %PDF-), the same kind the demo council uses."""
    from circulation.demo import demo_pdf

    return demo_pdf(title)


def small_png(width: int = 64, height: int = 32) -> bytes:
    """A valid PNG (magic bytes \\x89PNG): a plain blue rectangle."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x0b\x4f\x8a" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
