"""The feedback loop (services/loop.py) on SQLite and PostgreSQL: feedback sent back to
step 1 as a problem, persona or assumption; the decision log; KPIs against target."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.services import canvases, items, loop
from strategy_canvas.services.errors import ConflictError, NotFound, ValidationFailed


@pytest.fixture
def token(session: Session) -> str:
    return canvases.create_canvas(session=session, canvas_in={"name": "Loop"}).token


def _add(session: Session, token: str, kind: str, /, **data: Any) -> Any:
    return items.create_item(session=session, canvas_token=token, kind=kind, data=data)


def _count(session: Session, token: str, kind: str) -> int:
    return len(items.list_items(session=session, canvas_token=token, kind=kind))


def _revision(session: Session, token: str) -> int:
    return canvases.get_revision(session=session, canvas_token=token)


@pytest.fixture
def feedback(session: Session, token: str) -> m.Feedback:
    persona = _add(session, token, "persona", name="Busy parent")
    return _add(
        session,
        token,
        "feedback",
        text="Our nanny cooks on Tuesdays and can't see the plan. She calls me every time.\n"
        "Could she get her own login?",
        source="interview",
        author="Beta family #6",
        received_on=date(2026, 6, 10),
        persona_id=persona.id,
    )


# ------------------------------------------------------------------- send to step 1


def test_send_as_problem(session: Session, token: str, feedback: m.Feedback) -> None:
    before = _revision(session, token)
    problem = loop.send_to_step_one(
        session=session, canvas_token=token, feedback_id=feedback.id, as_kind="problem"
    )
    assert isinstance(problem, m.Problem)
    assert problem.title == "Our nanny cooks on Tuesdays and can't see the plan"
    assert problem.statement.startswith(feedback.text)
    assert problem.statement.endswith(
        f"Sent back from step 5: feedback #{feedback.id} (interview, Beta family #6, 2026-06-10)."
    )
    assert _revision(session, token) == before + 1
    stored = items.get_item(session=session, canvas_token=token, kind="problem", item_id=problem.id)
    assert stored.title == problem.title
    # the feedback itself is not touched
    again = items.get_item(
        session=session, canvas_token=token, kind="feedback", item_id=feedback.id
    )
    assert again.version == feedback.version
    assert loop.sent_from(session=session, canvas_token=token, feedback_id=feedback.id) == [
        ("problem", stored)
    ]


def test_send_as_persona_is_named_after_the_author_or_the_name_given(
    session: Session, token: str, feedback: m.Feedback
) -> None:
    persona = loop.send_to_step_one(
        session=session, canvas_token=token, feedback_id=feedback.id, as_kind="persona"
    )
    assert isinstance(persona, m.Persona)
    assert persona.name == "Beta family #6"
    assert persona.description.startswith("“Our nanny cooks")
    assert f"feedback #{feedback.id}" in persona.description

    named = loop.send_to_step_one(
        session=session,
        canvas_token=token,
        feedback_id=feedback.id,
        as_kind="persona",
        name="The nanny",
    )
    assert named.name == "The nanny"
    anonymous = _add(session, token, "feedback", text="Who is this for?")
    unnamed = loop.send_to_step_one(
        session=session, canvas_token=token, feedback_id=anonymous.id, as_kind="persona"
    )
    assert unnamed.name == loop.DEFAULT_PERSONA_NAME
    kinds = [
        k for k, _ in loop.sent_from(session=session, canvas_token=token, feedback_id=feedback.id)
    ]
    assert kinds == ["persona", "persona"]


def test_send_as_assumption_keeps_the_persona(
    session: Session, token: str, feedback: m.Feedback
) -> None:
    assumption = loop.send_to_step_one(
        session=session, canvas_token=token, feedback_id=feedback.id, as_kind="assumption"
    )
    assert isinstance(assumption, m.Assumption)
    assert assumption.statement.startswith(feedback.text)
    assert assumption.persona_id == feedback.persona_id
    assert assumption.status == "untested"


def test_a_long_feedback_fits_the_limits_of_step_one(session: Session, token: str) -> None:
    sentence = "word " * 80  # 400 characters without a full stop
    long = _add(session, token, "feedback", text=sentence + ". " + "More. " * 1_000)
    assert len(long.text) > m.MEDIUM
    problem = loop.send_to_step_one(
        session=session, canvas_token=token, feedback_id=long.id, as_kind="problem"
    )
    assert len(problem.title) <= m.SHORT and problem.title.endswith("…")
    assert problem.title.startswith("word word")
    assumption = loop.send_to_step_one(
        session=session, canvas_token=token, feedback_id=long.id, as_kind="assumption"
    )
    assert len(assumption.statement) <= m.MEDIUM
    assert f"feedback #{long.id}" in assumption.statement  # the provenance survives the cut


def test_send_rejects_another_kind_and_writes_nothing(
    session: Session, token: str, feedback: m.Feedback
) -> None:
    before = _revision(session, token)
    with pytest.raises(ValidationFailed) as caught:
        loop.send_to_step_one(
            session=session,
            canvas_token=token,
            feedback_id=feedback.id,
            as_kind="feature",  # type: ignore[arg-type]
        )
    assert caught.value.errors[0].field == "as_kind"
    assert "problem" in str(caught.value)
    assert _revision(session, token) == before
    assert _count(session, token, "feature") == 0


def test_send_rejects_a_bad_name_naming_the_field(
    session: Session, token: str, feedback: m.Feedback
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        loop.send_to_step_one(
            session=session,
            canvas_token=token,
            feedback_id=feedback.id,
            as_kind="persona",
            name="   ",
        )
    assert caught.value.errors[0].label == "Name"
    assert _count(session, token, "persona") == 1  # only the fixture's


def test_feedback_of_another_canvas_is_not_found(
    session: Session, token: str, feedback: m.Feedback
) -> None:
    other = canvases.create_canvas(session=session, canvas_in={"name": "Other"}).token
    with pytest.raises(NotFound):
        loop.send_to_step_one(
            session=session, canvas_token=other, feedback_id=feedback.id, as_kind="problem"
        )
    assert _count(session, other, "problem") == 0
    with pytest.raises(NotFound):
        loop.send_to_step_one(
            session=session, canvas_token=token, feedback_id=10_000, as_kind="problem"
        )


def test_send_from_a_stale_version_is_a_conflict(
    session: Session, token: str, feedback: m.Feedback
) -> None:
    opened = feedback.version
    items.update_item(
        session=session,
        canvas_token=token,
        kind="feedback",
        item_id=feedback.id,
        changes={"text": "Changed by someone else."},
        expected_version=opened,
    )
    with pytest.raises(ConflictError) as caught:
        loop.send_to_step_one(
            session=session,
            canvas_token=token,
            feedback_id=feedback.id,
            as_kind="problem",
            expected_version=opened,
        )
    assert caught.value.current.text == "Changed by someone else."
    assert _count(session, token, "problem") == 0
    problem = loop.send_to_step_one(
        session=session,
        canvas_token=token,
        feedback_id=feedback.id,
        as_kind="problem",
        expected_version=opened + 1,
    )
    assert problem.title == "Changed by someone else"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Too slow. Really.", "Too slow"),
        ("Why is p95 at 5.9 s? It was 1.8 s.", "Why is p95 at 5.9 s?"),
        ("First line without stop\nsecond line", "First line without stop"),
        ("  Great!  ", "Great!"),
    ],
)
def test_first_sentence(text: str, title: str) -> None:
    assert loop.first_sentence(text) == title


# ------------------------------------------------------------------- decision log


def test_decisions_by_feature(session: Session, token: str) -> None:
    shipped = _add(session, token, "feature", title="Shipped, decided", status="shipped")
    waiting = _add(session, token, "feature", title="Shipped, waiting", status="shipped")
    building = _add(session, token, "feature", title="Building", status="building")
    _add(session, token, "feature", title="Idea", status="idea")
    dropped = _add(session, token, "feature", title="Dropped after rollback", status="dropped")
    decision = _add(
        session,
        token,
        "decision",
        feature_id=shipped.id,
        decision="victory",
        rationale="Doubled retention",
        decided_on=date(2026, 8, 1),
    )
    _add(session, token, "decision", feature_id=dropped.id, decision="rollback")

    log = loop.decisions_by_feature(session=session, canvas_token=token)
    assert list(log["feature"]) == [
        "Shipped, waiting",
        "Shipped, decided",
        "Building",
        "Dropped after rollback",
    ]
    rows = log.set_index("feature_id")
    assert bool(rows.loc[waiting.id, "needs_decision"]) is True
    assert pd.isna(rows.loc[waiting.id, "decision"])
    assert rows.loc[shipped.id, "decision"] == "victory"
    assert rows.loc[shipped.id, "decision_id"] == decision.id
    assert rows.loc[shipped.id, "rationale"] == "Doubled retention"
    assert bool(rows.loc[building.id, "needs_decision"]) is False
    assert rows.loc[dropped.id, "decision"] == "rollback"


def test_decision_log_of_an_empty_canvas(session: Session, token: str) -> None:
    log = loop.decisions_by_feature(session=session, canvas_token=token)
    assert log.empty and "needs_decision" in log.columns


# ---------------------------------------------------------------- KPIs vs target


def test_kpis_against_target(session: Session, token: str) -> None:
    up = _add(session, token, "key_result", metric="Activation", baseline=20, target=60, unit="%")
    down = _add(session, token, "key_result", metric="Planning time", baseline=47, target=10)
    unread = _add(session, token, "key_result", metric="NPS", baseline=10, target=40)
    no_target = _add(session, token, "key_result", metric="Visits")
    for kr, on, value in [
        (up, date(2026, 7, 1), 30),
        (up, date(2026, 8, 1), 40),  # the latest, added before an older one
        (up, date(2026, 6, 1), 25),
        (down, date(2026, 8, 1), 60),  # worse than the baseline
        (no_target, date(2026, 8, 1), 5),
    ]:
        _add(session, token, "kpi_reading", key_result_id=kr.id, measured_on=on, value=value)

    table = loop.kpis_against_target(session=session, canvas_token=token).set_index("key_result_id")
    assert table.loc[up.id, "latest"] == 40 and table.loc[up.id, "previous"] == 30
    assert table.loc[up.id, "progress"] == pytest.approx(0.5)
    assert table.loc[up.id, "readings"] == 3
    assert table.loc[up.id, "percent"] == 50
    # worse than the baseline: below 0 %, the same number everywhere (rules/kpi_progress.py)
    assert table.loc[down.id, "progress"] == pytest.approx((60 - 47) / (10 - 47))
    assert table.loc[down.id, "percent"] == -35
    assert math.isnan(table.loc[unread.id, "progress"]) and table.loc[unread.id, "readings"] == 0
    assert pd.isna(table.loc[unread.id, "percent"])
    assert math.isnan(table.loc[no_target.id, "progress"])


def test_feedback_newest_first() -> None:
    feedback = pd.DataFrame(
        {"id": [1, 2, 3], "received_on": [date(2026, 1, 1), None, date(2026, 3, 1)]}
    )
    assert list(loop.feedback_latest_first(feedback)["id"]) == [3, 1, 2]
