"""The README documents every setting and every CLI command (as datasette's docs do)."""

from __future__ import annotations

from pathlib import Path

from strategy_canvas import cli
from strategy_canvas.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    for name, info in Settings.model_fields.items():
        variable = str(info.validation_alias or name.upper())
        assert f"`{variable}`" in README, f"{variable} is not documented in the README"


def test_every_command_is_documented() -> None:
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for command in commands:
        assert f"strategy-canvas {command}" in README, f"`{command}` is not in the README"


def test_the_two_commands_are_the_makefile_targets() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "make run " in README and "make test " in README
    assert "\nrun:" in makefile and "\ntest:" in makefile
    assert "make test" in ci


def test_the_documented_sync_interval_is_the_default() -> None:
    default = Settings.model_fields["live_sync_seconds"].default
    assert f"| `STRATEGY_CANVAS_SYNC_SECONDS` | `{default:g}` |" in README


def test_streamlit_does_not_collect_garbage_after_every_tick() -> None:
    """runner.postScriptGC runs gc.collect(2) after every run, live ticks included: about
    100 ms of CPU per tick per viewer, which made a workshop's screens lag (bench_live)."""
    import tomllib

    config = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
    assert tomllib.loads(config.read_text())["runner"]["postScriptGC"] is False
