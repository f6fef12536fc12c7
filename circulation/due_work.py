"""Time-driven work found by querying the database (run by beat every 30 s)."""

from __future__ import annotations


def run_due_work() -> None:
    """Close circulations past their deadline, send due reminders. (Mail engine issue.)"""
