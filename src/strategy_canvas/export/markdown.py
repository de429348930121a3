"""The canvas as GitHub-flavoured Markdown, ready to paste into Confluence, Notion or a
repository: a heading per step, tables for the lists.

Everything the user wrote is escaped (:func:`escape`) so it never acts as Markdown or
HTML: ``<script>`` stays text, ``**bold**``, ``[x](y)``, backticks, ``#`` and ``|`` stay
literal, and a pipe cannot add a column to a table. Newlines inside a table cell become
``<br>``, added only after the text was escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlmodel import Session

from strategy_canvas.export import report_data
from strategy_canvas.services.changes import Diff

#: Punctuation that means something to Markdown anywhere in a line (CommonMark, GFM
#: tables and strikethrough, GitHub's math): always escaped with a backslash.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~$])")
#: What means something only at the start of a line: a list item ("- ", "+ ", "1. ",
#: "1) "), a setext underline or rule ("===", "---"), a block quote (">" is an entity).
_LINE_START = re.compile(r"^(\d{1,9})([.)])|^([-+=])")
#: GitHub's emoji shortcodes (":rocket:"): the first colon is escaped.
_SHORTCODE = re.compile(r":(?=[a-z0-9_+\-]+:)")
#: HTML: a tag or an autolink starts with "<", an entity with "&" ("&lt;", "&#60;").
_HTML = re.compile(r"<|>|&(?=#?[0-9A-Za-z]+;)")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def escape(text: Any, *, cell: bool = False, inline: bool = False) -> str:
    """User text as Markdown that shows exactly that text.

    ``<``, ``>`` and an ``&`` that would start an entity become entities; Markdown's
    punctuation gets a backslash; each line is stripped of leading spaces (four would
    start a code block). In a table ``cell`` the lines are joined with ``<br>``,
    elsewhere with a hard line break. ``inline`` text follows other text on its line
    (as in a table cell), so what only matters at a line's start is left alone.
    """
    if text is None:
        return ""
    value = str(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for number, line in enumerate(value.split("\n")):
        line = _HTML.sub(lambda m: _ENTITIES[m[0]], line.strip())
        line = _MARKDOWN_SPECIAL.sub(r"\\\1", line)
        line = _SHORTCODE.sub(r"\\:", line)
        if not cell and not (inline and number == 0):
            line = _LINE_START.sub(
                lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", line, count=1
            )
        lines.append(line)
    if cell:
        return "<br>".join(line for line in lines if line) or " "
    # A blank line stays a paragraph break; other line ends are hard breaks.
    out: list[str] = []
    for line in lines:
        if not line:
            out.append("")
        elif out and out[-1]:
            out[-1] += "\\"
            out.append(line)
        else:
            out.append(line)
    return "\n".join(out).strip("\n")


def table(head: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GFM table; every cell is escaped (header labels are ours, written as is)."""
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(escape(cell, cell=True) for cell in row) + " |")
    return "\n".join(lines)


def _number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and digits == 0 and not value.is_integer():
        return f"{value:,.0f}"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{value:,}"


def _pct(value: int | None) -> str:
    """A whole percentage the report data gives (rules/percent.py), as text."""
    return "—" if value is None else f"{value}%"


def _with_unit(value: Any, unit: str) -> str:
    return "—" if value is None else f"{_number(value, 2)} {unit}".strip()


def _dash(value: Any) -> Any:
    return value if value not in (None, "") else "—"


def _heading(level: int, text: str) -> str:
    return "#" * level + " " + escape(" ".join(str(text).split()), inline=True)


def _labelled(name: str, value: Any) -> str | None:
    return f"**{name}:** {escape(value, inline=True)}" if value not in (None, "") else None


def _more(shown: int, total: int, what: str) -> str | None:
    if total <= shown:
        return None
    return f"_Showing {shown} of {total:,} {what}; the full list is in the CSV and JSON exports._"


# --------------------------------------------------------------------------- parts


def _summary(data: Mapping[str, Any]) -> list[str | None]:
    vision = data["vision"]
    parts: list[str | None] = ["## Executive summary"]
    if vision.get("statement"):
        statement = escape(vision["statement"], inline=True)
        parts.append("> **Vision:** " + statement.replace("\n", "\n> "))
    parts.append(_labelled("Value proposition", vision.get("value_proposition")))
    if vision.get("north_star_metric"):
        target = vision.get("north_star_target")
        parts.append(
            f"**North-star metric:** {escape(vision['north_star_metric'], inline=True)}"
            + (f" (target: {escape(target, inline=True)})" if target else "")
        )
    parts.append(_labelled("Non-goals", vision.get("non_goals")))
    parts += ["### Goals and key results", _goals_table(data["goals"])]
    parts += [
        "### Progress",
        table(
            ["Step", "Complete", "Next to do"],
            [
                (f"{p['step']}. {p['title']}", _pct(p["percent"]), (p["missing"] or ["—"])[0])
                for p in data["progress"]
            ],
        ),
    ]
    top = data["highlights"]["top_features"]
    note = data["highlights"].get("top_features_note")
    if top:
        parts.append(
            "**Highest-ranked features (RICE):** "
            + "; ".join(
                f"{f['rice_rank']}. {escape(f['title'], inline=True)} ({_number(f['rice'])})"
                for f in top
            )
            + (f" — {note}" if note else "")
        )
    return parts


def _goals_table(goals: Sequence[Mapping[str, Any]]) -> str:
    if not goals:
        return "_No goals yet._"
    rows = []
    for goal in goals:
        krs = goal["key_results"] or [None]
        for kr in krs:
            if kr is None:
                rows.append((goal["title"], "—", "—", "—", "—", "—"))
                continue
            latest = kr["latest"]
            rows.append(
                (
                    goal["title"],
                    kr["metric"],
                    _with_unit(kr["baseline"], kr["unit"]),
                    _with_unit(kr["target"], kr["unit"])
                    + (f" by {kr['target_date']}" if kr["target_date"] else ""),
                    "—"
                    if latest is None
                    else f"{_with_unit(latest['value'], kr['unit'])} ({latest['measured_on']})",
                    _pct(kr["percent"]),
                )
            )
    return table(["Goal", "Key result", "Baseline", "Target", "Latest", "Progress"], rows)


def _step1(s: Mapping[str, Any]) -> list[str | None]:
    parts: list[str | None] = ["### Problems"]
    if not s["problems"]:
        parts.append("_No problems yet._")
    for p in s["problems"]:
        parts += [
            _heading(4, p["title"]),
            escape(p["statement"]) or None,
            _labelled("Why it matters", p["impact"]),
        ]
    parts += [
        "### Personas and segments",
        table(
            ["Name", "Kind", "Description", "Jobs to be done", "Pains", "Gains", "Problem"],
            [
                (
                    p["name"],
                    p["kind_label"],
                    p["description"],
                    p["jobs"],
                    p["pains"],
                    p["gains"],
                    _dash(p["problem"]),
                )
                for p in s["personas"]
            ],
        )
        if s["personas"]
        else "_No personas yet._",
        "### Alternatives and competitors",
        table(
            ["Alternative", "Kind", "Strengths", "Weaknesses", "Link"],
            [
                (a["name"], a["kind_label"], a["strengths"], a["weaknesses"], a["url"])
                for a in s["alternatives"]
            ],
        )
        if s["alternatives"]
        else "_No alternatives yet._",
        "### Market evidence",
        table(
            ["Evidence", "Source", "Summary", "Strength", "Problem", "Link"],
            [
                (
                    e["title"],
                    e["source"],
                    e["summary"],
                    e["strength_label"],
                    _dash(e["problem"]),
                    e["url"],
                )
                for e in s["evidence"]
            ],
        )
        if s["evidence"]
        else "_No evidence yet._",
        "### Riskiest assumptions",
        table(
            ["Assumption", "Importance", "Evidence", "Status", "How we will test it", "Persona"],
            [
                (
                    a["statement"],
                    f"{a['importance']}/5",
                    f"{a['evidence']}/5",
                    a["status_label"],
                    a["test_plan"],
                    _dash(a["persona"]),
                )
                for a in s["assumptions"]
            ],
        )
        if s["assumptions"]
        else "_No assumptions yet._",
    ]
    return parts


_VISION_PARTS = (
    ("For (target)", "target"),
    ("Who (need)", "need"),
    ("Product", "product_name"),
    ("Is a (category)", "category"),
    ("That (benefit)", "benefit"),
    ("Unlike (alternative)", "alternative"),
    ("It (differentiator)", "differentiator"),
)


def _step2(data: Mapping[str, Any]) -> list[str | None]:
    vision = data["vision"]
    filled = [(name, vision.get(key)) for name, key in _VISION_PARTS if vision.get(key)]
    parts: list[str | None] = [
        "### Vision statement",
        escape(vision.get("statement")) or "_Not written yet._",
        table(["Part", "What we wrote"], filled) if filled else None,
        "### Value proposition",
        escape(vision.get("value_proposition")) or "_Not written yet._",
        "### North-star metric",
        (
            escape(vision["north_star_metric"])
            + (
                f" — target: {escape(vision['north_star_target'], inline=True)}"
                if vision.get("north_star_target")
                else ""
            )
        )
        if vision.get("north_star_metric")
        else "_Not named yet._",
        "### Goals",
    ]
    for goal in data["goals"]:
        parts += [
            _heading(4, goal["title"]),
            _labelled("For", goal["persona"]),
            escape(goal["description"]) or None,
        ]
    parts += [
        _goals_table(data["goals"]) if data["goals"] else None,
        "### Non-goals",
        escape(vision.get("non_goals")) or "_None listed._",
    ]
    return parts


def _step3(s: Mapping[str, Any]) -> list[str | None]:
    features = s["features"]
    parts: list[str | None] = [
        "### Features ranked by RICE",
        "RICE = reach × impact × confidence ÷ effort (reach per quarter, effort in person-months).",
    ]
    if features:
        parts.append(
            table(
                [
                    "#",
                    "Feature",
                    "Kind",
                    "Status",
                    "Persona",
                    "Goal",
                    "Reach",
                    "Impact",
                    "Confidence",
                    "Effort",
                    "RICE",
                    "ICE",
                    "Value/Effort",
                    "MoSCoW",
                    "Kano",
                    "External key",
                ],
                [
                    (
                        _dash(f["rice_rank"]),
                        f["title"]
                        + (f"\n{f['description']}" if f["description"] else "")
                        + (f"\n{f['external_url']}" if f["external_url"] else "")
                        + (f"\nLabels: {f['labels']}" if f["labels"] else ""),
                        f["kind_label"],
                        f["status_label"],
                        _dash(f["persona"]),
                        _dash(f["goal"]),
                        _number(f["reach"]),
                        _number(f["impact"], 2),
                        "—" if f["confidence"] is None else f"{f['confidence']}%",
                        _number(f["effort"], 2),
                        _number(f["rice"]),
                        _number(f["ice"]),
                        _number(f["value_effort"], 2),
                        _dash(f["moscow_label"]),
                        _dash(f["kano_label"]),
                        _dash(f["external_key"]),
                    )
                    for f in features
                ],
            )
        )
        parts.append(_more(len(features), s["totals"]["features"], "features"))
        parts += _ranks(s)
    else:
        parts.append("_No features yet._")
    if s["criteria"]:
        parts += [
            "### Scoring criteria",
            table(
                ["Criterion", "Weight", "What it means"],
                [(c["name"], _number(c["weight"], 2), c["description"]) for c in s["criteria"]],
            ),
        ]
    parts += _weighted(s["weighted"])
    parts += _robustness(s["robustness"])
    parts.append("### Sketches")
    parts.append(
        table(
            ["Sketch", "Feature", "Link", "Image"],
            [
                (
                    k["caption"] or "—",
                    _dash(k["feature"]),
                    k["url"],
                    "uploaded image" if k.get("has_image") else "",
                )
                for k in s["sketches"]
            ],
        )
        if s["sketches"]
        else "_No sketches yet._"
    )
    return parts


def _ranks(s: Mapping[str, Any]) -> list[str | None]:
    """Every framework's rank of each feature, side by side."""
    frameworks = s["frameworks"]
    return [
        "### Every framework's rank",
        "Each feature's place under every framework, side by side (1 is best); the spread "
        "is how far apart its best and worst places are. Where it is wide, the framework "
        "decides, not the feature: worth a discussion.",
        table(
            ["Feature", *(fw["label"].replace(" score", "") for fw in frameworks), "Spread"],
            [
                (
                    f["title"] + (f"\nDiscuss: {f['note']}" if f["note"] else ""),
                    *(_dash(f[f"{fw['key']}_rank"]) for fw in frameworks),
                    _dash(f["rank_spread"]),
                )
                for f in s["features"]
            ],
        ),
    ]


def _weighted(w: Mapping[str, Any]) -> list[str | None]:
    """The team's weighted ranking: the criteria, then the features best first."""
    if not w["criteria"]:
        return []
    criteria = ", ".join(
        f"{escape(c['name'], inline=True)} ({c['percent']}%)" for c in w["criteria"]
    )
    parts: list[str | None] = [
        "### Weighted ranking",
        "The team's own criteria, each feature scored 0–10 on each: the weighted score is "
        f"Σ weight × score, the weights made to add up to 100%. Criteria: {criteria}.",
    ]
    if w["features"]:
        parts.append(
            table(
                ["#", "Feature", *(c["name"] for c in w["criteria"]), "Weighted"],
                [
                    (
                        f["rank"],
                        f["title"],
                        *(_number(x, 2) for x in f["scores"]),
                        _number(f["score"], 2),
                    )
                    for f in w["features"]
                ],
            )
        )
        parts.append(_more(len(w["features"]), w["total"], "weighted features"))
    else:
        parts.append("_No feature has a score on every criterion yet._")
    if w["unranked"]:
        noun = "feature" if w["unranked"] == 1 else "features"
        parts.append(f"_{w['unranked']} {noun} not ranked: each needs a score on every criterion._")
    return parts


_VERDICTS = {"solid": "✓ solid", "fragile": "⚠ fragile"}


def _robustness(r: Mapping[str, Any]) -> list[str | None]:
    """The robustness check: the same runs as the app's, a verdict per feature."""
    if not r["total"]:
        return []
    counts = r["counts"]
    unscored = f", {counts['unscored']} not ranked" if counts["unscored"] else ""
    return [
        "### How robust the ranking is",
        f"{r['draws']:,} runs of the {r['framework']} ranking, each with every estimate "
        "varied within its range (or by its confidence); the same runs as the app's "
        f"Prioritise tab. **Solid**: in or out of the top {r['k']} in at least 90% of the "
        "runs. **Fragile**: it depends on estimates the team is unsure of. "
        f"{counts['solid']} solid, {counts['fragile']} fragile{unscored}.",
        table(
            ["Feature", "Verdict", f"Top {r['k']}", "Likely rank", "In short"],
            [
                (
                    f["title"],
                    _VERDICTS.get(f["verdict"], "not ranked"),
                    _dash(f["top_k"]),
                    "—"
                    if f["rank_p10"] is None
                    else (
                        f"{int(f['rank_p10'])}"
                        if f["rank_p10"] == f["rank_p90"]
                        else f"{int(f['rank_p10'])}–{int(f['rank_p90'])}"
                    ),
                    f["sentence"],
                )
                for f in r["features"]
            ],
        ),
        _more(len(r["features"]), r["total"], "features"),
    ]


def _step4(s: Mapping[str, Any]) -> list[str | None]:
    roadmap = s["roadmap"]
    return [
        "### Roadmap",
        table(
            [
                "Lane",
                "Item",
                "Feature",
                "Start",
                "End",
                "Owner",
                "Team",
                "Status",
                "Milestone",
                "Depends on",
                "Notes",
            ],
            [
                (
                    r["lane_label"],
                    r["title"],
                    _dash(r["feature"]),
                    _dash(r["start_date"]),
                    _dash(r["end_date"]),
                    r["owner"],
                    r["team"],
                    r["status_label"],
                    r["milestone"],
                    "; ".join(r["depends_on"]),
                    r["notes"],
                )
                for r in roadmap
            ],
        )
        if roadmap
        else "_No roadmap items yet._",
        _more(len(roadmap), s["totals"]["roadmap"], "roadmap items"),
        "### Risks",
        table(
            ["Risk", "Likelihood × impact", "Mitigation", "Owner", "Status", "Roadmap item"],
            [
                (
                    r["title"],
                    f"{r['likelihood']} × {r['impact']} = {r['score']}",
                    r["mitigation"],
                    r["owner"],
                    r["status_label"],
                    _dash(r["roadmap_item"]),
                )
                for r in s["risks"]
            ],
        )
        if s["risks"]
        else "_No risks yet._",
    ]


def _step5(s: Mapping[str, Any]) -> list[str | None]:
    feedback = s["feedback"]
    return [
        "### KPIs",
        table(
            ["KPI", "Goal", "Baseline", "Target", "Latest", "Note", "Progress"],
            [
                (
                    kr["metric"],
                    _dash(kr["goal"]),
                    _with_unit(kr["baseline"], kr["unit"]),
                    _with_unit(kr["target"], kr["unit"])
                    + (f" by {kr['target_date']}" if kr["target_date"] else ""),
                    "—"
                    if kr["latest"] is None
                    else f"{_with_unit(kr['latest']['value'], kr['unit'])} "
                    f"({kr['latest']['measured_on']})",
                    "" if kr["latest"] is None else kr["latest"]["note"],
                    _pct(kr["percent"]),
                )
                for kr in s["kpis"]
            ],
        )
        if s["kpis"]
        else "_No KPIs yet._",
        "### Feedback",
        table(
            [
                "Date",
                "Feedback",
                "Source",
                "Kind",
                "Sentiment",
                "From",
                "Feature",
                "KPI",
                "Persona",
            ],
            [
                (
                    _dash(f["received_on"]),
                    f["text"],
                    f["source_label"],
                    f["kind_label"],
                    f["sentiment_label"],
                    f["author"],
                    _dash(f["feature"]),
                    _dash(f["key_result"]),
                    _dash(f["persona"]),
                )
                for f in feedback
            ],
        )
        if feedback
        else "_No feedback yet._",
        _more(len(feedback), s["totals"]["feedback"], "pieces of feedback, the newest first"),
        "### Flaws and fixes",
        _flaws_table(s["flaws"]) if s["flaws"] else "_No flaws recorded._",
    ]


def _flaws_table(flaws: Sequence[Mapping[str, Any]]) -> str:
    return table(
        ["Severity", "Flaw", "Description", "Fix", "Fix owner", "Fix status", "Feature"],
        [
            (
                f["severity_label"],
                f["title"],
                f["description"],
                f["fix"],
                f["fix_owner"],
                f["fix_status_label"],
                _dash(f["feature"]),
            )
            for f in flaws
        ],
    )


def _workshop(section: Mapping[str, Any]) -> list[str | None]:
    """The chosen workshop's summary: its facts, then its tables (text escaped)."""
    counts = section["counts"]
    facts = " · ".join(
        part
        for part in (
            f"**Ended:** {section['ended_at'][:10]}" if section.get("ended_at") else "",
            f"**Facilitator:** {escape(section['facilitator'], inline=True)}"
            if section.get("facilitator")
            else "",
            f"**People:** {counts.get('participants', 0)}",
            f"**Notes:** {counts.get('notes', 0)} ({counts.get('promoted', 0)} promoted)",
            f"**Votes:** {counts.get('votes', 0)}",
        )
        if part
    )
    parts: list[str | None] = [_heading(2, f"Workshop: {section['title']}"), facts]
    if not section["tables"]:
        parts.append("_The workshop produced no notes, votes or scores._")
    for found in section["tables"]:
        parts.append(_heading(3, found["title"]))
        parts.append(table(found["columns"], found["rows"]))
    return parts


def _closing(data: Mapping[str, Any]) -> list[str | None]:
    return [
        "## Decision log",
        table(
            ["Date", "Feature", "Decision", "Rationale"],
            [
                (_dash(d["decided_on"]), _dash(d["feature"]), d["decision_label"], d["rationale"])
                for d in data["decisions"]
            ],
        )
        if data["decisions"]
        else "_No decisions yet._",
        "## Open flaws and risks",
        "### Open flaws",
        _flaws_table(data["open_flaws"]) if data["open_flaws"] else "_No open flaws._",
        "### Open risks",
        table(
            ["Risk", "Score", "Mitigation", "Owner", "Status"],
            [
                (r["title"], r["score"], r["mitigation"], r["owner"], r["status_label"])
                for r in data["open_risks"]
            ],
        )
        if data["open_risks"]
        else "_No open risks._",
    ]


# -------------------------------------------------------------------------- render


def changes_markdown(diff: Diff, *, level: int = 2) -> str:
    """A diff (:mod:`strategy_canvas.services.changes`) as Markdown: its title as a
    heading of ``level``, the one-line summary, then a list per section."""
    parts = [_heading(level, diff.title), escape(diff.summary())]
    if diff.empty:
        return "\n\n".join(parts) + "\n"
    for section in diff.sections():
        lines = []
        for line in section.lines:
            lines.append(f"- {escape(line.text, inline=True)}")
            lines += [f"    - {escape(detail, inline=True)}" for detail in line.details]
        if section.more:
            lines.append(f"- *{escape(section.more, inline=True)}*")
        parts += [_heading(level + 1, section.heading), "\n".join(lines)]
    return "\n\n".join(parts) + "\n"


def render_markdown(
    *,
    session: Session,
    canvas_token: str,
    steps: Iterable[int] = report_data.ALL_STEPS,
    workshop: str | None = None,
    changes: Diff | None = None,
) -> str:
    """The canvas as a Markdown document (see the module docstring); ``workshop`` (a
    key of ``services.workshops.summary_choices``) adds that workshop's summary; with
    ``changes``, a "Changes since …" section after the summary.

    Raises NotFound for an unknown canvas or workshop, ValueError for a step outside 1–5.
    """
    data = report_data.gather(
        session=session, canvas_token=canvas_token, steps=steps, workshop=workshop
    )
    meta = data["meta"]
    byline = " · ".join(
        part
        for part in (
            f"**Product:** {escape(meta['product'], inline=True)}" if meta["product"] else "",
            f"**Authors:** {escape(meta['authors'], inline=True)}" if meta["authors"] else "",
            f"**Date:** {meta['date']}",
        )
        if part
    )
    parts: list[str | None] = [
        _heading(1, meta["name"]),
        byline,
        escape(meta["description"]) or None,
        *_summary(data),
        changes_markdown(changes).rstrip() if changes is not None else None,
    ]
    builders = {
        1: lambda: _step1(data["step1"]),
        2: lambda: _step2(data),
        3: lambda: _step3(data["step3"]),
        4: lambda: _step4(data["step4"]),
        5: lambda: _step5(data["step5"]),
    }
    for step in data["steps"]:
        parts.append(f"## {step}. {data['step_titles'][str(step)]}")
        parts += builders[step]()
    if "workshop" in data:
        parts += _workshop(data["workshop"])
    parts += _closing(data)
    return "\n\n".join(p for p in parts if p) + "\n"
