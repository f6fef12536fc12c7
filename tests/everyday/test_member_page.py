"""The member's circulation page on a phone: what to do first, nothing to run, little to
fetch. (The browser test measures the first screen and the tap targets; this one the bytes.)"""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from circulation.models import Question
from tests.circulation.helpers import sent_circulation

pytestmark = pytest.mark.django_db


def test_the_page_and_its_css_weigh_under_60_kb_and_hold_no_script(client, council):
    circulation = sent_circulation(council, title="令和9年度 第1四半期 運用状況報告について")
    circulation.explanation = "## 確認のお願い\n\n" + "運用状況を確認してください。" * 40
    circulation.save()
    for number in range(5):
        Question.objects.create(circulation=circulation, asked_by=council.members[1],
                                text=f"質問{number}: " + "資料の数値について。" * 10)  # fmt: skip
    client.force_login(council.members[0])
    html = client.get(reverse("circulation_detail", args=[circulation.pk])).content
    styles = re.findall(rb'<link rel="stylesheet" href="/static/([^"]+)"', html)
    assert styles, "the page links its style sheet"
    css = sum(len(open(finders.find(name.decode()), "rb").read()) for name in styles)  # noqa: SIM115
    assert len(html) + css <= 60_000, (len(html), css)
    assert b"<script" not in html.lower()
    assert not re.search(rb"<[^>]+\son[a-z]+=", html)  # no onclick= or the like


def test_the_first_thing_after_the_deadline_box_is_what_to_do(client, council):
    circulation = sent_circulation(council)
    client.force_login(council.members[0])
    html = client.get(reverse("circulation_detail", args=[circulation.pk])).content.decode()
    title, deadline = html.index("<h1>"), html.index('class="deadline card"')
    todo, explanation = html.index('class="card next-step"'), html.index('id="explanation-heading"')
    assert title < deadline < todo < explanation
    assert "回答してください" in html[todo:explanation]
    assert '<a class="button" href="#reply">回答する</a>' in html
