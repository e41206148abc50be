"""Shared test helpers: where the fixtures live."""

import pathlib

import pytest

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
CORPUS = FIXTURES / "corpus"
CAPTURES = FIXTURES / "captures"
EXIM_TRACES = CAPTURES / "exim" / "traces"


@pytest.fixture
def fixtures_dir() -> pathlib.Path:
    return FIXTURES
