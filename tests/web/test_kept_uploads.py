"""Kept audit uploads expire after kept_upload_days (issue 13): evidence for a while, not forever."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sharemap.web import upload


def test_kept_uploads_past_the_limit_are_removed_and_newer_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAREMAP_HOME", str(tmp_path))
    monkeypatch.setenv("SHAREMAP_KEPT_UPLOAD_DAYS", "30")
    folder = upload.kept_folder()
    folder.mkdir(mode=0o700)
    old, new = folder / "a-old.csv", folder / "b-new.csv"
    for p in (old, new):
        p.write_text("plate,time\n")
    now = time.time()
    os.utime(old, (now - 31 * 86400, now - 31 * 86400))
    os.utime(new, (now - 29 * 86400, now - 29 * 86400))
    assert upload.remove_expired_kept(now) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["b-new.csv"]


def test_keeping_a_copy_sweeps_expired_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREMAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHAREMAP_KEPT_UPLOAD_DAYS", "0.0001")  # about 9 s
    folder = upload.kept_folder()
    folder.mkdir(parents=True, mode=0o700)
    stale = folder / "stale.csv"
    stale.write_text("x\n")
    os.utime(stale, (time.time() - 60, time.time() - 60))
    src = tmp_path / "log.csv"
    src.write_text("plate,time\n")
    name = upload._keep_copy(src)
    assert not stale.exists()
    assert (folder / name).stat().st_mode & 0o777 == 0o600
