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

After a write made by this process, the next snapshot is the one before it with only
the item types the write touched read again (a feature's save reads the 300 features,
not the 1,000 feedback items as well): every statement of a write transaction is seen
on its way to the database (:func:`_seen`), and a commit that bumped one canvas's
counter and only inserted or updated rows of item types is noted (:data:`_journal`).
Anything else — a delete (the database cascades it), a change of the canvas row, a
statement not recognised, two canvases in one transaction — leaves no note, and the
whole canvas is read again. A note counts only if the counter and its ``changed_at``
read now are the ones the write set, so a commit that failed after it was noted can
never stand for another write's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

import pandas as pd
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from strategy_canvas import models as m
from strategy_canvas import scoring
from strategy_canvas.lru import LRUCache
from strategy_canvas.rules import flaw_urgency, kpi_progress, top_features
from strategy_canvas.services import canvases, items, loop, progress

#: how many snapshots the process keeps (each canvas being worked on needs one or two)
CACHE_SIZE = 32


#: the item types each derived table is computed from (``steps`` reads them all)
DERIVED_FROM: dict[str, frozenset[str]] = {
    "ranks": frozenset({"feature", "criterion", "criterion_score"}),
    "top_features": frozenset({"feature", "criterion", "criterion_score"}),
    "kpis": frozenset({"key_result", "kpi_reading"}),
    "flaws": frozenset({"flaw"}),
    "decision_log": frozenset({"feature", "decision"}),
}


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

    def keep_from(self, before: CanvasSnapshot, changed: frozenset[str]) -> None:
        """Take from ``before`` (the same canvas before a write that changed only the
        item types ``changed``) what was derived from item types the write left alone."""
        # (copies first: other threads may be adding to ``before``'s tables meanwhile)
        for kind, frame in list(before._frames.items()):
            if kind not in changed:
                self._frames.setdefault(kind, frame)
        for kind, titles in list(before._titles.items()):
            if kind not in changed:
                self._titles.setdefault(kind, titles)
        for kind, frame in list(before._linked.items()):
            if not ({kind, *items.item_type(kind).links.values()} & changed):
                self._linked.setdefault(kind, frame)
        if "feature" not in changed:
            for key, table in list(before._robustness.items()):
                self._robustness.setdefault(key, table)
        for name, inputs in DERIVED_FROM.items():
            if name in before.__dict__ and not (inputs & changed):
                self.__dict__.setdefault(name, before.__dict__[name])

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


def _reader(session: Session) -> Session:
    """A session of its own on ``session``'s database, for one consistent read."""
    bind = session.get_bind()
    options: dict[str, Any] = {"readonly": True}
    if bind.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    return Session(bind.execution_options(**options), expire_on_commit=False)


def load_snapshot(*, session: Session, canvas_token: str, database_url: str = "") -> CanvasSnapshot:
    """Read the canvas, its change counter and every item in one consistent read.

    The read runs in a session of its own on ``session``'s database, so it sees the
    state committed now whatever ``session`` is doing, and never takes SQLite's write
    lock. On PostgreSQL it runs at REPEATABLE READ, so every statement sees the same
    state and the counter names exactly the state the items are in (SQLite's read
    transaction sees one state throughout). Raises NotFound for a token that names no
    canvas.
    """
    with _reader(session) as reader:
        revision = canvases.get_revision(session=reader, canvas_token=canvas_token)
        canvas = canvases.get_canvas(session=reader, canvas_token=canvas_token)
        rows = {
            kind: items.list_items(session=reader, canvas_token=canvas_token, kind=kind)
            for kind in items.ITEM_TYPES
        }
        reader.expunge_all()  # shared across sessions and threads: detached, read-only
    return CanvasSnapshot(canvas, revision, rows, database_url=database_url)


_cache: LRUCache[CanvasSnapshot] = LRUCache(CACHE_SIZE)

# ------------------------------------------------- what this process's writes touched

#: (database, canvas id, change counter) -> (its changed_at, the item types the write
#: that made it inserted or updated, the counter before that write), for the writes
#: committed by this process
_journal: LRUCache[tuple[datetime, frozenset[str], int]] = LRUCache(256)
#: (database, canvas token) -> canvas id, of the canvases in the cache
_ids: dict[tuple[str, str], int] = {}
#: ``Connection.info`` keys: the item types written in the transaction, and whether a
#: statement was seen whose effect is not known
_WRITTEN = "strategy_canvas.snapshot.written"
_UNKNOWN = "strategy_canvas.snapshot.unknown"
_WRITE = re.compile(
    r'\s*(insert\s+(?:or\s+\w+\s+)?into|update|delete\s+from)\s+"?(\w+)"?', re.IGNORECASE
)
_READ = re.compile(r"\s*(select|begin|pragma|savepoint|release|show)\b", re.IGNORECASE)
_CTE_WRITE = re.compile(r"\b(insert|update|delete)\b", re.IGNORECASE)
_KINDS = {spec.table.__tablename__: kind for kind, spec in items.ITEM_TYPES.items()}


def _effect(statement: str) -> str | None:
    """The item type a statement inserts into or updates; "" for one that changes
    nothing a snapshot holds; None when its effect on a snapshot is not known."""
    write = _WRITE.match(statement)
    if write is None:
        read = _READ.match(statement) is not None or (
            statement.lstrip()[:4].lower() == "with" and not _CTE_WRITE.search(statement)
        )
        return "" if read else None
    verb, table = write.group(1).lower(), write.group(2).lower()
    if table == m.Canvas.__tablename__:
        return None
    kind = _KINDS.get(table)
    if kind is None:
        return ""  # history, drafts, workshops, the counter: not in a snapshot
    return None if verb.startswith("delete") else kind  # the database cascades deletes


def _began(connection: Any) -> None:
    connection.info[_WRITTEN] = set()
    connection.info.pop(_UNKNOWN, None)
    connection.info.pop(items.BUMPED, None)


def _seen(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
    effect = _effect(statement)
    if effect is None:
        connection.info[_UNKNOWN] = True
    elif effect:
        connection.info.setdefault(_WRITTEN, set()).add(effect)


def _committed(connection: Any) -> None:
    """Note what the transaction made, if it bumped one canvas and its writes are known
    (noted before the database's commit: a note is checked against the counter and its
    ``changed_at`` before it is used, so a commit that then fails is never believed)."""
    written = connection.info.pop(_WRITTEN, set())
    unknown = connection.info.pop(_UNKNOWN, False)
    bumped: dict[int, tuple[int, int, datetime]] = connection.info.pop(items.BUMPED, {})
    if len(bumped) != 1 or unknown:
        return
    ((canvas_id, (first, revision, changed_at)),) = bumped.items()
    key = (database_key(connection.engine), canvas_id, revision)
    _journal.put(key, (changed_at, frozenset(written), first - 1))


def _rolled_back(connection: Any) -> None:
    for key in (_WRITTEN, _UNKNOWN, items.BUMPED):
        connection.info.pop(key, None)


event.listen(Engine, "begin", _began)
event.listen(Engine, "before_cursor_execute", _seen)
event.listen(Engine, "commit", _committed)
event.listen(Engine, "rollback", _rolled_back)


def _patched(
    session: Session,
    before: CanvasSnapshot,
    revision: int,
    changed_at: datetime,
    kinds: frozenset[str],
) -> CanvasSnapshot | None:
    """The canvas at ``revision``: ``before`` (at the counter before the write that made
    it) with the item types the write touched read again; None unless the counter now
    is that write's."""
    with _reader(session) as reader:
        now = reader.exec(
            select(m.CanvasRevision.revision, m.CanvasRevision.changed_at).where(
                m.CanvasRevision.canvas_id == before.canvas.id
            )
        ).first()
        if now is None or (int(now[0]), now[1]) != (revision, changed_at):
            return None
        rows: dict[str, Sequence[Any]] = dict(before.rows)
        for kind in kinds:
            token = before.canvas_token
            rows[kind] = items.list_items(session=reader, canvas_token=token, kind=kind)
        reader.expunge_all()
    after = CanvasSnapshot(before.canvas, revision, rows, database_url=before.database_url)
    after.keep_from(before, kinds)
    return after


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
    canvas_id = _ids.get((url, canvas_token))
    note = _journal.get((url, canvas_id, revision)) if canvas_id is not None else None
    if note is not None:
        changed_at, kinds, base = note
        before = _cache.get((url, canvas_token, base))
        patched = _patched(session, before, revision, changed_at, kinds) if before else None
        if patched is not None:
            _cache.put((url, canvas_token, revision), patched)
            return patched
    loaded = load_snapshot(session=session, canvas_token=canvas_token, database_url=url)
    _ids[(url, canvas_token)] = int(loaded.canvas.id or 0)
    _cache.put((url, canvas_token, loaded.revision), loaded)
    if loaded.revision != revision:
        _cache.put((url, canvas_token, revision), loaded)
    return loaded


def clear_cache() -> None:
    """Forget every snapshot (for benchmarks that time a cold start)."""
    _cache.clear()
    _journal.clear()
    _ids.clear()
