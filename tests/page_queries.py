"""Pages whose number of queries does not grow with their rows: measure a page with one row
of each kind, add many, and assert the same page needs no more queries."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

ROWS = 30
# Whatever the page needs besides its rows (session, user, membership, counts, balances).
CEILING = 30


def page_queries(client, url: str) -> int:
    """How many queries the page `url` makes (100 rows a page)."""
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url, {"per_page": 100})
        assert answer.status_code == 200, url
    return len(queries)


def assert_bounded(client, url: str, add_rows, django_assert_max_num_queries) -> None:
    """`add_rows(n)` adds n rows of each kind the page lists."""
    add_rows(1)
    first = page_queries(client, url)
    assert first <= CEILING, f"{url}: {first} queries for one row"
    add_rows(ROWS)
    with django_assert_max_num_queries(first):
        answer = client.get(url, {"per_page": 100})
    assert answer.status_code == 200
    assert answer.content.decode().count("<tr") > ROWS // 2, f"{url}: the rows are not on the page"
