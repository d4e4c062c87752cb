"""Page benchmark: how fast the foundation's pages render, next to the cheapest endpoint.

Creates a throwaway test database (PostgreSQL when reachable, as in the tests), loads the
demo data plus 2,000 customers and 200 sub-resellers, then requests each page N times in
one process with Django's test client and prints requests/s, p50 and p99 latency, the
number of queries, and the ratio to /healthz. Run: make bench.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))


def measure(client: Client, url: str) -> dict:
    client.get(url)  # warm up
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    timings = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        answer = client.get(url)
        timings.append(time.perf_counter() - start)
        assert answer.status_code == 200, (url, answer.status_code)
    timings.sort()
    return {
        "rps": REQUESTS / sum(timings),
        "p50": statistics.median(timings) * 1000,
        "p99": timings[int(len(timings) * 0.99) - 1] * 1000,
        "queries": len(queries),
    }


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from accounts.models import User
        from tests.factories import CustomerFactory, SubResellerFactory

        call_command("demo_data", stdout=io.StringIO())
        from resellers.models import Reseller

        alpha = Reseller.objects.get(slug="alpha")
        CustomerFactory.create_batch(2000, reseller=alpha)
        SubResellerFactory.create_batch(200, parent=alpha)

        admin, staff = Client(), Client()
        admin.force_login(User.objects.get(email="admin@baltic.test"))
        staff.force_login(User.objects.get(email="operator@tessera.test"))
        alpha_admin = Client()
        alpha_admin.force_login(User.objects.get(email="user@alpha.test"))

        print(f"database: {settings.TEST_DATABASE_SOURCE}; {REQUESTS} requests per page")
        base = measure(admin, "/healthz")
        rows = [
            ("/healthz (baseline)", base),
            ("/r/ reseller dashboard", measure(admin, "/r/")),
            ("/r/customers/ (2,000 rows, page 1)", measure(alpha_admin, "/r/customers/")),
            ("/staff/resellers/ (203 rows)", measure(staff, "/staff/resellers/")),
            ("/staff/audit/", measure(staff, "/staff/audit/")),
        ]
        print(f"{'page':<38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8} {'ratio':>7}")
        for label, r in rows:
            ratio = r["rps"] / base["rps"]
            print(
                f"{label:<38} {r['rps']:>8.0f} {r['p50']:>8.2f} {r['p99']:>8.2f}"
                f" {r['queries']:>8} {ratio:>7.2f}"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
