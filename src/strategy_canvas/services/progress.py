"""How complete each step is, by rules that say what a good canvas needs.

A rule is more than "has rows": a feature counts when it is tied to a persona and a goal
and scored; a goal when it has a key result with a metric, a target and a date. Each
failed rule names what is missing, in words a product manager reads as a to-do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from strategy_canvas.services import items

STEP_TITLES = {
    1: "Problem & audience",
    2: "Vision",
    3: "Designs",
    4: "Implementation",
    5: "Feedback, flaws & fixes",
}


@dataclass(frozen=True)
class StepProgress:
    step: int
    title: str
    score: float  # 0..1: the share of the step's rules that hold
    missing: list[str]  # what to do next, one line per failed rule
    done: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing


Items = dict[str, list[Any]]
Rule = tuple[str, Callable[[Items], str | None]]


def _names(rows: Sequence[Any], limit: int = 3) -> str:
    titles = [items.item_title(r) for r in rows[:limit]]
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return ", ".join(f"“{t}”" for t in titles) + more


def _at_least(kind: str, n: int, what: str, whats: str) -> Callable[[Items], str | None]:
    """At least ``n`` items of ``kind``; the missing ones named ``what`` (one) or
    ``whats`` (several): "Add 1 more problem", "Add 3 more features or stories"."""

    def check(data: Items) -> str | None:
        have = len(data[kind])
        if have >= n:
            return None
        short = n - have
        return f"Add {short} more {what if short == 1 else whats} (have {have}, need {n})"

    return check


#: What a rule returns when it has nothing to judge (e.g. "each goal has …" with no goals):
#: it then counts neither for nor against the step.
NOT_APPLICABLE = "n/a"


def _judge(
    kind: str,
    among: Callable[[Any], bool],
    failing: Callable[[Items, list[Any]], list[Any]],
    problem: str,
) -> Callable[[Items], str | None]:
    """A rule over the items of ``kind`` (``among`` them): ``failing`` picks those that
    break it, which the problem then names; with no such items it does not apply."""

    def check(data: Items) -> str | None:
        subject = [r for r in data[kind] if among(r)]
        if not subject:
            return NOT_APPLICABLE
        bad = failing(data, subject)
        return f"{problem}: {_names(bad)}" if bad else None

    return check


def _each(
    kind: str,
    ok: Callable[[Any], bool],
    problem: str,
    *,
    among: Callable[[Any], bool] = lambda _: True,
) -> Callable[[Items], str | None]:
    """Every item of ``kind`` (``among`` them) passes ``ok``."""
    return _judge(kind, among, lambda _, subject: [r for r in subject if not ok(r)], problem)


def _filled(*fields: str) -> Callable[[Any], bool]:
    return lambda row: all(getattr(row, f) not in (None, "") for f in fields)


def _vision(check: Callable[[Any], bool], message: str) -> Callable[[Items], str | None]:
    return lambda data: None if data["vision"] and check(data["vision"][0]) else message


def _goals_have_key_results(data: Items) -> str | None:
    complete = {
        kr.goal_id
        for kr in data["key_result"]
        if kr.target is not None and kr.target_date is not None and kr.metric
    }
    if not data["goal"]:
        return NOT_APPLICABLE
    bad = [g for g in data["goal"] if g.id not in complete]
    if bad:
        return f"Give each goal a key result with a metric, a target and a date: {_names(bad)}"
    return None


def _linked_from(kind: str, field: str, among: Callable[[Any], bool] = lambda _: True) -> Any:
    """A rule's test: is the row named by ``field`` of some item of ``kind``?"""

    def linked(data: Items) -> set[Any]:
        return {getattr(r, field) for r in data[kind] if among(r)}

    return linked


def _orphans(
    kind: str,
    linked: Callable[[Items], set[Any]],
    problem: str,
    *,
    among: Callable[[Any], bool] = lambda _: True,
) -> Callable[[Items], str | None]:
    """Every item of ``kind`` (``among`` them) is linked from the next item of the spine."""

    def unlinked(data: Items, subject: list[Any]) -> list[Any]:
        have = linked(data)
        return [r for r in subject if r.id not in have]

    return _judge(kind, among, unlinked, problem)


def _plannable(data: Items) -> Callable[[Any], bool]:
    """Features that belong on the roadmap: not dropped, not won't-have, and not an epic
    whose stories carry it."""
    with_stories = {f.epic_id for f in data["feature"] if f.epic_id is not None}
    return lambda f: (
        f.status != "dropped"
        and f.moscow != "wont"
        and not (f.kind == "epic" and f.id in with_stories)
    )


def _features_on_roadmap(data: Items) -> str | None:
    check = _orphans(
        "feature",
        _linked_from("roadmap_item", "feature_id"),
        "Put each feature on the roadmap (or mark it dropped or won't-have)",
        among=_plannable(data),
    )
    return check(data)


def _kpis_read(data: Items) -> str | None:
    read = {r.key_result_id for r in data["kpi_reading"]}
    if not data["key_result"]:
        return NOT_APPLICABLE
    bad = [kr for kr in data["key_result"] if kr.id not in read]
    return f"Record a reading for each KPI: {_names(bad)}" if bad else None


def _shipped_decided(data: Items) -> str | None:
    decided = {d.feature_id for d in data["decision"]}
    shipped = [f for f in data["feature"] if f.status == "shipped"]
    if not shipped:
        return NOT_APPLICABLE
    bad = [f for f in shipped if f.id not in decided]
    if bad:
        return f"Decide victory, iterate or roll back for each shipped feature: {_names(bad)}"
    return None


RULES: dict[int, list[Rule]] = {
    1: [
        ("At least one problem", _at_least("problem", 1, "problem", "problems")),
        (
            "A problem statement",
            _each("problem", _filled("statement"), "Write the statement of each problem"),
        ),
        (
            "Someone who has each problem",
            _orphans(
                "problem",
                _linked_from("persona", "problem_id"),
                "Name who has each problem (a persona or segment)",
            ),
        ),
        (
            "Two or more personas or segments",
            _at_least("persona", 2, "persona or segment", "personas or segments"),
        ),
        (
            "Personas with jobs and pains",
            _each("persona", _filled("jobs", "pains"), "Give each persona its jobs and pains"),
        ),
        (
            "Alternatives and competitors",
            _at_least("alternative", 1, "alternative or competitor", "alternatives or competitors"),
        ),
        (
            "Market evidence",
            _at_least("evidence", 1, "piece of market evidence", "pieces of market evidence"),
        ),
        ("The riskiest assumptions", _at_least("assumption", 3, "assumption", "assumptions")),
        (
            "A test plan for every important assumption",
            _each(
                "assumption",
                _filled("test_plan"),
                "Plan how to test the important assumptions",
                among=lambda a: a.importance >= 4 and a.status in ("untested", "testing"),
            ),
        ),
    ],
    2: [
        (
            "A vision statement",
            _vision(
                lambda v: bool(v.statement or (v.target and v.benefit)),
                "Write the vision statement",
            ),
        ),
        (
            "A value proposition",
            _vision(lambda v: bool(v.value_proposition), "Write the value proposition"),
        ),
        (
            "A north-star metric",
            _vision(lambda v: bool(v.north_star_metric), "Name the north-star metric"),
        ),
        (
            "Non-goals",
            _vision(lambda v: bool(v.non_goals), "List what is out of scope (non-goals)"),
        ),
        ("At least one goal", _at_least("goal", 1, "goal", "goals")),
        ("Goals with measurable key results", _goals_have_key_results),
    ],
    3: [
        (
            "Three or more features",
            _at_least("feature", 3, "feature or story", "features or stories"),
        ),
        (
            "Features tied to a persona and a goal",
            _each(
                "feature",
                _filled("persona_id", "goal_id"),
                "Tie each feature to a persona and a goal",
            ),
        ),
        (
            "Features scored for RICE",
            _each(
                "feature",
                _filled("reach", "impact", "confidence", "effort"),
                "Score reach, impact, confidence and effort of",
            ),
        ),
        (
            "A MoSCoW call for every feature",
            _each("feature", _filled("moscow"), "Make the MoSCoW call for"),
        ),
        (
            "A feature for every persona",
            _orphans(
                "persona",
                _linked_from("feature", "persona_id", lambda f: f.status != "dropped"),
                "Tie a feature to each persona",
            ),
        ),
        (
            "A feature for every goal",
            _orphans(
                "goal",
                _linked_from("feature", "goal_id", lambda f: f.status != "dropped"),
                "Tie a feature to each goal",
            ),
        ),
    ],
    4: [
        (
            "Three or more roadmap items",
            _at_least("roadmap_item", 3, "roadmap item", "roadmap items"),
        ),
        (
            "Roadmap items built from features",
            _each("roadmap_item", _filled("feature_id"), "Link each roadmap item to its feature"),
        ),
        (
            "An owner for every roadmap item",
            _each("roadmap_item", _filled("owner"), "Name an owner for"),
        ),
        (
            "Dates for the work happening now",
            _each(
                "roadmap_item",
                _filled("start_date", "end_date"),
                "Give start and end dates to",
                among=lambda r: r.lane == "now",
            ),
        ),
        ("Every feature on the roadmap", _features_on_roadmap),
        ("Risks with mitigations", _at_least("risk", 1, "risk", "risks")),
        (
            "A mitigation for every open risk",
            _each(
                "risk",
                _filled("mitigation"),
                "Write a mitigation for",
                among=lambda r: r.status != "closed",
            ),
        ),
    ],
    5: [
        ("Feedback collected", _at_least("feedback", 3, "piece of feedback", "pieces of feedback")),
        (
            "Feedback tied to features",
            _each("feedback", _filled("feature_id"), "Tie feedback to the feature it is about"),
        ),
        ("KPI readings", _kpis_read),
        (
            "An owner for every serious flaw's fix",
            _each(
                "flaw",
                _filled("fix", "fix_owner"),
                "Give a fix and an owner to",
                among=lambda f: f.severity in ("high", "critical") and f.fix_status != "wont_fix",
            ),
        ),
        ("A decision for every shipped feature", _shipped_decided),
    ],
}


def _load(session: Session, canvas_token: str) -> Items:
    return {
        kind: items.list_items(session=session, canvas_token=canvas_token, kind=kind)
        for kind in items.ITEM_TYPES
    }


def evaluate(data: Items) -> list[StepProgress]:
    """The progress of each step for already loaded items (kind -> rows)."""
    result = []
    for step, rules in RULES.items():
        missing, done = [], []
        for label, rule in rules:
            problem = rule(data)
            if problem is None:
                done.append(label)
            elif problem != NOT_APPLICABLE:
                missing.append(problem)
        judged = len(done) + len(missing)
        score = len(done) / judged if judged else 0.0
        result.append(StepProgress(step, STEP_TITLES[step], score, missing, done))
    return result


def step_progress(*, session: Session, canvas_token: str) -> list[StepProgress]:
    """Progress of the five steps of the canvas, in step order."""
    return evaluate(_load(session, canvas_token))


def canvas_progress(*, session: Session, canvas_token: str) -> float:
    """The whole canvas's progress: the mean of its steps' scores (0..1)."""
    steps = step_progress(session=session, canvas_token=canvas_token)
    return sum(s.score for s in steps) / len(steps)


def next_action(steps: Sequence[StepProgress]) -> str | None:
    """The first missing thing in step order: what the user should do next."""
    for step in steps:
        if step.missing:
            return f"{step.title}: {step.missing[0]}"
    return None
