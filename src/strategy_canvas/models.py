"""The data model: a canvas and the items of its five steps.

Each item type is a small family, as in the FastAPI template:

- ``XBase``   the editable fields with their limits, in ``Field(...)``;
- ``XCreate`` what a write must satisfy (every path validates through it: UI, import,
  CLI, demo), since SQLModel does not enforce limits on ``table=True`` models;
- ``X``       the table, which adds the id, the canvas, the position in its list, the
  version for optimistic concurrency and the timestamps.

An update is validated by merging the changes into the stored row and validating the
result through ``XCreate``; that checks the whole row and needs no second, all-optional
copy of every field (``XUpdate``).

The product's spine is foreign keys: problem → persona → goal → feature → roadmap item
→ key result (KPI) → feedback.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from pydantic import model_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Field, SQLModel

# Constraint names that Alembic can find again, so SQLite batch migrations can drop them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SHORT = 200
MEDIUM = 2_000
LONG = 8_000
#: A feature's description holds what a tracker's issue holds: Jira allows 32,767
#: characters in a description, so a backlog imported from it arrives whole.
DESCRIPTION = 32_767


def utcnow() -> datetime:
    """Now, in UTC (SQLModel stores aware datetimes and returns them in UTC)."""
    return datetime.now(UTC)


def _choice(default: Any, width: int = 24, **kwargs: Any) -> Any:
    """A field whose Literal annotation lists the choices, stored as a short string."""
    return Field(default=default, sa_type=sa.String(width), **kwargs)


def _text(max_length: int, *, required: bool = False, title: str | None = None) -> Any:
    if required:
        return Field(min_length=1, max_length=max_length, title=title, sa_type=sa.Text)
    return Field(default="", max_length=max_length, title=title, sa_type=sa.Text)


def _link(target: str, title: str) -> Any:
    return Field(
        default=None, foreign_key=f"{target}.id", ondelete="SET NULL", index=True, title=title
    )


class Timestamps(SQLModel):
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)


# --------------------------------------------------------------------------- canvas


class CanvasBase(SQLModel):
    name: str = Field(min_length=1, max_length=120, title="Name")
    product: str = Field(default="", max_length=120, title="Product")
    description: str = Field(default="", max_length=MEDIUM, title="Description")
    authors: str = Field(default="", max_length=300, title="Authors")


class CanvasCreate(CanvasBase):
    pass


class Canvas(CanvasBase, Timestamps, table=True):
    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    version: int = Field(default=1, nullable=False)
    archived_at: datetime | None = Field(default=None)


class CanvasRevision(SQLModel, table=True):
    """One row per canvas: bumped by every write, read by live sync (one indexed query)."""

    __tablename__ = "canvas_revision"

    canvas_id: int = Field(foreign_key="canvas.id", primary_key=True, ondelete="CASCADE")
    revision: int = Field(default=0, nullable=False)
    changed_at: datetime = Field(default_factory=utcnow, nullable=False)


#: SQLite reuses the id of the newest row once it is deleted, unless the table says
#: AUTOINCREMENT; the history names items by id, so ids must never come back (as on
#: PostgreSQL, whose sequences never reuse one).
NEVER_REUSE_IDS: dict[str, Any] = {"sqlite_autoincrement": True}


class CanvasItem(Timestamps):
    """What every item of a step has besides its own fields."""

    __table_args__: Any = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0, nullable=False)
    version: int = Field(default=1, nullable=False)

    #: Item-type key used by the services, exports and pages (set on each table).
    kind_key: ClassVar[str]


# --------------------------------------------------------------------- 1. problem & audience


class ProblemBase(SQLModel):
    title: str = Field(min_length=1, max_length=SHORT, title="Title")
    statement: str = _text(LONG, title="Problem statement")
    impact: str = _text(MEDIUM, title="Why it matters")


class ProblemCreate(ProblemBase):
    pass


class Problem(ProblemBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "problem"


PersonaKind = Literal["persona", "segment"]


class PersonaBase(SQLModel):
    name: str = Field(min_length=1, max_length=SHORT, title="Name")
    kind: PersonaKind = _choice("persona", title="Kind")
    description: str = _text(MEDIUM, title="Description")
    jobs: str = _text(MEDIUM, title="Jobs to be done")
    pains: str = _text(MEDIUM, title="Pains")
    gains: str = _text(MEDIUM, title="Gains")
    size: int | None = Field(
        default=None, ge=0, le=10_000_000_000, sa_type=sa.BigInteger, title="Segment size"
    )
    problem_id: int | None = _link("problem", "Problem")


class PersonaCreate(PersonaBase):
    pass


class Persona(PersonaBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "persona"


AlternativeKind = Literal["competitor", "alternative", "workaround"]


class AlternativeBase(SQLModel):
    name: str = Field(min_length=1, max_length=SHORT, title="Name")
    kind: AlternativeKind = _choice("competitor", title="Kind")
    strengths: str = _text(MEDIUM, title="Strengths")
    weaknesses: str = _text(MEDIUM, title="Weaknesses")
    url: str = Field(default="", max_length=500, title="Link")


class AlternativeCreate(AlternativeBase):
    pass


class Alternative(AlternativeBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "alternative"


EvidenceStrength = Literal["anecdotal", "moderate", "strong"]


class EvidenceBase(SQLModel):
    title: str = Field(min_length=1, max_length=SHORT, title="Title")
    source: str = Field(default="", max_length=SHORT, title="Source")
    summary: str = _text(MEDIUM, title="Summary")
    strength: EvidenceStrength = _choice("moderate", title="Strength")
    url: str = Field(default="", max_length=500, title="Link")
    problem_id: int | None = _link("problem", "Problem")


class EvidenceCreate(EvidenceBase):
    pass


class Evidence(EvidenceBase, CanvasItem, table=True):
    """Market evidence: a study, a figure, a quote that supports (or not) the problem."""

    kind_key: ClassVar[str] = "evidence"


AssumptionStatus = Literal["untested", "testing", "validated", "invalidated"]


class AssumptionBase(SQLModel):
    statement: str = Field(min_length=1, max_length=MEDIUM, title="Assumption")
    importance: int = Field(default=3, ge=1, le=5, title="Importance")
    evidence: int = Field(default=1, ge=1, le=5, title="Evidence")
    status: AssumptionStatus = _choice("untested", title="Status")
    test_plan: str = _text(MEDIUM, title="How we will test it")
    persona_id: int | None = _link("persona", "Persona")


class AssumptionCreate(AssumptionBase):
    pass


class Assumption(AssumptionBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "assumption"


# --------------------------------------------------------------------------- 2. vision


class VisionBase(SQLModel):
    statement: str = _text(MEDIUM, title="Vision statement")
    target: str = Field(default="", max_length=SHORT, title="For (target)")
    need: str = Field(default="", max_length=SHORT, title="Who (need)")
    product_name: str = Field(default="", max_length=SHORT, title="Product")
    category: str = Field(default="", max_length=SHORT, title="Is a (category)")
    benefit: str = Field(default="", max_length=SHORT, title="That (benefit)")
    alternative: str = Field(default="", max_length=SHORT, title="Unlike (alternative)")
    differentiator: str = Field(default="", max_length=SHORT, title="It (differentiator)")
    value_proposition: str = _text(MEDIUM, title="Value proposition")
    north_star_metric: str = Field(default="", max_length=SHORT, title="North-star metric")
    north_star_target: str = Field(default="", max_length=SHORT, title="North-star target")
    non_goals: str = _text(MEDIUM, title="Non-goals")


class VisionCreate(VisionBase):
    pass


class Vision(VisionBase, CanvasItem, table=True):
    """One per canvas (the services create it with the canvas)."""

    __table_args__ = (sa.UniqueConstraint("canvas_id"), NEVER_REUSE_IDS)
    kind_key: ClassVar[str] = "vision"


class GoalBase(SQLModel):
    title: str = Field(min_length=1, max_length=SHORT, title="Goal")
    description: str = _text(MEDIUM, title="Description")
    persona_id: int | None = _link("persona", "Persona")


class GoalCreate(GoalBase):
    pass


class Goal(GoalBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "goal"


class KeyResultBase(SQLModel):
    """A key result of a goal, and the KPI that step 5 reads against its target."""

    metric: str = Field(min_length=1, max_length=SHORT, title="Metric")
    unit: str = Field(default="", max_length=40, title="Unit")
    baseline: float | None = Field(default=None, ge=-1e12, le=1e12, title="Baseline")
    target: float | None = Field(default=None, ge=-1e12, le=1e12, title="Target")
    target_date: date | None = Field(default=None, title="Target date")
    goal_id: int | None = _link("goal", "Goal")
    roadmap_item_id: int | None = _link("roadmap_item", "Roadmap item")


class KeyResultCreate(KeyResultBase):
    pass


class KeyResult(KeyResultBase, CanvasItem, table=True):
    __tablename__ = "key_result"
    kind_key: ClassVar[str] = "key_result"


# -------------------------------------------------------------------------- 3. designs

FeatureKind = Literal["feature", "story", "epic"]
FeatureStatus = Literal["idea", "planned", "building", "shipped", "dropped"]
MoSCoW = Literal["must", "should", "could", "wont"]
Kano = Literal["basic", "performance", "delighter", "indifferent", "reverse"]


class FeatureBase(SQLModel):
    title: str = Field(min_length=1, max_length=SHORT, title="Title")
    kind: FeatureKind = _choice("feature", title="Kind")
    description: str = _text(DESCRIPTION, title="Description")
    status: FeatureStatus = _choice("idea", title="Status")
    persona_id: int | None = _link("persona", "Persona")
    goal_id: int | None = _link("goal", "Goal")
    epic_id: int | None = _link("feature", "Epic")
    # RICE: reach per quarter, impact 0.25 (minimal) .. 3 (massive), confidence %, effort
    # in person-months. ICE adds ease; value vs effort uses value.
    reach: int | None = Field(default=None, ge=0, le=1_000_000_000, title="Reach")
    impact: float | None = Field(default=None, ge=0.25, le=3, title="Impact")
    confidence: int | None = Field(default=None, ge=0, le=100, title="Confidence")
    effort: float | None = Field(default=None, gt=0, le=1_000, title="Effort")
    ease: int | None = Field(default=None, ge=1, le=10, title="Ease")
    value: int | None = Field(default=None, ge=1, le=10, title="Value")
    moscow: MoSCoW | None = _choice(None, title="MoSCoW", nullable=True)
    kano: Kano | None = _choice(None, title="Kano", nullable=True)
    # Optional ranges for the robustness analysis: where the team is unsure, it gives
    # the lowest and highest value it believes (else confidence sets the spread).
    reach_low: int | None = Field(default=None, ge=0, le=1_000_000_000, title="Reach (low)")
    reach_high: int | None = Field(default=None, ge=0, le=1_000_000_000, title="Reach (high)")
    effort_low: float | None = Field(default=None, gt=0, le=1_000, title="Effort (low)")
    effort_high: float | None = Field(default=None, gt=0, le=1_000, title="Effort (high)")
    # Where the feature came from when imported from Jira, Linear or Productboard.
    external_key: str = Field(default="", max_length=100, title="External key")
    external_url: str = Field(default="", max_length=1_000, title="External link")
    #: the tracker's labels (Jira labels, Linear labels, Asana tags), comma-separated
    labels: str = _text(MEDIUM, title="Labels")


class FeatureCreate(FeatureBase):
    @model_validator(mode="after")
    def _ranges_hold_the_estimate(self) -> FeatureCreate:
        for name in ("reach", "effort"):
            low, mid, high = (
                getattr(self, f"{name}_low"),
                getattr(self, name),
                getattr(self, f"{name}_high"),
            )
            if low is not None and high is not None and low > high:
                raise PydanticCustomError(
                    "range_order", "must not be above the high value", {"field": f"{name}_low"}
                )
            if mid is not None and low is not None and low > mid:
                raise PydanticCustomError(
                    "range_low", "must not be above the estimate itself", {"field": f"{name}_low"}
                )
            if mid is not None and high is not None and high < mid:
                raise PydanticCustomError(
                    "range_high", "must not be below the estimate itself", {"field": f"{name}_high"}
                )
        return self


class Feature(FeatureBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "feature"


class CriterionBase(SQLModel):
    """A criterion of the team's own weighted scoring (e.g. "Strategic fit", weight 30)."""

    name: str = Field(min_length=1, max_length=80, title="Criterion")
    weight: float = Field(default=1, ge=0, le=100, title="Weight")
    description: str = Field(default="", max_length=SHORT, title="What it means")


class CriterionCreate(CriterionBase):
    pass


class Criterion(CriterionBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "criterion"


class CriterionScoreBase(SQLModel):
    feature_id: int = Field(
        foreign_key="feature.id", index=True, ondelete="CASCADE", title="Feature"
    )
    criterion_id: int = Field(
        foreign_key="criterion.id", index=True, ondelete="CASCADE", title="Criterion"
    )
    score: float = Field(ge=0, le=10, title="Score")


class CriterionScoreCreate(CriterionScoreBase):
    pass


class CriterionScore(CriterionScoreBase, CanvasItem, table=True):
    __tablename__ = "criterion_score"
    __table_args__ = (sa.UniqueConstraint("feature_id", "criterion_id"), NEVER_REUSE_IDS)
    kind_key: ClassVar[str] = "criterion_score"


SketchKind = Literal["link", "image"]
SKETCH_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
SKETCH_MAX_BYTES = 5 * 1024 * 1024


def sniff_image_type(data: bytes) -> str | None:
    """The image type of ``data`` read from its first bytes (PNG, JPEG, GIF, WebP), or None.

    The file's name and the type a browser or a JSON document claims can lie; the
    content decides.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _looks_like_markup(data: bytes) -> bool:
    """SVG, HTML or XML: text that starts with a tag (after a BOM or blank space)."""
    return data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


class SketchBase(SQLModel):
    feature_id: int = Field(
        foreign_key="feature.id", index=True, ondelete="CASCADE", title="Feature"
    )
    caption: str = Field(default="", max_length=SHORT, title="Caption")
    url: str = Field(default="", max_length=1_000, title="Link")
    media_type: str = Field(default="", max_length=40, title="Image type")
    image: bytes | None = Field(
        default=None, max_length=SKETCH_MAX_BYTES, sa_type=sa.LargeBinary, title="Image"
    )


class SketchCreate(SketchBase):
    """A sketch: a link, an image, or both. An image is judged by its bytes here, so the
    page, the JSON import and the command line all apply the same check."""

    @model_validator(mode="after")
    def _link_or_image(self) -> SketchCreate:
        if self.image is None and not self.url:
            raise PydanticCustomError(
                "sketch_empty", "give a link or upload an image", {"field": "url"}
            )
        if self.image is not None:
            found = sniff_image_type(self.image)
            if found is None:
                markup = " (they are markup such as SVG, which can hold scripts)"
                raise PydanticCustomError(
                    "sketch_content",
                    "must be a PNG, JPEG, GIF or WebP image by its content; these bytes "
                    "are not one{markup}{claim}",
                    {
                        "markup": markup if _looks_like_markup(self.image) else "",
                        "claim": f", whatever their label ({self.media_type}) says"
                        if self.media_type
                        else "",
                        "field": "image",
                    },
                )
            if self.media_type != found:
                raise PydanticCustomError(
                    "sketch_type",
                    "must be labelled with the type of its content: it is {found}, labelled {got}",
                    {"found": found, "got": self.media_type or "nothing", "field": "media_type"},
                )
        if self.url and not self.url.startswith(("https://", "http://")):
            raise PydanticCustomError(
                "sketch_url", "must start with https:// or http://", {"field": "url"}
            )
        return self


class Sketch(SketchBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "sketch"


# ------------------------------------------------------------------- 4. implementation

Lane = Literal["now", "next", "later"]
RoadmapStatus = Literal["planned", "in_progress", "done", "blocked"]


class RoadmapItemBase(SQLModel):
    title: str = Field(min_length=1, max_length=SHORT, title="Title")
    feature_id: int | None = _link("feature", "Feature")
    lane: Lane = _choice("next", title="Lane")
    start_date: date | None = Field(default=None, title="Start")
    end_date: date | None = Field(default=None, title="End")
    owner: str = Field(default="", max_length=120, title="Owner")
    team: str = Field(default="", max_length=120, title="Team")
    status: RoadmapStatus = _choice("planned", title="Status")
    milestone: str = Field(default="", max_length=SHORT, title="Milestone")
    notes: str = _text(MEDIUM, title="Notes")


class RoadmapItemCreate(RoadmapItemBase):
    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> RoadmapItemCreate:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise PydanticCustomError(
                "dates_out_of_order", "must not be before the start date", {"field": "end_date"}
            )
        return self


class RoadmapItem(RoadmapItemBase, CanvasItem, table=True):
    __tablename__ = "roadmap_item"
    kind_key: ClassVar[str] = "roadmap_item"


class RoadmapDependencyBase(SQLModel):
    item_id: int = Field(
        foreign_key="roadmap_item.id", index=True, ondelete="CASCADE", title="Roadmap item"
    )
    depends_on_id: int = Field(
        foreign_key="roadmap_item.id", ondelete="CASCADE", title="Depends on"
    )


class RoadmapDependencyCreate(RoadmapDependencyBase):
    pass


class RoadmapDependency(RoadmapDependencyBase, CanvasItem, table=True):
    __tablename__ = "roadmap_dependency"
    __table_args__ = (sa.UniqueConstraint("item_id", "depends_on_id"), NEVER_REUSE_IDS)
    kind_key: ClassVar[str] = "dependency"


RiskStatus = Literal["open", "mitigating", "closed"]


class RiskBase(SQLModel):
    title: str = Field(min_length=1, max_length=SHORT, title="Risk")
    likelihood: int = Field(default=3, ge=1, le=5, title="Likelihood")
    impact: int = Field(default=3, ge=1, le=5, title="Impact")
    mitigation: str = _text(MEDIUM, title="Mitigation")
    owner: str = Field(default="", max_length=120, title="Owner")
    status: RiskStatus = _choice("open", title="Status")
    roadmap_item_id: int | None = _link("roadmap_item", "Roadmap item")


class RiskCreate(RiskBase):
    pass


class Risk(RiskBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "risk"


# ----------------------------------------------------------- 5. feedback, flaws, fixes

FeedbackSource = Literal["usability_test", "interview", "survey", "analytics", "support", "other"]
FeedbackKind = Literal["praise", "problem", "request", "question", "bug"]
Sentiment = Literal["positive", "neutral", "negative"]


class FeedbackBase(SQLModel):
    text: str = Field(min_length=1, max_length=LONG, title="Feedback", sa_type=sa.Text)
    source: FeedbackSource = _choice("interview", title="Source")
    kind: FeedbackKind = _choice("problem", title="Kind")
    sentiment: Sentiment = _choice("neutral", title="Sentiment")
    received_on: date | None = Field(default=None, title="Date")
    author: str = Field(default="", max_length=120, title="From")
    feature_id: int | None = _link("feature", "Feature")
    key_result_id: int | None = _link("key_result", "KPI")
    persona_id: int | None = _link("persona", "Persona")


class FeedbackCreate(FeedbackBase):
    pass


class Feedback(FeedbackBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "feedback"


Severity = Literal["low", "medium", "high", "critical"]
FixStatus = Literal["open", "in_progress", "fixed", "wont_fix"]


class FlawBase(SQLModel):
    title: str = Field(min_length=1, max_length=SHORT, title="Flaw")
    description: str = _text(MEDIUM, title="Description")
    severity: Severity = _choice("medium", title="Severity")
    fix: str = _text(MEDIUM, title="Fix")
    fix_owner: str = Field(default="", max_length=120, title="Fix owner")
    fix_status: FixStatus = _choice("open", title="Fix status")
    feature_id: int | None = _link("feature", "Feature")
    feedback_id: int | None = _link("feedback", "Feedback")


class FlawCreate(FlawBase):
    pass


class Flaw(FlawBase, CanvasItem, table=True):
    kind_key: ClassVar[str] = "flaw"


class KpiReadingBase(SQLModel):
    key_result_id: int = Field(
        foreign_key="key_result.id", index=True, ondelete="CASCADE", title="KPI"
    )
    measured_on: date = Field(title="Date")
    value: float = Field(ge=-1e12, le=1e12, title="Value")
    note: str = Field(default="", max_length=SHORT, title="Note")


class KpiReadingCreate(KpiReadingBase):
    pass


class KpiReading(KpiReadingBase, CanvasItem, table=True):
    __tablename__ = "kpi_reading"
    kind_key: ClassVar[str] = "kpi_reading"


DecisionChoice = Literal["victory", "iterate", "rollback"]
#: how each decision is said (the pages, the reports and the history)
DECISION_LABELS: dict[str, str] = {
    "victory": "Declare victory",
    "iterate": "Iterate",
    "rollback": "Roll back",
}


class DecisionBase(SQLModel):
    feature_id: int = Field(
        foreign_key="feature.id", index=True, ondelete="CASCADE", title="Feature"
    )
    decision: DecisionChoice = _choice("iterate", title="Decision")
    rationale: str = _text(MEDIUM, title="Rationale")
    decided_on: date | None = Field(default=None, title="Date")


class DecisionCreate(DecisionBase):
    pass


class Decision(DecisionBase, CanvasItem, table=True):
    """Per feature: declare victory, iterate, or roll back, and why."""

    __table_args__ = (sa.UniqueConstraint("feature_id"), NEVER_REUSE_IDS)
    kind_key: ClassVar[str] = "decision"


# ---------------------------------------------------------------------------- drafts


class Draft(SQLModel, table=True):
    """An unsaved edit, autosaved so it survives moving between pages and reloading.

    It belongs to one person (``owner_key``, the personal key in their link) and one
    editor (``scope``, e.g. ``feature:12`` or ``feature:new``); ``base_version`` is the
    version of the item the edit started from, so a later save can detect a conflict.
    Drafts never touch the item itself: they are only applied by an explicit save.
    """

    __table_args__ = (sa.UniqueConstraint("canvas_id", "owner_key", "scope"),)

    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", index=True, ondelete="CASCADE")
    owner_key: str = Field(max_length=64)
    scope: str = Field(max_length=80)
    base_version: int | None = Field(default=None)
    data: str = Field(default="{}", sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)


# ------------------------------------------------------------------------- workshops
#
# A facilitated workshop runs on one canvas. Its notes, themes, votes and blind scores
# belong to the canvas too (``canvas_id``, cascading on its delete), so they stay with
# it after the workshop ends. Rights come only from the secrets people hold: the
# facilitator's key, a participant's personal rejoin token, or the public join link
# (see services/workshops.py).

WORKSHOP_STEPS = (1, 2, 3, 4, 5)
WorkshopPhase = Literal["brainstorm", "group", "vote", "score", "discuss"]
WorkshopStatus = Literal["active", "ended"]


class WorkshopBase(SQLModel):
    """What the facilitator sets; every change is validated through WorkshopCreate."""

    title: str = Field(min_length=1, max_length=120, title="Title")
    current_step: int = Field(default=1, ge=1, le=5, title="Step")
    phase: WorkshopPhase = _choice("brainstorm", title="Phase")
    follow_me: bool = Field(default=True, title="Follow me")
    vote_budget: int = Field(default=5, ge=1, le=50, title="Votes per person and step")
    vote_cap: int = Field(default=3, ge=1, le=50, title="Votes per person on one item")
    anonymous_notes: bool = Field(default=True, title="Anonymous notes")
    timer_label: str = Field(default="", max_length=80, title="Timer label")
    timer_read_only: bool = Field(default=False, title="Read-only when time is up")


class WorkshopCreate(WorkshopBase):
    @model_validator(mode="after")
    def _cap_within_budget(self) -> WorkshopCreate:
        if self.vote_cap > self.vote_budget:
            raise PydanticCustomError(
                "vote_cap_budget",
                "must not be above the votes per person ({budget})",
                {"budget": self.vote_budget, "field": "vote_cap"},
            )
        return self


class WorkshopPublic(WorkshopBase):
    """A workshop as participants may see it: no facilitator key."""

    id: int
    canvas_id: int
    join_code: str | None
    link_token: str
    timer_ends_at: datetime | None
    status: WorkshopStatus
    started_at: datetime
    ended_at: datetime | None
    version: int


class Workshop(WorkshopBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", index=True, ondelete="CASCADE")
    #: the facilitator's secret (``secrets.token_urlsafe(24)``); never in a shared URL
    facilitator_key: str = Field(max_length=64, unique=True, index=True)
    #: short code people type to join; cleared when the workshop ends, so codes are
    #: unique among active workshops and can be reused afterwards
    join_code: str | None = Field(default=None, max_length=8, unique=True)
    #: the token of the public join link (shown on the projector with the code)
    link_token: str = Field(max_length=64, unique=True, index=True)
    timer_ends_at: datetime | None = Field(default=None)
    status: WorkshopStatus = _choice("active", width=12)
    started_at: datetime = Field(default_factory=utcnow, nullable=False)
    ended_at: datetime | None = Field(default=None)
    version: int = Field(default=1, nullable=False)
    #: when the holder of the canvas last took over the facilitator's seat (the key
    #: changed); the old key's holder is told, by :attr:`superseded_key_hash`
    taken_over_at: datetime | None = Field(default=None)
    superseded_key_hash: str | None = Field(default=None, max_length=64)


class WorkshopRecord(SQLModel, table=True):
    """The summary of a workshop brought in by a JSON import (the workshop itself, its
    people, notes and votes stay where it ran): kept as the summary the export wrote,
    so the imported canvas's reports can still include it."""

    __tablename__ = "workshop_record"

    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=120)
    ended_at: datetime | None = Field(default=None)
    #: the summary as services.workshops.summary returned it, as JSON text
    summary: str = Field(sa_type=sa.Text)
    imported_at: datetime = Field(default_factory=utcnow, nullable=False)


class WorkshopStep(SQLModel, table=True):
    """Per workshop and step: whether it is locked and what has been revealed."""

    __tablename__ = "workshop_step"

    workshop_id: int = Field(foreign_key="workshop.id", primary_key=True, ondelete="CASCADE")
    step: int = Field(primary_key=True, ge=1, le=5)
    locked: bool = Field(default=False, nullable=False)
    notes_revealed: bool = Field(default=False, nullable=False)
    votes_revealed: bool = Field(default=False, nullable=False)
    scores_revealed: bool = Field(default=False, nullable=False)


class ParticipantBase(SQLModel):
    display_name: str = Field(min_length=1, max_length=40, title="Your name")


class ParticipantCreate(ParticipantBase):
    pass


class ParticipantPublic(ParticipantBase):
    """A participant as others see them: no rejoin token."""

    id: int
    is_facilitator: bool
    ready: bool
    last_seen_at: datetime | None


class Participant(ParticipantBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    #: the personal rejoin token (the facilitator's is their key)
    token: str = Field(max_length=64, unique=True, index=True)
    is_facilitator: bool = Field(default=False, nullable=False)
    ready: bool = Field(default=False, nullable=False)
    joined_at: datetime = Field(default_factory=utcnow, nullable=False)
    last_seen_at: datetime | None = Field(default=None)


class JoinAttempt(SQLModel, table=True):
    """A failed attempt to join by code, kept a few minutes to limit guessing."""

    __tablename__ = "join_attempt"
    __table_args__ = (sa.Index("ix_join_attempt_code_prefix_at", "code_prefix", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    code_prefix: str = Field(max_length=8)
    at: datetime = Field(default_factory=utcnow, nullable=False, index=True)


class ThemeBase(SQLModel):
    step: int = Field(ge=1, le=5, title="Step")
    name: str = Field(min_length=1, max_length=80, title="Theme")


class ThemeCreate(ThemeBase):
    pass


class Theme(ThemeBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", index=True, ondelete="CASCADE")
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, nullable=False)


NOTE_MAX = 500


class NoteBase(SQLModel):
    step: int = Field(ge=1, le=5, title="Step")
    text: str = Field(min_length=1, max_length=NOTE_MAX, title="Note", sa_type=sa.Text)


class NoteCreate(NoteBase):
    pass


class Note(NoteBase, Timestamps, table=True):
    """A sticky note of a workshop; ``promoted_*`` names the item it became, if any."""

    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", index=True, ondelete="CASCADE")
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", index=True, ondelete="SET NULL"
    )
    theme_id: int | None = Field(
        default=None, foreign_key="theme.id", index=True, ondelete="SET NULL"
    )
    promoted_kind: str | None = Field(default=None, max_length=24)
    promoted_item_id: int | None = Field(default=None)
    version: int = Field(default=1, nullable=False)


class VoteBase(SQLModel):
    """A dot vote on a note or on a feature of step 3 (exactly one of the two)."""

    note_id: int | None = Field(
        default=None, foreign_key="note.id", index=True, ondelete="CASCADE", title="Note"
    )
    feature_id: int | None = Field(
        default=None, foreign_key="feature.id", index=True, ondelete="CASCADE", title="Feature"
    )


class VoteCreate(VoteBase):
    @model_validator(mode="after")
    def _one_target(self) -> VoteCreate:
        if (self.note_id is None) == (self.feature_id is None):
            raise PydanticCustomError(
                "vote_target", "vote for one note or one feature", {"field": "note_id"}
            )
        return self


class Vote(VoteBase, table=True):
    __table_args__ = (
        sa.CheckConstraint("(note_id IS NULL) <> (feature_id IS NULL)", name="one_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", index=True, ondelete="CASCADE")
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    step: int = Field(ge=1, le=5)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)


class BlindScoreBase(SQLModel):
    """One person's private estimate of a feature: value and effort, 1 (low) .. 10."""

    feature_id: int = Field(
        foreign_key="feature.id", index=True, ondelete="CASCADE", title="Feature"
    )
    value: int = Field(ge=1, le=10, title="Value")
    effort: int = Field(ge=1, le=10, title="Effort")


class BlindScoreCreate(BlindScoreBase):
    pass


class BlindScore(BlindScoreBase, Timestamps, table=True):
    __tablename__ = "blind_score"
    __table_args__ = (sa.UniqueConstraint("participant_id", "feature_id"),)

    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", index=True, ondelete="CASCADE")
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")


# --------------------------------------------------------------------------- history
#
# What the canvas remembers (see services/activity.py and docs/ARCHITECTURE.md): every
# write of its items records an entry in the same transaction; a version is the whole
# canvas as its JSON export, named; a person's name for their personal key is asked
# once and kept. Deleting a canvas deletes its history and versions.

ACTOR_NAME_MAX = 80
VersionKind = Literal["manual", "workshop", "pdf"]


class Activity(SQLModel, table=True):
    """One entry of a canvas's history: who did what to which item, and when.

    ``data`` is JSON: for a create the item's fields (``after``), for an update the
    changed fields ``before`` and ``after``, for a delete the item and what went with it
    (the links that pointed to it, the rows that were deleted with it), for a reorder
    the ``order`` before and after. ``batch`` groups the entries of one action (a grid
    save of many rows), which an undo takes back together.
    """

    __table_args__ = (
        sa.Index("ix_activity_canvas_id_id", "canvas_id", "id"),
        sa.Index("ix_activity_canvas_id_actor_key_id", "canvas_id", "actor_key", "id"),
        sa.Index("ix_activity_canvas_id_kind_item_id", "canvas_id", "kind", "item_id"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow, nullable=False)
    actor_name: str = Field(max_length=ACTOR_NAME_MAX)
    #: an opaque key of the person (a hash; never the secret itself), for "my last change"
    actor_key: str = Field(default="", max_length=64)
    #: where the write came from: page, workshop, cli, import, system
    via: str = Field(default="page", max_length=16)
    batch: str = Field(default="", max_length=32)
    action: str = Field(max_length=16)
    kind: str = Field(default="", max_length=24)
    item_id: int | None = Field(default=None)
    step: int | None = Field(default=None)
    title: str = Field(default="", max_length=200)
    data: str = Field(default="{}", sa_type=sa.Text)
    #: the entry this one took back (an undo, a restore from the trash), if any
    undoes: int | None = Field(default=None, index=True)


class CanvasVersion(SQLModel, table=True):
    """A named state of the canvas: its JSON export, compressed, and where in the
    history it was taken (the last entry it includes)."""

    __tablename__ = "canvas_version"
    __table_args__ = (sa.UniqueConstraint("canvas_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    canvas_id: int = Field(foreign_key="canvas.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    kind: VersionKind = _choice("manual", width=12)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    actor_name: str = Field(default="", max_length=ACTOR_NAME_MAX)
    activity_id: int = Field(default=0, nullable=False)
    document: bytes = Field(sa_type=sa.LargeBinary)


class VersionCreate(SQLModel):
    name: str = Field(min_length=1, max_length=120, title="Version name")


class PersonBase(SQLModel):
    display_name: str = Field(min_length=1, max_length=40, title="Your name")


class PersonCreate(PersonBase):
    pass


class Person(PersonBase, Timestamps, table=True):
    """The name a person gave once for their personal key (``?me=``), kept by a hash of
    the key, so the history can say who changed what."""

    key_hash: str = Field(max_length=64, primary_key=True)
