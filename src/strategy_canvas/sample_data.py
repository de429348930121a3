"""A large canvas, generated: the size the budgets are measured at (300 features, 1,000
pieces of feedback, 100 roadmap items), for the benchmarks and the tests.

It is written through the same path as a JSON import
(:func:`strategy_canvas.services.canvas_copy.create_canvas_with_items`), in one
transaction. Seeded, so every run gets the same canvas. It holds what the rules have to
get right at that size: features of every status (dropped ones too) with ties in their
scores, key results whose latest reading is short of, at and past their target (on
"higher is better" and "lower is better" KPIs, and one without a baseline), and flaws of
every severity, open and fixed.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.services import canvas_copy

START = date(2026, 1, 1)

#: (metric, unit, baseline, target, readings from the first to the latest): short of,
#: past and at the target, both ways, and without a baseline
KEY_RESULTS: list[tuple[str, str, float | None, float, list[float]]] = [
    ("Planning time", "min", 47, 10, [40, 22, 5]),  # lower is better, past: 114 %
    ("Weekly planners", "%", 12, 40, [15, 19, 26]),  # higher is better, half way
    ("Food thrown away", "kg", 3.2, 2, [3.4, 3.5]),  # moved away: below 0 %
    ("Activation", "%", 20, 60, [30, 60]),  # at the target
    ("Sign-ups", "", 100, 500, [180, 420, 1100]),  # past it: 250 %
    ("Support tickets", "", 80, 20, [75, 64]),  # lower is better, short of it
    ("NPS", "", None, 40, [18, 25]),  # no baseline: no progress to show
    ("Retention", "%", 30, 45, []),  # no reading yet
]
FEATURE_STATUSES = ["idea", "planned", "building", "shipped", "dropped"]


def large_canvas_entries(
    *, features: int = 300, feedback: int = 1000, roadmap: int = 100, flaws: int = 60, seed: int = 7
) -> canvas_copy.Entries:
    """The items of the large canvas, kind -> [(ref, values)] (links are refs)."""
    rnd = random.Random(seed)
    entries: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    def add(kind: str, values: dict[str, Any]) -> int:
        rows = entries.setdefault(kind, [])
        ref = len(rows) + 1
        rows.append((ref, values))
        return ref

    personas = [
        add("persona", {"name": f"Persona {i}", "jobs": "j", "pains": "p"}) for i in range(6)
    ]
    goals = [add("goal", {"title": f"Goal {i}"}) for i in range(5)]
    for i, (metric, unit, baseline, target, readings) in enumerate(KEY_RESULTS):
        kr = add(
            "key_result",
            {
                "goal_id": goals[i % len(goals)],
                "metric": metric,
                "unit": unit,
                "baseline": baseline,
                "target": target,
                "target_date": START + timedelta(days=330),
            },
        )
        for n, value in enumerate(readings):
            add(
                "kpi_reading",
                {
                    "key_result_id": kr,
                    "measured_on": START + timedelta(days=30 * n),
                    "value": value,
                },
            )
    feature_refs = []
    for i in range(features):
        tied = i % 25 == 24  # every 25th scores like the one before it
        source = i - 1 if tied else i
        scorer = random.Random(seed * 1000 + source)
        feature_refs.append(
            add(
                "feature",
                {
                    "title": f"Feature {i:03d}",
                    "persona_id": rnd.choice(personas),
                    "goal_id": rnd.choice(goals),
                    "reach": scorer.randint(10, 50_000),
                    "impact": scorer.choice([0.25, 0.5, 1, 2, 3]),
                    "confidence": scorer.randint(20, 100),
                    "effort": round(scorer.uniform(0.25, 12), 2),
                    "ease": rnd.randint(1, 10),
                    "value": rnd.randint(1, 10),
                    "moscow": rnd.choice(["must", "should", "could", "wont"]),
                    "kano": rnd.choice(["basic", "performance", "delighter"]),
                    "status": FEATURE_STATUSES[i % len(FEATURE_STATUSES)],
                },
            )
        )
    for i in range(roadmap):
        begin = START + timedelta(days=rnd.randint(0, 300))
        add(
            "roadmap_item",
            {
                "title": f"Roadmap item {i:03d}",
                "feature_id": rnd.choice(feature_refs),
                "lane": rnd.choice(["now", "next", "later"]),
                "owner": f"Owner {i % 9}",
                "team": f"Team {i % 4}",
                "start_date": begin,
                "end_date": begin + timedelta(days=rnd.randint(7, 90)),
            },
        )
    for i in range(feedback):
        add(
            "feedback",
            {
                "text": f"Feedback {i:04d}: " + "words " * rnd.randint(3, 30),
                "feature_id": rnd.choice(feature_refs),
                "sentiment": rnd.choice(["positive", "neutral", "negative"]),
                "kind": rnd.choice(["praise", "problem", "request", "bug"]),
                "received_on": START + timedelta(days=rnd.randint(0, 300)),
            },
        )
    for i in range(flaws):
        add(
            "flaw",
            {
                "title": f"Flaw {i:02d}",
                "severity": rnd.choice(["low", "medium", "high", "critical"]),
                "fix_status": rnd.choice(["open", "in_progress", "fixed", "wont_fix"]),
                "fix": f"Fix {i:02d}",
                "fix_owner": f"Owner {i % 5}",
                "feature_id": rnd.choice(feature_refs),
            },
        )
    return entries


def create_large_canvas(*, session: Session, name: str = "Large canvas", **sizes: int) -> m.Canvas:
    """The large canvas (see :func:`large_canvas_entries` for ``sizes``) as a new canvas."""
    return canvas_copy.create_canvas_with_items(
        session=session,
        canvas_in={"name": name, "product": "Benchmark"},
        entries=large_canvas_entries(**sizes),
    )
