from __future__ import annotations

import os
import stat

import duckdb
import pytest

from sharemap.audit.pseudo import KEY_ENV, Pseudonymiser, key_file, load_key


def test_sql_matches_python() -> None:
    p = Pseudonymiser(key=b"k" * 80)  # longer than a block: hashed first, as HMAC says
    con = duckdb.connect()
    con.execute(p.sql_macro())
    got = con.execute(
        "SELECT pseudo('plate', ' ab-12 3'), pseudo('user', 'Officer A'), pseudo('user', NULL)"
    ).fetchone()
    assert got == (p("plate", "AB123"), p("user", "Officer A"), None)


def test_key_file_is_created_private() -> None:
    key = load_key()
    path = key_file()
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key() == key


def test_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "shared-secret")
    assert Pseudonymiser()("user", "x") == Pseudonymiser(key=b"shared-secret")("user", "x")
    assert Pseudonymiser()("user", "x") != Pseudonymiser(key=b"other")("user", "x")


def test_plates_in_free_text() -> None:
    p = Pseudonymiser(key=b"k")
    text = p.text("stolen vehicle ZKB670 case 2510494")
    assert text is not None and "ZKB670" not in text and "2510494" in text and "plate:" in text
    assert Pseudonymiser(reveal=True).text("ZKB670") == "ZKB670"
