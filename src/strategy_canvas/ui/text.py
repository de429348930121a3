"""User text inside Streamlit markdown or HTML: shown as typed, never as formatting.

The HTML pieces here (:func:`cards`, :func:`badge`, :func:`icon`, :func:`line`) draw a
list of cards as one ``st.html`` element instead of a bordered container and a markdown
element per card: in the browser each Streamlit element costs about a millisecond of
drawing on every page open, one HTML element about nothing (docs/ARCHITECTURE.md,
"Budgets"). Their look (the ``sc-`` classes) is in :mod:`strategy_canvas.ui.layout`'s
style sheet.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# CommonMark escapes any ASCII punctuation with a backslash; these are the ones that
# format in Streamlit markdown (":" starts its :color[...] and :material/...: directives).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=])")
#: the colours a badge or a line of a card can take (as Streamlit's :color[...])
COLOURS = frozenset({"gray", "blue", "green", "red", "orange", "yellow", "violet"})


def md(text: str) -> str:
    """``text`` escaped for st.markdown, captions and labels."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def h(text: str) -> str:
    """``text`` escaped for st.html: every character shown as typed, line breaks kept."""
    return html.escape(text, quote=True).replace("\n", "<br>")


def icon(name: str, *, css: str = "sc-icon") -> str:
    """A Material Symbols icon (``name`` as in ``:material/name:``), for st.html, styled
    by the class ``css`` (the workshop board sizes its own)."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"not an icon name: {name!r}")
    return f'<span class="{css}" aria-hidden="true">{name}</span>'


def _colour(colour: str) -> str:
    if colour not in COLOURS:
        raise ValueError(f"not a colour: {colour!r}")
    return colour


def badge(html_text: str, colour: str) -> str:
    """A small coloured badge around ``html_text`` (already escaped), as :color-badge[]."""
    return f'<span class="sc-badge sc-bg-{_colour(colour)}">{html_text}</span>'


def line(
    html_text: str, colour: str | None = None, *, strong: bool = False, small: bool = False
) -> str:
    """One line of a card (``html_text`` already escaped), coloured as :color[...];
    ``small`` as a caption."""
    classes = ["sc-line"]
    if colour is not None:
        classes.append(f"sc-fg-{_colour(colour)}")
    if strong:
        classes.append("sc-strong")
    if small:
        classes.append("sc-small")
    return f'<div class="{" ".join(classes)}">{html_text}</div>'


def card(lines: Iterable[str]) -> str:
    """One bordered card of ``lines`` (from :func:`line`)."""
    return '<div class="sc-card">' + "".join(lines) + "</div>"


def more(label: str, lines: Iterable[str]) -> str:
    """``lines`` folded under ``label`` (a native ``<details>``: opened by a click, in
    the browser alone)."""
    return f'<details class="sc-more"><summary>{h(label)}</summary>' + "".join(lines) + "</details>"


def cards(each: Iterable[str], *, per_row: int = 1) -> str:
    """Cards (from :func:`card`), one under the other or two side by side where there is
    room (``per_row`` 2), as the body of one st.html."""
    grid = " sc-two" if per_row > 1 else ""
    return f'<div class="sc-cards{grid}">' + "".join(each) + "</div>"


def bar(fill: float) -> str:
    """A progress bar ``fill`` (0..1) full, drawn as st.progress draws one."""
    width = f"{round(max(0.0, min(1.0, fill)) * 100, 1):g}"
    return (
        f'<div class="sc-bar" role="progressbar" aria-valuenow="{width}" aria-valuemin="0" '
        f'aria-valuemax="100"><div style="width: {width}%"></div></div>'
    )
