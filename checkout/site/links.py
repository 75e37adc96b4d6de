"""Absolute links for donors, always from PUBLIC_BASE_URL, never from the request's Host header.

A Host header is whatever the client sent: a link built from it (Stripe's return_url, a link in
an email) could point a donor at another site.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint` as donors reach it."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for(endpoint, **values)
