"""Fixtures shared by the scoring tests."""

from __future__ import annotations

import pytest

from scoring.checklist import BUILTIN_DIR, Checklist, load_checklist


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    """The built-in fine-tuning readiness checklist, as the suggester's tests read it."""
    return load_checklist(BUILTIN_DIR / "fine-tuning-readiness.yaml")
