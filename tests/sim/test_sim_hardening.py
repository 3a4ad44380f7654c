"""Issue 13, item 8 (simulator part): bad scenario files and run sizes give ONE line naming the file or
field and what was expected (exit 2 in the CLI), never a traceback, a hang or gigabytes of memory.

Each case goes through the real CLI (typer's CliRunner) and through the Python API. Before the fix a
`state_law` list raised AttributeError, `date: 2025-02-30` a ValueError from PyYAML, a non-UTF-8 file
UnicodeDecodeError, a folder IsADirectoryError, `--years nan|inf` numpy's "lam value too large",
`--years 1e9` an 8.7 TiB allocation, and `sim des --years nan` never ended.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import sharemap
from sharemap.cli.app import app
from sharemap.errors import InputError
from sharemap.sim.des import run_des
from sharemap.sim.params import check_replicates, check_years
from sharemap.sim.run import read_bookings_file
from sharemap.sim.scenarios import Scenario, load_scenario, parse_scenario

runner = CliRunner()
RUN = ["sim", "run", "--county", "53053", "--replicates", "1", "--engine", "serial"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _billion_laughs() -> str:
    """The classic alias bomb in about 1 kB: nine levels of nine references (9**9 strings if expanded)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines.append("levers: {checks: *i}")
    return "\n".join(lines) + "\n"


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _one_line_error(result: object, *needles: str) -> str:
    """The CLI refused with exit 2 and one `error:` line (no traceback) containing every needle."""
    exit_code = result.exit_code  # type: ignore[attr-defined]
    output = result.output  # type: ignore[attr-defined]
    assert exit_code == 2, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# --- scenario files ------------------------------------------------------------------------------------

BAD_FILES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("state_law_list.yaml", "levers:\n  state_law: [IL, required]\n", ("levers.state_law", "mapping")),
    ("feb30.yaml", "name: x\ndate: 2025-02-30\n", ("field 'date'", "2025-02-30", "YYYY-MM-DD")),
    ("hour25.yaml", "date: 2025-01-01 25:00:00\n", ("field 'date'", "YYYY-MM-DD")),
    ("date_number.yaml", "date: 2025\n", ("field 'date'", "YYYY-MM-DD")),
    ("latin1.yaml", b"name: caf\xe9\n", ("latin1.yaml", "not UTF-8")),
    ("laughs.yaml", _billion_laughs(), ("laughs.yaml", "aliases")),
    ("top_list.yaml", "- a\n- b\n", ("top_list.yaml", "not a mapping")),
    ("agreements_list.yaml", "levers:\n  agreements: [JEM]\n", ("levers.agreements", "mapping")),
    ("states_list.yaml", "levers:\n  agreements: {states: [TX]}\n", ("levers.agreements.states",)),
    ("models_nested.yaml", "levers:\n  agreements: {states: {TX: [[JEM]]}}\n", ("TX", "JEM, TFM, WSO")),
    ("dmv_list.yaml", "levers:\n  dmv_access: [WA]\n", ("levers.dmv_access", "mapping")),
    ("checks_list.yaml", "levers:\n  checks: [a]\n", ("levers.checks",)),
    ("effect_map.yaml", "levers:\n  state_law: {IL: {a: 1}}\n", ("levers.state_law.IL",)),
    ("params_list.yaml", "parameters: [1, 2]\n", ("field 'parameters'", "mapping")),
    ("name_map.yaml", "name: {a: 1}\n", ("field 'name'", "text")),
    ("intensity_inf.yaml", "levers:\n  ero_intensity: .inf\n", ("levers.ero_intensity", "finite")),
    (
        "override_nan.yaml",
        "parameters:\n  jail.default_honour: {value: .nan, assumption: what-if}\n",
        ("parameters.jail.default_honour", "NaN"),
    ),
    ("tagged.yaml", "name: !!int abc\n", ("tagged.yaml", "not valid YAML")),
    ("deep.yaml", "levers: " + "[" * 5000 + "\n", ("deep.yaml", "not valid YAML")),
    ("broken.yaml", "levers: [1\n", ("broken.yaml", "not valid YAML", "line 2")),
]


@pytest.mark.parametrize(("name", "content", "needles"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_scenario_file_gives_one_line_through_the_cli(
    tmp_path: Path, name: str, content: str | bytes, needles: tuple[str, ...]
) -> None:
    path = _write(tmp_path, name, content)
    _one_line_error(runner.invoke(app, [*RUN, "--scenario", str(path)]), *needles)


@pytest.mark.parametrize(("name", "content", "needles"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_scenario_file_gives_input_error_through_the_api(
    tmp_path: Path, name: str, content: str | bytes, needles: tuple[str, ...]
) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(InputError) as err:
        sharemap.load_scenario(path)
    text = str(err.value)
    assert "\n" not in text
    for needle in needles:
        assert needle in text, text


def test_a_folder_or_a_missing_name_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "scenario.yaml"
    folder.mkdir()
    _one_line_error(runner.invoke(app, [*RUN, "--scenario", str(folder)]), "is a folder")
    with pytest.raises(InputError, match="is a folder"):
        sharemap.load_scenario(folder)
    # a bare name that is neither a file nor a shipped scenario lists the shipped ones
    line = _one_line_error(runner.invoke(app, [*RUN, "--scenario", "no-such-scenario"]), "baseline")
    assert "cook-jem" in line
    with pytest.raises(InputError, match="not a valid YAML file name"):
        sharemap.load_scenario("bad\0name.yaml")


def test_a_device_is_refused_without_reading_it() -> None:
    with pytest.raises(InputError, match="not a regular file"):
        load_scenario("/dev/zero")


def test_billion_laughs_is_refused_fast_and_small(tmp_path: Path) -> None:
    path = _write(tmp_path, "laughs.yaml", _billion_laughs())
    assert path.stat().st_size < 1100
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="aliases"):
        load_scenario(path)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1 and peak < 5 * 1024 * 1024, (seconds, peak)


def test_an_oversized_scenario_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREMAP_MAX_YAML_KB", "1")
    path = _write(tmp_path, "big.yaml", "description: " + "x" * 2000 + "\n")
    _one_line_error(runner.invoke(app, [*RUN, "--scenario", str(path)]), "big.yaml", "limit")


def test_real_dates_and_datetimes_still_read(tmp_path: Path) -> None:
    assert load_scenario(_write(tmp_path, "a.yaml", "date: 2024-02-29\n")).date == dt.date(2024, 2, 29)
    with_time = _write(tmp_path, "b.yaml", "date: 2025-03-01 10:00:00\n")
    assert load_scenario(with_time).date == dt.date(2025, 3, 1)
    assert load_scenario(_write(tmp_path, "c.yaml", "date: '2025-03-02'\n")).date == dt.date(2025, 3, 2)
    assert load_scenario("cook-jem").name  # shipped scenarios by name still work


# --- run sizes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--years", "nan"], ("field 'years'", "finite", "years <= 100")),
        (["--years", "inf"], ("field 'years'", "finite")),
        (["--years", "1e9"], ("field 'years'", "over the 100-year limit", "SHAREMAP_MAX_SIM_YEARS")),
        (["--years", "0"], ("field 'years'",)),
        (["--years", "-2"], ("field 'years'",)),
        (["--replicates", "0"], ("field 'replicates'",)),
        (["--replicates", "100000000"], ("field 'replicates'", "SHAREMAP_MAX_SIM_REPLICATES")),
        (["--seed", "-1"], ("field 'seed'", ">= 0")),
    ],
)
def test_bad_run_size_gives_one_line_through_the_cli(args: list[str], needles: tuple[str, ...]) -> None:
    # refused before the ledger database is opened: no --db needed, and the answer is immediate
    _one_line_error(runner.invoke(app, [*RUN, *args]), *needles)


@pytest.mark.parametrize("years", ["nan", "inf", "1e9"])
def test_des_refuses_bad_years_instead_of_hanging(years: str) -> None:
    t0 = time.perf_counter()
    _one_line_error(runner.invoke(app, ["sim", "des", "--county", "10001", "--years", years]), "years")
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("years", [math.nan, math.inf, -math.inf, 1e9, 0, -1, True, "1"])
def test_bad_years_through_the_api(years: object) -> None:
    with pytest.raises(InputError, match="years"):
        sharemap.simulate(Scenario(), county="53053", years=years, engine="serial")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="years"):
        run_des(None, years)  # type: ignore[arg-type]  # refused before the model is touched


def test_bad_replicates_seed_and_workers_through_the_api() -> None:
    for kwargs in (
        {"replicates": 0},
        {"replicates": 10**8},
        {"replicates": 2.5},
        {"seed": -1},
        {"workers": 0},
    ):
        with pytest.raises(InputError):
            sharemap.simulate(Scenario(), county="53053", engine="serial", **kwargs)


def test_the_year_limit_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_years(100) == 100.0
    with pytest.raises(InputError):
        check_years(101)
    monkeypatch.setenv("SHAREMAP_MAX_SIM_YEARS", "500")
    assert check_years(101) == 101.0
    monkeypatch.setenv("SHAREMAP_MAX_SIM_REPLICATES", "5")
    with pytest.raises(InputError, match="1 to 5"):
        check_replicates(6)


# --- the bookings CSV (the other user file of `sim run`) ------------------------------------------------


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"fips,bookings_per_year\n53053,nan\n", "finite"),
        (b"fips,bookings_per_year\n53053,inf\n", "finite"),
        (b"fips,bookings_per_year\n53053\n", "missing column"),
        (b"fips,bookings_per_year\n53053,\xff\n", "not UTF-8"),
        (b'fips,bookings_per_year\n53053,"' + b"9" * 200_000 + b'"\n', "over the 100 kB limit"),
    ],
)
def test_bad_bookings_file_is_one_line(
    tmp_path: Path, content: bytes, needle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the csv module's field limit is process-wide (other readers raise it): the cap is ours, set here
    monkeypatch.setenv("SHAREMAP_MAX_CSV_FIELD_KB", "100")
    path = _write(tmp_path, "bookings.csv", content)
    with pytest.raises(InputError, match=needle):
        read_bookings_file(path)
    _one_line_error(runner.invoke(app, [*RUN, "--bookings", str(path)]), "bookings.csv", needle)


def test_bookings_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        read_bookings_file(tmp_path)


# --- fuzz: any bytes in, a Scenario or a clean InputError out -------------------------------------------

_YAML_BITS = st.sampled_from(
    [
        "name: ",
        "date: ",
        "levers:\n  ",
        "state_law: ",
        "agreements: ",
        "states: ",
        "counties: ",
        "dmv_access: ",
        "parameters:\n  ",
        "checks: ",
        "ero_intensity: ",
        "2025-02-30",
        "2025-12-31",
        "{IL: required}",
        "[JEM, TFM]",
        "&a ",
        "*a",
        "!!int ",
        "!!bool ",
        ".nan",
        ".inf",
        "-1",
        "\n",
        "  ",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ": ",
        ", ",
        "'",
        '"',
        "\xff",
        "\t",
        "\0",
        "null",
        "true",
        "17031",
    ]
)


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_any_bytes_as_a_scenario(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    path.write_bytes(data)
    try:
        assert isinstance(load_scenario(path), Scenario)
    except InputError as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(st.lists(_YAML_BITS, max_size=40).map("".join))
def test_fuzz_yaml_like_text_as_a_scenario(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        assert isinstance(load_scenario(path), Scenario)
    except InputError as exc:
        assert "\n" not in str(exc)


_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.dates()
    | st.sampled_from(["IL", "JEM", "required", "ledger", "none", "17031", "all", "name_only"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)
_KEYS = st.sampled_from(["name", "description", "date", "levers", "parameters"])
_LEVER_KEYS = st.sampled_from(
    ["agreements", "state_law", "ero_priorities", "ero_intensity", "pickup_capacity", "checks", "dmv_access"]
)


@FUZZ
@given(
    st.dictionaries(_KEYS, _VALUES, max_size=5),
    st.dictionaries(_LEVER_KEYS, _VALUES, max_size=7),
)
def test_fuzz_any_structure_as_a_scenario(data: dict[str, object], levers: dict[str, object]) -> None:
    """Every shape a YAML file can parse to (lists where mappings belong, NaN, dates, nesting)."""
    for doc in (data, {**data, "levers": levers}):
        try:
            assert isinstance(parse_scenario(doc, "fuzz.yaml"), Scenario)
        except InputError as exc:
            assert "fuzz.yaml" in str(exc) and "\n" not in str(exc)


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_any_bytes_as_a_bookings_file(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "bookings.csv"
    path.write_bytes(b"fips,bookings_per_year\n" + data)
    try:
        out = read_bookings_file(path)
        assert all(math.isfinite(v) and v >= 0 for v in out.values())
    except InputError as exc:
        assert "\n" not in str(exc)


def test_an_oversized_bookings_file_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAREMAP_MAX_FILE_MB", "0.001")  # about 1 kB
    path = _write(tmp_path, "bookings.csv", "fips,bookings_per_year\n" + "53053,10\n" * 200)
    with pytest.raises(InputError, match=r"over the [0-9.]+ MB limit"):
        read_bookings_file(path)
