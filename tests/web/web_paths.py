"""Paths the web tests share (a plain module, so test files need not import a conftest)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EUGENE = FIXTURES / "alpr" / "eugene_or" / "EPDSearchAuditLogs.csv"
