"""Charts drawn as SVG on the server, by vl-convert: the PDF's images and the pages'.

One spec and one renderer for a chart wherever it appears: the PDF embeds the SVG,
the pages show it as an image (``ui/chart_view.py``), which costs the browser a
fraction of embedding the Vega chart (docs/ARCHITECTURE.md, "Budgets"). Text in the
SVG is escaped by vl-convert (``<`` is ``&lt;``), so user text stays text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strategy_canvas.charts.theme import FONT as PAGE_FONT
from strategy_canvas.lru import LRUCache

if TYPE_CHECKING:
    import altair as alt

#: the fonts the project ships (registered with vl-convert, and Typst's for the PDF)
FONT_DIR = Path(__file__).resolve().parents[1] / "fonts"
#: the font charts are measured in (shipped in FONT_DIR): the PDF draws them in it too
FONT = "Noto Sans"
#: the font-family a page's chart names: measured in :data:`FONT` (vl-convert takes
#: the first family it has), drawn in it where the viewer has it, else in the page's
#: fonts, which are no wider, so a label measured to fit still fits
FONT_ON_PAGE = f"'{FONT}', {PAGE_FONT}"

#: SVGs by the digest of their spec, for every caller in the process
_by_spec: LRUCache[str] = LRUCache(256)


@cache
def _register_fonts() -> None:
    """Give vl-convert the project's fonts, once per process."""
    import vl_convert as vlc

    vlc.register_font_directory(str(FONT_DIR))


def svg_spec(chart: alt.TopLevelMixin, *, font: str = FONT) -> dict[str, Any]:
    """The chart's Vega-Lite spec, drawn in ``font``.

    The charts name web fonts for the browser; vl-convert has only the shipped ones
    and must measure labels with the font they are then drawn in."""
    spec = chart.to_dict(validate=False)
    spec["config"] = {**spec.get("config", {}), "font": font}
    return spec


def digest(spec: Mapping[str, Any]) -> str:
    """The same digest for the same spec."""
    text = json.dumps(spec, sort_keys=True, default=str).encode()
    return hashlib.sha256(text).hexdigest()


def render(spec: Mapping[str, Any]) -> str:
    """The spec drawn as SVG (the slow step: a tenth of a second or more), from inline
    data only (no URL is fetched)."""
    import vl_convert as vlc

    _register_fonts()
    svg = vlc.vegalite_to_svg(dict(spec), allowed_base_urls=[])
    assert isinstance(svg, str)
    return svg


def cached_svg(spec: Mapping[str, Any]) -> str:
    """:func:`render`, once per spec: a chart whose spec did not change after an edit
    elsewhere on the canvas is not drawn again."""
    return _by_spec.get_or_compute(digest(spec), lambda: render(spec))
