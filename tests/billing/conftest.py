"""The invoice pages' world: two tenants, each with a paid card top-up, its invoice (rendered),
a credit note (not rendered yet) and this month's export (ready); see tests/world.py."""

import pytest

from tests.world import World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world(payments=True)
