"""The steps of the process as people take them in the browser, in Japanese or in English.

The glossary fixes the words on buttons and field labels, so those are matched exactly
(helpers.button / helpers.field). What the glossary leaves open — the words of navigation
links, where a form lives — is matched loosely, and the steps find their way from the home
page as a person would: by the committee's name, by the circulation's title, by the link that
looks right.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from tests.browser.helpers import (
    JST,
    button,
    current_language,
    exact_name,
    field,
    is_focused,
    network_of,
    page_text,
    tab_to,
    words,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import Locator, Page


def loose(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


NEW_CIRCULATION = loose(
    r"書面照会を(作成|作る|新規作成|追加)|(新しい|新規)(の)?書面照会|書面照会の(作成|新規作成)"
    r"|^\s*[+＋]?\s*新規(作成)?\s*$|new circulation|create (a )?circulation"
)
CIRCULATION_LIST = loose(r"^\s*(書面照会(一覧|の一覧)?|circulations)\s*$")
SAVE_DRAFT = loose(r"下書き|保存|作成|次へ|確認|save|draft|create|next")
ADD_MATERIAL = loose(r"資料を追加|資料の追加|^\s*追加\s*$|アップロード|add (a )?material|upload")
TRACKING = loose(r"回答状況|状況|追跡|送付先の一覧|集計|回答一覧|tracking|status|replies")
DECISION_PAGE = loose(r"開催の要否|決定|判断|decide|decision")
QUESTIONS = loose(r"質疑|質問|questions|q&a")


def settle(page: Page) -> None:
    """After a click: wait for the page, and check that it loaded nothing from elsewhere."""
    page.wait_for_load_state()
    network_of(page).assert_stayed_home()


def visible(locator: Locator) -> Locator | None:
    """The first visible match, or None (without waiting: the page has loaded)."""
    for index in range(locator.count()):
        candidate = locator.nth(index)
        if candidate.is_visible():
            return candidate
    return None


def click_link(page: Page, name: str | re.Pattern[str]) -> bool:
    link = visible(page.get_by_role("link", name=name))
    if link is None:
        return False
    link.click()
    settle(page)
    return True


def submit_form_of(page: Page, control: Locator) -> None:
    """Click the submit button of the form that holds the field (its words are open)."""
    form = page.locator("form").filter(has=control)
    form.locator("button[type=submit], input[type=submit], button:not([type])").last.click()
    settle(page)


def go_home(page: Page) -> None:
    page.goto("/")
    settle(page)


def open_committee(page: Page, committee: str) -> None:
    go_home(page)
    assert click_link(page, committee), f"no link to {committee} on the home page"


def open_circulation(page: Page, title: str, committee: str) -> None:
    """From the home page to the circulation, by its title: listed on the home page (members)
    or on the committee's page, possibly under its list of 書面照会 (secretariat)."""
    by_title = re.compile(re.escape(title))
    go_home(page)
    if click_link(page, by_title):
        return
    open_committee(page, committee)
    if click_link(page, by_title):
        return
    assert click_link(page, CIRCULATION_LIST), f"no way to {title!r}:\n{page_text(page)}"
    assert click_link(page, by_title), f"{title!r} is not listed:\n{page_text(page)}"


PREVIEW = re.compile("プレビュー|Preview")


# --- the secretariat ----------------------------------------------------------------------


def start_new_circulation(page: Page, committee: str) -> None:
    open_committee(page, committee)
    if click_link(page, NEW_CIRCULATION):
        return
    new = visible(page.get_by_role("button", name=NEW_CIRCULATION))
    if new is not None:
        new.click()
        settle(page)
        return
    assert click_link(page, CIRCULATION_LIST), f"no 書面照会 link:\n{page_text(page)}"
    assert click_link(page, NEW_CIRCULATION), f"no new-circulation link:\n{page_text(page)}"


def fill_deadline(page: Page, moment: dt.datetime) -> None:
    """回答期限 in Japan time, whatever the widget: one datetime-local field, a date and a
    time field (Django's split widget: name_0 and name_1), or a group labelled 回答期限."""
    jst = moment.astimezone(JST)
    values = {
        "datetime-local": jst.strftime("%Y-%m-%dT%H:%M"),
        "date": jst.strftime("%Y-%m-%d"),
        "time": jst.strftime("%H:%M"),
        "text": jst.strftime("%Y-%m-%d %H:%M"),
    }
    names = loose(r"回答期限|deadline")
    inputs = page.get_by_label(names)
    if inputs.count() == 0:
        inputs = page.get_by_role("group", name=names).locator("input")
    assert inputs.count(), f"no 回答期限 field:\n{page_text(page)}"
    if inputs.count() == 1 and (inputs.first.get_attribute("name") or "").endswith("_0"):
        time_part = page.locator(f"input[name='{inputs.first.get_attribute('name')[:-2]}_1']")
        inputs.first.fill(values["date"])
        time_part.fill(values["time"])
        return
    kinds = set()
    for index in range(inputs.count()):
        control = inputs.nth(index)
        kind = control.get_attribute("type") or "text"
        kinds.add(kind)
        control.fill(values.get(kind, values["text"]))
    if kinds == {"date"}:  # the time sits next to it, under its own small label
        page.locator("input[type=time]").first.fill(values["time"])


def material_fields(page: Page) -> tuple[Locator, Locator]:
    """The 資料ファイル and 資料名 fields on the page."""
    lang = current_language(page)
    files = page.get_by_label(loose("|".join(map(re.escape, words("資料ファイル", lang)))))
    titles = page.get_by_label(loose("|".join(map(re.escape, words("資料名", lang)))))
    return files, titles


def _payload(material: dict[str, object]) -> dict[str, object]:
    return {
        "name": material["filename"],
        "mimeType": material["mime"],
        "buffer": material["content"],
    }


def _add_material_control(page: Page) -> None:
    add = visible(page.get_by_role("button", name=ADD_MATERIAL)) or visible(
        page.get_by_role("link", name=ADD_MATERIAL)
    )
    assert add is not None, f"no way to add another material:\n{page_text(page)}"
    add.click()
    page.wait_for_load_state()


def attach_materials(page: Page, materials: list[dict[str, object]]) -> None:
    """On the circulation's form: each material through 資料ファイル with its 資料名 — several
    file fields, one field taking several files, or a field added for each."""
    files, titles = material_fields(page)
    if files.count() == 1 and files.first.get_attribute("multiple") is not None:
        files.first.set_input_files([_payload(m) for m in materials])
        for index in range(min(titles.count(), len(materials))):
            titles.nth(index).fill(str(materials[index]["title"]))
        return
    for index, material in enumerate(materials):
        if index >= files.count():
            _add_material_control(page)
        files.nth(index).set_input_files(_payload(material))
        if titles.count() > index:
            titles.nth(index).fill(str(material["title"]))


def upload_materials_separately(page: Page, materials: list[dict[str, object]]) -> None:
    """On the draft's page: each material through its own small form, one after another."""
    for material in materials:
        files, _ = material_fields(page)
        if files.count() == 0:
            _add_material_control(page)
            files, _ = material_fields(page)
        upload = files.first
        upload.set_input_files(_payload(material))
        form = page.locator("form").filter(has=upload)
        title = form.get_by_label(loose("|".join(words("資料名", current_language(page)))))
        if title.count():
            title.first.fill(str(material["title"]))
        submit_form_of(page, upload)


def create_circulation(
    page: Page,
    *,
    committee: str,
    title: str,
    explanation: str,
    deadline: dt.datetime,
    materials: list[dict[str, object]],
    check: Callable[[Page], None] | None = None,
) -> None:
    """The secretariat fills in a new 書面照会 and saves it as a draft, with its materials
    on the same form or uploaded on the draft's page after saving."""
    start_new_circulation(page, committee)
    if check is not None:
        check(page)
    field(page, "件名").fill(title)
    field(page, "説明").fill(explanation)
    fill_deadline(page, deadline)
    on_the_form = material_fields(page)[0].count() > 0
    if on_the_form:
        attach_materials(page, materials)
    save = visible(page.get_by_role("button", name=SAVE_DRAFT))
    assert save is not None, f"no button to save the draft:\n{page_text(page)}"
    save.click()
    settle(page)
    if not on_the_form:
        upload_materials_separately(page, materials)


def send(page: Page, *, title: str, committee: str, is_open: Callable[[], bool]) -> None:
    """送付する (perhaps confirmed on a second page with the same button, perhaps only
    after a preview — a secretariat checks what members will see before sending)."""
    if not button(page, "送付する").count():
        click_link(page, PREVIEW)
    if not button(page, "送付する").count():
        open_circulation(page, title, committee)
    for _ in range(3):
        if is_open():
            return
        send_button = visible(button(page, "送付する"))
        assert send_button is not None, f"no 送付する button:\n{page_text(page)}"
        send_button.click()
        settle(page)
    assert is_open(), f"the circulation was not sent:\n{page_text(page)}"


def answer_question(page: Page, *, question: str, answer: str) -> None:
    """The secretariat answers a member's question in the 回答 field next to it."""
    answer_field = visible(field(page, "回答"))
    if answer_field is None:
        opened = click_link(page, re.compile(re.escape(question[:20]))) or click_link(
            page, QUESTIONS
        )
        assert opened, f"no way to the question:\n{page_text(page)}"
        answer_field = visible(field(page, "回答"))
    assert answer_field is not None, f"no 回答 field for the question:\n{page_text(page)}"
    answer_field.fill(answer)
    # The button under the field, with the question (the page's answer fields share a form).
    page.locator("article").filter(has=answer_field).get_by_role("button").click()
    settle(page)


def open_tracking(page: Page) -> None:
    """The tracking grid: on the secretariat's circulation page, or one link away."""
    if visible(page.get_by_role("table")) is None:
        assert click_link(page, TRACKING), f"no tracking page:\n{page_text(page)}"


# --- members ------------------------------------------------------------------------------


def choice(page: Page, japanese: str) -> Locator:
    """A reply choice (意見なし, 審議が必要, ...): a radio button, or else a button."""
    name = exact_name(japanese, current_language(page))
    radio = page.get_by_role("radio", name=name)
    return radio if radio.count() else page.get_by_role("button", name=name)


def choose_by_keyboard(page: Page, japanese: str) -> None:
    target = choice(page, japanese)
    tab_to(page, target)
    page.keyboard.press("Space")
    if target.get_attribute("type") == "radio":
        assert target.is_checked(), f"Space did not choose {japanese}"


def reply_by_keyboard(
    page: Page, *, kind: str, meeting: str | None = None, opinion: str = ""
) -> None:
    """The member's reply with the keyboard alone: Tab to each choice, Space to choose,
    type the opinion, Enter on 回答を送信. Focus is checked at every step, and the Tab key
    must meet them in this order. It starts as the member opens the page: at its top."""
    page.goto(page.url.split("#")[0])
    settle(page)
    choose_by_keyboard(page, kind)
    if opinion:
        opinion_field = field(page, "意見")
        tab_to(page, opinion_field)
        page.keyboard.type(opinion)
        assert opinion_field.input_value() == opinion
    if meeting and visible(choice(page, meeting)) is not None:
        choose_by_keyboard(page, meeting)
    elif meeting and kind == "意見あり":
        raise AssertionError(f"no {meeting} choice:\n{page_text(page)}")
    submit = button(page, "回答を送信")
    tab_to(page, submit)
    assert is_focused(submit)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    settle(page)


def ask_question(page: Page, text: str) -> None:
    """質問する: the 質問 field on the circulation page, or one click away."""
    question_field = visible(field(page, "質問"))
    if question_field is None:
        name = exact_name("質問する", current_language(page))
        opener = visible(page.get_by_role("link", name=name)) or visible(button(page, "質問する"))
        assert opener is not None, f"no 質問する:\n{page_text(page)}"
        opener.click()
        settle(page)
        question_field = field(page, "質問")
    question_field.fill(text)
    form = page.locator("form").filter(has=question_field)
    form.get_by_role("button", name=exact_name("質問する", current_language(page))).click()
    settle(page)


# --- the chair ----------------------------------------------------------------------------


def open_decision(page: Page) -> None:
    if visible(button(page, "開催する")) is None:
        assert click_link(page, DECISION_PAGE), f"no decision page:\n{page_text(page)}"


def decide(page: Page, *, convene: bool, reason: str, is_decided: Callable[[], bool]) -> None:
    """開催する / 開催しない with a 理由 (perhaps confirmed on a second page)."""
    label = "開催する" if convene else "開催しない"
    field(page, "理由").fill(reason)
    for _ in range(3):
        if is_decided():
            return
        decision = visible(button(page, label))
        assert decision is not None, f"no {label} button:\n{page_text(page)}"
        decision.click()
        settle(page)
    assert is_decided(), f"no decision was recorded:\n{page_text(page)}"
