"""One truth per number: the page, the PDF and the Markdown of one canvas say the same
KPI percentages, the same ranks and the same order of flaws.

Each number is read back from what a user sees — the pages run under AppTest, the PDF's
text (pdftotext) and the Markdown — for the demo canvas and a generated large one (300
features, 1,000 pieces of feedback, 100 roadmap items, KPIs short of, at and past their
targets both ways, dropped features), and compared with the canvas's read model, which
all three are drawn from (services/snapshot.py).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db
from strategy_canvas.export import markdown, pdf
from strategy_canvas.rules.percent import percent_text
from strategy_canvas.rules.top_features import left_out_note
from strategy_canvas.sample_data import create_large_canvas
from strategy_canvas.services import canvases, snapshot
from strategy_canvas.ui import designs, feedback
from strategy_canvas.ui import overview as overview_page
from strategy_canvas.ui import prioritisation as prio
from tests.dbkit import use_database_file
from tests.pagekit import APP, TIMEOUT, html_text, open_page
from tests.reportkit import md_tables, pdf_layout_text, unescape_md

#: how many features the reports list in full (the rest are counted)
REPORTED_FEATURES = 60


@dataclass
class Said:
    """What one medium says: each KPI's percentage, each feature's RICE rank, the flaws
    in the order listed, and the open flaws in the order listed."""

    kpis: dict[str, str] = field(default_factory=dict)
    ranks: dict[str, str] = field(default_factory=dict)
    flaws: list[str] = field(default_factory=list)
    open_flaws: list[str] = field(default_factory=list)
    top: list[tuple[str, str]] = field(default_factory=list)
    top_note: str = ""
    captions: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------- canvases


@pytest.fixture(scope="session")
def _large_canvas_file(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the large canvas, written once for the whole run."""
    path = tmp_path_factory.mktemp("large") / "large.db"
    shutil.copy(_sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    with db.session_scope(engine) as session:
        create_large_canvas(session=session)
    engine.dispose()
    return path


@pytest.fixture(params=["demo", "large"])
def canvas(request: pytest.FixtureRequest, app_engine: Engine) -> str:
    """The token of the demo canvas or of the large one, in the app's database."""
    snapshot.clear_cache()
    if request.param == "demo":
        return str(request.getfixturevalue("seeded").token)
    use_database_file(app_engine, request.getfixturevalue("_large_canvas_file"))
    with db.session_scope(app_engine, readonly=True) as session:
        [summary] = canvases.list_canvases(session=session)
        return summary.token


# ---------------------------------------------------------------- the page (AppTest)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def _frame(at: AppTest, column: str) -> list[dict[str, object]]:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    [table] = found
    return table.to_dict("records")


def _pct(value: object) -> str:
    return percent_text(None if value is None else float(value) / 100)


def read_pages(token: str) -> tuple[Said, Said]:
    """(the step pages, the Overview)."""
    said = Said()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("pages/3_Designs.py")
    at.query_params["canvas"] = token
    at.session_state[designs.TAB_KEY] = designs.TABS[1]
    at.session_state[prio.VIEW_KEY] = prio.VIEWS[0]
    for row in _frame(_ok(at.run()), "Spread"):
        rank = row["Rank"]
        said.ranks[str(row["Feature"])] = "—" if rank is None or rank != rank else str(int(rank))

    at = _ok(open_page("pages/5_Feedback.py", canvas=token))
    at.session_state[feedback.BOARD_VIEW_KEY] = "kpi_reading"  # its section
    for row in _frame(_ok(at.run()), "Progress"):
        progress = row["Progress"]
        said.kpis[str(row["KPI"])] = _pct(None if progress != progress else progress)
    at.session_state[feedback.BOARD_VIEW_KEY] = "flaw"
    flaws = _frame(_ok(at.run()), "Flaw")
    said.flaws = [str(r["Flaw"]) for r in flaws]
    said.open_flaws = [str(r["Flaw"]) for r in flaws if r["Fix status"] in ("open", "in progress")]

    overview = Said()
    at = _ok(open_page("pages/6_Overview.py", canvas=token))
    for shown in html_text(at, "sc-percent"):
        overview.kpis[f"#{len(overview.kpis)}"] = shown
    overview.open_flaws = html_text(at, "sc-flaw")
    ranks = [rank.rstrip(".") for rank in html_text(at, "sc-rank")]
    overview.top = list(zip(ranks, html_text(at, "sc-top"), strict=True))
    overview.captions = html_text(at, "sc-small")
    return said, overview


# ------------------------------------------------------------------------- Markdown


def read_markdown(text: str) -> Said:
    said = Said()
    [features] = md_tables(text, "Features ranked by RICE")
    said.ranks = {row["Feature"]: row["#"] for row in features}
    for table in (
        md_tables(text, "Goals and key results")
        + md_tables(text, "Goals")
        + md_tables(text, "KPIs")
    ):
        for row in table:
            metric = row.get("Key result") or row.get("KPI") or ""
            if metric and metric != "—":
                assert said.kpis.setdefault(metric, row["Progress"]) == row["Progress"], metric
    [flaws] = md_tables(text, "Flaws and fixes")
    said.flaws = [row["Flaw"] for row in flaws]
    [open_flaws] = md_tables(text, "Open flaws")
    said.open_flaws = [row["Flaw"] for row in open_flaws]
    top = re.search(r"\*\*Highest-ranked features \(RICE\):\*\* (.+)", text)
    if top:
        listed, _, said.top_note = top.group(1).partition(" — ")
        for part in listed.split("; "):
            rank, title = re.match(r"(\d+)\. (.+) \([\d,.]+\)$", part).groups()  # type: ignore[union-attr]
            said.top.append((rank, unescape_md(title)))
    return said


# ------------------------------------------------------------------------------ PDF


def _section(text: str, start: str, *ends: str) -> str:
    """The text from the heading ``start`` to the first of the headings ``ends`` after
    it (headings stand on a line of their own in the body; the contents list names them
    first)."""
    [*_, begin] = re.finditer(rf"^\s*{re.escape(start)}\s*$", text, flags=re.M)
    stops = "|".join(re.escape(end) for end in ends)
    stop = re.compile(rf"^\s*(?:{stops})\s*$", flags=re.M).search(text, begin.end())
    assert stop is not None, ends
    return text[begin.end() : stop.start()]


def _head(title: str) -> str:
    """The start of a title, which a table cell keeps on its first line."""
    return " ".join(title.split()[:3])


def read_pdf(text: str, *, features: list[str], metrics: list[str], flaws: list[str]) -> Said:
    said = Said()
    ranked = _section(text, "Ranked features", "Scoring criteria", "Sketches", "4. Implementation")
    assert len({_head(t) for t in features}) == len(features), "titles told apart by their start"
    for title in features:
        found = re.search(rf"^\s*(\d+|—)\s+{re.escape(_head(title))}\b", ranked, flags=re.M)
        if found:
            said.ranks[title] = found.group(1)
    for metric in metrics:
        head = " ".join(metric.split()[:3])
        shown = set()
        for line in text.splitlines():
            if line.strip().startswith(head) or f"  {head}" in line:
                # Typst prints a negative number with a minus sign (−), not a hyphen
                percents = re.findall(r"([-−]?\d+%|—)\s*$", line.replace("−", "-"))
                if percents:
                    shown.add(percents[-1])
        assert len(shown) <= 1, (metric, shown)
        if shown:
            said.kpis[metric] = shown.pop()
    step5 = _section(text, "Flaws and fixes", "Decision log")
    open_part = _section(text, "Open flaws", "Open risks")

    assert len({_head(t) for t in flaws}) == len(flaws), "titles told apart by their start"

    def order(part: str) -> list[str]:
        places = {title: part.find(_head(title)) for title in flaws}
        return sorted((t for t, at in places.items() if at >= 0), key=places.__getitem__)

    said.flaws, said.open_flaws = order(step5), order(open_part)
    top = text[text.index("HIGHEST-RANKED FEATURES (RICE)") :].split("\n\n")[0]
    for rank, title in re.findall(r"(\d+)\. (.+?) \([\d,.]+\)", top):
        said.top.append((rank, title.strip()))
    return said


# ---------------------------------------------------------------------------- the test


def test_the_page_the_pdf_and_the_markdown_say_the_same_numbers(
    canvas: str, app_engine: Engine, tmp_path: Path
) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    with db.session_scope(app_engine, readonly=True) as session:
        snap = snapshot.snapshot(session=session, canvas_token=canvas)
        document = pdf.render_pdf(session=session, canvas_token=canvas)
        md = markdown.render_markdown(session=session, canvas_token=canvas)
    page, overview = read_pages(canvas)
    from_md = read_markdown(md)
    pdf_text = pdf_layout_text(document, tmp_path)
    from_pdf = read_pdf(
        pdf_text,
        features=list(snap["feature"]["title"]),
        metrics=list(snap.kpis["metric"]),
        flaws=list(snap["flaw"]["title"]),
    )

    # What the read model says, as a reader would read it.
    ranks = {
        title: "—" if rank != rank else str(int(rank))
        for title, rank in zip(snap.ranks["title"], snap.ranks["rice_rank"], strict=True)
    }
    kpis = {
        m: percent_text(p) for m, p in zip(snap.kpis["metric"], snap.kpis["progress"], strict=True)
    }
    flaws = list(snap.flaws["title"])
    open_flaws = list(snap.flaws[snap.flaws["is_open"]]["title"])
    top = [
        (str(int(r)), t)
        for r, t in zip(snap.top_features["rice_rank"], snap.top_features["title"], strict=True)
    ]

    # every KPI's percentage
    assert page.kpis == kpis
    assert from_md.kpis == kpis
    assert from_pdf.kpis == kpis
    bars = [p for p in list(kpis.values())[: overview_page.LIST_LIMIT] if p != "—"]
    assert list(overview.kpis.values()) == bars and bars

    # every rank
    assert page.ranks == ranks
    reported = min(REPORTED_FEATURES, len(ranks))
    assert len(from_md.ranks) == reported and len(from_pdf.ranks) == reported
    assert from_md.ranks == {t: ranks[t] for t in from_md.ranks}
    assert from_pdf.ranks == from_md.ranks
    assert from_md.top == from_pdf.top == top[: len(from_md.top)] and from_md.top
    assert overview.top == top[: len(overview.top)] and overview.top
    # where a dropped feature's rank is skipped, all three say why, in the same words
    in_report = left_out_note(snap.top_features.head(3), snap["feature"], snap.ranks)
    assert from_md.top_note == in_report
    assert " ".join(in_report.split()) in " ".join(pdf_text.split())
    on_page = left_out_note(snap.top_features.head(len(overview.top)), snap["feature"], snap.ranks)
    assert on_page in " ".join(overview.captions)

    # every flaw's position
    assert page.flaws == from_md.flaws == from_pdf.flaws == flaws
    assert page.open_flaws == from_md.open_flaws == from_pdf.open_flaws == open_flaws
    assert overview.open_flaws == open_flaws[: len(overview.open_flaws)] and overview.open_flaws

    if len(snap["feature"]) >= 300:  # the large canvas holds what the rules must get right
        assert {"dropped"} <= set(snap["feature"]["status"])
        assert {"114%", "250%", "100%", "50%", "—"} <= set(kpis.values())
        assert any(p.startswith("-") for p in kpis.values())
        dropped = set(snap["feature"][snap["feature"]["status"] == "dropped"]["title"])
        assert not dropped & {t for _, t in top}
