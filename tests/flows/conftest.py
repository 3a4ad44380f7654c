"""Shared fixtures for flows tests."""

from __future__ import annotations

import pytest

from sharemap.flows.graph import CachedRules


@pytest.fixture(scope="session")
def rules() -> CachedRules:
    return CachedRules()
