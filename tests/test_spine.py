"""The spine's checks: roadmap dependency cycles of any length are refused with the
cycle named, and the completeness checks name every orphan along the spine (a problem
nobody has, a persona no feature serves, a goal without key result or feature, a
feature on no roadmap item, a KPI without readings); on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.services import canvases, items, progress
from strategy_canvas.services.errors import ValidationFailed


@pytest.fixture
def canvas(session: Session) -> m.Canvas:
    return canvases.create_canvas(session=session, canvas_in={"name": "Spine"})


def _add(session: Session, token: str, kind: str, /, **data: Any) -> Any:
    return items.create_item(session=session, canvas_token=token, kind=kind, data=data)


def _depend(session: Session, token: str, item: Any, on: Any) -> Any:
    return _add(session, token, "dependency", item_id=item.id, depends_on_id=on.id)


def _dependencies(session: Session, token: str) -> list[tuple[int, int]]:
    return [
        (d.item_id, d.depends_on_id)
        for d in items.list_items(session=session, canvas_token=token, kind="dependency")
    ]


# ----------------------------------------------------------------- dependency cycles


@pytest.mark.parametrize("length", [2, 3, 6])
def test_a_dependency_that_closes_a_cycle_is_refused_with_the_cycle_named(
    session: Session, canvas: m.Canvas, length: int
) -> None:
    token = canvas.token
    chain = [_add(session, token, "roadmap_item", title=f"Step {i}") for i in range(length)]
    for item, on in itertools.pairwise(chain):  # Step 0 depends on Step 1 …
        _depend(session, token, item, on)
    before = _dependencies(session, token)
    revision = canvases.get_revision(session=session, canvas_token=token)

    with pytest.raises(ValidationFailed) as refused:
        _depend(session, token, chain[-1], chain[0])  # … and the last on the first
    [error] = refused.value.errors
    assert error.field == "depends_on_id"
    names = " → ".join(f"“Step {i}”" for i in [length - 1, *range(length)])
    assert error.message == f"would close a cycle, each depending on the next: {names}"
    assert _dependencies(session, token) == before
    assert canvases.get_revision(session=session, canvas_token=token) == revision


def test_an_edit_that_closes_a_cycle_is_refused_and_one_that_opens_it_is_not(
    session: Session, canvas: m.Canvas
) -> None:
    token = canvas.token
    a, b, c = (_add(session, token, "roadmap_item", title=t) for t in "ABC")
    _depend(session, token, a, b)
    b_on_c = _depend(session, token, b, c)
    c_on_nothing = _depend(session, token, c, _add(session, token, "roadmap_item", title="D"))

    with pytest.raises(ValidationFailed, match="“C” → “A” → “B” → “C”"):
        items.update_item(
            session=session,
            canvas_token=token,
            kind="dependency",
            item_id=c_on_nothing.id,
            changes={"depends_on_id": a.id},
            expected_version=c_on_nothing.version,
        )
    # Turning "B depends on C" round is no cycle once the old link is gone.
    turned = items.update_item(
        session=session,
        canvas_token=token,
        kind="dependency",
        item_id=b_on_c.id,
        changes={"item_id": c.id, "depends_on_id": b.id},
        expected_version=b_on_c.version,
    )
    assert (turned.item_id, turned.depends_on_id) == (c.id, b.id)


def test_a_diamond_is_no_cycle(session: Session, canvas: m.Canvas) -> None:
    token = canvas.token
    top, left, right, bottom = (_add(session, token, "roadmap_item", title=t) for t in "TLRB")
    for item, on in [(top, left), (top, right), (left, bottom), (right, bottom)]:
        _depend(session, token, item, on)
    assert len(_dependencies(session, token)) == 4


# ------------------------------------------------------------------ orphans named


def _missing(session: Session, token: str) -> list[str]:
    return [
        line for step in progress.step_progress(session=session, canvas_token=token)
        for line in step.missing
    ]  # fmt: skip


def test_every_orphan_along_the_spine_is_named(session: Session, canvas: m.Canvas) -> None:
    token = canvas.token
    lonely_problem = _add(session, token, "problem", title="Nobody has this", statement="s")
    problem = _add(session, token, "problem", title="Rotas on paper", statement="s")
    served = _add(session, token, "persona", name="Ward manager", problem_id=problem.id)
    _add(session, token, "persona", name="Night nurse", problem_id=problem.id)
    goal = _add(session, token, "goal", title="Fill gaps fast", persona_id=served.id)
    _add(session, token, "goal", title="Goal without anything")
    kpi = _add(
        session, token, "key_result", metric="Gap time", target=1, goal_id=goal.id,
        target_date="2026-12-31",
    )  # fmt: skip
    planned = _add(
        session, token, "feature", title="Swap market", persona_id=served.id, goal_id=goal.id
    )
    _add(session, token, "feature", title="Unplanned idea", persona_id=served.id, goal_id=goal.id)
    _add(session, token, "feature", title="Dropped idea", status="dropped")
    _add(session, token, "feature", title="Not this time", moscow="wont")
    _add(session, token, "roadmap_item", title="Swap beta", feature_id=planned.id)

    missing = _missing(session, token)
    text = "\n".join(missing)
    assert "Name who has each problem (a persona or segment): “Nobody has this”" in missing
    assert "Tie a feature to each persona: “Night nurse”" in missing
    assert "Give each goal a key result with a metric, a target and a date: " in text
    assert "“Goal without anything”" in text
    assert "Tie a feature to each goal: “Goal without anything”" in missing
    assert (
        "Put each feature on the roadmap (or mark it dropped or won't-have): “Unplanned idea”"
        in missing
    )
    assert f"Record a reading for each KPI: “{kpi.metric}”" in missing

    # Linked up, the orphans are gone from the lists.
    _add(session, token, "persona", name="Auditor", problem_id=lonely_problem.id)
    text = "\n".join(_missing(session, token))
    assert "Nobody has this" not in text
