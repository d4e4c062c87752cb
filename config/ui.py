"""Small helpers every list page uses: filtering that shows its errors, and pagination."""

from django.db.models import QuerySet
from django_filters import FilterSet
from django_tables2 import RequestConfig, Table

PER_PAGE = 25


def filtered(filterset: FilterSet) -> QuerySet:
    """The filtered rows; none while the filter form has errors (the form shows them)."""
    if filterset.is_valid():
        return filterset.qs
    return filterset.queryset.none()


def paginated(request, table: Table, per_page: int = PER_PAGE) -> Table:
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    return table
