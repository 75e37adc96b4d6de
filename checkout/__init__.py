"""Donation checkout.

`create_app` builds the web app (checkout/factory.py wires every feature together). Importing
the package imports nothing else, so a process that needs one module (an export streamed by
a command, the migrations, a bench's child) does not load the whole app with it: an export's
process starts at about 60 MB instead of 170 (bench/README.md, finance exports).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Flask:
    """Build the app from layered configuration; refuse unsafe production settings."""
    from checkout.factory import create_app as build

    return build(overrides, environ)
