"""The `strategy-canvas` command, in-process through main() and as a real subprocess, on a
temporary SQLite database named by DATABASE_URL."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from strategy_canvas import cli, config, db
from strategy_canvas.services import canvases, items
from tests.reportkit import ended_workshop

SCRIPT = Path(sys.executable).with_name("strategy-canvas")


def _use_database(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    config.get_settings.cache_clear()


@pytest.fixture
def database(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL of a migrated SQLite file of this test's own (so the migration each
    command runs first has nothing to do)."""
    url = sqlite_engine.url.render_as_string(hide_password=False)
    _use_database(url, monkeypatch)
    yield url
    config.get_settings.cache_clear()
    engine = db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def canvas_count(url: str) -> int:
    with db.get_engine(url).connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM canvas")).scalar_one()


def list_json(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "list", "--json", *extra)
    assert (code, err) == (0, "")
    return json.loads(out)


def test_migrate_builds_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'fresh.db'}"  # not even its folder exists yet
    _use_database(url, monkeypatch)
    try:
        code, out, err = run(capsys, "migrate")
        assert (code, err) == (0, "")
        assert "newest migration" in out
        assert canvas_count(url) == 0
        assert run(capsys, "migrate")[0] == 0  # a second time is a no-op
        assert list_json(capsys) == []
    finally:
        config.get_settings.cache_clear()
        db._engines.pop(url).dispose()


def test_demo_list_and_if_empty(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert list_json(capsys) == []

    code, out, err = run(capsys, "demo", "--if-empty")
    assert (code, err) == (0, "")
    token = out.strip()
    assert len(token) >= 20 and " " not in token

    (row,) = list_json(capsys)
    assert row["token"] == token and row["product"] == "Tidewater"
    assert row["name"].startswith("Tidewater") and row["archived"] is False
    assert "T" in row["changed_at"]  # ISO date and time

    code, out, err = run(capsys, "demo", "--if-empty")
    assert (code, err) == (0, "")
    assert "no demo created" in out
    assert canvas_count(database) == 1

    code, out, _ = run(capsys, "demo")  # without the flag: a second demo
    assert code == 0 and out.strip() != token
    assert canvas_count(database) == 2

    code, out, _ = run(capsys, "list")
    assert code == 0 and token in out and "Tidewater" in out


def test_list_all_includes_archived(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "demo")
    (row,) = list_json(capsys)
    with db.session_scope(db.get_engine(database)) as session:
        canvases.set_archived(session=session, canvas_token=row["token"], archived=True)
    assert list_json(capsys) == []
    (archived,) = list_json(capsys, "--all")
    assert archived["token"] == row["token"] and archived["archived"] is True
    assert "(archived)" in run(capsys, "list", "--all")[1]
    # --if-empty counts archived canvases too
    assert "no demo created" in run(capsys, "demo", "--if-empty")[1]


def test_export_to_a_file_and_import_it(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = run(capsys, "demo")[1].strip()
    target = tmp_path / "out" / "tidewater.json"
    target.parent.mkdir()
    code, out, err = run(capsys, "export", token, "--format", "json", "-o", str(target))
    assert (code, err) == (0, "") and str(target) in out
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["format"] == "strategy-canvas" and document["version"] == 1
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind

    code, out, err = run(capsys, "import", str(target))
    assert (code, err) == (0, "")
    new_token = out.strip()
    assert new_token != token
    assert canvas_count(database) == 2

    # the imported canvas exports to the same document, apart from refs and timestamps
    code, out, _ = run(capsys, "export", new_token)
    again = json.loads(out)
    assert again["canvas"] == document["canvas"]
    for kind, entries in document["items"].items():
        strip = [
            {k: v for k, v in e.items() if k != "ref" and not k.endswith("_id")} for e in entries
        ]
        assert strip == [
            {k: v for k, v in e.items() if k != "ref" and not k.endswith("_id")}
            for e in again["items"][kind]
        ], kind


def test_export_to_stdout(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    token = run(capsys, "demo")[1].strip()
    for argv in (["export", token], ["export", token, "-o", "-"]):
        code, out, err = run(capsys, *argv)
        assert (code, err) == (0, "")
        assert json.loads(out)["canvas"]["product"] == "Tidewater"


def _assert_one_line_error(err: str, *fragments: str) -> None:
    assert err.startswith("strategy-canvas: error: "), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def test_errors_are_one_line_with_an_exit_code_and_write_nothing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "demo")
    assert canvas_count(database) == 1

    code, out, err = run(capsys, "export", "no-such-token", "-o", str(tmp_path / "x.json"))
    assert (code, out) == (1, "")
    _assert_one_line_error(err, "No canvas has this link")
    assert not (tmp_path / "x.json").exists()

    code, out, err = run(capsys, "import", str(tmp_path / "missing.json"))
    assert (code, out) == (1, "")
    _assert_one_line_error(err, "missing.json", "No such file")

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "strategy-canvas", "version": 1, "canvas": {', encoding="utf-8")
    code, out, err = run(capsys, "import", str(bad))
    assert (code, out) == (2, "")
    _assert_one_line_error(err, "truncated")

    bad.write_text("this is not json", encoding="utf-8")
    code, _, err = run(capsys, "import", str(bad))
    assert code == 2
    _assert_one_line_error(err, "is not valid JSON")

    invalid = {
        "format": "strategy-canvas",
        "version": 1,
        "canvas": {"name": "Broken"},
        "items": {
            "problem": [{"ref": 1, "title": "x" * 300}],
            "persona": [{"ref": 2, "name": "P", "problem_id": 99}],
        },
    }
    bad.write_text(json.dumps(invalid), encoding="utf-8")
    code, _, err = run(capsys, "import", str(bad))
    assert code == 2
    _assert_one_line_error(
        err,
        "items.problem[0].title: must be at most 200 characters",
        "items.persona[0].problem_id: points to problem ref 99",
    )

    bad.write_text(json.dumps({**invalid, "version": 7}), encoding="utf-8")
    code, _, err = run(capsys, "import", str(bad))
    assert code == 2
    _assert_one_line_error(err, "version: is 7", "newer Strategy Canvas")

    code, _, err = run(capsys, "import", str(tmp_path))
    assert code == 2
    _assert_one_line_error(err, "is a folder")

    assert canvas_count(database) == 1  # nothing was written by any of them


def test_usage_errors_exit_2(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys)[0] == 2
    code, _, err = run(capsys, "export", "tok", "--format", "docx")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err
    assert run(capsys, "--help")[0] == 0


def test_the_installed_command_in_a_subprocess(tmp_path: Path) -> None:
    assert SCRIPT.exists(), f"{SCRIPT} is not installed; run `pip install -e .`"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'sub.db'}"}

    def sub(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *argv],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    demo = sub("demo", "--if-empty")  # on a new database: migrates it, then the demo
    assert demo.returncode == 0, demo.stderr
    token = demo.stdout.strip()

    exported = sub("export", token, "--format", "json")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["canvas"]["product"] == "Tidewater"

    broken = sub("import", "-", stdin=exported.stdout[: len(exported.stdout) // 2])
    assert broken.returncode == 2 and broken.stdout == ""
    _assert_one_line_error(broken.stderr, "truncated")
    assert canvas_count(env["DATABASE_URL"]) == 1
    db._engines.pop(env["DATABASE_URL"]).dispose()


def test_export_pdf_markdown_and_csv(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, token, _ = run(capsys, "demo")
    token = token.strip()
    pdf, md, csv = tmp_path / "c.pdf", tmp_path / "c.md", tmp_path / "r.csv"
    assert run(capsys, "export", token, "--format", "pdf", "--steps", "2,3", "-o", str(pdf))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert run(capsys, "export", token, "--format", "md", "-o", str(md))[0] == 0
    text = md.read_text()
    assert "## 1. Problem & audience" in text or "# 1. Problem & audience" in text
    assert (
        run(capsys, "export", token, "--format", "csv", "--table", "roadmap", "-o", str(csv))[0]
        == 0
    )
    assert csv.read_text().splitlines()[0].startswith("id,title,feature,lane")
    code, _, err = run(
        capsys, "export", token, "--format", "pdf", "--steps", "0,9", "-o", str(tmp_path / "x.pdf")
    )
    assert code == 2 and "steps are numbered 1 to 5" in err
    assert not (tmp_path / "x.pdf").exists()


def test_the_reports_hold_the_latest_workshop_s_summary_or_the_one_named(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As on the Export page: the latest ended workshop's summary by default."""
    with db.session_scope(db.get_engine(database)) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Workshopped"}).token
        ended_workshop(session, token)
    md = tmp_path / "r.md"
    assert run(capsys, "export", token, "--format", "md", "-o", str(md))[0] == 0
    assert "## Workshop: Spring strategy day" in md.read_text()
    assert "### Notes never promoted" in md.read_text()
    named = ("--workshop", "Spring strategy day")
    assert run(capsys, "export", token, "--format", "md", *named, "-o", str(md))[0] == 0
    assert "## Workshop: Spring strategy day" in md.read_text()
    assert (
        run(capsys, "export", token, "--format", "md", "--workshop", "none", "-o", str(md))[0] == 0
    )
    assert "Workshop: Spring strategy day" not in md.read_text()
    code, _, err = run(capsys, "export", token, "--format", "md", "--workshop", "Autumn", "-o", "-")
    assert code == 2 and "--workshop 'Autumn'" in err and "'Spring strategy day'" in err
    code, _, err = run(capsys, "export", token, "--format", "json", *named, "-o", "-")
    assert code == 2 and "--workshop is for the PDF and Markdown" in err


def test_import_a_backlog_csv_into_a_canvas(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = Path(__file__).parent / "data"
    with db.session_scope(db.get_engine(database)) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Backlog"}).token

    def features() -> int:
        with db.get_engine(database).connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM feature")).scalar_one()

    code, _, err = run(capsys, "import", str(data / "jira_export.csv"))
    assert code == 2 and "--canvas TOKEN" in err
    code, _, err = run(capsys, "import", str(data / "jira_bad_rows.csv"), "--canvas", token)
    assert code == 2 and "row 3: Title (column “Summary”) is required" in err
    assert "3 row(s) have problems; nothing was imported" in err and "--skip-invalid" in err
    assert "Priority (MoSCoW) “Whenever” is not one this knows (row 6)" in err
    assert "--priority Whenever=must" in err  # how to map it
    assert features() == 0
    code, out, _ = run(capsys, "import", str(data / "jira_export.csv"), "--canvas", token)
    assert code == 0 and "new" in out
    first = features()
    code, out, _ = run(capsys, "import", str(data / "jira_export_updated.csv"), "--canvas", token)
    assert code == 0 and "updated" in out
    assert features() <= first + 1  # updated by external key, not duplicated
    code, _, err = run(
        capsys,
        "import",
        str(data / "linear_export.csv"),
        "--canvas",
        token,
        "--map",
        "title=Titel",
    )
    assert code == 2 and "no column “Titel”; closest: “Title”" in err
    assert "The file's columns: ID, Team, Title," in err


def test_import_skips_bad_rows_and_maps_statuses_when_asked(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with db.session_scope(db.get_engine(database)) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Backlog"}).token
    backlog_csv = tmp_path / "jira-es.csv"
    backlog_csv.write_bytes(
        "\ufeffResumen,Clave de incidencia,Estado,Prioridad,Campo personalizado (Story Points)\r\n"
        'Despensa,TW-1,UAT,Alta,"2,5"\r\n'
        "Informe,TW-2,On Hold,Media,muchos\r\n"
        "Recordatorios,TW-3,Tareas por hacer,Baja,3\r\n".encode()
    )
    code, out, err = run(
        capsys,
        "import",
        str(backlog_csv),
        "--canvas",
        token,
        "--skip-invalid",
        "--status",
        "UAT=building",
    )
    assert code == 0, err
    assert "2 new, 0 updated, 0 unchanged; skipped row 3, which has problems" in out
    assert "row 3: Effort (column “Campo personalizado (Story Points)”) must be a number" in err
    assert "“On Hold”" in err and "UAT" not in err  # mapped, so no longer unknown
    with db.session_scope(db.get_engine(database), readonly=True) as session:
        stored = {
            f.external_key: f
            for f in items.list_items(session=session, canvas_token=token, kind="feature")
        }
    assert set(stored) == {"TW-1", "TW-3"}
    assert (stored["TW-1"].status, stored["TW-1"].effort, stored["TW-1"].moscow) == (
        "building",
        0.25,
        "should",
    )
    code, _, err = run(capsys, "import", str(backlog_csv), "--canvas", token, "--status", "X=y")
    assert code == 2 and "'y' is not one of idea, planned, building, shipped, dropped" in err


@pytest.mark.parametrize("tracker", ["jira", "linear"])
def test_export_for_a_tracker_and_import_it_back_unchanged(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, tracker: str
) -> None:
    code, out, _ = run(capsys, "demo")
    token = out.strip()
    path = tmp_path / f"{tracker}.csv"
    code, out, err = run(capsys, "export", token, "--format", tracker, "-o", str(path))
    assert code == 0, err
    header = path.read_text().splitlines()[0]
    assert header.startswith(
        "Issue ID,Issue key,Issue Type,Summary" if tracker == "jira" else "ID,Team,Title"
    )
    code, out, err = run(capsys, "import", str(path), "--canvas", token)
    assert code == 0, err
    with db.get_engine(database).connect() as conn:  # one row per feature and roadmap item
        count = "SELECT (SELECT count(*) FROM feature) + (SELECT count(*) FROM roadmap_item)"
        rows = conn.execute(sa.text(count)).scalar_one()
    assert f"0 new, 0 updated, {rows} unchanged" in out


def test_backup_and_restore_backup(
    database: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(capsys, "demo")
    listed = list_json(capsys)
    code, out, err = run(capsys, "backup", str(tmp_path / "nightly.jsonl.gz"))
    assert code == 0, err
    assert out.startswith("Backed up 1 canvas (") and "nightly.jsonl.gz" in out
    code, _, err = run(capsys, "restore-backup", str(tmp_path / "nightly.jsonl.gz"))
    assert code == 2 and "holds rows already" in err and "empty database" in err
    code, _, err = run(capsys, "restore", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "missing.jsonl" in err and "no such backup file" in err
    # `restore TOKEN` is a version's restore, which needs the version's name
    code, _, err = run(capsys, "restore", listed[0]["token"])
    assert code == 2 and "--version NAME" in err
    code, _, err = run(capsys, "backup", str(tmp_path / "no" / "such" / "folder.jsonl"))
    assert code == 2 and "does not exist" in err

    other = f"sqlite:///{tmp_path / 'restored.db'}"
    _use_database(other, monkeypatch)
    try:
        code, out, err = run(capsys, "restore", str(tmp_path / "nightly.jsonl.gz"))
        assert code == 0, err
        assert out.startswith("Restored 1 canvas (") and "restored.db" in out
        assert list_json(capsys) == listed
    finally:
        config.get_settings.cache_clear()
        db._engines.pop(other).dispose()


def test_a_scripted_svg_labelled_png_is_refused_by_the_json_import(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    document = {
        "format": "strategy-canvas",
        "version": 1,
        "canvas": {"name": "Sketchy"},
        "items": {
            "feature": [{"ref": 1, "title": "F"}],
            "sketch": [
                {
                    "ref": 2,
                    "feature_id": 1,
                    "media_type": "image/png",
                    "image_base64": base64.b64encode(svg).decode(),
                }
            ],
        },
    }
    path = tmp_path / "sketchy.json"
    path.write_text(json.dumps(document))
    code, _, err = run(capsys, "import", str(path))
    assert code == 2
    assert "items.sketch[0].image: must be a PNG, JPEG, GIF or WebP image by its content" in err
    assert canvas_count(database) == 0


def test_a_canvas_token_never_reads_as_an_option(monkeypatch: pytest.MonkeyPatch) -> None:
    """One token in 64 from secrets.token_urlsafe starts with "-"; the CLI would take it
    for an option and refuse `export TOKEN`."""
    drawn = iter(["-starts-with-a-dash-xxxx", "Abc-starts-with-a-letter"])
    monkeypatch.setattr(canvases.secrets, "token_urlsafe", lambda n: next(drawn))
    assert canvases.new_token() == "Abc-starts-with-a-letter"


def test_history_versions_diff_and_restore_from_the_command_line(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, token, _ = run(capsys, "demo")
    token = token.strip()
    assert run(capsys, "version", "save", token, "--name", "Sent to the board")[:2] == (
        0,
        "Saved version “Sent to the board”\n",
    )
    code, _, err = run(capsys, "version", "save", token, "--name", "Sent to the board")
    assert code == 2 and "names a version of this canvas already" in err
    with db.session_scope(db.get_engine(database)) as session:
        persona = items.list_items(session=session, canvas_token=token, kind="persona")[0]
        items.delete_item(
            session=session,
            canvas_token=token,
            kind="persona",
            item_id=persona.id,
            expected_version=persona.version,
        )

    code, out, err = run(capsys, "history", token)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].endswith(f"Someone  deleted persona “{persona.name}” (with 17 links)")
    assert "command line  saved version “Sent to the board”" in lines[1]
    code, out, _ = run(capsys, "history", token, "--json", "--limit", "1")
    [entry] = json.loads(out)
    assert (entry["action"], entry["kind"], entry["who"]) == ("delete", "persona", "Someone")

    code, out, _ = run(capsys, "version", "list", token, "--json")
    assert [v["name"] for v in json.loads(out)] == ["Sent to the board"]
    code, out, _ = run(capsys, "diff", token, "--since", "Sent to the board")
    assert code == 0 and out.startswith("# Changes since “Sent to the board”")
    assert "Removed persona" in out
    code, out, _ = run(capsys, "diff", token, "--since", "Sent to the board", "--format", "json")
    diff = json.loads(out)
    assert diff["removed"] == 1 and diff["headline"].startswith("1 removed")
    code, _, err = run(capsys, "diff", token, "--since", "Nope")
    assert code == 1 and "no version named “Nope”" in err

    before = canvas_count(database)
    code, new_token, err = run(capsys, "restore", token, "--version", "Sent to the board")
    assert code == 0 and canvas_count(database) == before + 1
    with db.session_scope(db.get_engine(database), readonly=True) as session:
        restored = items.list_items(session=session, canvas_token=new_token.strip(), kind="persona")
        original = items.list_items(session=session, canvas_token=token, kind="persona")
    assert persona.name in [p.name for p in restored]  # as it was at the version
    assert persona.name not in [p.name for p in original]  # the canvas itself unchanged

    pdf = tmp_path / "board.pdf"
    code, _, err = run(
        capsys,
        "export",
        token,
        "--format",
        "pdf",
        "-o",
        str(pdf),
        "--changes-since",
        "Sent to the board",
    )
    assert code == 0 and "is version “PDF of" in err
    code, out, _ = run(capsys, "version", "list", token)
    assert "PDF of" in out.splitlines()[0] and "(PDF exported by command line)" in out
    code, out, _ = run(capsys, "export", token, "--format", "json", "--with-history")
    document = json.loads(out)
    assert document["versions"][0]["name"] == "Sent to the board"
    assert document["history"][0]["action"] == "create"
    code, _, err = run(capsys, "export", token, "--format", "csv", "--changes-since", "x")
    assert code == 2 and "--changes-since" in err
