"""The handbook-sized canvas the 300-action journey builds (test_canvas_in_300_actions.py):
a stage strategy as a product team publishes it — 2 problems, 7 personas, 4
alternatives, 10 features with their scores and 3 weighted criteria, 9 roadmap items,
feedback, flaws, KPI readings and a decision — as a product manager pastes it from the
spreadsheet the team keeps (tab-separated, a header row naming the columns)."""

from __future__ import annotations

PERSONAS = [
    "Release manager",
    "Engineering manager",
    "Product manager",
    "Developer",
    "Program manager",
    "Security lead",
    "Executive sponsor",
]
GOALS = ["Ship every stage on time", "Plan a quarter in an afternoon"]
KPIS = ["Stages shipped on time", "Planning hours per quarter"]
FEATURES = [
    # title, persona, goal, reach, impact, confidence, effort, MoSCoW
    ("Stage calendar", "Release manager", GOALS[0], 1200, 2, 80, 1.5, "must"),
    ("Roadmap timeline view", "Product manager", GOALS[1], 900, 2, 70, 3, "must"),
    ("Dependency warnings", "Engineering manager", GOALS[0], 600, 1, 60, 2, "should"),
    ("Capacity planner", "Engineering manager", GOALS[1], 400, 2, 50, 5, "should"),
    ("Épica con subtareas (epics in Spanish teams)", "Developer", GOALS[1], 300, 1, 80, 1, "could"),
    ("Release checklist", "Release manager", GOALS[0], 1000, 1, 90, 0.5, "must"),
    ("Portfolio rollup", "Program manager", GOALS[1], 150, 3, 50, 8, "should"),
    ("Audit trail of plan changes", "Security lead", GOALS[0], 200, 0.5, 80, 2, "could"),
    ("Quarterly summary for sponsors", "Executive sponsor", GOALS[1], 50, 1, 70, 1, "could"),
    ("Gantt export to slides", "Product manager", GOALS[1], 120, 0.25, 40, 3, "won't"),
]
CRITERIA = [("Strategic fit", 40), ("Customer demand", 35), ("Time to value", 25)]


def _rows(header: list[str], rows: list[tuple[object, ...]]) -> str:
    return "\n".join("\t".join(str(cell) for cell in row) for row in [tuple(header), *rows])


PASTES: dict[str, str] = {
    "problem": _rows(
        ["Title", "Problem statement"],
        [
            (
                "Stages are planned in spreadsheets",
                "Each stage keeps its plan in a spreadsheet of its own; a date moved "
                "in one is found weeks later by the next.",
            ),
            (
                "Nobody sees the whole release",
                "Release managers stitch 12 stage plans together by hand every month.",
            ),
        ],
    ),
    "persona": _rows(
        ["Name", "Pains", "Problem"],
        [
            (name, "Re-plans by hand when a date moves", "Stages are planned in spreadsheets")
            if n % 2
            else (name, "Asks five people where a release stands", "Nobody sees the whole release")
            for n, name in enumerate(PERSONAS)
        ],
    ),
    "alternative": _rows(
        ["Name", "Strengths", "Weaknesses"],
        [
            ("Spreadsheets", "Everyone knows them", "No links between plans"),
            ("Jira Advanced Roadmaps", "Close to the issues", "Heavy to set up"),
            ("Slide decks", "Good for sponsors", "Out of date the day after"),
            ("Miro boards", "Quick in a workshop", "No structure, no scores"),
        ],
    ),
    "goal": _rows(
        ["Goal", "Persona"],
        [(GOALS[0], "Release manager"), (GOALS[1], "Product manager")],
    ),
    "key_result": _rows(
        ["Metric", "Unit", "Baseline", "Target", "Goal"],
        [(KPIS[0], "%", 55, 90, GOALS[0]), (KPIS[1], "hours", 40, 8, GOALS[1])],
    ),
    "feature": _rows(
        ["Title", "Persona", "Goal", "Reach", "Impact", "Confidence", "Effort", "MoSCoW"],
        FEATURES,
    ),
    "criterion": _rows(["Criterion", "Weight"], CRITERIA),
    "criterion_score": _rows(
        ["Feature", "Criterion", "Score"],
        [
            (title, criterion, (n * 3 + c * 2) % 10 + 1)
            for n, (title, *_) in enumerate(FEATURES)
            for c, (criterion, _) in enumerate(CRITERIA)
        ],
    ),
    "feedback": _rows(
        ["Feedback", "Feature"],
        [
            ("The calendar finally shows every stage in one place", "Stage calendar"),
            ("I still export to slides every Friday", "Roadmap timeline view"),
            ("Warnings fire for dependencies we dropped", "Dependency warnings"),
            ("The checklist caught a missing sign-off", "Release checklist"),
            ("Rollup numbers do not match the stage plans", "Portfolio rollup"),
        ],
    ),
    "flaw": _rows(
        ["Flaw", "Severity", "Fix", "Feature"],
        [
            ("Dropped dependencies still warn", "high", "Skip dropped items", FEATURES[2][0]),
            ("Rollup counts closed epics twice", "critical", "Count each once", FEATURES[6][0]),
            ("Calendar misses time zones", "medium", "Store dates in UTC", FEATURES[0][0]),
        ],
    ),
    "kpi_reading": _rows(
        ["KPI", "Date", "Value"],
        [
            (KPIS[0], "2026-09-01", 58),
            (KPIS[0], "2026-10-01", 71),
            (KPIS[1], "2026-09-01", 36),
            (KPIS[1], "2026-10-01", 22),
        ],
    ),
    "decision": _rows(
        ["Feature", "Decision", "Rationale"],
        [("Release checklist", "victory", "Every release since has all its sign-offs")],
    ),
}
#: how many items each paste adds
COUNTS = {kind: text.count("\n") for kind, text in PASTES.items()}
