"""A whole canvas gathered into one plain dict, for every writer (PDF, Markdown).

:func:`gather` reads the canvas's snapshot (:mod:`strategy_canvas.services.snapshot`,
the read model the pages read too) and returns JSON-ready data: strings, numbers,
booleans, None, lists and dicts; dates as ISO text. Links between items are resolved to
the linked item's title (``persona_id`` → ``persona``), features carry their scores and
ranks, KPIs their progress, flaws their place by urgency — each from the snapshot, so the
report says what the pages say — and the summary parts a stakeholder reads first
(vision, progress, decisions, open flaws and risks) are ready made. Every percentage is
given as a whole number (``percent``), to be printed as it is.

The shape (every list in the canvas's own order unless said otherwise)::

    {
      "meta": {"name", "product", "description", "authors", "date", "revision", ...},
      "steps": [1, 2, ...],                     # the steps chosen for the report
      "completeness": {"score", "percent"},     # the mean of the five steps
      "step_titles": {"1": "Problem & audience", ...},
      "progress": [{"step", "title", "score", "percent", "missing", "done"}, ...],
      "vision": {...every vision field},
      "goals": [{...goal, "persona", "key_results": [...]}, ...],
      "step1": {"problems", "personas", "alternatives", "evidence", "assumptions"},
      "step3": {"features" (in RICE order, each with its rank under every
                framework), "criteria", "sketches", "totals"},
      "step4": {"roadmap", "risks"},
      "step5": {"feedback" (newest first), "flaws" (most urgent first), "kpis",
                "decisions"},
      "decisions", "open_flaws", "open_risks", "highlights", "counts", "limits",
      "workshop": {"title", "started_at", "ended_at", "facilitator", "counts",
                   "tables": [{"key", "title", "columns", "widths", "rows"}, ...]}
    }

``workshop`` is there only when a workshop's summary was chosen (``workshop=`` a key of
:func:`services.workshops.summary_choices`): its tables are
:func:`services.workshops.summary_tables` (the product's words), cells as text.

Only the parts of the chosen steps are filled; the vision and the summary parts are
always there, since the report leads with them.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any, Literal, TypedDict, Unpack, get_args, get_origin

import pandas as pd
from sqlmodel import Session

from strategy_canvas import scoring
from strategy_canvas.rules import kpi_progress, top_features
from strategy_canvas.rules.percent import percent
from strategy_canvas.services import items, loop, progress, snapshot, workshops
from strategy_canvas.services.snapshot import CanvasSnapshot

ALL_STEPS: tuple[int, ...] = (1, 2, 3, 4, 5)

#: The longest lists a report prints in full; the rest is counted ("and 240 more") and
#: is in the CSV and JSON exports. Charts always use every item.
LIMITS = {"features": 60, "feedback": 40, "roadmap": 80}

DECISION_LABELS = {"victory": "Declare victory", "iterate": "Iterate", "rollback": "Roll back"}
#: how many top features the summary names
TOP_FEATURES = 3

#: Human labels for the stored choices of every item type.
CHOICE_LABELS: dict[str, str] = {
    "persona": "Persona",
    "segment": "Segment",
    "competitor": "Competitor",
    "alternative": "Alternative",
    "workaround": "Workaround",
    "anecdotal": "Anecdotal",
    "moderate": "Moderate",
    "strong": "Strong",
    "untested": "Untested",
    "testing": "Testing",
    "validated": "Validated",
    "invalidated": "Invalidated",
    "feature": "Feature",
    "story": "Story",
    "epic": "Epic",
    "idea": "Idea",
    "planned": "Planned",
    "building": "Building",
    "shipped": "Shipped",
    "dropped": "Dropped",
    "must": "Must",
    "should": "Should",
    "could": "Could",
    "wont": "Won't",
    "basic": "Basic",
    "performance": "Performance",
    "delighter": "Delighter",
    "indifferent": "Indifferent",
    "reverse": "Reverse",
    "now": "Now",
    "next": "Next",
    "later": "Later",
    "in_progress": "In progress",
    "done": "Done",
    "blocked": "Blocked",
    "open": "Open",
    "mitigating": "Mitigating",
    "closed": "Closed",
    "usability_test": "Usability test",
    "interview": "Interview",
    "survey": "Survey",
    "analytics": "Analytics",
    "support": "Support",
    "other": "Other",
    "praise": "Praise",
    "problem": "Problem",
    "request": "Request",
    "question": "Question",
    "bug": "Bug",
    "positive": "Positive",
    "neutral": "Neutral",
    "negative": "Negative",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "critical": "Critical",
    "fixed": "Fixed",
    "wont_fix": "Won't fix",
    **DECISION_LABELS,
}


def label(value: Any) -> str:
    """The human label of a stored choice ("in_progress" → "In progress"); "" for None."""
    if value is None:
        return ""
    return CHOICE_LABELS.get(str(value), str(value))


# ------------------------------------------------------------------------ helpers


def _plain(value: Any) -> Any:
    """A value JSON can hold: dates as ISO text, NaN as None, numpy scalars as Python."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return None if value != value else value  # NaN → None
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return value


@cache
def _choice_fields(kind: str) -> tuple[str, ...]:
    """The fields of ``kind`` that hold one of a fixed set of choices (a Literal)."""

    def is_choice(annotation: Any) -> bool:
        if get_origin(annotation) is Literal:
            return True
        return any(is_choice(arg) for arg in get_args(annotation))

    schema = items.ITEM_TYPES[kind].create
    return tuple(n for n, f in schema.model_fields.items() if is_choice(f.annotation))


def _link_key(field_name: str) -> str:
    return field_name.removesuffix("_id")


class ReportFrames(dict[str, pd.DataFrame]):
    """kind -> its items with each link's title beside it, for the report's charts;
    ``snapshot`` is the read model they come from (its robustness runs are the page's)."""

    snapshot: CanvasSnapshot


class _Canvas:
    """The canvas's snapshot, its items as plain records."""

    def __init__(self, snap: CanvasSnapshot) -> None:
        self.snap = snap
        self.rows = snap.rows

    def record(self, kind: str, row: Any, *, with_image: bool = False) -> dict[str, Any]:
        """The item's id and fields (plain values), each link also as the linked title."""
        spec = items.ITEM_TYPES[kind]
        out: dict[str, Any] = {"id": row.id}
        for name in spec.fields:
            value = getattr(row, name)
            if isinstance(value, bytes):
                out["has_image"] = True
                if with_image:
                    out["image_base64"] = base64.b64encode(value).decode("ascii")
                continue
            out[name] = _plain(value)
        for field_name, target in spec.links.items():
            target_id = getattr(row, field_name)
            out[_link_key(field_name)] = (
                None if target_id is None else self.snap.titles(target).get(target_id)
            )
        for name in _choice_fields(kind):
            out[f"{name}_label"] = label(out.get(name))
        return out

    def records(self, kind: str, **kwargs: Any) -> list[dict[str, Any]]:
        return [self.record(kind, row, **kwargs) for row in self.rows[kind]]

    def in_order(self, kind: str, ids: Iterable[Any], **kwargs: Any) -> list[dict[str, Any]]:
        """The records of ``kind`` in the order of ``ids``."""
        by_id = {row.id: row for row in self.rows[kind]}
        return [self.record(kind, by_id[int(i)], **kwargs) for i in ids]


# ------------------------------------------------------------------------ the parts


def _features(canvas: _Canvas) -> list[dict[str, Any]]:
    """The features in RICE order (:func:`scoring.ranked_by`), each with its score and
    rank under every framework, from the snapshot's :attr:`~CanvasSnapshot.ranks`."""
    ranks = canvas.snap.ranks
    if ranks.empty:
        return []
    ordered = scoring.ranked_by(ranks, "rice")
    records = canvas.in_order("feature", ordered["id"])
    for record, row in zip(records, ordered.to_dict("records"), strict=True):
        for key in scoring.FRAMEWORKS:
            record[key] = _plain(row.get(f"{key}_score"))
            rank = _plain(row.get(f"{key}_rank"))
            record[f"{key}_rank"] = None if rank is None else int(rank)
        record["median_rank"] = _plain(row.get("median_rank"))
        spread = _plain(row.get("rank_spread"))
        record["rank_spread"] = None if spread is None else int(spread)
        record["discuss"] = bool(row.get("discuss"))
        record["note"] = str(row.get("note") or "")
    return records


def _weighted(canvas: _Canvas, limit: int) -> dict[str, Any]:
    """The team's weighted ranking: its criteria (weight and share of all weights) and
    the features best first under it (:func:`scoring.ranked_by`), each with its score
    on every criterion; ``unranked`` counts those missing a score."""
    criteria = [c for c in canvas.records("criterion") if (c["weight"] or 0) > 0]
    total = sum(c["weight"] for c in criteria) or 1.0
    ranks = canvas.snap.ranks
    if not criteria or ranks.empty:
        return {"criteria": [], "features": [], "unranked": 0, "total": 0}
    scores: dict[tuple[int, int], float] = {
        (int(r.feature_id), int(r.criterion_id)): float(r.score)
        for r in canvas.rows["criterion_score"]
    }
    ordered = scoring.ranked_by(ranks, "weighted")
    rows = []
    for row in ordered.to_dict("records"):
        rank = _plain(row.get("weighted_rank"))
        if rank is None:
            continue
        rows.append(
            {
                "title": str(row["title"]),
                "rank": int(rank),
                "score": _plain(row.get("weighted_score")),
                "scores": [scores.get((int(row["id"]), int(c["id"]))) for c in criteria],
            }
        )
    return {
        "criteria": [
            {"name": c["name"], "weight": c["weight"], "percent": percent(c["weight"] / total)}
            for c in criteria
        ],
        "features": rows[:limit],
        "total": len(rows),
        "unranked": int(ordered["weighted_rank"].isna().sum()),
    }


def _robustness(canvas: _Canvas, limit: int) -> dict[str, Any]:
    """The robustness check of the RICE ranking, the very runs the page shows
    (:meth:`CanvasSnapshot.robustness`): its verdict per feature, best first as the page
    lists them (median rank, then the best of its likely ranks), and the counts."""
    result = canvas.snap.robustness("rice", scoring.DEFAULT_TOP_K)
    attrs = dict(result.attrs)
    ordered = result.assign(_median=result["median_rank"].fillna(float("inf"))).sort_values(
        ["_median", "rank_p10"], kind="stable"
    )
    rows = [
        {
            "title": str(r["title"]),
            "verdict": str(r["verdict"]),
            "top_k": None if pd.isna(r["p_top_k"]) else scoring.share_text(float(r["p_top_k"])),
            "rank_p10": _plain(r["rank_p10"]),
            "rank_p90": _plain(r["rank_p90"]),
            "sentence": str(r["sentence"]),
        }
        for r in ordered.to_dict("records")
    ]
    counts = {v: sum(1 for r in rows if r["verdict"] == v) for v in ("solid", "fragile")}
    return {
        "framework": scoring.FRAMEWORKS["rice"].label,
        "k": int(attrs.get("k", scoring.DEFAULT_TOP_K)),
        "draws": int(attrs.get("draws", scoring.ROBUSTNESS_DRAWS)),
        "seed": int(attrs.get("seed", scoring.ROBUSTNESS_SEED)),
        "counts": {**counts, "unscored": len(rows) - sum(counts.values())},
        "features": rows[:limit],
        "total": len(rows),
    }


def _kpis(canvas: _Canvas) -> list[dict[str, Any]]:
    """The key results with their readings, the latest one and the progress toward the
    target, from the snapshot's :attr:`~CanvasSnapshot.kpis`."""
    readings = canvas.records("kpi_reading")
    by_id = {r["id"]: r for r in readings}
    table = canvas.snap.kpis.set_index("key_result_id")
    out = []
    for kr in canvas.records("key_result"):
        own = [r for r in readings if r["key_result_id"] == kr["id"]]
        row = table.loc[kr["id"]]
        latest_id = row["latest_id"]
        kr["readings"] = sorted(own, key=lambda r: (r["measured_on"] or "", r["id"]))
        kr["latest"] = None if pd.isna(latest_id) else by_id[int(latest_id)]
        kr["progress"] = _plain(row["progress"])
        kr["percent"] = None if pd.isna(row["percent"]) else int(row["percent"])
        kr["reached"] = bool(row["reached"])
        kr["bar"] = kpi_progress.bar_fill(kr["progress"])
        out.append(kr)
    return out


def _roadmap(canvas: _Canvas) -> list[dict[str, Any]]:
    records = canvas.records("roadmap_item")
    depends: dict[int, list[str]] = {}
    for dep in canvas.rows["dependency"]:
        title = canvas.snap.titles("roadmap_item").get(dep.depends_on_id)
        if title is not None:
            depends.setdefault(dep.item_id, []).append(title)
    lane_order = {"now": 0, "next": 1, "later": 2}
    for record in records:
        record["depends_on"] = depends.get(record["id"], [])
    return sorted(
        records,
        key=lambda r: (lane_order.get(r["lane"], 3), r["start_date"] or "9999", r["title"]),
    )


def _risks(canvas: _Canvas) -> list[dict[str, Any]]:
    records = canvas.records("risk")
    for record in records:
        record["score"] = record["likelihood"] * record["impact"]
    return records


def _flaws(canvas: _Canvas) -> list[dict[str, Any]]:
    """The flaws, most urgent first (:attr:`CanvasSnapshot.flaws`), numbered."""
    ordered = canvas.snap.flaws
    records = canvas.in_order("flaw", ordered["id"])
    for record, position, is_open in zip(
        records, ordered["position"], ordered["is_open"], strict=True
    ):
        record["position"] = int(position)
        record["is_open"] = bool(is_open)
    return records


def _decisions(canvas: _Canvas) -> list[dict[str, Any]]:
    records = canvas.records("decision")
    for record in records:
        record["decision_label"] = label(record["decision"])
    return sorted(records, key=lambda r: r["decided_on"] or "", reverse=True)


def _goals(canvas: _Canvas, kpis: list[dict[str, Any]]) -> list[dict[str, Any]]:
    goals = canvas.records("goal")
    for goal in goals:
        goal["key_results"] = [kr for kr in kpis if kr["goal_id"] == goal["id"]]
    return goals


def _progress(canvas: _Canvas) -> list[dict[str, Any]]:
    return [
        {
            "step": p.step,
            "title": p.title,
            "score": round(p.score, 3),
            "percent": percent(p.score),
            "missing": list(p.missing),
            "done": list(p.done),
        }
        for p in canvas.snap.steps
    ]


def _steps(steps: Iterable[int]) -> list[int]:
    chosen = sorted({int(s) for s in steps})
    bad = [s for s in chosen if s not in ALL_STEPS]
    if bad:
        raise ValueError(f"steps must be among 1–5, not {bad}")
    return chosen


# ----------------------------------------------------------------------------- gather


def workshop_section(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A workshop's summary as the reports print it: its facts and its non-empty tables
    in the product's words (one function words them for the page and the reports)."""
    tables = workshops.summary_tables(dict(summary))
    out = []
    for key, title in workshops.SUMMARY_TABLES:
        frame = tables[key]
        if frame.empty:
            continue
        out.append(
            {
                "key": key,
                "title": title,
                "columns": [str(c) for c in frame.columns],
                "widths": [_width(str(c)) for c in frame.columns],
                "rows": [[_cell(v) for v in row] for row in frame.itertuples(index=False)],
            }
        )
    meta = summary["workshop"]
    return {
        "title": meta["title"],
        "started_at": meta.get("started_at"),
        "ended_at": meta.get("ended_at"),
        "facilitator": meta.get("facilitator"),
        "counts": dict(summary.get("counts", {})),
        "tables": out,
    }


#: relative column widths of the summary's tables in the PDF: text wide, numbers narrow
_WIDE = {"Item", "From the note", "Note", "Feature", "Theme"}


def _width(column: str) -> float:
    return 2.6 if column in _WIDE else 0.8


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


class ReportOptions(TypedDict, total=False):
    """What a report holds besides the canvas (see :func:`gather_with_frames`)."""

    steps: Iterable[int]
    include_images: bool
    today: date | None
    workshop: str | None


def gather(
    *, session: Session, canvas_token: str, **options: Unpack[ReportOptions]
) -> dict[str, Any]:
    """The canvas as one plain, JSON-ready dict (see the module docstring), as
    :func:`gather_with_frames` gathers it, without the frames."""
    data, _ = gather_with_frames(session=session, canvas_token=canvas_token, **options)
    return data


def gather_with_frames(
    *,
    session: Session,
    canvas_token: str,
    steps: Iterable[int] = ALL_STEPS,
    include_images: bool = False,
    today: date | None = None,
    workshop: str | None = None,
) -> tuple[dict[str, Any], ReportFrames]:
    """The canvas as one plain, JSON-ready dict (see the module docstring), and every
    item type as a DataFrame for the charts (read once): the columns of
    ``items.items_frame`` plus each link's title.

    ``include_images`` adds each uploaded sketch's bytes as ``image_base64`` (the PDF
    needs them, Markdown does not). ``today`` is the report's date (default: today).
    ``workshop`` adds that workshop's summary (a key of ``summary_choices``).
    """
    chosen = _steps(steps)
    summary = None
    if workshop is not None:
        summary = workshops.summary_by_key(session=session, canvas_token=canvas_token, key=workshop)
    snap = snapshot.snapshot(session=session, canvas_token=canvas_token)
    canvas_row, revision = snap.canvas, snap.revision
    canvas = _Canvas(snap)

    vision_rows = canvas.rows["vision"]
    vision = canvas.record("vision", vision_rows[0]) if vision_rows else {}
    kpis = _kpis(canvas)
    features = _features(canvas)
    by_id = {f["id"]: f for f in features}
    flaws = _flaws(canvas)
    risks = _risks(canvas)
    decisions = _decisions(canvas)

    data: dict[str, Any] = {
        "meta": {
            "name": canvas_row.name,
            "product": canvas_row.product,
            "description": canvas_row.description,
            "authors": canvas_row.authors,
            "date": (today or date.today()).isoformat(),
            "created": _plain(canvas_row.created_at),
            "updated": _plain(canvas_row.updated_at),
            "revision": revision,
        },
        "steps": chosen,
        "completeness": {
            "score": round(snap.completeness, 3),
            "percent": percent(snap.completeness),
        },
        "step_titles": {str(k): v for k, v in progress.STEP_TITLES.items()},
        "progress": _progress(canvas),
        "vision": vision,
        "goals": _goals(canvas, kpis),
        "decisions": decisions,
        "open_flaws": [f for f in flaws if f["is_open"]],
        "open_risks": sorted(
            (r for r in risks if r["status"] != "closed"), key=lambda r: -r["score"]
        ),
        "highlights": {
            "top_features": [
                {
                    "title": by_id[i]["title"],
                    "rice": by_id[i]["rice"],
                    "rice_rank": by_id[i]["rice_rank"],
                    "moscow_label": by_id[i].get("moscow_label"),
                }
                for i in snap.top_features["id"].head(TOP_FEATURES)
            ],
            "top_features_note": top_features.left_out_note(
                snap.top_features.head(TOP_FEATURES), snap["feature"], snap.ranks
            ),
        },
        "counts": {kind: len(rows) for kind, rows in canvas.rows.items()},
        "limits": dict(LIMITS),
    }
    if 1 in chosen:
        data["step1"] = {
            "problems": canvas.records("problem"),
            "personas": canvas.records("persona"),
            "alternatives": canvas.records("alternative"),
            "evidence": canvas.records("evidence"),
            "assumptions": sorted(
                canvas.records("assumption"),
                key=lambda a: (-a["importance"], a["evidence"]),
            ),
        }
    if 2 in chosen:
        data["step2"] = {"kpis": kpis}
    if 3 in chosen:
        data["step3"] = {
            "features": features[: LIMITS["features"]],
            "frameworks": [
                {"key": key, "label": fw.label} for key, fw in scoring.FRAMEWORKS.items()
            ],
            "criteria": canvas.records("criterion"),
            "weighted": _weighted(canvas, LIMITS["features"]),
            "robustness": _robustness(canvas, LIMITS["features"]),
            "sketches": canvas.records("sketch", with_image=include_images),
            "totals": {"features": len(features)},
        }
    if 4 in chosen:
        roadmap = _roadmap(canvas)
        data["step4"] = {
            "roadmap": roadmap[: LIMITS["roadmap"]],
            "risks": sorted(risks, key=lambda r: -r["score"]),
            "totals": {"roadmap": len(roadmap)},
        }
    if 5 in chosen:
        feedback = canvas.in_order("feedback", loop.feedback_latest_first(snap["feedback"])["id"])
        data["step5"] = {
            "feedback": feedback[: LIMITS["feedback"]],
            "flaws": flaws,
            "kpis": kpis,
            "decisions": decisions,
            "totals": {"feedback": len(feedback)},
        }
    if summary is not None:
        data["workshop"] = workshop_section(summary)
    frames = ReportFrames({kind: snap.linked_frame(kind) for kind in items.ITEM_TYPES})
    frames.snapshot = snap
    return data, frames
