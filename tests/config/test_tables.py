"""Every django-tables2 table (DJANGO_TABLES2_TEMPLATE) stacks on a phone: its wrapper is a
.table-stack and each cell carries its column's heading as data-label (tessera.css shows it)."""

import re

import django_tables2 as tables
from django.template import Context, Template
from django.test import RequestFactory
from django.utils.translation import gettext_lazy as _


class _Table(tables.Table):
    phone = tables.Column(verbose_name=_("Mobile number"))
    # A column with its own cell attributes keeps them and still gets its label.
    balance = tables.Column(verbose_name=_("Balance"), attrs={"td": {"class": "text-end"}})
    action = tables.TemplateColumn('<a href="#">{{ record.phone }}</a>', verbose_name="<b>Go</b>")


def _render(table) -> str:
    request = RequestFactory().get("/")
    template = Template("{% load django_tables2 %}{% render_table table %}")
    return template.render(Context({"table": table, "request": request}))


def test_every_cell_is_labelled_with_its_columns_heading():
    html = _render(_Table([{"phone": "+491701234567", "balance": "12.50"}]))

    assert re.search(r'<div class="[^"]*\btable-stack\b[^"]*">\s*<table', html)
    cells = [attrs.strip() for attrs in re.findall(r"<td ([^>]*)>", html)]
    assert cells == [
        'data-label="Mobile number"',
        'class="text-end" data-label="Balance"',
        'data-label="Go"',  # the heading's text, no markup inside an attribute
    ]


def test_the_empty_text_spans_the_row_without_a_label():
    html = _render(_Table([], empty_text="Nothing yet."))

    assert '<td colspan="3">Nothing yet.</td>' in html
