"""What changed in a strategy between two versions, in the strategy's own words.

:func:`compare` takes the canvas at two points (JSON-ready documents: a version's, or
now's from :mod:`services.documents`) and says, per step, which items were added,
removed and changed (with the changed fields, before → after), which links along the
spine (problem → persona → goal → feature → roadmap item → KPI → feedback) were made or
broken, how the features' ranks moved under each framework ("Household sync: 2nd → 6th
by RICE"), how each KPI moved against its target, and which decisions are new.

Ranks come from :func:`strategy_canvas.scoring.rank_table` and KPI progress from
:func:`strategy_canvas.rules.kpi_progress.kpi_table`, the rules the pages use, on the
same tables the pages load; values are shown by :func:`services.history.show_value`, as
the history feed shows them. The text here is plain: user text is inside it as it was
typed, and whoever draws it (page, Markdown, PDF) escapes it for its medium.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from sqlmodel import Session

from strategy_canvas import scoring
from strategy_canvas.rules import kpi_progress
from strategy_canvas.rules.percent import percent_text
from strategy_canvas.services import activity, documents, history, items, loop, versions
from strategy_canvas.services.progress import STEP_TITLES

#: the links along the product's spine: (item type, field)
SPINE = (
    ("persona", "problem_id"),
    ("goal", "persona_id"),
    ("feature", "persona_id"),
    ("feature", "goal_id"),
    ("roadmap_item", "feature_id"),
    ("key_result", "goal_id"),
    ("key_result", "roadmap_item_id"),
    ("feedback", "feature_id"),
    ("feedback", "key_result_id"),
    ("feedback", "persona_id"),
)
#: rank moves listed: those that touch the top ranks or move far
RANK_TOP = 10
RANK_FAR = 3
RANKS_LISTED = 15
#: items listed per step and kind of change (the rest are counted)
LISTED = 40
NOW = "now"


@dataclass(frozen=True)
class Line:
    """One change, told in a sentence; ``details`` lists a changed item's fields."""

    text: str
    kind: str = ""
    ref: int | None = None
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StepChanges:
    step: int
    title: str
    added: list[Line] = field(default_factory=list)
    removed: list[Line] = field(default_factory=list)
    changed: list[Line] = field(default_factory=list)
    links: list[Line] = field(default_factory=list)
    #: changes not listed, per kind of change
    more: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.links)


@dataclass(frozen=True)
class Section:
    """A part of a diff as every format shows it: a heading, its lines, and how many
    more there are than listed ("and 12 more")."""

    heading: str
    lines: list[Line]
    more: str = ""


@dataclass(frozen=True)
class Diff:
    """The changes between the canvas at ``since`` and at ``until``."""

    since: str
    until: str
    canvas: list[Line] = field(default_factory=list)
    steps: list[StepChanges] = field(default_factory=list)
    ranks: list[Line] = field(default_factory=list)
    ranks_more: int = 0
    kpis: list[Line] = field(default_factory=list)
    decisions: list[Line] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    changed: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.canvas
            or self.added
            or self.removed
            or self.changed
            or any(s.links for s in self.steps)
        )

    def headline(self) -> str:
        """The diff in one line: "3 added, 1 removed, 5 changed; 2 rank moves; …"."""
        if self.empty:
            return "no changes"
        parts = [
            f"{n} {word}"
            for n, word in (
                (self.added, "added"),
                (self.removed, "removed"),
                (self.changed, "changed"),
            )
            if n
        ]
        counts = [", ".join(parts)] if parts else []
        links = sum(len(s.links) + s.more.get("links", 0) for s in self.steps)
        if links:
            counts.append(f"{links} link{'s' * (links != 1)} made or broken")
        if self.canvas:
            counts.append("the canvas's details changed")
        moves = len(self.ranks) + self.ranks_more
        if moves:
            counts.append(f"{moves} rank move{'s' * (moves != 1)}")
        if self.kpis:
            counts.append(f"{len(self.kpis)} KPI{'s' * (len(self.kpis) != 1)} moved")
        if self.decisions:
            counts.append(f"{len(self.decisions)} new decision{'s' * (len(self.decisions) != 1)}")
        return "; ".join(counts)

    def summary(self) -> str:
        """The headline as a sentence, for the exports: "no changes" is "No changes.",
        and "1 KPI moved" stays "1 KPI moved." (only the first letter is raised;
        ``str.capitalize`` would lower "KPI")."""
        line = self.headline()
        return f"{line[:1].upper()}{line[1:]}."

    @property
    def title(self) -> str:
        """ "Changes since “Board, 12 Dec”" (and "until “v3”" when it does not run to now)."""
        until = "" if self.until == NOW else f" until “{self.until}”"
        return f"Changes since “{self.since}”{until}"

    def sections(self) -> list[Section]:
        """The diff in the order every format shows it: the canvas, each step, the
        ranks, the KPIs, the new decisions."""
        out = []
        if self.canvas:
            out.append(Section("The canvas", self.canvas))
        for step in self.steps:
            more = ", ".join(f"{n:,} more {what}" for what, n in step.more.items())
            lines = [*step.added, *step.removed, *step.changed, *step.links]
            out.append(Section(f"{step.step}. {step.title}", lines, f"and {more}" if more else ""))
        if self.ranks:
            more = f"and {self.ranks_more:,} smaller moves" if self.ranks_more else ""
            out.append(Section("Ranks", self.ranks, more))
        if self.kpis:
            out.append(Section("KPIs", self.kpis))
        if self.decisions:
            out.append(Section("New decisions", self.decisions))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The diff as JSON-ready data (the CLI's ``--format json``, the PDF)."""
        out = asdict(self)
        out["title"] = self.title
        out["headline"] = self.headline()
        out["summary"] = self.summary()
        out["sections"] = [asdict(s) for s in self.sections()]
        return out


# --------------------------------------------------------------------------- tables


def frames(document: Mapping[str, Any], kinds: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The document's items of ``kinds`` as the tables the pages load
    (:func:`services.items.items_frame`: id, version and every field)."""
    out = {}
    for kind in kinds:
        spec = items.ITEM_TYPES[kind]
        columns = ["id", "version", *spec.fields]
        rows = [
            {"id": entry["ref"], "version": 0, **{n: entry.get(n) for n in spec.fields}}
            for entry in document.get("items", {}).get(kind, [])
        ]
        out[kind] = pd.DataFrame(rows, columns=columns)
    return out


def _by_ref(document: Mapping[str, Any], kind: str) -> dict[int, dict[str, Any]]:
    return {int(e["ref"]): e for e in document.get("items", {}).get(kind, [])}


def _titles(document: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """kind -> ref -> how the item is named (as the history names it)."""
    titles: dict[str, dict[int, str]] = {
        kind: {
            ref: items.titled(spec, entry.get(spec.title_field), ref)
            for ref, entry in _by_ref(document, kind).items()
        }
        for kind, spec in items.ITEM_TYPES.items()
        if kind not in items.DESCRIBED
    }
    for kind in items.DESCRIBED:
        titles[kind] = {
            ref: items.describe_item(kind, entry, ref, titles)
            for ref, entry in _by_ref(document, kind).items()
        }
    return titles


def _pointing_at(
    before: Mapping[str, Any], after: Mapping[str, Any], gone: Mapping[str, set[int]]
) -> dict[tuple[str, int], dict[str, int]]:
    """(kind, ref) of each item in ``gone`` -> item type -> how many items that are
    still there linked to it."""
    found: dict[tuple[str, int], dict[str, int]] = {}
    for kind, spec in items.ITEM_TYPES.items():
        remaining = _by_ref(after, kind)
        for entry in before.get("items", {}).get(kind, []):
            if entry["ref"] not in remaining:
                continue
            for name, target_kind in spec.links.items():
                target = entry.get(name)
                if target is not None and target in gone.get(target_kind, ()):
                    counts = found.setdefault((target_kind, target), {})
                    counts[kind] = counts.get(kind, 0) + 1
    return found


def _value(kind: str, name: str, value: Any, titles: Mapping[str, Mapping[int, str]]) -> str:
    return history.show_value(kind, name, value, titles)


# -------------------------------------------------------------------------- compare


def _item_changes(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    old: Mapping[str, Mapping[int, str]],
    new: Mapping[str, Mapping[int, str]],
) -> tuple[list[StepChanges], int, int, int]:
    steps: dict[int, StepChanges] = {
        n: StepChanges(n, STEP_TITLES.get(n, f"Step {n}")) for n in range(1, 6)
    }
    added = removed = changed = 0
    spine: dict[str, set[str]] = {}
    for kind, name in SPINE:
        spine.setdefault(kind, set()).add(name)
    gone = {
        kind: _by_ref(before, kind).keys() - _by_ref(after, kind).keys()
        for kind in items.ITEM_TYPES
    }
    pointing = _pointing_at(before, after, {k: set(v) for k, v in gone.items()})
    for kind, spec in items.ITEM_TYPES.items():
        at = steps[spec.step]
        was, now = _by_ref(before, kind), _by_ref(after, kind)
        label = items.in_sentence(kind)
        for ref in [r for r in now if r not in was]:
            added += 1
            _listed(
                at, "added", Line(f"Added {label} {items.phrase(kind, new[kind][ref])}", kind, ref)
            )
            for name in sorted(spine.get(kind, ())):
                target = now[ref].get(name)
                if target is not None:
                    _link_line(at, kind, ref, name, target, new, made=True)
        for ref in [r for r in was if r not in now]:
            removed += 1
            linked = pointing.get((kind, ref), {})
            details = []
            if linked:
                counts = ", ".join(items.counted(k, n) for k, n in linked.items())
                details.append(f"Links from {counts} were broken with it")
            _listed(
                at,
                "removed",
                Line(f"Removed {label} {items.phrase(kind, old[kind][ref])}", kind, ref, details),
            )
        for ref in [r for r in now if r in was]:
            details = []
            for field_name in spec.fields:
                name = activity.IMAGE_FIELD if field_name == "image" else field_name
                a, b = was[ref].get(name), now[ref].get(name)
                if a == b:
                    continue
                if name in spec.links and b is None and a in gone[spec.links[name]]:
                    continue  # told with the removal of what it linked to
                if name in spine.get(kind, ()):
                    if a is not None:
                        _link_line(at, kind, ref, name, a, old, made=False, titles_now=new)
                    if b is not None:
                        _link_line(at, kind, ref, name, b, new, made=True)
                    continue
                label_of = history.field_label_of(kind, name)
                shown_a, shown_b = _value(kind, name, a, old), _value(kind, name, b, new)
                if name == activity.IMAGE_FIELD:
                    shown_a, shown_b = ("an image" if a else "—"), ("a new image" if b else "—")
                details.append(f"{label_of}: {shown_a} → {shown_b}")
            if details:
                changed += 1
                _listed(
                    at,
                    "changed",
                    Line(
                        f"Changed {label} {items.phrase(kind, new[kind][ref])}", kind, ref, details
                    ),
                )
    return [s for s in steps.values() if not s.empty], added, removed, changed


def _listed(at: StepChanges, what: str, line: Line) -> None:
    lines: list[Line] = getattr(at, what)
    if len(lines) < LISTED:
        lines.append(line)
    else:
        at.more[what] = at.more.get(what, 0) + 1


def _link_line(
    at: StepChanges,
    kind: str,
    ref: int,
    name: str,
    target: int,
    titles: Mapping[str, Mapping[int, str]],
    *,
    made: bool,
    titles_now: Mapping[str, Mapping[int, str]] | None = None,
) -> None:
    spec = items.ITEM_TYPES[kind]
    target_kind = spec.links[name]
    target_label = items.in_sentence(target_kind)
    source = (titles_now or titles).get(kind, {}).get(ref) or titles.get(kind, {}).get(ref, "")
    target_title = titles.get(target_kind, {}).get(target) or f"#{target}"
    verb = "now links to" if made else "no longer links to"
    text = f"{spec.label} “{source}” {verb} {target_label} “{target_title}”"
    _listed(at, "links", Line(text, kind, ref))


def _rank_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[list[Line], int]:
    kinds = ("feature", "criterion", "criterion_score")
    old, new = frames(before, kinds), frames(after, kinds)
    if old["feature"].empty and new["feature"].empty:
        return [], 0
    was = scoring.rank_table(
        old["feature"], criteria_df=old["criterion"], scores_df=old["criterion_score"]
    ).set_index("id")
    now = scoring.rank_table(
        new["feature"], criteria_df=new["criterion"], scores_df=new["criterion_score"]
    ).set_index("id")
    moves: list[tuple[float, float, str, int]] = []
    for key, fw in scoring.FRAMEWORKS.items():
        column = f"{key}_rank"  # as rank_table names it
        for ref in now.index.intersection(was.index):
            a, b = was.at[ref, column], now.at[ref, column]
            a_ranked, b_ranked = not pd.isna(a), not pd.isna(b)
            if not a_ranked and not b_ranked:
                continue
            if a_ranked and b_ranked and int(a) == int(b):
                continue
            top = min(x for x in (a, b) if not pd.isna(x))
            far = abs(int(a) - int(b)) if a_ranked and b_ranked else math.inf
            if top > RANK_TOP and far < RANK_FAR:
                continue
            shown_a = scoring.ordinal(int(a)) if a_ranked else "unranked"
            shown_b = scoring.ordinal(int(b)) if b_ranked else "unranked"
            title = str(now.at[ref, "title"]) or f"Feature #{ref}"
            text = f"{title}: {shown_a} → {shown_b} by {fw.label}"
            moves.append((float(top), -far, text, int(ref)))
    moves.sort()  # the best ranks first, then the longest moves
    lines = [Line(text, "feature", ref) for _, _, text, ref in moves[:RANKS_LISTED]]
    return lines, max(0, len(moves) - RANKS_LISTED)


def _number(value: Any, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = history.show_value("", "", float(value), {})
    unit = (unit or "").strip()
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def _percent(progress: Any) -> str:
    """A KPI's progress as every place prints it (rules/percent.py)."""
    return percent_text(progress)


def _kpi_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Line]:
    kinds = ("key_result", "kpi_reading")
    old, new = frames(before, kinds), frames(after, kinds)
    was = kpi_progress.kpi_table(old["key_result"], old["kpi_reading"]).set_index("key_result_id")
    now = kpi_progress.kpi_table(new["key_result"], new["kpi_reading"]).set_index("key_result_id")
    lines = []
    for ref in now.index:
        row = now.loc[ref]
        unit = str(row["unit"] or "")
        latest = row["latest"]
        if ref in was.index:
            prior = was.loc[ref]
            same = _same(prior["latest"], latest) and _same(prior["progress"], row["progress"])
            if same:
                continue
            value = f"{_number(prior['latest'], unit)} → {_number(latest, unit)}"
            progress = f"{_percent(prior['progress'])} → {_percent(row['progress'])}"
        elif pd.isna(latest):
            continue
        else:
            value = f"first reading {_number(latest, unit)}"
            progress = _percent(row["progress"])
        target = _number(row["target"], unit)
        text = f"{row['metric']}: {value} ({progress} of the way to {target})"
        lines.append(Line(text, "key_result", int(ref)))
    return lines


def _same(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return bool(a == b)


def _decision_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], new: Mapping[str, Mapping[int, str]]
) -> list[Line]:
    was = {e["feature_id"]: e for e in before.get("items", {}).get("decision", [])}
    lines = []
    for entry in after.get("items", {}).get("decision", []):
        feature = new["feature"].get(entry["feature_id"], f"Feature #{entry['feature_id']}")
        choice = loop.DECISION_LABELS.get(entry["decision"], entry["decision"])
        prior = was.get(entry["feature_id"])
        if prior is None:
            why = f" — {entry['rationale']}" if entry.get("rationale") else ""
            lines.append(Line(f"{feature}: {choice}{why}", "decision", entry["ref"]))
        elif prior["decision"] != entry["decision"]:
            earlier = loop.DECISION_LABELS.get(prior["decision"], prior["decision"])
            lines.append(Line(f"{feature}: {earlier} → {choice}", "decision", entry["ref"]))
    return lines


def _canvas_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Line]:
    was, now = before.get("canvas", {}), after.get("canvas", {})
    lines = []
    for name in now:
        if was.get(name) != now.get(name):
            label = history.field_label_of("canvas", name)
            a = history.show_value("canvas", name, was.get(name), {})
            b = history.show_value("canvas", name, now.get(name), {})
            lines.append(Line(f"{label}: {a} → {b}", "canvas"))
    return lines


def compare(
    before: Mapping[str, Any], after: Mapping[str, Any], *, since: str, until: str = NOW
) -> Diff:
    """The changes from the canvas ``before`` to the canvas ``after`` (documents)."""
    old, new = _titles(before), _titles(after)
    steps, added, removed, changed = _item_changes(before, after, old, new)
    ranks, more = _rank_changes(before, after)
    return Diff(
        since=since,
        until=until,
        canvas=_canvas_changes(before, after),
        steps=steps,
        ranks=ranks,
        ranks_more=more,
        kpis=_kpi_changes(before, after),
        decisions=_decision_changes(before, after, new),
        added=added,
        removed=removed,
        changed=changed,
    )


def since_version(
    *, session: Session, canvas_token: str, since: str, until: str | None = None
) -> Diff:
    """The changes since the version named ``since``, until the version named ``until``
    (None: the canvas as it is now)."""
    start = versions.get_version(session=session, canvas_token=canvas_token, name=since)
    before = versions.version_document(
        session=session, canvas_token=canvas_token, version_id=start.id
    )
    if until is None:
        after = documents.canvas_document(session=session, canvas_token=canvas_token)
        end_name = NOW
    else:
        end = versions.get_version(session=session, canvas_token=canvas_token, name=until)
        after = versions.version_document(
            session=session, canvas_token=canvas_token, version_id=end.id
        )
        end_name = end.name
    return compare(before, after, since=start.name, until=end_name)
