"""Building what the browser posts for the circulation forms."""

from __future__ import annotations

from typing import Any

from circulation.models import Circulation


def draft_data(
    *,
    title: str = "第12回 管理運用会議 議事録の確認",
    explanation: str = "議事録(案)をご確認ください。\n\n- 第3項に修正があります",
    date: str = "2026-09-10",
    time: str = "17:00",
    recipients: list[int] | None = None,
    files: list[tuple[Any, str]] | None = None,
    kept: list[tuple[str, str]] | None = None,
    rows: int = 3,
    revision: int | None = None,
    existing: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The draft form as posted: files and kept tokens fill the new-material rows."""
    data: dict[str, Any] = {
        "title": title,
        "explanation": explanation,
        "deadline_date": date,
        "deadline_time": time,
        "recipients": recipients or [],
        "new-TOTAL_FORMS": str(rows),
        "new-INITIAL_FORMS": "0",
        "new-MIN_NUM_FORMS": "0",
        "new-MAX_NUM_FORMS": "1000",
    }
    position = 0
    for upload, material_title in files or []:
        data[f"new-{position}-file"] = upload
        data[f"new-{position}-title"] = material_title
        position += 1
    for token, material_title in kept or []:
        data[f"new-{position}-stash"] = token
        data[f"new-{position}-title"] = material_title
        position += 1
    if revision is not None:
        data["revision"] = str(revision)
    if existing is not None:
        data["existing-TOTAL_FORMS"] = str(len(existing))
        data["existing-INITIAL_FORMS"] = str(len(existing))
        data["existing-MIN_NUM_FORMS"] = "0"
        data["existing-MAX_NUM_FORMS"] = "1000"
        for i, row in enumerate(existing):
            for key, value in row.items():
                if key == "remove" and not value:
                    continue
                data[f"existing-{i}-{key}"] = "on" if value is True else value
    return data


def existing_rows(circulation: Circulation) -> list[dict[str, Any]]:
    return [
        {"material_id": m.pk, "title": m.title, "order": m.order}
        for m in circulation.materials.filter(is_current=True)
    ]


def reply_data(
    kind: str = "no_opinion", opinion: str = "", meeting: str = "no", base_version: int = 0
) -> dict[str, str]:
    return {
        "kind": kind,
        "opinion": opinion,
        "meeting_needed": meeting,
        "base_version": str(base_version),
    }
