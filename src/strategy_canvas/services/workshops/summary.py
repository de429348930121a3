"""What a workshop produced, as plain data for the export."""

from __future__ import annotations

import json
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


# --------------------------------------------------------- summaries for the reports

#: the largest summary an import keeps (its JSON text)
MAX_SUMMARY_CHARS = 5_000_000
_SUMMARY_LISTS = ("decisions", "actions")
_APPENDIX_LISTS = ("notes", "themes", "votes", "scores")


def summary_choices(*, session: Session, canvas_token: str) -> list[dict[str, Any]]:
    """The workshop summaries the canvas's reports can include, newest first: each
    ended workshop of the canvas, and each one brought in by a JSON import. Each is
    ``{"key", "title", "ended_at"}``; the key goes to :func:`summary_by_key`."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    choices: list[dict[str, Any]] = []
    for workshop in session.exec(
        select(m.Workshop).where(m.Workshop.canvas_id == canvas_id, m.Workshop.status == "ended")
    ):
        choices.append(
            {
                "key": f"workshop-{workshop.id}",
                "title": workshop.title,
                "ended_at": workshop.ended_at,
            }
        )
    for record in session.exec(
        select(m.WorkshopRecord).where(m.WorkshopRecord.canvas_id == canvas_id)
    ):
        choices.append(
            {"key": f"record-{record.id}", "title": record.title, "ended_at": record.ended_at}
        )
    choices.sort(key=lambda c: (c["ended_at"] is not None, c["ended_at"] or 0), reverse=True)
    session.rollback()
    return choices


def summary_by_key(*, session: Session, canvas_token: str, key: str) -> dict[str, Any]:
    """The summary a key of :func:`summary_choices` names (NotFound for any other)."""
    kind, _, number = key.partition("-")
    if not number.isdigit():
        raise NotFound("This canvas has no such workshop.")
    if kind == "workshop":
        return summary(session=session, canvas_token=canvas_token, workshop_id=int(number))
    if kind == "record":
        canvas_id = items.canvas_id_for(session, canvas_token)
        record = session.exec(
            select(m.WorkshopRecord).where(
                m.WorkshopRecord.id == int(number), m.WorkshopRecord.canvas_id == canvas_id
            )
        ).first()
        if record is not None:
            data: dict[str, Any] = json.loads(record.summary)
            return data
    raise NotFound("This canvas has no such workshop.")


def every_summary(*, session: Session, canvas_token: str) -> list[dict[str, Any]]:
    """Every summary of :func:`summary_choices`, oldest first (for the JSON export)."""
    keys = [c["key"] for c in summary_choices(session=session, canvas_token=canvas_token)]
    return [
        summary_by_key(session=session, canvas_token=canvas_token, key=key)
        for key in reversed(keys)
    ]


def summary_problems(data: Any) -> list[tuple[str, str]]:
    """What is wrong with a summary brought in by an import: (where, rule) pairs, none
    for a summary of the shape :func:`summary` returns. Values are data only (text,
    numbers, true/false, null); nothing in them is ever read as markup."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        return [("", "must be an object")]
    workshop = data.get("workshop")
    if not isinstance(workshop, dict):
        problems.append(("workshop", "must be an object"))
    else:
        title = workshop.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 120:
            problems.append(("workshop.title", "must be text of 1 to 120 characters"))
        ended = workshop.get("ended_at")
        if ended is not None and not _is_iso(ended):
            problems.append(("workshop.ended_at", "must be a date and time (ISO) or null"))
    for name in _SUMMARY_LISTS:
        if not _list_of_objects(data.get(name)):
            problems.append((name, "must be a list of objects"))
    appendix = data.get("appendix")
    if not isinstance(appendix, dict):
        problems.append(("appendix", "must be an object"))
    else:
        for name in _APPENDIX_LISTS:
            if not _list_of_objects(appendix.get(name)):
                problems.append((f"appendix.{name}", "must be a list of objects"))
    if not isinstance(data.get("counts"), dict):
        problems.append(("counts", "must be an object"))
    if not problems and not _plain_values(data):
        problems.append(("", "may hold only text, numbers, true/false and null"))
    if not problems and len(json.dumps(data)) > MAX_SUMMARY_CHARS:
        problems.append(("", f"must be at most {MAX_SUMMARY_CHARS:,} characters of JSON"))
    return problems


def _is_iso(value: Any) -> bool:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _plain_values(value: Any, depth: int = 0) -> bool:
    if depth > 5:  # deep enough for every part of a summary (appendix.notes[i].text)
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_values(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_values(v, depth + 1) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def keep_imported_summaries(
    *, session: Session, canvas_id: int, summaries: list[dict[str, Any]]
) -> None:
    """Keep the summaries an import brought (checked with :func:`summary_problems`
    first), in the import's transaction: the caller commits."""
    for data in summaries:
        workshop = data["workshop"]
        ended = workshop.get("ended_at")
        session.add(
            m.WorkshopRecord(
                canvas_id=canvas_id,
                title=workshop["title"].strip(),
                ended_at=datetime.fromisoformat(ended) if ended else None,
                summary=json.dumps(data, ensure_ascii=False),
            )
        )
