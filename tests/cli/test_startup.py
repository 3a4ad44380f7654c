"""Start-up: `sharemap --help` and a simple query import only what they use; `serve` checks its port.

Checked through the modules a fresh interpreter has loaded (robust on a loaded machine), not by
timing; benchmarks/bench_startup.py measures the time against a bare `python -c pass`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharemap.cli.app import COMMANDS, app, load_commands, short_help

CLI_DIR = Path(__file__).resolve().parents[2] / "src" / "sharemap" / "cli"
HEAVY = ("duckdb", "networkx", "pyarrow", "pandas", "numpy", "scipy", "httpx", "uvicorn", "fastapi")
LAW_RULE = ["law", "rule", "--state", "IL", "--actor", "sheriff", "--action", "hold_on_detainer"]
LAW_RULE += ["--process", "detainer", "--date", "2024-06-01"]


def modules_after(argv: list[str], tmp_path: Path) -> tuple[int, str, list[str]]:
    """Run `sharemap ARGV` in a fresh interpreter; its exit code, output and loaded modules."""
    code = (
        "import json, sys\n"
        "from sharemap.cli.app import main\n"
        f"sys.argv = ['sharemap', *{argv!r}]\n"
        "try:\n"
        "    main()\n"
        "    rc = 0\n"
        "except SystemExit as exc:\n"
        "    rc = exc.code or 0\n"
        "print(json.dumps([rc, sorted(sys.modules)]), file=sys.stderr)\n"
    )
    env = {"SHAREMAP_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "100"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    rc, modules = json.loads(out.stderr.strip().splitlines()[-1])
    return rc, out.stdout, modules


def top_level(modules: list[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_help_imports_no_command_module_and_no_heavy_library(tmp_path: Path) -> None:
    rc, out, modules = modules_after(["--help"], tmp_path)
    assert rc == 0
    for name in COMMANDS:
        assert f"\n  {name} " in out, f"{name} missing from sharemap --help"
    assert not top_level(modules) & {*HEAVY, "pydantic", "yaml", "rich"}  # rich: its help renderer
    ours = [m for m in modules if m.startswith("sharemap")]
    assert ours == ["sharemap", "sharemap.cli", "sharemap.cli.app"]


def test_law_rule_imports_the_law_and_nothing_heavy(tmp_path: Path) -> None:
    rc, out, modules = modules_after(LAW_RULE, tmp_path)
    assert rc == 0, out
    assert out.startswith("PROHIBITED")
    assert not top_level(modules) & set(HEAVY)
    assert not [m for m in modules if m.startswith(("sharemap.ledger", "sharemap.flows", "sharemap.audit"))]
    assert "rich" not in top_level(modules)  # its lines go through common.echo


def test_echo_bolds_only_where_rich_would(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`law rule` prints through echo instead of Rich: plain when piped, bold on a terminal."""
    from sharemap.cli import common

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert common._styled(Terminal())
    monkeypatch.setenv("TERM", "dumb")
    assert not common._styled(Terminal())
    assert not common._styled(object())  # a pipe or file: no isatty that says yes
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert common._styled(object())
    monkeypatch.delenv("FORCE_COLOR")
    common.echo("PROHIBITED", bold=True)
    assert capsys.readouterr().out == "PROHIBITED\n"  # captured output is not a terminal


def test_moa_inspector_loads_no_database_library(tmp_path: Path) -> None:
    """`sharemap moa FILE` touches no database, so it imports neither DuckDB nor pyarrow."""
    pdf = Path(__file__).resolve().parents[1] / "fixtures" / "moa" / "not_a_pdf.pdf"
    rc, _, modules = modules_after(["moa", str(pdf)], tmp_path)
    assert rc == 2  # a clear error for a file that is no PDF
    assert not top_level(modules) & {"duckdb", "pyarrow", "networkx", "pandas"}


def test_the_help_table_matches_the_commands() -> None:
    """Each row of COMMANDS names the module that registers the command and its own first paragraph;
    every command module's commands are in the table (a new command cannot be left out of --help)."""
    modules = {module for module, _ in COMMANDS.values()}
    with_register = {p.stem for p in CLI_DIR.glob("*.py") if "\ndef register(" in p.read_text("utf-8")}
    assert modules == with_register
    for module in modules:
        for name, cmd in load_commands(module).items():
            assert COMMANDS.get(name, ("", ""))[0] == module, f"{name} ({module}) is not in COMMANDS"
            assert COMMANDS[name][1] == short_help(cmd), f"help of {name} differs from its docstring"


def test_unknown_command_suggests_a_close_one() -> None:
    result = CliRunner().invoke(app, ["lwa"])
    assert result.exit_code == 2
    assert "No such command 'lwa'" in result.output and "'law'" in result.output


def test_group_help_keeps_whole_first_sentences() -> None:
    result = CliRunner().invoke(app, ["law", "--help"])
    assert result.exit_code == 0
    assert "prohibited, required or permitted, and why." in " ".join(result.output.split())
    assert "..." not in result.output.split("Commands:")[1]  # no sub-command's help cut short


@pytest.fixture
def busy_port() -> object:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_serve_names_a_busy_port_and_builds_nothing(busy_port: int, tmp_path: Path) -> None:
    db = tmp_path / "ledger.duckdb"
    result = CliRunner().invoke(app, ["serve", "--port", str(busy_port), "--db", str(db)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert f"127.0.0.1:{busy_port}" in lines[0] and "in use" in lines[0]
    assert "serving" not in result.output
    assert not db.exists()  # checked before the database is built


def test_serve_port_check_passes_on_a_free_port_and_refuses_nonsense() -> None:
    from sharemap.cli.serve import check_port
    from sharemap.errors import InputError

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    check_port("127.0.0.1", free)  # nothing raised: the port is free again
    with pytest.raises(InputError, match="out of range"):
        check_port("127.0.0.1", 70000)
    with pytest.raises(InputError, match="unknown address"):
        check_port("no-such-host.invalid", free)
