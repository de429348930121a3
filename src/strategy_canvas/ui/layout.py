"""How a step page's board and editor share the screen, so nothing is clipped at 1024,
1280 or 1440 pixels.

- From 1200 px wide: the board on the left (three fifths), the editor on the right.
- Narrower (a 1024 px laptop): the two stack, the editor first and the board under it,
  each the whole width (the board's tables would otherwise be cut off).
- At any width the person can widen the board (:func:`wide_board`): the board takes the
  whole width, the editor under it, and its tables show every column; beside the
  editor they show the columns that fit (:func:`columns`).

The stacking is CSS (one ``<style>`` per run, which takes no room on the page): the
columns are found by the keyed containers the workspace puts in them
(:data:`BOARD_KEY`, :data:`EDITOR_KEY`). User text never reaches it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

#: the keys of the containers inside the workspace's two columns
BOARD_KEY = "sc-board-side"
EDITOR_KEY = "sc-editor-side"
#: the key of the Overview's container, and the start of its cards' keys (the cards
#: wrap two to a row on a narrow screen)
OVERVIEW_KEY = "sc-overview"
CARD_KEY = "sc-card-"
#: session-state key owned by this module
_WIDE = "layout.wide_board"
#: below this width the board and the editor stack
STACK_BELOW_PX = 1200

_CSS = f"""
<style>
@media (max-width: {STACK_BELOW_PX - 1}px) {{
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-{BOARD_KEY}) {{
    flex-direction: column;
  }}
  [data-testid="stColumn"]:has(.st-key-{BOARD_KEY}),
  [data-testid="stColumn"]:has(.st-key-{EDITOR_KEY}) {{
    width: 100% !important;
    flex: 1 1 auto !important;
  }}
  [data-testid="stColumn"]:has(.st-key-{EDITOR_KEY}) {{ order: -1; }}
}}
/* Columns wrap rather than squeeze: a column narrower than its content goes under
   the others (the roadmap's lanes, the step strip, a pair of fields, cards). */
[data-testid="stMain"] [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
[data-testid="stMain"] [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
  min-width: min(100%, 140px);
}}
.st-key-{BOARD_KEY} [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
  min-width: min(100%, 240px);
}}
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:has([class*="st-key-{CARD_KEY}"]) {{
  min-width: min(100%, 260px);
}}
/* Cards drawn as one st.html (strategy_canvas.ui.text.cards): the look of a bordered
   container holding Streamlit markdown, at a fraction of its drawing cost. */
.sc-cards {{ display: flex; flex-direction: column; gap: 1rem; }}
.sc-cards.sc-two {{
  display: grid; align-items: start;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, max(240px, calc(50% - 0.5rem))), 1fr));
}}
.sc-lanes {{ display: flex; flex-wrap: wrap; gap: 1rem; line-height: 1.6; }}
.sc-lanes > div {{ flex: 1 1 0; min-width: min(100%, 140px); }}
.sc-list {{ margin: 0.25rem 0 0 0; padding-left: 1.5rem; }}
.sc-more summary {{ cursor: pointer; color: #686255; margin-top: 0.25rem; }}
.sc-more[open] summary {{ margin-bottom: 0.25rem; }}
.sc-card {{
  border: 1px solid #E3E5EC; border-radius: 0.6rem; padding: calc(1rem - 1px);
  font-size: 1rem; line-height: 1.6; overflow-wrap: anywhere;
}}
/* A step's header (step_views.header_html): Streamlit's caption, title and markdown,
   at their sizes and spacing. */
.sc-step-of {{
  font-size: 0.875rem; line-height: 1.6; color: rgba(31, 41, 55, 0.6); margin-bottom: 1rem;
}}
.sc-step-head h1.sc-step-title {{
  font-size: 2.75rem; font-weight: 700; line-height: 1.2; padding: 1.25rem 0 1rem 0;
  margin: 0; color: inherit; scroll-margin-top: 3.75rem;
}}
.sc-step-purpose {{ font-size: 1rem; line-height: 1.6; margin: 0; }}
.sc-strong {{ font-weight: 600; }}
.sc-small {{ font-size: 0.875rem; }}
/* A row of cards of equal height in one st.html (the Overview): in the proportions of
   their weights, each under the other where a card would be narrower than 260px. */
.sc-row {{ display: flex; flex-wrap: wrap; gap: 1rem; align-items: stretch; }}
.sc-row > .sc-card {{ min-width: min(100%, 260px); }}
.sc-w1 {{ flex: 1 1 0; }} .sc-w3 {{ flex: 3 1 0; }} .sc-w4 {{ flex: 4 1 0; }}
.sc-title {{
  font-size: 1.75rem; font-weight: 600; line-height: 1.2; padding: 0.25rem 0 1rem 0;
}}
.sc-row .sc-line + .sc-line, .sc-row .sc-list + .sc-line, .sc-row .sc-line + .sc-list,
.sc-row .sc-line + .sc-kpi {{ margin-top: 0.5rem; }}
.sc-bar {{
  height: 0.5rem; border-radius: 0.6rem; background: #F5F6FA; overflow: hidden;
  margin: 0.25rem 0;
}}
.sc-bar > div {{ height: 100%; background: #4F46E5; border-radius: 0.6rem; }}
.sc-side, .sc-section {{ line-height: 1.6; }}
.sc-lane-head {{ margin-bottom: 0.75rem; }}
.sc-lane-title {{ font-size: 1.25rem; font-weight: 600; line-height: 1.4; }}
.sc-side-app {{ font-size: 1.5rem; font-weight: 650; line-height: 1.2; padding: 0.75rem 0 1rem 0; }}
.sc-side-canvas {{ font-weight: 600; margin-bottom: 0.5rem; overflow-wrap: anywhere; }}
.sc-side-progress {{ margin-top: 1rem; }}
.sc-metric-label {{ font-size: 0.875rem; }}
.sc-metric-value {{ font-size: 2.25rem; line-height: 1.4; }}
.sc-icon {{
  font-family: "Material Symbols Rounded"; font-weight: 400; font-style: normal;
  font-size: inherit; line-height: inherit; vertical-align: bottom; white-space: nowrap;
  letter-spacing: normal; text-transform: none; font-feature-settings: "liga";
  user-select: none;
}}
.sc-badge {{
  display: inline-block; font-size: 0.875rem; line-height: 1.6; padding: 0 0.25rem;
  border-radius: 0.3rem; margin-right: 0.25rem; vertical-align: middle;
}}
.sc-fg-gray {{ color: #686255; }} .sc-bg-gray {{ color: #686255; background: #F5F4F2; }}
.sc-fg-blue {{ color: #244FB4; }} .sc-bg-blue {{ color: #244FB4; background: #EDF5FF; }}
.sc-fg-green {{ color: #0C5A44; }} .sc-bg-green {{ color: #0C5A44; background: #F1FBF6; }}
.sc-fg-red {{ color: #9E303B; }} .sc-bg-red {{ color: #9E303B; background: #FFF1F2; }}
.sc-fg-orange {{ color: #9B4519; }} .sc-bg-orange {{ color: #9B4519; background: #FFF6ED; }}
.sc-fg-violet {{ color: #6F33B8; }} .sc-bg-violet {{ color: #6F33B8; background: #F8F2FF; }}
.sc-fg-yellow {{ color: #7A5A00; }} .sc-bg-yellow {{ color: #7A5A00; background: #FFF8DB; }}
</style>
"""


def responsive() -> None:
    """Stack the board and the editor on a narrow screen, let columns wrap rather than
    squeeze (every page draws it once, from ``page_setup``)."""
    st.html(_CSS)


def is_wide() -> bool:
    """Whether the board has the whole width (its tables then show every column; beside
    the editor they show the ones that fit)."""
    return bool(st.session_state.get(_WIDE))


def columns(compact: list[str], full: list[str]) -> list[str]:
    """A board table's columns: all of ``full`` when the board is wide, else the
    ``compact`` ones, which fit beside the editor."""
    return full if is_wide() else compact


def wide_board() -> bool:
    """The toggle that gives the board the whole width (the editor goes under it),
    remembered for the session; whether it is on."""
    return bool(
        st.toggle(
            "Wide board",
            key=_WIDE,
            help="Give the board the whole width, the editor under it: for reading long "
            "tables. Off: the editor beside the board.",
        )
    )


def fold(label: str, *, key: str, icon: str | None = None) -> DeltaGenerator | None:
    """A folded expander whose content is sent to the browser only while it is open:
    the expander to draw into when it is, else None (draw nothing).

    A folded expander's content is still laid out by the browser; on the large canvas
    the folded parts of a page (a long lane's further cards, an item's history, every
    feature's verdict) cost more to draw than what is on screen (docs/ARCHITECTURE.md,
    "Budgets"). Unfolding reruns the page, or only its fragment when it is in one.
    """
    panel = st.expander(label, key=key, icon=icon, on_change="rerun")
    return panel if panel.open else None
