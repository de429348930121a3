"""The workshop's live board as HTML: what a run of the live fragment shows as text —
who is here, the notes in their themes, the placeholders of hidden notes, the
features, the vote results — drawn as one ``st.html`` block each, not as a bordered
container, a markdown and a caption per note.

Why (docs/ARCHITECTURE.md, "Live sync"): a pushed change reruns the board on every
screen of the room at once, and Chromium spends about a millisecond of React work per
Streamlit element on each run, whatever the element holds; one ``st.html`` block of
fifty notes costs about as much as one element. The vote results are bars in HTML
rather than a Vega chart, which Chromium took 200-600 ms to embed again after each
vote. Only what takes a click stays a widget: the vote buttons, under their note.

User text is data: every piece of it goes through :func:`html.escape` here (and
``st.html`` sanitises on top); nothing of it reaches Markdown. The look is one
stylesheet (:data:`CSS`), sent once per run of the page, outside the fragment.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from strategy_canvas import charts
from strategy_canvas.charts.workshop import vote_rows
from strategy_canvas.services import items
from strategy_canvas.ui.text import icon as html_icon

if TYPE_CHECKING:
    from strategy_canvas.services import workshops

#: the board's look, with the app theme's colours (.streamlit/config.toml)
CSS = """<style>
.sc-ws { color: #1F2937; font-size: 1rem; line-height: 1.6; }
.sc-ws p { margin: 0 0 0.5rem; font-size: inherit; }
.sc-ws-box { border: 1px solid #E3E5EC; border-radius: 0.6rem; padding: 0.9rem 1rem; }
.sc-ws > .sc-ws-box + .sc-ws-box, .sc-ws > .sc-ws-grid + .sc-ws-box { margin-top: 1rem; }
.sc-ws > .sc-ws-box + .sc-ws-head { margin-top: 1rem; }
.sc-ws-grid { display: grid; gap: 1rem; align-items: start; margin-bottom: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 12rem), 1fr)); }
.sc-ws-grid[data-cols="3"] { grid-template-columns:
  repeat(auto-fill, minmax(max(12rem, calc((100% - 2rem) / 3)), 1fr)); }
.sc-ws-grid[data-cols="4"] { grid-template-columns:
  repeat(auto-fill, minmax(max(12rem, calc((100% - 3rem) / 4)), 1fr)); }
.sc-ws-box > .sc-ws-grid:last-child { margin-bottom: 0; }
.sc-ws-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.sc-ws-title { font-weight: 600; overflow-wrap: anywhere; }
.sc-ws-meta { color: #6B7280; font-size: 0.875em; margin-top: 0.25rem;
  overflow-wrap: anywhere; }
.sc-ws p.sc-ws-theme { font-size: 1.25em; font-weight: 600; line-height: 1.3; margin: 0;
  overflow-wrap: anywhere; }
.sc-ws-head { margin: 0 0 0.5rem; }
.sc-ws-badge { display: inline-block; border-radius: 0.5rem; padding: 0 0.4rem;
  margin: 0.15rem 0.25rem 0.15rem 0; font-size: 0.875em; line-height: 1.5;
  white-space: nowrap; max-width: 100%; overflow: hidden; text-overflow: ellipsis;
  vertical-align: middle; }
.sc-ws-violet { background: #EDE9FE; color: #5B21B6; }
.sc-ws-green { background: #DCFCE7; color: #166534; }
.sc-ws-blue { background: #DBEAFE; color: #1E40AF; }
.sc-ws-gray { background: #F1F2F6; color: #4B5563; }
.sc-ws-ok { color: #15803D; }
.sc-ws-icon { font-family: "Material Symbols Rounded"; font-weight: 400; font-style: normal;
  font-size: 1.1em; line-height: 1; vertical-align: -0.2em; margin-right: 0.2rem;
  -webkit-font-feature-settings: "liga"; font-feature-settings: "liga";
  display: inline-block; user-select: none; }
.sc-ws-tally { margin: 0.5rem 0 1rem; }
.sc-ws-tally-title { font-weight: 600; margin-bottom: 0.4rem; }
.sc-ws-row { display: grid; grid-template-columns: minmax(6rem, 2fr) 3fr; gap: 0.75rem;
  align-items: center; margin: 0.2rem 0; }
.sc-ws-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  font-size: 0.9em; text-align: right; }
.sc-ws-track { display: flex; align-items: center; gap: 0.4rem; min-width: 0; }
.sc-ws-bar { height: 1.1em; border-radius: 0 3px 3px 0; min-width: 2px; }
.sc-ws-n { font-size: 0.9em; font-variant-numeric: tabular-nums; }
.sc-ws-key { color: #6B7280; font-size: 0.875em; margin-top: 0.3rem; }
.sc-ws-swatch { display: inline-block; width: 0.7rem; height: 0.7rem; border-radius: 2px;
  margin: 0 0.3rem 0 0.6rem; vertical-align: -0.05em; }
.sc-ws > * + * { margin-top: 1rem; }
.sc-ws h3.sc-ws-step { font-size: 1.5rem; font-weight: 600; line-height: 1.2;
  margin: 0 0 0.5rem; padding: 0; overflow-wrap: anywhere; }
.sc-ws-phase { margin: 0 0 0.25rem; }
.sc-ws-status { display: grid; grid-template-columns: 2fr 3fr; gap: 1rem; align-items: start; }
.sc-ws-status > * + * { margin-top: 0; }
.sc-ws-alert { border-radius: 0.5rem; padding: 0.75rem 1rem; overflow-wrap: anywhere; }
.sc-ws-info { background: rgba(28, 131, 225, 0.1); color: #004280; }
.sc-ws-warning { background: rgba(255, 227, 18, 0.12); color: #7A5A00; }
.sc-ws-error { background: rgba(255, 43, 43, 0.09); color: #7D353B; }
.sc-ws-votes { display: flex; gap: 0.5rem; margin-top: 0.5rem; align-items: center; }
.sc-ws-vote { font: inherit; font-size: 0.95rem; line-height: 1.6; padding: 0.2rem 0.75rem;
  border-radius: 0.5rem; border: 1px solid rgba(49, 51, 63, 0.2); background: #FFFFFF;
  color: inherit; cursor: pointer; display: inline-flex; align-items: center; }
.sc-ws-vote:hover:not(:disabled) { border-color: #FF4B4B; color: #FF4B4B; }
.sc-ws-vote:focus-visible { outline: 2px solid #FF4B4B; outline-offset: 1px; }
.sc-ws-vote.sc-ws-tertiary { border-color: transparent; background: transparent; }
.sc-ws-vote:disabled { cursor: not-allowed; opacity: 0.45; }
.sc-ws-clockbox .sc-ws-label { font-size: 0.85rem; color: #6B7280; text-align: left;
  white-space: normal; }
.sc-ws-clock { font-size: 2.4rem; font-weight: 700; line-height: 1.1;
  font-variant-numeric: tabular-nums; color: #1F2937; }
.sc-ws-clock[data-state="soon"] { color: #B45309; }
.sc-ws-clock[data-state="up"] { color: #B91C1C; }
.sc-ws-big .sc-ws-clock { font-size: 4.5rem; }
.sc-ws-scores { width: 100%; border-collapse: collapse; font-size: 0.9em; }
.sc-ws-scores th { text-align: left; font-weight: 600; color: #6B7280;
  border-bottom: 1px solid #E3E5EC; padding: 0.3rem 0.5rem; }
.sc-ws-scores td { border-bottom: 1px solid #F1F2F6; padding: 0.3rem 0.5rem;
  font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.sc-ws-scores .sc-ws-bar { display: inline-block; height: 0.6em; background: #FF4B4B;
  border-radius: 2px; margin-right: 0.4rem; vertical-align: middle; }
.sc-ws-projector { display: grid; grid-template-columns: 3fr 2fr; gap: 1.5rem; }
.sc-ws-projector > * + * { margin-top: 0; }
.sc-ws-projector > div > * + * { margin-top: 0.75rem; }
.sc-ws > * + p.sc-ws-head { margin-top: 1rem; }
.sc-ws p.sc-ws-title-big { font-size: 2.6rem; font-weight: 700; line-height: 1.1; margin: 0;
  overflow-wrap: anywhere; }
</style>"""


def style() -> None:
    """The board's stylesheet: once per run of the page (it takes no room)."""
    st.html(CSS)


def show(parts: list[str]) -> None:
    """Draw ``parts`` (built by the functions below) as one block."""
    if parts:
        st.html(wrap(parts))


def icon(name: str) -> str:
    """A Material Symbols icon (the font Streamlit loads for its own icons), sized for
    the board."""
    return html_icon(name, css="sc-ws-icon")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _known(value: object) -> bool:
    """A count that is there (not None, NaN or <NA>: hidden until the reveal)."""
    return value is not None and not pd.isna(value)


# --------------------------------------------------------------------------- presence


def presence(people: workshops.Presence, *, projector: bool = False) -> str:
    """Who is here and who is ready: the counts, then a badge per person."""
    counts = (
        f"{icon('group')}<b>{people.here}</b> here · <b>{people.ready}</b> ready"
        f" · {people.total} joined"
    )
    if projector or people.people.empty:
        return f'<div class="sc-ws-box sc-ws-presence">{counts}</div>'
    badges = []
    frame = people.people
    columns = ("display_name", "me", "is_facilitator", "ready", "here")
    # column by column: this is drawn on every change, itertuples cost more than the rest
    for display_name, me, is_facilitator, ready, here in zip(
        *(frame[c].tolist() for c in columns), strict=True
    ):
        name = escape(str(display_name)) + (" (you)" if me else "")
        if is_facilitator:
            badges.append(_badge("violet", f"{icon('co_present')}{name}"))
        elif not here:  # a ready flag of someone who left is not shown as ready either
            badges.append(_badge("gray", f"{name} · away"))
        elif ready:
            badges.append(_badge("green", f"{icon('check_circle')}{name}"))
        else:
            badges.append(_badge("blue", name))
    return f'<div class="sc-ws-box sc-ws-presence">{counts}<br>{"".join(badges)}</div>'


def _badge(colour: str, inner: str) -> str:
    return f'<span class="sc-ws-badge sc-ws-{colour}">{inner}</span>'


# ------------------------------------------------------------------------------ notes


def head(text: str) -> str:
    """A line of the board (``text`` is HTML already escaped)."""
    return f'<p class="sc-ws-head">{text}</p>'


def meta(text: str) -> str:
    """A caption-like line (``text`` is HTML already escaped)."""
    return f'<div class="sc-ws-meta">{text}</div>'


def note_body(note: dict[str, Any], board: workshops.Board) -> str:
    """A note's text, then who wrote it, its votes and what it became."""
    bits = []
    if note["mine"]:
        bits.append("yours")
    elif isinstance(note["author"], str):
        bits.append(escape(note["author"]))
    votes = note["votes"]
    if _known(votes) and (votes or board.votes_revealed):
        bits.append(f"<b>{int(votes)}</b> vote{'' if int(votes) == 1 else 's'}")
    if note["my_votes"]:
        bits.append(f"you gave {int(note['my_votes'])}")
    kind = note["promoted_kind"]
    if isinstance(kind, str):
        label = items.ITEM_TYPES[kind].label if kind in items.ITEM_TYPES else kind
        bits.append(
            f'<span class="sc-ws-ok">{icon("check")}{escape(label)} '
            f"#{int(note['promoted_item_id'])}</span>"
        )
    text = f'<div class="sc-ws-text">{escape(str(note["text"]))}</div>'
    return text + (meta(" · ".join(bits)) if bits else "")


def grid(cards: list[str], per_row: int) -> str:
    """Cards side by side, ``per_row`` to a row where the width allows."""
    boxes = "".join(f'<div class="sc-ws-box sc-ws-card">{card}</div>' for card in cards)
    return f'<div class="sc-ws-grid" data-cols="{per_row}">{boxes}</div>'


def theme_head(theme: dict[str, Any], members: int) -> str:
    """A theme's name, how many notes it holds and their votes."""
    votes = theme["votes"]
    total = f" · {int(votes)} votes" if _known(votes) else ""
    return f'<p class="sc-ws-theme">{escape(str(theme["name"]))}</p>' + meta(
        f"{_plural(members, 'note')}{total}"
    )


def theme_box(theme: dict[str, Any], cards: list[str], per_row: int) -> str:
    """A theme with its notes, in one box."""
    inner = theme_head(theme, len(cards)) + (grid(cards, per_row) if cards else "")
    return f'<div class="sc-ws-box sc-ws-themebox">{inner}</div>'


def hidden(notes: list[dict[str, Any]]) -> str:
    """Others' notes before the reveal: a placeholder each, no text (the services sent
    none), the author only when notes are not anonymous."""
    if not notes:
        return ""
    chips = []
    for note in notes:
        author = note["author"]
        who = escape(author) if isinstance(author, str) else ""
        chips.append(_badge("gray", f"{icon('visibility_off')}{who}"))
    noun = "note" if len(notes) == 1 else "notes"
    return (
        f'<div class="sc-ws-hidden">{"".join(chips)}'
        f'<div class="sc-ws-meta">{len(notes)} {noun} by others, hidden until the reveal'
        "</div></div>"
    )


# --------------------------------------------------------------------------- features


def feature_body(row: dict[str, Any]) -> str:
    """A feature's title, its votes and the viewer's."""
    bits = []
    if _known(row["votes"]):
        bits.append(f"<b>{int(row['votes'])}</b> votes")
    if row["my_votes"]:
        bits.append(f"you gave {int(row['my_votes'])}")
    title = f'<div class="sc-ws-title">{escape(str(row["title"]))}</div>'
    return title + (meta(" · ".join(bits)) if bits else "")


# ------------------------------------------------------------------------------ votes


def tally(frame: pd.DataFrame, title: str) -> str:
    """The vote results as bars, most votes first: the rows of
    :func:`strategy_canvas.charts.workshop.vote_rows`, the same as the reports' chart."""
    rows = vote_rows(frame)
    top = max(int(rows["votes"].max()), 1) if len(rows) else 1
    lines = []
    for item, what, votes in zip(rows["item"], rows["what"], rows["votes"], strict=True):
        colour = charts.VOTE_KIND_COLOURS.get(str(what), charts.VOTE_KIND_COLOURS["Note"])
        width = 100 * int(votes) / top
        label = escape(str(item))
        lines.append(
            f'<div class="sc-ws-row"><div class="sc-ws-label" title="{label}">{label}</div>'
            f'<div class="sc-ws-track"><div class="sc-ws-bar" style="width:{width:.1f}%;'
            f'background:{colour}"></div><span class="sc-ws-n">{int(votes)}</span></div></div>'
        )
    key = ""
    kinds = list(dict.fromkeys(str(w) for w in rows["what"]))
    if len(kinds) > 1:
        key = (
            '<div class="sc-ws-key">'
            + "".join(
                f'<span class="sc-ws-swatch" style="background:'
                f'{charts.VOTE_KIND_COLOURS.get(k, "#999")}"></span>{escape(k)}'
                for k in kinds
            )
            + "</div>"
        )
    return (
        f'<div class="sc-ws-tally" role="figure" aria-label="{escape(title)}">'
        f'<div class="sc-ws-tally-title">{escape(title)}</div>{"".join(lines)}{key}</div>'
    )


# ------------------------------------------------------------- header, alerts, timer


def step_head(title: str, phase: str, hint: str, lines: list[str]) -> str:
    """The step this screen shows ("Step 2 of 5 · Vision"), its phase and what people do
    in it; ``lines``: captions under it (plain text)."""
    out = f'<h3 class="sc-ws-step">{escape(title)}</h3>'
    if phase:
        out += f'<p class="sc-ws-phase">{_badge("violet", escape(phase))} {escape(hint)}</p>'
    return out + "".join(meta(escape(line)) for line in lines)


def alert(kind: str, icon_name: str, text: str) -> str:
    """A message box like Streamlit's (``kind``: info, warning, error); ``text`` is
    HTML already escaped."""
    role = "alert" if kind == "error" else "status"
    return f'<div class="sc-ws-alert sc-ws-{kind}" role="{role}">{icon(icon_name)}{text}</div>'


def clock(*, ends_ms: int, label: str, text: str, state: str, was_up: bool, big: bool) -> str:
    """The shared countdown: ``text`` as it stands now; the live element ticks it in the
    browser on the server's clock (``data-ends``; the element is told the server's time
    with each board), and fetches the board when it reaches zero (read-only and the
    hints follow)."""
    return (
        f'<div class="sc-ws-box sc-ws-clockbox{" sc-ws-big" if big else ""}" '
        f'data-ends="{ends_ms}" data-was-up="{int(was_up)}">'
        f'<div class="sc-ws-label">{icon("timer")}{escape(label)}</div>'
        f'<div class="sc-ws-clock" data-state="{state}">{escape(text)}</div></div>'
    )


def vote_buttons(
    *, kind: str, target_id: int, mine: int, left: int, cap: int, budget: int, closed: str | None
) -> str:
    """+1 and −1 under an item, for the live element (its script sends the click)."""
    up_off = left <= 0 or mine >= cap or closed is not None
    up_help = closed or (
        f"Give it a vote: {left} of your {budget} left; at most {cap} on one item."
    )

    def button(up: bool, off: bool, label: str, help_text: str, extra: str) -> str:
        return (
            f'<button type="button" class="sc-ws-vote{extra}" '
            f'data-vote="{kind}:{target_id}:{int(up)}:{mine}" title="{escape(help_text)}"'
            f' aria-label="{escape(label)}"{" disabled" if off else ""}>'
            f"{icon('how_to_vote') if up else ''}{'+1' if up else '−1'}</button>"
        )

    return (
        '<div class="sc-ws-votes">'
        + button(True, up_off, "+1", up_help, "")
        + button(False, mine <= 0, "−1", "Take one of your votes back.", " sc-ws-tertiary")
        + "</div>"
    )


def scores_table(frame: pd.DataFrame) -> str:
    """The blind scores once revealed: per feature the number of scores, mean value and
    effort (bars on 1–10) and their spread, and the flag for discussion."""

    def bar(value: float) -> str:
        width = max(0.0, min(10.0, value)) * 0.6  # rem: 10 is 6 rem
        return f'<span class="sc-ws-bar" style="width:{width:.2f}rem"></span>{value:.1f}'

    def num(value: object) -> str:
        return f"{float(value):.1f}" if _known(value) else "—"  # type: ignore[arg-type]

    rows = []
    columns = ("title", "scores", "mean_value", "value_std", "mean_effort", "effort_std")
    flags = frame["discuss"].fillna(False).astype(bool).tolist()
    for (title, scores, value, value_std, effort, effort_std), flag in zip(
        zip(*(frame[c].tolist() for c in columns), strict=True), flags, strict=True
    ):
        rows.append(
            f"<tr><td>{escape(str(title))}</td><td>{int(scores)}</td>"
            f"<td>{bar(float(value)) if _known(value) else '—'}</td><td>{num(value_std)}</td>"
            f"<td>{bar(float(effort)) if _known(effort) else '—'}</td><td>{num(effort_std)}</td>"
            f"<td>{icon('forum') + 'Discuss' if flag else ''}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Feature", "Scores", "Value", "Value ±", "Effort", "Effort ±", "Discuss")
    )
    return (
        f'<table class="sc-ws-scores"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def wrap(parts: list[str]) -> str:
    """``parts`` as the board's one block (what :func:`show` draws)."""
    return f'<div class="sc-ws">{"".join(parts)}</div>'
