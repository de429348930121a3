"""What a workshop produced, as plain data for the export."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services import items
from strategy_canvas.services.errors import (
    NotFound,
)
from strategy_canvas.services.workshops.boards import score_rows
from strategy_canvas.services.workshops.common import (
    merge_promoted,
    shorten,
    vote_key,
)
from strategy_canvas.services.workshops.promotion import ACTION_KINDS


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def summary(*, session: Session, canvas_token: str, workshop_id: int) -> dict[str, Any]:
    """What the workshop produced, as plain JSON-ready data for the export.

    Needs the canvas token. ``decisions`` and ``actions`` are the items promoted from
    notes (actions: roadmap items, risks, flaws), each with the note it came from and
    the note's votes; ``appendix`` holds the notes never promoted, the themes and the
    vote results, and the blind scores. Authors are named only when notes were not
    anonymous.
    """
    canvas_id = items.canvas_id_for(session, canvas_token)
    session.expire_all()
    workshop = session.exec(
        select(m.Workshop).where(m.Workshop.id == workshop_id, m.Workshop.canvas_id == canvas_id)
    ).first()
    if workshop is None:
        raise NotFound("This canvas has no such workshop.")
    people = {
        p.id: p
        for p in session.exec(
            select(m.Participant)
            .where(m.Participant.workshop_id == workshop_id)
            .order_by(col(m.Participant.id))
        )
    }
    themes = {
        t.id: t
        for t in session.exec(
            select(m.Theme).where(m.Theme.workshop_id == workshop_id).order_by(col(m.Theme.id))
        )
    }
    notes = list(
        session.exec(
            select(m.Note)
            .where(m.Note.workshop_id == workshop_id)
            .order_by(col(m.Note.step), col(m.Note.id))
        )
    )
    totals: Counter[tuple[str, int]] = Counter()
    vote_steps: dict[tuple[str, int], int] = {}
    for note_id, feature_id, step in session.exec(
        select(m.Vote.note_id, m.Vote.feature_id, m.Vote.step).where(
            m.Vote.workshop_id == workshop_id
        )
    ):
        target = vote_key(note_id, feature_id)
        totals[target] += 1
        vote_steps[target] = step

    def author(note: m.Note) -> str | None:
        person = people.get(note.participant_id)
        return None if workshop.anonymous_notes or person is None else person.display_name

    decisions: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    unpromoted: list[dict[str, Any]] = []
    for note in notes:
        votes = totals[("note", note.id or 0)]
        theme = themes.get(note.theme_id)
        if note.promoted_kind is None or note.promoted_item_id is None:
            unpromoted.append(
                {
                    "note_id": note.id,
                    "step": note.step,
                    "text": note.text,
                    "theme": theme.name if theme is not None else None,
                    "author": author(note),
                    "votes": votes,
                }
            )
            continue
        spec = items.item_type(note.promoted_kind)
        item = session.exec(
            select(spec.table).where(
                spec.table.id == note.promoted_item_id, spec.table.canvas_id == canvas_id
            )
        ).first()
        entry = {
            "step": note.step,
            "kind": note.promoted_kind,
            "kind_label": spec.label,
            "item_id": note.promoted_item_id,
            "title": items.item_title(item) if item is not None else None,
            "still_exists": item is not None,
            "note_id": note.id,
            "note": note.text,
            "theme": theme.name if theme is not None else None,
            "votes": votes,
        }
        (actions if note.promoted_kind in ACTION_KINDS else decisions).append(entry)

    labels = {("note", n.id or 0): shorten(n.text) for n in notes}
    for feature_id, title in session.exec(
        select(m.Feature.id, m.Feature.title).where(m.Feature.canvas_id == canvas_id)
    ):
        labels[("feature", feature_id or 0)] = shorten(title)
    became_feature = {
        n.id or 0: n.promoted_item_id
        for n in notes
        if n.promoted_kind == "feature" and n.promoted_item_id is not None
    }
    for note_id, feature_id in became_feature.items():
        vote_steps.setdefault(("feature", feature_id), vote_steps.get(("note", note_id), 3))
    totals_by_item = merge_promoted(totals, became_feature)
    vote_results: list[dict[str, Any]] = sorted(
        (
            {
                "step": vote_steps[target],
                "target_kind": target[0],
                "target_id": target[1],
                "label": labels.get(target, ""),
                "votes": count,
            }
            for target, count in totals_by_item.items()
        ),
        key=lambda r: (r["step"], -r["votes"], r["target_kind"], r["target_id"]),
    )
    theme_rows = []
    for theme in themes.values():
        members = [n for n in notes if n.theme_id == theme.id]
        theme_rows.append(
            {
                "theme_id": theme.id,
                "step": theme.step,
                "name": theme.name,
                "notes": len(members),
                "votes": sum(totals[("note", n.id or 0)] for n in members),
            }
        )
    scored, scorers = score_rows(session, workshop, me=None, visible=True)
    scores = [
        {k: v for k, v in r.items() if k not in ("my_value", "my_effort")}
        for r in scored
        if r["scores"]
    ]
    facilitator = next((p.display_name for p in people.values() if p.is_facilitator), None)
    return {
        "workshop": {
            "id": workshop.id,
            "title": workshop.title,
            "status": workshop.status,
            "started_at": _iso(workshop.started_at),
            "ended_at": _iso(workshop.ended_at),
            "facilitator": facilitator,
            "participants": len(people),
            "anonymous_notes": workshop.anonymous_notes,
            "vote_budget": workshop.vote_budget,
            "vote_cap": workshop.vote_cap,
        },
        "decisions": decisions,
        "actions": actions,
        "appendix": {
            "notes": unpromoted,
            "themes": theme_rows,
            "votes": vote_results,
            "scores": scores,
        },
        "counts": {
            "notes": len(notes),
            "promoted": len(decisions) + len(actions),
            "votes": sum(totals.values()),
            "scorers": scorers,
            "participants": len(people),
        },
    }


#: the summary's tables, in the order the page and the reports show them: (key, title)
SUMMARY_TABLES: tuple[tuple[str, str], ...] = (
    ("decisions", "Decisions"),
    ("actions", "Actions"),
    ("themes", "Themes"),
    ("votes", "Vote results"),
    ("scores", "Blind scores"),
    ("notes", "Notes never promoted"),
)

_ITEM_COLUMNS = {
    "step": "Step",
    "kind_label": "Became",
    "title": "Item",
    "votes": "Votes",
    "note": "From the note",
    "theme": "Theme",
}
_NOTE_COLUMNS = {
    "step": "Step",
    "text": "Note",
    "theme": "Theme",
    "author": "Author",
    "votes": "Votes",
}
_THEME_COLUMNS = {"step": "Step", "name": "Theme", "notes": "Notes", "votes": "Votes"}
_VOTE_COLUMNS = {"step": "Step", "what": "Voted on", "label": "Item", "votes": "Votes"}
_SCORE_COLUMNS = {
    "title": "Feature",
    "scores": "People who scored",
    "mean_value": "Value (mean)",
    "value_std": "Value spread (±)",
    "value_range": "Value range",
    "mean_effort": "Effort (mean)",
    "effort_std": "Effort spread (±)",
    "effort_range": "Effort range",
    "discuss": "Discuss",
}


def _table(rows: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.rename(columns=columns)


def summary_tables(data: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The tables of a workshop's summary (:func:`summary`'s data) in the product's
    words, for the page, the PDF and the Markdown alike: one function draws the
    numbers wherever they appear. Keys as in :data:`SUMMARY_TABLES`; an empty table
    means nothing of that kind."""
    appendix = data["appendix"]
    decisions = [
        {**r, "title": r["title"] if r["still_exists"] else f"{r['title'] or ''} (deleted)"}
        for r in data["decisions"]
    ]
    actions = [
        {**r, "title": r["title"] if r["still_exists"] else f"{r['title'] or ''} (deleted)"}
        for r in data["actions"]
    ]
    notes = _NOTE_COLUMNS
    if data["workshop"]["anonymous_notes"]:
        notes = {k: v for k, v in _NOTE_COLUMNS.items() if k != "author"}
    votes = [
        {**v, "what": "Feature" if v["target_kind"] == "feature" else "Note"}
        for v in appendix["votes"]
    ]
    scores = [{**s, "discuss": "yes" if s.get("discuss") else ""} for s in appendix["scores"]]
    return {
        "decisions": _table(decisions, _ITEM_COLUMNS),
        "actions": _table(actions, _ITEM_COLUMNS),
        "themes": _table(appendix["themes"], _THEME_COLUMNS),
        "votes": _table(votes, _VOTE_COLUMNS),
        "scores": _table(scores, _SCORE_COLUMNS),
        "notes": _table(appendix["notes"], notes),
    }
