"""The ``strategy-canvas`` command: migrate, demo, list, export, import, back up and
restore; a canvas's history, versions, what changed since one, and a version restored
as a new canvas.

Every command first brings the database (``DATABASE_URL``, SQLite under db/ by default)
up to the newest migration. Errors are reported on stderr as one line, with exit code 2
for bad usage or invalid input and 1 for anything else; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from strategy_canvas import db
from strategy_canvas.services import activity, canvases
from strategy_canvas.services.errors import NotFound, ServiceError, ValidationFailed

if TYPE_CHECKING:
    from sqlmodel import Session

PROG = "strategy-canvas"
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class _UsageError(Exception):
    """Bad input that is not a ServiceError (exit code 2)."""


# ------------------------------------------------------------------------ commands


def _cmd_migrate(args: argparse.Namespace, engine: Engine) -> int:
    print(f"The database is at the newest migration ({_describe(engine)}).")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas import demo

    with db.session_scope(engine) as session:
        if args.if_empty:
            existing = canvases.list_canvases(session=session, include_archived=True)
            if existing:
                print(
                    f"The database holds {len(existing)} canvas"
                    f"{'' if len(existing) == 1 else 'es'} already; no demo created."
                )
                return EXIT_OK
        canvas = demo.create_demo_canvas(session=session)
        print(canvas.token)
    return EXIT_OK


def _cmd_list(args: argparse.Namespace, engine: Engine) -> int:
    with db.session_scope(engine, readonly=True) as session:
        rows = canvases.list_canvases(session=session, include_archived=args.all)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": r.name,
                        "token": r.token,
                        "product": r.product,
                        "changed_at": r.changed_at.isoformat(),
                        "archived": r.archived,
                        "revision": r.revision,
                        "version": r.version,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    if not rows:
        print("No canvases yet; create one in the app or with `strategy-canvas demo`.")
        return EXIT_OK
    for r in rows:
        archived = "  (archived)" if r.archived else ""
        product = f" — {r.product}" if r.product else ""
        print(f"{r.token}  {r.changed_at:%Y-%m-%d %H:%M}  {r.name}{product}{archived}")
    return EXIT_OK


def _steps(text: str | None) -> tuple[int, ...]:
    if not text:
        return (1, 2, 3, 4, 5)
    try:
        steps = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise _UsageError(f"--steps {text!r}: list step numbers, e.g. 1,2,5") from None
    if not steps or any(step not in range(1, 6) for step in steps):
        raise _UsageError(f"--steps {text!r}: steps are numbered 1 to 5")
    return steps


def _workshop_summary(session: Session, args: argparse.Namespace) -> str | None:
    """The key of the workshop summary the report holds: as on the Export page, the
    latest ended workshop's unless ``--workshop`` names another (its title, or the key
    `workshops` lists) or ``none``."""
    from strategy_canvas.services import workshops

    wanted = args.workshop
    if wanted is not None and wanted.strip().lower() == "none":
        return None
    choices = workshops.summary_choices(session=session, canvas_token=args.token)
    if wanted is None:
        return str(choices[0]["key"]) if choices else None
    for choice in choices:
        if wanted.strip() in (choice["key"], choice["title"]):
            return str(choice["key"])
    known = ", ".join(f"{c['title']!r}" for c in choices) or "none has ended yet"
    raise _UsageError(
        f"--workshop {wanted!r}: no ended workshop of this canvas has that title ({known})"
    )


def _cmd_export(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas.export import csv_io, json_io, markdown, pdf, tracker_csv
    from strategy_canvas.services import changes, versions

    steps = _steps(args.steps)
    if args.changes_since and args.format not in ("pdf", "md"):
        raise _UsageError("--changes-since is for the PDF and Markdown reports")
    if args.with_history and args.format != "json":
        raise _UsageError("--with-history is for the JSON export")
    if args.workshop is not None and args.format not in ("pdf", "md"):
        raise _UsageError("--workshop is for the PDF and Markdown reports (JSON holds every one)")
    with db.session_scope(engine, readonly=True) as session:
        name = canvases.get_canvas(session=session, canvas_token=args.token).name
        summary = _workshop_summary(session, args) if args.format in ("pdf", "md") else None
        diff = (
            changes.since_version(
                session=session, canvas_token=args.token, since=args.changes_since
            )
            if args.changes_since
            else None
        )
        if args.format == "json":
            document = json_io.export_canvas(
                session=session, canvas_token=args.token, history=args.with_history
            )
            data = json_io.dumps(document)
        elif args.format == "md":
            data = markdown.render_markdown(
                session=session,
                canvas_token=args.token,
                steps=steps,
                changes=diff,
                workshop=summary,
            )
        elif args.format == "csv":
            writer = csv_io.roadmap_csv if args.table == "roadmap" else csv_io.features_csv
            data = writer(session=session, canvas_token=args.token)
        elif args.format in tracker_csv.TRACKERS:
            data = tracker_csv.tracker_csv(
                session=session,
                canvas_token=args.token,
                tracker=args.format,
                points_per_person_month=args.points_per_month,
            )
        else:
            output = pdf.render_pdf(
                session=session,
                canvas_token=args.token,
                steps=steps,
                theme=args.theme,
                changes=diff,
                workshop=summary,
            )
    payload = data.encode("utf-8") if args.format != "pdf" else output
    if args.format == "pdf":  # for stakeholders: the canvas as they get it is a version
        with db.session_scope(engine) as session:
            saved = versions.save_automatic(
                session=session,
                canvas_token=args.token,
                name=f"PDF of {date.today():%d %b %Y}".replace(" 0", " "),
                kind="pdf",
                actor=activity.COMMAND_LINE,
            )
        print(f"{PROG}: the canvas as exported is version “{saved.name}”", file=sys.stderr)
    if args.output in (None, "-"):
        if args.format == "pdf" and sys.stdout.isatty():
            raise _UsageError("a PDF is not for the terminal: give -o FILE, or pipe it")
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return EXIT_OK
    _write_atomically(Path(args.output), payload)
    print(f"Exported {name!r} to {args.output} ({args.format}, {len(payload):,} bytes)")
    return EXIT_OK


def _cmd_import(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas.export import json_io

    is_csv = args.csv or (args.file != "-" and args.file.lower().endswith((".csv", ".tsv")))
    if not is_csv:
        if args.canvas or args.map:
            raise _UsageError(
                "--canvas and --map are for CSV backlogs; a JSON file becomes a new canvas"
            )
        raw = _read_input(args.file, json_io.MAX_DOCUMENT_BYTES)
        document = json_io.load_document(raw)
        with db.session_scope(engine) as session:
            canvas = json_io.import_canvas(
                session=session,
                document=document,
                actor=activity.importer(f"{Path(args.file).name} (command line)"),
            )
            print(canvas.token)
        return EXIT_OK

    if not args.canvas:
        raise _UsageError("a CSV backlog is imported into a canvas: give --canvas TOKEN")
    return _import_backlog(args, engine)


#: the import's option for each field whose unknown values can be mapped, with an example
VALUE_OPTIONS = {
    "status": ("--status", "status", "'UAT=building'"),
    "moscow": ("--priority", "priority", "'P1 - Critical=must'"),
    "kind": ("--type", "issue type", "'Theme=epic'"),
    "kano": ("--kano", "Kano category", "'Exciter=delighter'"),
}


def _import_backlog(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas.export import backlog
    from strategy_canvas.services import activity

    table = backlog.read_backlog(_read_input(args.file, backlog.MAX_BYTES))
    mapping = (
        backlog.parse_mapping(args.map, table.columns)
        if args.map
        else backlog.suggest_mapping(table.columns)
    )
    value_map = {
        field: backlog.parse_value_map(field, getattr(args, field))
        for field in VALUE_OPTIONS
        if getattr(args, field)
    }
    with db.session_scope(engine) as session:
        canvases.get_canvas(session=session, canvas_token=args.canvas)
        plan = backlog.plan_import(
            session=session,
            canvas_token=args.canvas,
            backlog=table,
            mapping=mapping,
            points_per_person_month=args.points_per_month,
            value_map=value_map,
            date_order=args.dates,
        )
        session.rollback()
        for warning in plan.warnings:
            print(f"{PROG}: note: {warning}", file=sys.stderr)
        for unknown in plan.unknown:
            option = VALUE_OPTIONS[unknown.field][0]
            print(
                f"{PROG}: note: {unknown}; to choose, add {option} "
                f"{shlex.quote(unknown.value + '=' + backlog.CHOICE_FIELDS[unknown.field][0])}",
                file=sys.stderr,
            )
        for problem in plan.errors:
            print(f"{PROG}: {problem}", file=sys.stderr)
        if not plan.ok and not args.skip_invalid:
            rows = len(plan.bad_rows)
            raise ValidationFailed.single(
                "rows",
                "Import",
                f"{rows} row(s) have problems; nothing was imported (fix them, or pass "
                "--skip-invalid to import the other rows)",
                what="CSV import",
            )
        result = backlog.apply_import(
            session=session,
            canvas_token=args.canvas,
            plan=plan,
            skip_invalid=args.skip_invalid,
            actor=activity.importer(Path(args.file).name if args.file != "-" else "CSV backlog"),
        )
    mapped = ", ".join(f"{field}={column}" for field, column in mapping.items())
    print(f"Imported {args.file}: {result.summary()} (columns: {mapped})")
    return EXIT_OK


# ----------------------------------------------------------------------- history


def _cmd_history(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas.services import history

    with db.session_scope(engine, readonly=True) as session:
        canvases.get_canvas(session=session, canvas_token=args.token)
        page = history.feed(session=session, canvas_token=args.token, per_page=args.limit or 10**9)
    if args.json:
        print(json.dumps([_entry_json(e) for e in page.entries], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not page.entries:
        print("No history yet.")
    for entry in page.entries:
        detail = f" ({entry.detail})" if entry.detail else ""
        print(f"{entry.at:%Y-%m-%d %H:%M}  {entry.actor_name}  {entry.sentence}{detail}")
        for change in entry.changes:
            print(f"    {change.label}: {change.before} → {change.after}")
    if args.limit and page.total > len(page.entries):
        print(f"… and {page.total - len(page.entries):,} older entries (--limit 0 for all)")
    return EXIT_OK


def _entry_json(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "who": entry.actor_name,
        "via": entry.via,
        "action": entry.action,
        "kind": entry.kind,
        "item_id": entry.item_id,
        "step": entry.step,
        "title": entry.title,
        "what": entry.sentence,
        "detail": entry.detail,
        "changes": [
            {"field": c.field, "label": c.label, "before": c.before, "after": c.after}
            for c in entry.changes
        ],
        "undo": entry.by_undo,
        "undone": entry.undone,
    }


def _cmd_version_save(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas.services import versions

    with db.session_scope(engine) as session:
        saved = versions.save_version(
            session=session, canvas_token=args.token, name=args.name, actor=activity.COMMAND_LINE
        )
    print(f"Saved version “{saved.name}”")
    return EXIT_OK


def _cmd_version_list(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas.services import versions

    with db.session_scope(engine, readonly=True) as session:
        found = versions.list_versions(session=session, canvas_token=args.token)
    if args.json:
        listed = [
            {
                "name": v.name,
                "kind": v.kind,
                "created_at": v.created_at.isoformat(),
                "by": v.actor_name,
            }
            for v in found
        ]
        print(json.dumps(listed, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not found:
        print("No versions yet; save one with `strategy-canvas version save TOKEN --name …`.")
    for v in found:
        how = versions.KIND_LABELS.get(v.kind, v.kind)
        print(f"{v.created_at:%Y-%m-%d %H:%M}  {v.name}  ({how} by {v.actor_name})")
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas.export import markdown
    from strategy_canvas.services import changes

    with db.session_scope(engine, readonly=True) as session:
        diff = changes.since_version(
            session=session, canvas_token=args.token, since=args.since, until=args.until
        )
    if args.format == "json":
        print(json.dumps(diff.to_dict(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(markdown.changes_markdown(diff, level=1))
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace, engine: Engine) -> int:
    """``restore TOKEN --version NAME``: a version as a new canvas; ``restore FILE``: a
    backup into the empty database (the same as ``restore-backup FILE``)."""
    from strategy_canvas.export import json_io

    if args.version is None:
        if Path(args.token).is_file():
            args.file = args.token
            return _cmd_restore_backup(args, engine)
        raise _UsageError(
            f"{args.token}: no such backup file. To restore a canvas's version as a new "
            "canvas, give its token and --version NAME"
        )
    with db.session_scope(engine) as session:
        canvas = json_io.restore_version(
            session=session,
            canvas_token=args.token,
            name=args.version,
            actor=activity.COMMAND_LINE,
        )
        print(canvas.token)
    return EXIT_OK


def _add_history_commands(sub: Any) -> None:
    p = sub.add_parser("history", help="who changed what in a canvas, newest first")
    p.add_argument("token", metavar="TOKEN", help="the canvas's token (see `list`)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument(
        "--limit", type=int, default=0, metavar="N", help="the newest N entries (default all)"
    )
    p.set_defaults(func=_cmd_history)

    p = sub.add_parser("version", help="save a named version of a canvas, or list them")
    versions_sub = p.add_subparsers(dest="version_command", required=True, metavar="ACTION")
    q = versions_sub.add_parser("save", help="save the canvas as it is now under a name")
    q.add_argument("token", metavar="TOKEN", help="the canvas's token")
    q.add_argument("--name", required=True, help="e.g. 'Sent to the board, 12 Dec'")
    q.set_defaults(func=_cmd_version_save)
    q = versions_sub.add_parser("list", help="the canvas's versions, newest first")
    q.add_argument("token", metavar="TOKEN", help="the canvas's token")
    q.add_argument("--json", action="store_true", help="print a JSON array")
    q.set_defaults(func=_cmd_version_list)

    p = sub.add_parser(
        "diff", help="what changed since a version (until another, or now), in the strategy's words"
    )
    p.add_argument("token", metavar="TOKEN", help="the canvas's token")
    p.add_argument("--since", required=True, metavar="NAME", help="the version to start from")
    p.add_argument("--until", metavar="NAME", help="the version to end at (default: now)")
    p.add_argument("--format", choices=["md", "json"], default="md", help="Markdown or JSON")
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser(
        "restore",
        help="TOKEN --version NAME: a canvas as it was at a version, as a NEW canvas (prints "
        "its token); FILE: a backup into the empty database (as restore-backup)",
    )
    p.add_argument(
        "token", metavar="TOKEN|FILE", help="the canvas's token, or a file written by `backup`"
    )
    p.add_argument("--version", metavar="NAME", help="the version to restore (with a TOKEN)")
    p.set_defaults(func=_cmd_restore)


def _cmd_backup(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas.services import backup

    target = Path(args.file)
    if target.is_dir():
        raise _UsageError(f"{args.file}: is a folder; give the backup's file name")
    if not target.absolute().parent.is_dir():
        raise _UsageError(f"{args.file}: the folder {target.absolute().parent} does not exist")
    summary = backup.write_backup(engine=engine, path=args.file)
    print(f"Backed up {summary.describe()} to {args.file} ({summary.size:,} bytes)")
    return EXIT_OK


def _cmd_restore_backup(args: argparse.Namespace, engine: Engine) -> int:
    from strategy_canvas.services import backup

    path = Path(args.file)
    if not path.is_file():
        raise _UsageError(f"{args.file}: no such backup file")
    summary = backup.restore_backup(engine=engine, path=path)
    total = sum(summary.rows.values())
    print(
        f"Restored {summary.canvases:,} canvas{'es' if summary.canvases != 1 else ''} "
        f"({total:,} rows) from {args.file} into {_describe(engine)}"
    )
    return EXIT_OK


# ------------------------------------------------------------------------- helpers


def _describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _read_input(name: str, limit: int) -> bytes:
    if name == "-":
        raw = sys.stdin.buffer.read(limit + 1)
    else:
        path = Path(name)
        if path.is_dir():
            raise _UsageError(f"{name}: is a folder, not a file")
        size = path.stat().st_size  # raises FileNotFoundError for a missing file
        if size > limit:
            raise ValidationFailed.single(
                "document",
                name,
                f"is {size / 1024 / 1024:.1f} MB; at most "
                f"{limit // 1024 // 1024} MB can be imported",
                what="Import",
            )
        raw = path.read_bytes()
    return raw


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a failure never leaves half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's exit flush cannot fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _error(message: str) -> None:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Strategy Canvas from the command line. The database is DATABASE_URL "
        "(SQLite under db/ by default); every command migrates it first.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("migrate", help="bring the database to the newest migration")
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("demo", help="create the Tidewater demo canvas and print its token")
    p.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database holds any canvas"
    )
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("list", help="list the canvases, most recently changed first")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--all", action="store_true", help="include archived canvases")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("export", help="write a canvas to a file")
    p.add_argument("token", metavar="TOKEN", help="the canvas's token (see `list`)")
    p.add_argument(
        "--format",
        choices=["json", "pdf", "md", "csv", "jira", "linear"],
        default="json",
        help="file format (jira, linear: features and roadmap items as CSV for that "
        "tracker's importer)",
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help="where to write it; '-' or none for standard output"
    )
    p.add_argument("--steps", metavar="1,2,…", help="PDF and Markdown: the steps to include")
    p.add_argument(
        "--theme", choices=["light", "print"], default="light", help="PDF: colours or print"
    )
    p.add_argument(
        "--table", choices=["features", "roadmap"], default="features", help="CSV: which table"
    )
    p.add_argument(
        "--points-per-month",
        type=float,
        default=10.0,
        metavar="N",
        help="jira, linear: story points per person-month, to turn effort into points (default 10)",
    )
    p.add_argument(
        "--changes-since",
        metavar="NAME",
        help="PDF and Markdown: add what changed since this version",
    )
    p.add_argument(
        "--with-history",
        action="store_true",
        help="JSON: include the canvas's versions and its history",
    )
    p.add_argument(
        "--workshop",
        metavar="TITLE",
        help="PDF and Markdown: the summary of this ended workshop (default: the latest "
        "one; 'none' for no summary)",
    )
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "import",
        help="a JSON export as a new canvas, or a backlog CSV (Jira, Linear, Productboard) "
        "into a canvas's features",
    )
    p.add_argument("file", metavar="FILE", help="JSON or CSV file ('-' for standard input)")
    p.add_argument("--csv", action="store_true", help="read FILE as CSV (implied by .csv)")
    p.add_argument("--canvas", metavar="TOKEN", help="CSV: the canvas to import features into")
    p.add_argument(
        "--map",
        metavar="FIELD=COLUMN",
        action="append",
        default=[],
        help="CSV: which column fills which field, e.g. --map title=Summary (repeatable; "
        "without it the columns are matched by name)",
    )
    p.add_argument(
        "--points-per-month",
        type=float,
        default=10.0,
        metavar="N",
        help="CSV: story points per person-month, to turn estimates into effort (default 10)",
    )
    for field, (option, noun, example) in VALUE_OPTIONS.items():
        p.add_argument(
            option,
            dest=field,
            metavar="VALUE=CHOICE",
            action="append",
            default=[],
            help=f"CSV: what a value in the file's {noun} column means here, e.g. {option} "
            f"{example} (repeatable; the import lists the values it does not know)",
        )
    p.add_argument(
        "--dates",
        choices=["dmy", "mdy"],
        help="CSV: read dates such as 11/01/2023 as day/month (dmy) or month/day (mdy) "
        "when the file does not settle it",
    )
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="CSV: import the good rows and list the rows with problems as skipped "
        "(by default a file with a bad row imports nothing)",
    )
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser(
        "backup",
        help="write every canvas, with everything it holds, to one file (while the app "
        "runs; FILE.gz is compressed)",
    )
    p.add_argument("file", metavar="FILE", help="where to write the backup")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser(
        "restore-backup",
        help="load a backup into the empty database DATABASE_URL names (SQLite or "
        "PostgreSQL, whichever the backup came from)",
    )
    p.add_argument("file", metavar="FILE", help="a file written by `backup`")
    p.set_defaults(func=_cmd_restore_backup)
    _add_history_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        engine = db.get_engine()
        db.migrate(engine)
        result: Any = args.func(args, engine)
        return int(result)
    except (ValidationFailed, _UsageError) as exc:
        _error(str(exc))
        return EXIT_USAGE
    except NotFound as exc:
        _error(str(exc))
        return EXIT_ERROR
    except ServiceError as exc:
        _error(str(exc))
        return EXIT_ERROR
    except BrokenPipeError:  # e.g. `strategy-canvas export TOKEN | head`
        _silence_stdout()
        return EXIT_ERROR
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc}")
        return EXIT_ERROR
    except SQLAlchemyError as exc:
        _error(f"database error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:  # never a traceback on the user's terminal
        _error(f"unexpected {type(exc).__name__}: {exc}")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
