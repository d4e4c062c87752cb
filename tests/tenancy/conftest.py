"""The page walks open the payment pages: their world has payments."""

import pytest

from tests.world import World, build_world


@pytest.fixture
def world(db) -> World:
    """The two-tenant world with its payments (top-ups, a refund, a statement line)."""
    return build_world(payments=True)
