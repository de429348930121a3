"""Step 5 closes the loop: what users said goes back to step 1, and what was decided.

- :func:`send_to_step_one` turns a piece of feedback that reveals a new problem, persona
  or assumption into that item of step 1, in one action. The feedback itself is left as
  it is; the new item says in its own text where it came from (:func:`provenance`), and
  :func:`sent_from` finds the items a feedback has become.
- :func:`decision_log` / :func:`decisions_by_feature`: every shipped or building feature
  with its decision (declare victory, iterate, roll back) or none yet.
- :func:`kpis_against_target`: each key result's latest reading against its baseline and
  target, by the rule of :mod:`strategy_canvas.rules.kpi_progress`.

:func:`decision_log` and :func:`feedback_latest_first` are pure (DataFrames in, a
DataFrame out), so the canvas snapshot derives them from the tables it holds; the
``session`` functions load those tables and call them.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

import pandas as pd
from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.rules import kpi_progress
from strategy_canvas.services import items
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import ConflictError, ValidationFailed

SendKind = Literal["problem", "persona", "assumption"]
SEND_KINDS: tuple[str, ...] = get_args(SendKind)

#: The persona's name when neither a name nor the feedback's author is given.
DEFAULT_PERSONA_NAME = "New persona from feedback"

SOURCE_LABELS = {
    "usability_test": "usability test",
    "interview": "interview",
    "survey": "survey",
    "analytics": "analytics",
    "support": "support",
    "other": "other source",
}

#: The provenance line's fixed part; :func:`sent_from` finds items by it.
_MARKER = "Sent back from step 5: feedback #"
_MARKER_RE = re.compile(re.escape(_MARKER) + r"(\d+)\b")
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")

DECISION_LABELS = m.DECISION_LABELS
#: features whose outcome needs a decision; others appear in the log once decided
DECIDABLE_STATUSES = ("shipped", "building")
_STATUS_ORDER = {"shipped": 0, "building": 1}


# ----------------------------------------------------------------- send to step 1


def first_sentence(text: str, *, limit: int = m.SHORT) -> str:
    """The first sentence (or line) of ``text``, cut at a word to at most ``limit``.

    A final full stop is dropped (titles read better without it); ``?`` and ``!`` stay.
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    end = _SENTENCE_END.search(first)
    sentence = first[: end.end()] if end else first
    sentence = sentence.removesuffix(".").strip()
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def provenance(feedback: m.Feedback) -> str:
    """Where an item sent back to step 1 came from, as one line of its text."""
    details = [SOURCE_LABELS.get(feedback.source, feedback.source)]
    if feedback.author:
        details.append(feedback.author)
    if feedback.received_on is not None:
        details.append(feedback.received_on.isoformat())
    return f"{_MARKER}{feedback.id} ({', '.join(details)})."


def _with_provenance(text: str, origin: str, limit: int) -> str:
    """``text`` then ``origin`` on a line of its own, the text cut to fit in ``limit``."""
    room = limit - len(origin) - 2
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{text}\n\n{origin}"


def _new_item_data(feedback: m.Feedback, as_kind: str, name: str | None) -> dict[str, Any]:
    origin = provenance(feedback)
    text = feedback.text.strip()
    if as_kind == "problem":
        return {
            "title": name if name is not None else first_sentence(text) or "Problem from feedback",
            "statement": _with_provenance(text, origin, m.LONG),
        }
    if as_kind == "persona":
        return {
            "name": name if name is not None else (feedback.author or DEFAULT_PERSONA_NAME),
            "description": _with_provenance(f"“{text}”", origin, m.MEDIUM),
        }
    return {
        "statement": _with_provenance(text, origin, m.MEDIUM),
        "persona_id": feedback.persona_id,
    }


def send_to_step_one(
    *,
    session: Session,
    canvas_token: str,
    feedback_id: int,
    as_kind: SendKind,
    expected_version: int | None = None,
    name: str | None = None,
    actor: Actor | None = None,
) -> m.CanvasItem:
    """Create a problem, persona or assumption of step 1 from a piece of feedback (made
    by ``actor``, for the history).

    - a **problem**: its title is the feedback's first sentence (at most 200 characters),
      its statement the whole text followed by where it came from;
    - a **persona**: named ``name``, else the feedback's author, else
      :data:`DEFAULT_PERSONA_NAME`; its description quotes the feedback;
    - an **assumption**: its statement is the feedback, tied to the feedback's persona.

    ``name`` also replaces a problem's title; an assumption ignores it. The new item's
    text ends with :func:`provenance` (the feedback is not changed), so the item and
    :func:`sent_from` can tell where it came from. ``expected_version``, when given, is
    the feedback's version the user was looking at: if it was changed since, nothing is
    created and :class:`ConflictError` carries the stored feedback.

    Raises ValidationFailed for another ``as_kind`` or a bad ``name``, NotFound when the
    feedback is not one of this canvas's.
    """
    if as_kind not in SEND_KINDS:
        raise ValidationFailed.single(
            "as_kind",
            "Send to step 1 as",
            "must be a problem, a persona or an assumption",
            what="Feedback",
        )
    feedback = items.get_item(
        session=session, canvas_token=canvas_token, kind="feedback", item_id=feedback_id
    )
    if expected_version is not None and feedback.version != expected_version:
        session.expunge(feedback)
        session.rollback()
        raise ConflictError(
            "feedback",
            feedback_id,
            current=feedback,
            attempted={"send_to_step_one": as_kind},
            expected_version=expected_version,
        )
    data = _new_item_data(feedback, as_kind, name)
    session.rollback()  # end the read, so the write starts a transaction of its own
    return items.create_item(
        session=session, canvas_token=canvas_token, kind=as_kind, data=data, actor=actor
    )


def sent_from(*, session: Session, canvas_token: str, feedback_id: int) -> list[tuple[str, Any]]:
    """(kind, item) of each step-1 item made from the feedback, in step-1 order."""
    found = []
    for kind, text_field in (
        ("problem", "statement"),
        ("persona", "description"),
        ("assumption", "statement"),
    ):
        for row in items.list_items(session=session, canvas_token=canvas_token, kind=kind):
            ids = {int(i) for i in _MARKER_RE.findall(getattr(row, text_field) or "")}
            if feedback_id in ids:
                found.append((kind, row))
    return found


# ------------------------------------------------------------------ decision log


def decision_log(features: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """Every shipped or building feature, and any other feature that has a decision,
    with its decision or none.

    Columns: ``feature_id``, ``feature``, ``status``, ``decision_id``, ``decision``
    (victory / iterate / rollback or None), ``rationale``, ``decided_on`` and
    ``needs_decision`` (shipped and not decided). Rows needing a decision come first,
    then shipped, then building features, each in the features' list order.
    """
    columns = [
        "feature_id",
        "feature",
        "status",
        "decision_id",
        "decision",
        "rationale",
        "decided_on",
        "needs_decision",
    ]
    by_feature = (
        {int(row["feature_id"]): row for row in decisions.to_dict("records")}
        if not decisions.empty
        else {}
    )
    rows = []
    for order, feature in enumerate(features.to_dict("records")):
        decided = by_feature.get(int(feature["id"]))
        if feature["status"] not in DECIDABLE_STATUSES and decided is None:
            continue
        rows.append(
            {
                "feature_id": int(feature["id"]),
                "feature": feature["title"],
                "status": feature["status"],
                "decision_id": int(decided["id"]) if decided else None,
                "decision": decided["decision"] if decided else None,
                "rationale": decided["rationale"] if decided else "",
                "decided_on": decided["decided_on"] if decided else None,
                "needs_decision": feature["status"] == "shipped" and decided is None,
                "_order": (
                    0 if feature["status"] == "shipped" and decided is None else 1,
                    _STATUS_ORDER.get(feature["status"], 2),
                    order,
                ),
            }
        )
    rows.sort(key=lambda r: r.pop("_order"))
    return pd.DataFrame(rows, columns=columns).astype({"decision_id": "Int64"})


def decisions_by_feature(*, session: Session, canvas_token: str) -> pd.DataFrame:
    """:func:`decision_log` of the canvas."""
    return decision_log(
        items.items_frame(session=session, canvas_token=canvas_token, kind="feature"),
        items.items_frame(session=session, canvas_token=canvas_token, kind="decision"),
    )


# --------------------------------------------------------------- KPIs vs target


def kpis_against_target(*, session: Session, canvas_token: str) -> pd.DataFrame:
    """Each key result's latest reading against its target
    (:func:`strategy_canvas.rules.kpi_progress.kpi_table`)."""
    return kpi_progress.kpi_table(
        items.items_frame(session=session, canvas_token=canvas_token, kind="key_result"),
        items.items_frame(session=session, canvas_token=canvas_token, kind="kpi_reading"),
    )


# --------------------------------------------------------------------- feedback


def feedback_latest_first(feedback: pd.DataFrame) -> pd.DataFrame:
    """The feedback, newest first (by date, undated last, then the latest added)."""
    if feedback.empty:
        return feedback
    frame = feedback.assign(_on=pd.to_datetime(feedback["received_on"]))
    frame = frame.sort_values(["_on", "id"], ascending=[False, False], na_position="last")
    return frame.drop(columns=["_on"]).reset_index(drop=True)
