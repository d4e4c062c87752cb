"""Where services are required (CI=true, TESSERA_REQUIRE_SERVICES=1), a test that needs a
missing one fails instead of skipping (tests/services.py and the markers in tests/conftest.py).

The proof runs a tiny pytest in a subprocess, with the project's marker handling, against
services made missing on purpose: SQLite instead of PostgreSQL, a Redis URL on a port where
nothing listens, a PATH without msgfmt.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import require_or_skip

ROOT = Path(__file__).resolve().parents[1]

NEEDS_SERVICES = """
import pytest


@pytest.mark.postgres
def test_needs_postgres():
    pass


@pytest.mark.redis
def test_needs_redis():
    pass


@pytest.mark.catalogues
def test_needs_msgfmt():
    pass
"""

# The project's hook that acts on the markers, under test; no database fixtures, so the
# subprocess needs no test database.
CONFTEST = "from tests.conftest import pytest_runtest_setup  # noqa: F401\n"


def _run_with_services_missing(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_needs_services.py").write_text(NEEDS_SERVICES)
    (tmp_path / "bin").mkdir()
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "DJANGO_"))
        and k not in ("CI", "TESSERA_REQUIRE_SERVICES", "TESSERA_TEST_SQLITE")
    }
    base.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        TEST_REDIS_URL="redis://127.0.0.1:9/0",  # the discard port: nothing listens there
        PATH=str(tmp_path / "bin"),  # no msgfmt
        **env,
    )
    pytest_args = ["-p", "no:cacheprovider", "-c", "pyproject.toml", "--rootdir", str(ROOT)]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args, str(tmp_path / "test_needs_services.py")],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _summary(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.slow  # a pytest subprocess: about 2 s
@pytest.mark.parametrize("env", [{"CI": "true"}, {"TESSERA_REQUIRE_SERVICES": "1"}], ids=str)
def test_a_missing_service_fails_the_test_where_services_are_required(tmp_path, env):
    result = _run_with_services_missing(tmp_path, **env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"\b3 errors\b", _summary(result)), result.stdout
    assert "skipped" not in _summary(result)
    for reason in ("needs PostgreSQL", "needs Redis", "needs GNU gettext's msgfmt"):
        assert re.search(rf"ERROR .*::test_needs_\w+ - Failed: {reason}", result.stdout)
    assert "required: CI=true or TESSERA_REQUIRE_SERVICES=1" in result.stdout


@pytest.mark.slow
def test_a_missing_service_skips_the_test_elsewhere(tmp_path):
    result = _run_with_services_missing(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b3 skipped\b", _summary(result)), result.stdout
    assert "error" not in _summary(result) and "failed" not in _summary(result)


def test_require_or_skip_fails_where_services_are_required(settings):
    settings.TEST_REQUIRE_SERVICES = True
    with pytest.raises(pytest.fail.Exception, match=r"needs Redis \(required: CI=true"):
        require_or_skip("needs Redis")


def test_require_or_skip_skips_elsewhere(settings):
    settings.TEST_REQUIRE_SERVICES = False
    with pytest.raises(pytest.skip.Exception, match="needs Redis"):
        require_or_skip("needs Redis")
