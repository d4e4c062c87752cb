"""Invoice benchmark: invoices issued and drawn (PDF/A-3b with Factur-X XML) by 2 processes,
next to a bare one-page WeasyPrint render in one process.

PostgreSQL when reachable (a throwaway test_<name> database, tessera_bench_invoices unless
DATABASE_URL says otherwise; dropped at the end, also on failure). Then:

1. BENCH_INVOICE_RESELLERS (12) approved resellers: a third German (domestic VAT, in German),
   a third Austrian with a VIES-confirmed VAT ID (reverse charge), a third American (USD, not
   taxable, open invoices with bank details).
2. BENCH_INVOICE_WORKERS (2) processes, started with multiprocessing's 'spawn', each with its
   own Django set-up and database connection, take BENCH_INVOICES (200) invoices between them:
   each is issued in its own transaction with `invoice_issue` (a paid top-up's one line) and
   then drawn and stored with `invoice_render` (the XML, the PDF, the document row). The
   tasks the services enqueue go to an in-memory broker nobody reads, so nothing runs twice;
   the mail is not part of the figure. Prints invoices/s over the wall time of all, and the
   per-invoice split (issue, render) at p50/p95.
3. In this process: BENCH_BARE_RENDERS (100) bare renders of a one-page, 20-row HTML table in
   the same font (no PDF/A, no attachment), and the invoice PDF alone (`invoice_pdf`, already
   issued invoices) for the cost of one render; the ratio invoices/s with 2 workers ÷ bare
   renders/s in one process; the goal, ≥ 40 invoices/s with 2 workers, where a bare render
   runs ~30/s per process (ratio ≥ 1.33).
4. Proves the numbers are gapless (1..n per issuer, series and year), every invoice is ready
   and every stored PDF's SHA-256 is the one recorded (document and invoice); exits 1 if not.

Run: make bench-invoices.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tessera_bench_invoices")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

INVOICES = int(os.environ.get("BENCH_INVOICES", "200"))
WORKERS = int(os.environ.get("BENCH_INVOICE_WORKERS", "2"))
RESELLERS = int(os.environ.get("BENCH_INVOICE_RESELLERS", "12"))
BARE_RENDERS = int(os.environ.get("BENCH_BARE_RENDERS", "100"))
GOAL = 40.0  # invoices/s with 2 workers
BARE_REFERENCE = 30.0  # bare renders/s per process the goal was set against
START_METHOD = "spawn"


def percentile(sorted_values: list[float], q: float) -> float:
    index = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


def quiet_tasks() -> None:
    """Tasks the services enqueue go to an in-memory broker: the benchmark calls the render
    itself, and nothing else (the mail) runs."""
    from celery import current_app

    current_app.conf.task_always_eager = False
    current_app.conf.broker_url = "memory://localhost/"
    current_app.conf.broker_transport = None


# --- step 1 ------------------------------------------------------------------------------------


def create_resellers() -> list[int]:
    from tests.billing.documents_helpers import austrian_reseller, german_reseller, us_reseller

    makers = (german_reseller, austrian_reseller, us_reseller)
    ids = []
    for n in range(RESELLERS):
        maker = makers[n % len(makers)]
        language = "de" if maker is german_reseller else "en"
        ids.append(maker(language=language, name=f"Bench {n}").pk)
    return ids


# --- step 2 worker (runs in a spawned process) -------------------------------------------------


def worker(db_name: str, index: int, jobs: list, barrier, results) -> None:
    try:
        django.setup()
        from django.conf import settings
        from django.db import connection

        from billing.services.documents import invoice_render
        from resellers.models import Reseller
        from tests.billing.documents_helpers import issue_topup_invoice

        settings.DATABASES["default"]["NAME"] = db_name
        connection.settings_dict["NAME"] = db_name
        quiet_tasks()
        resellers = {r.pk: r for r in Reseller.objects.select_related("vat_check")}
        warm = resellers[jobs[0][0]]  # fonts, template, stylesheet: once per process
        invoice_render(invoice_id=issue_topup_invoice(warm, key=f"warm-{index}").pk)
        barrier.wait()
        timings = []
        cpu0 = time.process_time()
        start = time.perf_counter()
        for reseller_id, key in jobs:
            t0 = time.perf_counter()
            invoice = issue_topup_invoice(resellers[reseller_id], key=key, paid=key[-1] != "7")
            t1 = time.perf_counter()
            status = invoice_render(invoice_id=invoice.pk)
            t2 = time.perf_counter()
            if status != "ready":
                raise RuntimeError(f"invoice {invoice.number}: {status}")
            timings.append((t1 - t0, t2 - t1))
        end = time.perf_counter()
        cpu = time.process_time() - cpu0
        connection.close()
        results.put((index, start, end, timings, cpu, None))
    except BaseException:
        barrier.abort()
        results.put((index, 0.0, 0.0, [], 0.0, traceback.format_exc()))


def run_workers(db_name: str, reseller_ids: list[int]) -> dict:
    jobs = [(reseller_ids[n % len(reseller_ids)], f"bench-{n}") for n in range(INVOICES)]
    ctx = mp.get_context(START_METHOD)
    barrier = ctx.Barrier(WORKERS + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(db_name, i, jobs[i::WORKERS], barrier, results))
        for i in range(WORKERS)
    ]
    for p in procs:
        p.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=180)
    got = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    errors = [r[5] for r in got if r[5]]
    if errors:
        raise RuntimeError("a worker failed:\n" + errors[0])
    seconds = max(r[2] for r in got) - min(r[1] for r in got)
    issue = sorted(t[0] for r in got for t in r[3])
    render = sorted(t[1] for r in got for t in r[3])
    return {
        "count": len(render),
        "seconds": seconds,
        "rate": len(render) / seconds,
        "cpu_ms": sum(r[4] for r in got) / len(render) * 1000,
        "issue_p50": statistics.median(issue) * 1000,
        "issue_p95": percentile(issue, 0.95) * 1000,
        "render_p50": statistics.median(render) * 1000,
        "render_p95": percentile(render, 0.95) * 1000,
    }


# --- step 3 ------------------------------------------------------------------------------------


def bare_html() -> str:
    from billing.pdf_fonts import FAMILY, font_face_css

    rows = "".join(
        f"<tr><td>{n}</td><td>Item number {n} of the list</td><td>{n * 3},50 €</td></tr>"
        for n in range(1, 21)
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{font_face_css()}"
        f' html {{ font-family: "{FAMILY}"; font-size: 9pt; }} @page {{ size: A4; }}'
        " td { padding: 1mm 2mm; border-bottom: 0.2mm solid #ccc; }</style></head>"
        f"<body><h1>Bare page</h1><table>{rows}</table></body></html>"
    )


def bare_renders() -> dict:
    """Plain one-page renders in this process: the same font, a FontConfiguration reused."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    html = bare_html()
    font_config = FontConfiguration()
    for _ in range(5):
        HTML(string=html).render(font_config=font_config).write_pdf()
    times = []
    start = time.perf_counter()
    for _ in range(BARE_RENDERS):
        t0 = time.perf_counter()
        HTML(string=html).render(font_config=font_config).write_pdf()
        times.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - start
    times.sort()
    return {"rate": BARE_RENDERS / seconds, "p50": statistics.median(times) * 1000}


def invoice_pdf_alone(limit: int = 60) -> dict:
    """The invoice's XML + PDF/A-3b alone, in one process (already issued invoices)."""
    from billing.facturx import invoice_xml
    from billing.models import Invoice
    from billing.services.documents import invoice_pdf

    invoices = list(
        Invoice.objects.select_related("credited_invoice").prefetch_related("lines")[:limit]
    )
    invoice_pdf(invoice=invoices[0], xml=invoice_xml(invoices[0]))
    xml_times, pdf_times, sizes = [], [], []
    for invoice in invoices:
        t0 = time.perf_counter()
        xml = invoice_xml(invoice)
        t1 = time.perf_counter()
        pdf = invoice_pdf(invoice=invoice, xml=xml)
        t2 = time.perf_counter()
        xml_times.append(t1 - t0)
        pdf_times.append(t2 - t1)
        sizes.append(len(pdf))
    return {
        "xml_ms": statistics.median(xml_times) * 1000,
        "pdf_ms": statistics.median(pdf_times) * 1000,
        "pdf_kb": statistics.median(sizes) / 1024,
    }


# --- step 4 ------------------------------------------------------------------------------------


def verify() -> list[str]:
    from billing.models import Invoice, InvoiceDocument

    problems = []
    series: dict[tuple, list[int]] = {}
    for key, code, year, sequence in Invoice.objects.values_list(
        "issuer_key", "series", "year", "sequence"
    ):
        series.setdefault((key, code, year), []).append(sequence)
    for name, sequences in series.items():
        if sorted(sequences) != list(range(1, len(sequences) + 1)):
            problems.append(f"numbers of {name} are not 1..{len(sequences)}")
    not_ready = Invoice.objects.exclude(render_status=Invoice.Render.READY).count()
    if not_ready:
        problems.append(f"{not_ready} invoices not ready")
    checked = 0
    for document in InvoiceDocument.objects.select_related("invoice").iterator(chunk_size=50):
        digest = hashlib.sha256(bytes(document.pdf)).hexdigest()
        if not digest == document.pdf_sha256 == document.invoice.pdf_sha256:
            problems.append(f"PDF of {document.invoice.number}: SHA-256 differs")
        if hashlib.sha256(bytes(document.xml)).hexdigest() != document.xml_sha256:
            problems.append(f"XML of {document.invoice.number}: SHA-256 differs")
        checked += 1
    if checked != Invoice.objects.count():
        problems.append(f"{checked} documents for {Invoice.objects.count()} invoices")
    return problems


def main() -> int:
    django.setup()
    from django.db import OperationalError, connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    try:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    except OperationalError as exc:
        print(f"bench/invoices.py: cannot reach the database: {exc}", file=sys.stderr)
        return 2
    db_name = connection.settings_dict["NAME"]
    try:
        if connection.vendor != "postgresql":
            print(f"note: {connection.vendor}, not PostgreSQL: figures are not comparable")
        quiet_tasks()
        print(
            f"database: {db_name} ({connection.vendor}); {WORKERS} worker processes "
            f"(multiprocessing '{START_METHOD}'), {INVOICES} invoices, {os.cpu_count()} CPUs"
        )
        reseller_ids = create_resellers()
        print(f"[1] {len(reseller_ids)} resellers (DE domestic, AT reverse charge, US)")
        connection.close()
        ours = run_workers(db_name, reseller_ids)
        print(
            f"[2] issue + render x{ours['count']} with {WORKERS} processes in "
            f"{ours['seconds']:.2f} s: {ours['rate']:.1f} invoices/s; per invoice: issue p50 "
            f"{ours['issue_p50']:.1f} ms (p95 {ours['issue_p95']:.1f}), render p50 "
            f"{ours['render_p50']:.1f} ms (p95 {ours['render_p95']:.1f}); worker CPU "
            f"{ours['cpu_ms']:.1f} ms per invoice"
        )
        bare = bare_renders()
        alone = invoice_pdf_alone()
        ratio = ours["rate"] / bare["rate"]
        print(
            f"[3] bare one-page render (20-row table, same font), 1 process: "
            f"{bare['rate']:.1f} renders/s (p50 {bare['p50']:.1f} ms); invoice alone, "
            f"1 process: XML {alone['xml_ms']:.1f} ms + PDF/A-3b {alone['pdf_ms']:.1f} ms "
            f"(p50), {alone['pdf_kb']:.0f} KB"
        )
        goal_ratio = GOAL / BARE_REFERENCE
        print(
            f"    ratio invoices/s ({WORKERS} workers) / bare renders/s (1 process) = "
            f"{ratio:.2f}; goal: >= {GOAL:.0f} invoices/s with 2 workers where a bare render "
            f"runs ~{BARE_REFERENCE:.0f}/s (ratio >= {goal_ratio:.2f}): "
            f"{'met' if ratio >= goal_ratio else 'NOT met'}; absolute "
            f"{ours['rate']:.1f} invoices/s: {'met' if ours['rate'] >= GOAL else 'NOT met'}"
        )
        problems = verify()
        print(
            "[4] numbers gapless per series, every invoice ready, every PDF's SHA-256 as stored: "
            + ("yes" if not problems else "NO")
        )
        for problem in problems[:20]:
            print(f"      FAIL {problem}")
        return 1 if problems else 0
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
