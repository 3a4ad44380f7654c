"""Paths and the test key shared by the audit tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EUGENE = FIXTURES / "alpr" / "eugene_or" / "EPDSearchAuditLogs.csv"
AUDIT = FIXTURES / "audit"
KEY = b"test-key"
