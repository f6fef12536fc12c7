"""佐藤 (secretariat) registers a consultation on its form: 諮問第N号 (one number per council),
title, the implementing body and its staff, 諮問日, 諮問理由, items, deadline, recipients and
materials; a mistake comes back tied to its field with everything typed kept; the draft is
edited on the same form; the council's rules are set on their own page."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from circulation.models import Circulation, Consultation, ConsultationRules
from portal.models import AuditEntry
from tests.circulation.helpers import PDF_BYTES
from tests.consultations import helpers as h

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def form_data(council, body, **changes) -> dict:
    data = {
        "number": "65",
        "title": h.TITLE,
        "department": "中央地域センター",
        "staff": [str(body.pk)],
        "received_on": "2026-09-01",
        "reason": "クラウドサービスを利用するため。",
        "items": "クラウドサービスの利用\n\n戸籍データの外部保存\n",
        "explanation": "",
        "deadline_date": "2099-09-10",
        "deadline_time": "17:00",
        "recipients": [str(m.pk) for m in council.members],
        "new-TOTAL_FORMS": "1",
        "new-INITIAL_FORMS": "0",
        "new-0-title": "諮問書",
        "new-0-order": "",
        "new-0-stash": "",
        "new-0-file": SimpleUploadedFile("諮問書.pdf", PDF_BYTES, content_type="application/pdf"),
    }
    data.update(changes)
    return data


def test_the_secretariat_registers_a_consultation_with_its_items_and_material(
    client, council, body
):
    client.force_login(council.secretariat)
    url = reverse("consultation_create", args=[council.committee.pk])
    page = text(client.get(url))
    assert "諮問番号" in page and "実施機関の担当者" in page and "木村 実施機関" in page
    response = client.post(url, form_data(council, body))
    assert response.status_code == 302, text(response)
    consultation = Consultation.objects.get()
    circulation = consultation.circulation
    assert circulation.kind == Circulation.Kind.CONSULTATION
    assert circulation.state == Circulation.State.DRAFT
    assert (consultation.number, consultation.department) == (65, "中央地域センター")
    assert [i.text for i in consultation.items.all()] == [
        "クラウドサービスの利用",
        "戸籍データの外部保存",
    ]
    assert list(consultation.staff.all()) == [body]
    assert circulation.materials.get().title == "諮問書"
    assert AuditEntry.objects.filter(action="consultation.registered").exists()
    # Edited on the same form; the generic draft pages lead there.
    edit = reverse("consultation_edit", args=[circulation.pk])
    assert client.get(reverse("circulation_edit", args=[circulation.pk]))["Location"] == edit
    data = form_data(
        council, body, items="クラウドサービスの利用", revision=str(circulation.revision)
    )
    data.pop("new-0-file")
    data["new-0-title"] = ""
    data.update({"existing-TOTAL_FORMS": "1", "existing-INITIAL_FORMS": "1",
                 "existing-0-material_id": str(circulation.materials.get().pk),
                 "existing-0-title": "", "existing-0-order": ""})  # fmt: skip
    response = client.post(edit, data)
    assert response.status_code == 302, text(response)
    assert [i.text for i in consultation.items.all()] == ["クラウドサービスの利用"]


def test_a_number_taken_on_the_council_is_refused_with_the_input_kept(client, council, body):
    h.register(council, staff=[body], number=65)
    client.force_login(council.secretariat)
    url = reverse("consultation_create", args=[council.committee.pk])
    response = client.post(url, form_data(council, body, reason="新しく書いた理由"))
    assert response.status_code == 200
    page = text(response)
    assert "諮問第65号はこの審議会にすでにあります。" in page
    assert 'aria-invalid="true"' in page and "新しく書いた理由" in page
    assert "受け付け済みのファイル: 諮問書.pdf" in page  # the accepted file is kept
    assert Consultation.objects.count() == 1


def test_another_council_may_use_the_same_number(council, body):
    from circulation.services.consultations import ConsultationContent, register_consultation
    from circulation.services.drafts import DraftContent

    h.register(council, staff=[body], number=65)
    draft = DraftContent(title="別の審議会の諮問", explanation="",
                         deadline=h.consultation_deadline(), recipient_ids=[])  # fmt: skip
    content = ConsultationContent(number=65, department="総務課", staff_ids=[],
                                  received_on=h.today(), reason="理由", items=["議題"])  # fmt: skip
    register_consultation(council.other_committee, by=council.other_secretariat, draft=draft,
                          content=content)  # fmt: skip
    assert Consultation.objects.filter(number=65).count() == 2


def test_only_people_of_the_implementing_body_can_be_its_staff(client, council, body):
    client.force_login(council.secretariat)
    url = reverse("consultation_create", args=[council.committee.pk])
    response = client.post(url, form_data(council, body, staff=[str(council.members[0].pk)]))
    assert response.status_code == 200
    assert not Consultation.objects.exists()
    assert 'aria-invalid="true"' in text(response)


def test_a_consultation_without_items_is_not_registered(client, council, body):
    client.force_login(council.secretariat)
    url = reverse("consultation_create", args=[council.committee.pk])
    response = client.post(url, form_data(council, body, items="\n \n"))
    assert response.status_code == 200
    assert "議題を1つ以上入力してください。" in text(response)


def test_the_council_sets_its_rules_and_every_consultation_shows_them(client, council, body):
    circulation = h.sent(council, staff=[body])
    client.force_login(council.secretariat)
    url = reverse("consultation_rules", args=[council.committee.pk])
    response = client.post(url, {"quorum": "half_or_more", "abstain": "cast",
                                 "majority": "votes_cast", "chair_casting_vote": "",
                                 "report_addressee": "長崎市長 様",
                                 "rider_reminder_months": "3"})  # fmt: skip
    assert response.status_code == 302
    rules = ConsultationRules.objects.get(committee=council.committee)
    assert (rules.quorum, rules.abstain, rules.chair_casting_vote) == (
        "half_or_more",
        "cast",
        False,
    )
    entry = AuditEntry.objects.get(action="committee.consultation_rules.changed")
    assert entry.data["quorum"] == {"from": "more_than_half", "to": "half_or_more"}
    client.force_login(council.members[0])
    page = text(client.get(reverse("consultation_detail", args=[circulation.pk])))
    assert "委員の半数以上が賛否を表明すること" in page and "否決(承認しない)" in page
    client.force_login(council.chair)
    assert client.get(url).status_code == 403
