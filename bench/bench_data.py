"""Data in and out: a real-sized Jira import, the tracker export, a backup while a
writer saves, and a restore. Figures are printed with ratios against a baseline measured
in the same run; nothing is asserted.

- import: a Jira Cloud "all fields" export of 500 issues as Jira writes it (47 Sprint,
  5 Labels and 51 Attachment columns, comments of 140,000 characters on some issues,
  wiki markup, a byte-order mark, mixed line endings), read, planned and written into
  an empty canvas; the baseline is pandas reading the same bytes (the least any
  importer does).
- tracker export: the large canvas (300 features, 100 roadmap items) as Jira's and
  Linear's CSV, against the features CSV of the same canvas.
- backup: the large canvas (plus 1,000 feedback items) backed up, against its JSON
  export; and what a writer waits for a save while a backup runs, against the same
  save with no backup running (a backup must not stop writers).
- restore: that backup into a new SQLite database.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from bench.common import create_large_canvas, temp_database
from strategy_canvas import db
from strategy_canvas.export import backlog, csv_io, json_io, tracker_csv
from strategy_canvas.services import backup, canvases, items
from tests.backlog_files import MARKUP, JiraIssue, attachment, jira_csv


def _jira_export(issues: int = 500) -> bytes:
    huge = "12/Aug/24 9:14 AM;557058:abc;" + "Log line from the device. " * 5_700
    rows = [
        JiraIssue(
            f"TW-{n}",
            f"Issue {n}: make the pantry view faster for large households",
            issue_type="Epic" if n % 25 == 0 else "Story",
            status=["To Do", "In Progress", "Done", "UAT"][n % 4],
            priority=["High", "Medium", "Low", "Highest"][n % 4],
            points=str(n % 8 + 1),
            description=MARKUP,
            labels=[f"label-{n % 7}", "pantry", "q3", "mobile", "beta"],
            sprints=[f"TW Sprint {k}" for k in range(n % 47)],
            attachments=[attachment(k) for k in range(n % 51)],
            comments=[huge] if n % 50 == 0 else ["12/Aug/24;557058:abc;Looks good."],
            due="24/jun/25",
            parent=str(20_000 + n - n % 25) if n % 25 else "",
            issue_id=20_000 + n,
        )
        for n in range(issues)
    ]
    return jira_csv(rows, line_endings=("\r\n", "\n"))


def _timed(run: object) -> float:
    began = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - began


def bench_import(url: str) -> None:
    raw = _jira_export()
    baseline = _timed(lambda: pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False))
    engine = db.get_engine(url)
    with db.session_scope(engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Import"}).token
    began = time.perf_counter()
    table = backlog.read_backlog(raw)
    read = time.perf_counter() - began
    with db.session_scope(engine) as session:
        began = time.perf_counter()
        plan = backlog.plan_import(
            session=session,
            canvas_token=token,
            backlog=table,
            mapping=backlog.suggest_mapping(table.columns),
        )
        planned = time.perf_counter() - began
        session.rollback()
        began = time.perf_counter()
        result = backlog.apply_import(session=session, canvas_token=token, plan=plan)
        written = time.perf_counter() - began
    print(
        f"import: {len(raw) / 1e6:.1f} MB, {len(table)} issues, {len(table.headers)} columns: "
        f"read {read:.2f} s, plan {planned:.2f} s, write {written:.2f} s "
        f"({result.created} features, {result.scheduled} placed on the roadmap)"
    )
    print(
        f"        read+plan {read + planned:.2f} s = {(read + planned) / baseline:.1f}x pandas "
        f"reading the same file ({baseline:.2f} s); {len(plan.warnings)} notes, "
        f"{len(plan.unknown)} unknown values"
    )


def bench_tracker(url: str, token: str) -> None:
    engine = db.get_engine(url)
    with db.session_scope(engine, readonly=True) as session:
        base = statistics.median(
            _timed(lambda: csv_io.features_csv(session=session, canvas_token=token))
            for _ in range(3)
        )
        for tracker in ("jira", "linear"):
            took = statistics.median(
                _timed(
                    lambda: tracker_csv.tracker_csv(
                        session=session,
                        canvas_token=token,
                        tracker=tracker,  # type: ignore[arg-type]  # noqa: B023
                    )
                )
                for _ in range(3)
            )
            print(
                f"tracker export ({tracker}): {took:.2f} s = {took / base:.2f}x the features CSV "
                f"({base:.2f} s)"
            )


def _save_latencies(url: str, token: str, seconds: float) -> list[float]:
    """How long each save takes, saving one feature again and again for ``seconds``."""
    engine = db.get_engine(url)
    out = []
    deadline = time.perf_counter() + seconds
    with db.session_scope(engine) as session:
        feature = items.list_items(session=session, canvas_token=token, kind="feature")[0]
        version, value = feature.version, 1
        while time.perf_counter() < deadline:
            value = value % 10 + 1
            began = time.perf_counter()
            saved = items.update_item(
                session=session,
                canvas_token=token,
                kind="feature",
                item_id=feature.id,
                changes={"value": value},
                expected_version=version,
            )
            out.append(time.perf_counter() - began)
            version = saved.version
    return out


def bench_backup(url: str, token: str) -> None:
    engine = db.get_engine(url)
    folder = Path(tempfile.mkdtemp(prefix="sc-bench-backup-"))
    with db.session_scope(engine, readonly=True) as session:
        exported = _timed(
            lambda: json_io.dumps(json_io.export_canvas(session=session, canvas_token=token))
        )
    took = _timed(lambda: backup.write_backup(engine=engine, path=folder / "b.jsonl.gz"))
    size = (folder / "b.jsonl.gz").stat().st_size
    print(
        f"backup: {took:.2f} s ({size / 1e6:.2f} MB gzip) = {took / exported:.2f}x the canvas's "
        f"JSON export ({exported:.2f} s)"
    )
    idle = _save_latencies(url, token, 2.0)
    during: list[float] = []
    runs = [0]

    def back_up_again_and_again(stop: threading.Event) -> None:
        while not stop.is_set():
            backup.write_backup(engine=engine, path=folder / "again.jsonl")
            runs[0] += 1

    stop = threading.Event()
    thread = threading.Thread(target=back_up_again_and_again, args=(stop,))
    thread.start()
    try:
        during = _save_latencies(url, token, 3.0)
    finally:
        stop.set()
        thread.join()

    def ms(values: list[float]) -> str:
        p95 = statistics.quantiles(values, n=20)[-1]
        return f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"

    ratio = statistics.median(during) / statistics.median(idle)
    print(
        f"        a save while backups run ({runs[0]} backups, {len(during)} saves): "
        f"{ms(during)}; with none running: {ms(idle)} ({ratio:.1f}x)"
    )
    target = db.make_engine(f"sqlite:///{folder / 'restored.db'}")
    db.migrate(target)
    took = _timed(lambda: backup.restore_backup(engine=target, path=folder / "b.jsonl.gz"))
    print(f"restore into a new SQLite database: {took:.2f} s")
    target.dispose()


def main() -> None:
    url = temp_database()
    bench_import(url)
    token = create_large_canvas(url)
    bench_tracker(url, token)
    bench_backup(url, token)


if __name__ == "__main__":
    main()
