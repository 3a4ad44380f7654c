"""The bad-input cases of issue 5: a clear message naming file and row; unreadable rows listed."""

from __future__ import annotations

import pytest
from audit_paths import AUDIT, KEY

from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.errors import InputError


def _run(name: str, **kw: object) -> object:
    return run_audit([AUDIT / name], AuditOptions(state="OR", **kw), engine="serial", key=KEY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "row", "words"),
    [
        ("bad_empty.csv", 1, "empty"),
        ("bad_no_reason.csv", 1, "no reason column"),
        ("bad_not_a_log.csv", 1, "not a recognised log"),
        ("bad_not_utf8.csv", 3, "not UTF-8"),
        ("bad_wrong_delimiter.csv", 2, "';'-separated"),
    ],
)
def test_refused_with_file_and_row(name: str, row: int, words: str) -> None:
    with pytest.raises(InputError) as exc:
        _run(name)
    assert exc.value.file is not None and exc.value.file.endswith(name)
    assert exc.value.row == row
    assert words in exc.value.describe()


def test_not_utf8_read_with_encoding() -> None:
    r = _run("bad_not_utf8.csv", encoding="latin-1")
    assert r.summary.searches == 3  # type: ignore[attr-defined]


def test_truncated_row_is_listed() -> None:
    r = _run("bad_truncated.csv")
    assert r.summary.searches == 3  # type: ignore[attr-defined]
    assert r.files[0].rows_unreadable == 1  # type: ignore[attr-defined]
    (issue,) = r.issues  # type: ignore[attr-defined]
    assert issue.line == 5 and "unterminated quote" in issue.message


def test_mixed_dates_are_read_and_the_bad_one_listed() -> None:
    r = _run("bad_mixed_dates.csv")
    assert r.summary.searches == 3  # type: ignore[attr-defined]
    kinds = {(i.row, i.kind) for i in r.issues}  # type: ignore[attr-defined]
    assert kinds == {(3, "mixed_date_form"), (4, "unreadable_time")}
    assert any("mixed date forms" in n for n in r.files[0].notes)  # type: ignore[attr-defined]
    assert r.issues_total == 2  # type: ignore[attr-defined]


def test_missing_file() -> None:
    with pytest.raises(InputError, match="no such file"):
        _run("nope.csv")


def test_malformed_json_lines(tmp_path: object) -> None:
    from pathlib import Path

    p = Path(str(tmp_path)) / "log.jsonl"
    p.write_text(
        '{"id": "1", "userId": "u", "searchDate": "2025-01-01 10:00:00", "cameraCount": "3", "reason": "x"}\n'
        '{"id": 2, broken\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        run_audit([p], AuditOptions(), engine="serial", key=KEY)
    assert exc.value.file == str(p) and "Malformed JSON" in exc.value.describe()
