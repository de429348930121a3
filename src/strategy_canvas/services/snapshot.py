"""The read model: one canvas at one value of its change counter, read once.

A :class:`CanvasSnapshot` carries the rows of every item type and what every reader
derives from them — the ranks under every framework, the KPIs' progress, the flaws by
urgency, the top features, each step's progress and what it misses — each computed by
its rule (:mod:`strategy_canvas.rules`, :func:`strategy_canvas.scoring.rank_table`,
:mod:`strategy_canvas.services.progress`) the first time it is asked for. The pages,
the charts, the PDF, the Markdown, the CSV and JSON exports and the canvas copy all
read it, so they agree by construction (docs/ARCHITECTURE.md, "The read model").

:func:`snapshot` keeps the last snapshots in one LRU for every session of the process,
keyed by (database, canvas, change counter): every write bumps the counter, so a
snapshot never goes stale; an unchanged canvas costs one indexed query (the counter),
or none when the caller knows the counter already. Snapshots are shared: read them,
never change them or their tables in place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

import pandas as pd
from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas import scoring
from strategy_canvas.lru import LRUCache
from strategy_canvas.rules import flaw_urgency, kpi_progress, top_features
from strategy_canvas.services import canvases, items, loop, progress

#: how many snapshots the process keeps (each canvas being worked on needs one or two)
CACHE_SIZE = 32


class CanvasSnapshot(Mapping[str, pd.DataFrame]):
    """Every item of one canvas at one change counter, and what is derived from them.

    As a mapping it is kind -> that kind's items as a DataFrame (id, version and every
    field, in list order), the tables a board and a chart are drawn from. ``rows``
    holds the items themselves (detached model rows, in list order).
    """

    def __init__(
        self,
        canvas: m.Canvas,
        revision: int,
        rows: Mapping[str, Sequence[Any]],
        *,
        database_url: str = "",
    ) -> None:
        self.canvas = canvas
        self.revision = revision
        self.rows: Mapping[str, tuple[Any, ...]] = {k: tuple(v) for k, v in rows.items()}
        #: which database the canvas was read from (part of every cache key)
        self.database_url = database_url
        self._frames: dict[str, pd.DataFrame] = {}
        self._titles: dict[str, dict[int, str]] = {}
        self._linked: dict[str, pd.DataFrame] = {}
        self._robustness: dict[tuple[str, int], pd.DataFrame] = {}

    # ------------------------------------------------------------------ identity

    @property
    def canvas_token(self) -> str:
        return self.canvas.token

    @property
    def key(self) -> tuple[str, str, int]:
        """(database, canvas, change counter): what caches of derived things key on."""
        return (self.database_url, self.canvas.token, self.revision)

    # ----------------------------------------------------------- the item tables

    def __getitem__(self, kind: str) -> pd.DataFrame:
        return self.frame(kind)

    def __iter__(self) -> Iterator[str]:
        return iter(items.ITEM_TYPES)

    def __len__(self) -> int:
        return len(items.ITEM_TYPES)

    def frame(self, kind: str) -> pd.DataFrame:
        """The items of ``kind``: id, version and every field, in list order."""
        found = self._frames.get(kind)
        if found is None:
            spec = items.item_type(kind)
            columns = ["id", "version", *spec.fields]
            found = pd.DataFrame(
                [{c: getattr(r, c) for c in columns} for r in self.rows[kind]], columns=columns
            )
            self._frames[kind] = found
        return found

    def titles(self, kind: str) -> dict[int, str]:
        """id -> title of the items of ``kind`` (as pickers and reports name them)."""
        found = self._titles.get(kind)
        if found is None:
            found = {int(r.id): items.item_title(r) for r in self.rows[kind]}
            self._titles[kind] = found
        return found

    def linked_frame(self, kind: str) -> pd.DataFrame:
        """:meth:`frame`, then each link's title beside it (``persona`` beside
        ``persona_id``), for charts and reports."""
        found = self._linked.get(kind)
        if found is None:
            spec = items.item_type(kind)
            frame = self.frame(kind)
            links = {
                field.removesuffix("_id"): frame[field].map(self.titles(target))
                for field, target in spec.links.items()
            }
            found = frame.assign(**links) if links else frame
            self._linked[kind] = found
        return found

    # ---------------------------------------------------------- derived tables

    @cached_property
    def ranks(self) -> pd.DataFrame:
        """The features ranked under every framework (:func:`scoring.rank_table`)."""
        return scoring.rank_table(
            self.frame("feature"),
            criteria_df=self.frame("criterion"),
            scores_df=self.frame("criterion_score"),
        )

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """Each key result's latest reading against its target
        (:func:`strategy_canvas.rules.kpi_progress.kpi_table`)."""
        return kpi_progress.kpi_table(self.frame("key_result"), self.frame("kpi_reading"))

    @cached_property
    def flaws(self) -> pd.DataFrame:
        """The flaws, most urgent first (:func:`strategy_canvas.rules.flaw_urgency.by_urgency`)."""
        return flaw_urgency.by_urgency(self.frame("flaw"))

    @cached_property
    def top_features(self) -> pd.DataFrame:
        """The features worth naming first
        (:func:`strategy_canvas.rules.top_features.top_features`)."""
        return top_features.top_features(self.frame("feature"), self.ranks)

    def robustness(self, framework: str = "rice", k: int = scoring.DEFAULT_TOP_K) -> pd.DataFrame:
        """How robust the ranking under ``framework`` is for a cut of ``k``
        (:func:`scoring.monte_carlo`, :data:`scoring.ROBUSTNESS_DRAWS` runs with
        :data:`scoring.ROBUSTNESS_SEED`), run once per snapshot: the page, the PDF and
        the Markdown read the same runs."""
        found = self._robustness.get((framework, k))
        if found is None:
            found = scoring.monte_carlo(
                self.frame("feature"),
                framework=framework,
                k=k,
                draws=scoring.ROBUSTNESS_DRAWS,
                seed=scoring.ROBUSTNESS_SEED,
            )
            self._robustness[(framework, k)] = found
        return found

    @cached_property
    def steps(self) -> list[progress.StepProgress]:
        """Each step's progress and what it misses (:func:`progress.evaluate`)."""
        return progress.evaluate({kind: list(rows) for kind, rows in self.rows.items()})

    @property
    def completeness(self) -> float:
        """The whole canvas's progress: the mean of its steps' scores (0..1)."""
        return sum(s.score for s in self.steps) / len(self.steps)

    @cached_property
    def decision_log(self) -> pd.DataFrame:
        """Shipped and building features with their decision (:func:`loop.decision_log`)."""
        return loop.decision_log(self.frame("feature"), self.frame("decision"))


def load_snapshot(*, session: Session, canvas_token: str, database_url: str = "") -> CanvasSnapshot:
    """Read the canvas, its change counter and every item in one consistent read.

    The read runs in a session of its own on ``session``'s database, so it sees the
    state committed now whatever ``session`` is doing, and never takes SQLite's write
    lock. On PostgreSQL it runs at REPEATABLE READ, so every statement sees the same
    state and the counter names exactly the state the items are in (SQLite's read
    transaction sees one state throughout). Raises NotFound for a token that names no
    canvas.
    """
    bind = session.get_bind()
    options: dict[str, Any] = {"readonly": True}
    if bind.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with Session(bind.execution_options(**options), expire_on_commit=False) as reader:
        revision = canvases.get_revision(session=reader, canvas_token=canvas_token)
        canvas = canvases.get_canvas(session=reader, canvas_token=canvas_token)
        rows = {
            kind: items.list_items(session=reader, canvas_token=canvas_token, kind=kind)
            for kind in items.ITEM_TYPES
        }
        reader.expunge_all()  # shared across sessions and threads: detached, read-only
    return CanvasSnapshot(canvas, revision, rows, database_url=database_url)


_cache: LRUCache[CanvasSnapshot] = LRUCache(CACHE_SIZE)


def database_key(engine: Any) -> str:
    """How the cache names ``engine``'s database (its URL, as text)."""
    return str(engine.url.render_as_string(hide_password=False))


def cached(database: str, canvas_token: str, revision: int) -> CanvasSnapshot | None:
    """The snapshot of the canvas at ``revision`` if the cache holds it (no I/O);
    ``database`` is :func:`database_key` of the engine."""
    return _cache.get((database, canvas_token, revision))


def snapshot(*, session: Session, canvas_token: str, revision: int | None = None) -> CanvasSnapshot:
    """The canvas at ``revision`` of its change counter (read now when None), from the
    process's cache, or loaded once for every session (see the module docstring).

    A snapshot loaded for ``revision`` may show a later state when the canvas changed
    in between, never an earlier one.
    """
    url = database_key(session.get_bind().engine)
    if revision is None:
        revision = canvases.get_revision(session=session, canvas_token=canvas_token)
    found = _cache.get((url, canvas_token, revision))
    if found is not None:
        return found
    loaded = load_snapshot(session=session, canvas_token=canvas_token, database_url=url)
    _cache.put((url, canvas_token, loaded.revision), loaded)
    if loaded.revision != revision:
        _cache.put((url, canvas_token, revision), loaded)
    return loaded


def clear_cache() -> None:
    """Forget every snapshot (for benchmarks that time a cold start)."""
    _cache.clear()
