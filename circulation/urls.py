"""Circulation pages. Each area keeps its own URL list in its views module."""

urlpatterns: list = []
