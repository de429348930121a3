"""services/scores.py: the scoring grid's rows saved one by one, each with the version
the grid showed, on SQLite and PostgreSQL."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlmodel import Session

from strategy_canvas.services import canvases, edits, items, scores
from strategy_canvas.services.errors import ValidationFailed


def _features(session: Session, *titles: str) -> tuple[str, list[Any]]:
    """A canvas with these features, each as the grid loaded it (id, version, scores:
    a snapshot, not the live row the session keeps current)."""
    token = canvases.create_canvas(session=session, canvas_in={"name": "Scores"}).token
    shown = []
    for title in titles:
        row = items.create_item(
            session=session,
            canvas_token=token,
            kind="feature",
            data={"title": title, "reach": 500, "reach_low": 400, "effort": 2.0},
        )
        shown.append(SimpleNamespace(id=row.id, version=row.version, **scores.scores_of(row)))
    return token, shown


def _row(feature: Any, **values: Any) -> edits.ItemEdit:
    """The grid's edit of ``feature``: what it showed, and the cells the user typed."""
    return edits.ItemEdit(
        "feature", feature.id, feature.version, scores.scores_of(feature), dict(values)
    )


def _stored(session: Session, token: str) -> dict[str, Any]:
    return {
        r.title: r for r in items.list_items(session=session, canvas_token=token, kind="feature")
    }


def test_each_row_is_saved_on_its_own_with_its_version(session: Session) -> None:
    token, (a, b, c) = _features(session, "A", "B", "C")
    items.update_item(  # someone else, after the grid loaded B
        session=session,
        canvas_token=token,
        kind="feature",
        item_id=b.id,
        changes={"reach": 900},
        expected_version=b.version,
    )
    result = scores.save_scores(
        session=session,
        canvas_token=token,
        rows={
            a.id: _row(a, reach=800, impact=2.0),
            b.id: _row(b, reach=600),
            c.id: _row(c, reach=100),  # below its own low estimate: refused
        },
    )
    assert result.saved == {a.id: a.version + 1}
    stored = _stored(session, token)
    assert (stored["A"].reach, stored["A"].impact, stored["A"].effort) == (800, 2.0, 2.0)
    # B: theirs kept, and the conflict carries the stored row
    assert stored["B"].reach == 900
    conflict = result.conflicts[b.id]
    assert conflict.current.reach == 900 and conflict.current.version == b.version + 1
    # C: refused, naming the field and the rule; nothing written
    assert stored["C"].reach == 500 and stored["C"].version == c.version
    error = result.refused[c.id].error
    assert isinstance(error, ValidationFailed)
    assert [(e.label, e.message) for e in error.errors] == [
        ("Reach (low)", "must not be above the estimate itself")
    ]


def test_keeping_mine_after_a_conflict_saves_over_theirs_at_their_version(
    session: Session,
) -> None:
    token, (a,) = _features(session, "A")
    theirs = items.update_item(
        session=session,
        canvas_token=token,
        kind="feature",
        item_id=a.id,
        changes={"reach": 900, "effort": 3.0},
        expected_version=a.version,
    )
    mine = _row(a, reach=600)
    first = scores.save_scores(session=session, canvas_token=token, rows={a.id: mine})
    conflict = first.conflicts[a.id]
    again = edits.rebased(mine, conflict.current, scores.SCORE_FIELDS)
    assert again.base_version == theirs.version and again.values == {"reach": 600}
    second = scores.save_scores(session=session, canvas_token=token, rows={a.id: again})
    assert second.saved == {a.id: theirs.version + 1}
    stored = _stored(session, token)["A"]
    assert (stored.reach, stored.effort) == (600, 3.0)  # mine, and their other change kept


def test_a_deleted_feature_is_reported_not_recreated(session: Session) -> None:
    token, (gone,) = _features(session, "Gone")
    items.delete_item(
        session=session,
        canvas_token=token,
        kind="feature",
        item_id=gone.id,
        expected_version=gone.version,
    )
    result = scores.save_scores(
        session=session, canvas_token=token, rows={gone.id: _row(gone, reach=1)}
    )
    assert result.gone == [gone.id] and not result.saved and not result.conflicts
    assert _stored(session, token) == {}


def test_only_scores_of_existing_features_are_taken(session: Session) -> None:
    token, (a,) = _features(session, "A")
    result = scores.save_scores(
        session=session,
        canvas_token=token,
        rows={
            a.id: _row(a, title="Renamed"),
            0: edits.ItemEdit("feature", None, None, {}, {"reach": 5}),
        },
    )
    assert not result.saved
    [wrong] = result.refused[a.id].error.errors  # type: ignore[attr-defined]
    assert (wrong.field, wrong.message) == ("title", "is not a score of a feature")
    assert "existing features" in str(result.refused[0].error)
    assert _stored(session, token)["A"].title == "A"
