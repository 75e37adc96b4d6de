"""Dashboard charts drawn on the server as SVG by pygal, shown without JavaScript.

pygal's own scripts (tooltips) are left out (`js=[]`). Its SVG still carries a small
configuration <script> and a <style>, which the site's CSP (no inline script or style) would
refuse inline; so each chart is an <img> with a data: URL (`img-src` allows data:), where an
SVG runs no script at all and its style stays its own. Each chart has a table of the same
figures beside it, which is also what screen readers read.
"""

from __future__ import annotations

import base64

import pygal
from pygal.style import DefaultStyle

from checkout.finance.dashboard import Figure


def _config() -> dict[str, object]:
    return {
        "js": [],
        "width": 640,
        "height": 280,
        "show_legend": False,
        "style": DefaultStyle,
        "x_label_rotation": 30,
        "print_values": False,
        "disable_xml_declaration": False,
    }


def bar_chart(title: str, figures: list[Figure], *, amounts: bool, exponent: int = 2) -> str:
    """A bar chart of the figures' amounts (major units) or counts, as a data: URL."""
    chart = pygal.Bar(title=title, **_config())
    chart.x_labels = [figure.label for figure in figures]
    scale = 10**exponent
    values = [f.amount_minor / scale if amounts else f.count for f in figures]
    chart.add(title, values)
    return data_url(chart.render())


def data_url(svg: bytes) -> str:
    """The SVG as a data: URL for an <img>."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
