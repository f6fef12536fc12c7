"""`make demo` shows one open circulation with replies and one awaiting the chair."""

import pytest

from circulation.demo import CLOSED_TITLE, OPEN_TITLE, demo_pdf, load_demo_circulations
from circulation.models import Circulation

pytestmark = pytest.mark.django_db


def test_demo_has_an_open_circulation_with_replies_and_one_awaiting_the_chair(council):
    load_demo_circulations(council.committee)
    load_demo_circulations(council.committee)  # running the demo again keeps the data

    open_one = Circulation.objects.get(title=OPEN_TITLE)
    assert open_one.state == Circulation.State.OPEN
    assert open_one.recipients.filter(current_reply__isnull=False).count() == 2
    assert open_one.materials.count() == 2

    closed = Circulation.objects.get(title=CLOSED_TITLE)
    assert closed.state == Circulation.State.CLOSED
    assert not hasattr(closed, "decision") or closed.decision is None
    assert closed.recipients.filter(current_reply__isnull=False).count() == 3
    assert closed.outbox.filter(purpose="circulation.closing_summary").exists()
    assert Circulation.objects.count() == 2


def test_demo_material_is_a_pdf():
    content = demo_pdf("Minutes")
    assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
