"""The Vision step's own pieces: the board and the guided vision-statement builder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from strategy_canvas import vision_statement
from strategy_canvas.services import canvases
from strategy_canvas.ui import board, chart_view, editor, text
from strategy_canvas.ui.context import Frames
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from collections.abc import Callable

    from strategy_canvas.ui.context import PageContext


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _number(value: Any, unit: str) -> str:
    if value is None or pd.isna(value):
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def render_board(frames: Frames) -> None:
    """The vision as the team and stakeholders read it, then goals and key results."""
    vision = frames["vision"].iloc[0] if len(frames["vision"]) else None
    with st.container(border=True):
        statement = _text(vision["statement"]) if vision is not None else ""
        if statement:
            st.markdown(f"### {md(statement)}")
        else:
            st.caption(
                "No vision statement yet — build it with the sentence builder in the "
                "editor, or write your own."
            )
        if vision is not None:
            parts = [("Value proposition", "value_proposition"), ("Non-goals", "non_goals")]
            north = _text(vision["north_star_metric"])
            if north:
                target = _text(vision["north_star_target"])
                st.markdown(
                    f":gray[North-star metric:] **{md(north)}**"
                    + (f" — target {md(target)}" if target else "")
                )
            for label, name in parts:
                if _text(vision[name]):
                    st.markdown(f":gray[{label}:] {md(_text(vision[name]))}")

    goals, key_results = frames["goal"], frames["key_result"]
    st.markdown(f"**Goals** · {len(goals)}")
    if goals.empty:
        st.caption("No goals yet — add two to four goals, each with measurable key results.")
        return
    st.html(  # one element for every goal (docs/ARCHITECTURE.md, "Budgets")
        chart_view.cached(frames, "vision.goals", lambda: text.cards(goal_cards(frames)))
    )
    orphans = key_results[key_results["goal_id"].isna()]
    if not orphans.empty:
        st.caption(f"{len(orphans)} key result(s) are not tied to a goal yet.")


def goal_cards(frames: Frames) -> list[str]:
    """Each goal as an HTML card: its title, for whom, what it means, and its key
    results (metric: baseline → target, by when). User text is escaped."""
    goals, key_results = frames["goal"], frames["key_result"]
    personas = board.titles(frames, "persona")
    cards = []
    for goal in goals.to_dict("records"):
        lines = [text.line(text.h(_text(goal["title"])), strong=True)]
        persona = personas.get(goal["persona_id"]) if _text(goal["persona_id"]) else None
        if persona:
            lines.append(text.line(f"for {text.h(persona)}", "gray"))
        if _text(goal["description"]):
            lines.append(text.line(text.h(_text(goal["description"]))))
        mine = key_results[key_results["goal_id"] == goal["id"]]
        if mine.empty:
            lines.append(
                text.line("No key result yet — add one with a metric, a target and a date.", "gray")
            )
        results = []
        for kr in mine.to_dict("records"):
            due = kr["target_date"]
            due_text = f" by {pd.Timestamp(due):%-d %b %Y}" if _text(due) else ""
            results.append(
                f"<li>{text.h(_text(kr['metric']))}: {text.h(_number(kr['baseline'], kr['unit']))}"
                f' → <span class="sc-strong">{text.h(_number(kr["target"], kr["unit"]))}</span>'
                f"{text.h(due_text)}</li>"
            )
        if results:
            lines.append('<ul class="sc-list">' + "".join(results) + "</ul>")
        cards.append(text.card(lines))
    return cards


#: the vision editor's parts, one shown at a time: the vision itself, and the builder
#: of its sentence from the classic template's parts
PARTS: dict[str, tuple[str, ...]] = {
    "Vision": (
        "statement",
        "value_proposition",
        "north_star_metric",
        "north_star_target",
        "non_goals",
    ),
    "Sentence builder": vision_statement.PARTS,
}
PART_KEY = "vision.part"
_PART_ICONS = {"Vision": ":material/flag:", "Sentence builder": ":material/build:"}


def _use_sentence(ctx: PageContext, vision_id: int, sentence: str) -> None:
    """Put the built sentence into the statement, and show it there."""
    edit = editor.Edit.get("vision", vision_id)
    if edit is not None:
        edit.set_value(ctx, "statement", sentence)
    st.session_state[PART_KEY] = "Vision"


def _builder_layout(ctx: PageContext, vision_id: int) -> Callable[[Callable[[str], Any]], None]:
    def layout(draw: Callable[[str], Any]) -> None:
        part = editor.part_control(
            PART_KEY,
            _PART_ICONS,
            label="Part of the vision",
            parts=PARTS,
            scope=("vision", vision_id),
        )
        if part == "Vision":
            draw("statement")
            draw("value_proposition")
            left, right = st.columns(2)
            with left:
                draw("north_star_metric")
            with right:
                draw("north_star_target")
            draw("non_goals")
            return
        st.markdown("**Build the sentence** — fill the parts, then use the sentence.")
        left, right = st.columns(2)
        with left:
            for name in ("target", "need", "product_name", "category"):
                draw(name)
        with right:
            for name in ("benefit", "alternative", "differentiator"):
                draw(name)
        edit = editor.Edit.get("vision", vision_id)
        parts = {n: edit.value(n) if edit else None for n in vision_statement.PARTS}
        sentence = vision_statement.compose(parts)
        st.info(md(sentence), icon=":material/format_quote:")
        st.button(
            "Use this sentence as the vision statement",
            key="vision.use_sentence",
            icon=":material/arrow_downward:",
            disabled=not vision_statement.is_complete(parts),
            help="Fill every part first." if not vision_statement.is_complete(parts) else None,
            on_click=_use_sentence,
            args=(ctx, vision_id, sentence),
        )

    return layout


def vision_editor(ctx: PageContext) -> None:
    """The one vision of the canvas, with the guided builder beside free text."""
    assert ctx.token is not None
    with ctx.read() as session:
        vision = canvases.get_vision(session=session, canvas_token=ctx.token)
    assert vision.id is not None
    editor.notice("vision")
    editor.editor(
        ctx, "vision", vision.id, layout=_builder_layout(ctx, vision.id), allow_delete=False
    )
