"""The demo's own settings: generous card limits, links that lead back to its port."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from checkout import create_app
from checkout.paths import PROJECT_ROOT


def demo_environment(port: str = "5000") -> dict[str, str]:
    """The variables `make demo` exports for its commands (`make demo-env` prints them)."""
    printed = subprocess.run(
        ["make", "-s", "demo-env", f"PORT={port}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(re.findall(r"(CHECKOUT_\w+)=(\S+)", printed))


def test_the_demo_is_generous_with_test_cards_and_production_is_not() -> None:
    demo = create_app(environ=demo_environment())
    default = create_app(environ={})
    assert demo.config["CARD_DECLINES_PER_INTENT"] > default.config["CARD_DECLINES_PER_INTENT"]
    assert demo.config["CARD_DECLINES_PER_ADDRESS"] == "100 per hour"
    assert default.config["CARD_DECLINES_PER_ADDRESS"] == "5 per hour;10 per day"


def test_the_demos_links_use_the_port_it_runs_on() -> None:
    app = create_app(environ=demo_environment("8000"))
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"
    assert Path(PROJECT_ROOT / "config" / "demo.py").is_file()
