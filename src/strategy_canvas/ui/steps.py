"""The five steps of the method and the Overview: their names, purposes and pages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepInfo:
    """One screen of a canvas, as the sidebar and the headings name it."""

    number: int  # 1..5 for the steps, 0 for the Overview
    title: str
    purpose: str
    page: str  # the page file, relative to app.py
    icon: str


HOME_PAGE = "app.py"
WORKSHOP_PAGE = "pages/7_Workshop.py"
EXPORT_PAGE = "pages/8_Export.py"
HISTORY_PAGE = "pages/9_History.py"

OVERVIEW = StepInfo(
    0,
    "Overview",
    "The whole canvas at a glance: how far each step has come.",
    "pages/6_Overview.py",
    ":material/dashboard:",
)

STEPS: dict[int, StepInfo] = {
    s.number: s
    for s in [
        StepInfo(
            1,
            "Problem & audience",
            "Who has which problem, what they use today, the evidence, and the riskiest "
            "assumptions.",
            "pages/1_Problem_and_audience.py",
            ":material/groups:",
        ),
        StepInfo(
            2,
            "Vision",
            "Where the product is going: the vision statement, value proposition, goals with "
            "key results, the north-star metric and the non-goals.",
            "pages/2_Vision.py",
            ":material/flag:",
        ),
        StepInfo(
            3,
            "Designs",
            "The concepts, features and stories that reach the goals, each tied to a persona "
            "and scored for priority.",
            "pages/3_Designs.py",
            ":material/design_services:",
        ),
        StepInfo(
            4,
            "Implementation",
            "The roadmap: now, next and later, with owners, milestones, dependencies and risks.",
            "pages/4_Implementation.py",
            ":material/route:",
        ),
        StepInfo(
            5,
            "Feedback, flaws & fixes",
            "What users and the numbers say, the flaws found and their fixes, and a decision "
            "per feature.",
            "pages/5_Feedback.py",
            ":material/forum:",
        ),
    ]
}


def step_info(step: int) -> StepInfo:
    """The step ``step`` (1..5), or the Overview for 0."""
    return OVERVIEW if step == 0 else STEPS[step]
