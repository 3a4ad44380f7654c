from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREMAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHAREMAP_AUDIT_KEY", raising=False)
