"""Ledger benchmark: concurrent postings next to pgbench, and ledger_verify over 1M entries.

PostgreSQL only. Creates a throwaway database (test_tessera_bench unless DATABASE_URL says
otherwise; pgbench's scratch database is BENCH_PGBENCH_DB, default that name + "_pgbench") and
posts the way production does (LEDGER_POST_LIBPQ as config/settings/production.py sets it,
unless the environment says otherwise), then:

1. 50 approved resellers and 1,000 customers; every reseller's sales credit is funded.
2. History: BENCH_LEDGER_ENTRIES (1,000,000) entries loaded with set-based SQL (balanced,
   running balance_after, digests, cached balances; session_replication_role = replica for
   the load only, as the per-row deferred triggers would take minutes), then VACUUM ANALYZE:
   the postings below run against a ledger that has been running, not an empty one.
3. A CHECKPOINT, then BENCH_LEDGER_WORKERS (8) processes, started with multiprocessing's
   'spawn' method, each with its own Django set-up and connection, post BENCH_LEDGER_TXNS
   (12,000) recharge-shaped transactions: one `ledger_post` with four legs (sales credit -X,
   customer balance +X, operator commission expense -c, reseller commission +c; c = 10 % of
   X). Prints postings/s, p50 and p99 latency, and the CPU each posting costs in the worker
   and in its PostgreSQL backend (read from /proc when the server is local). A short
   single-connection run then lists the statements of one posting and shows where its time
   goes.
4. pgbench's built-in TPC-B-like script (after its load and a CHECKPOINT, as ours) with the
   same client count on a scratch database, and the ratio ours/pgbench (goal >= 0.5).
5. `ledger_verify()` over everything (history and postings), timed (goal < 10 s) and
   required to be clean.
6. Drops every database it created, also on failure.

Run: make bench-ledger.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is called ledger.py: keep its folder off the path so `ledger` is the Django app.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
# A database of its own, so the benchmark never collides with the test suite's test_tessera.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tessera_bench")
# Post as production does: through libpq (config/settings/production.py, ledger/pg.py).
os.environ.setdefault("LEDGER_POST_LIBPQ", "true")

import django  # noqa: E402

RESELLERS = int(os.environ.get("BENCH_LEDGER_RESELLERS", "50"))
CUSTOMERS = int(os.environ.get("BENCH_LEDGER_CUSTOMERS", "1000"))
WORKERS = int(os.environ.get("BENCH_LEDGER_WORKERS", "8"))
TXNS = int(os.environ.get("BENCH_LEDGER_TXNS", "12000"))
DIAG_TXNS = int(os.environ.get("BENCH_LEDGER_DIAG_TXNS", "300"))
ENTRIES = int(os.environ.get("BENCH_LEDGER_ENTRIES", "1000000"))
PGBENCH_SECONDS = int(os.environ.get("BENCH_PGBENCH_SECONDS", "20"))
PGBENCH_DB = os.environ.get("BENCH_PGBENCH_DB") or (
    "test_" + os.environ["DATABASE_URL"].rsplit("/", 1)[-1].split("?")[0] + "_pgbench"
)
FUNDING = Decimal("100000000.0000")  # per reseller: far more than every posting here spends
CURRENCY = "EUR"
START_METHOD = "spawn"
SEED = 20240601


# --- helpers -----------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    index = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


def recharge_legs(accounts: dict, reseller_id: int, customer_id: int, amount: Decimal):
    from ledger.models import LedgerAccount
    from ledger.services import OperatorAccount

    commission = (amount * Decimal("0.1")).quantize(Decimal("0.0001"))
    sales, reseller_commission = accounts["reseller"][reseller_id]
    return [
        (sales, -amount),
        (accounts["customer"][customer_id], amount),
        (OperatorAccount(LedgerAccount.Kind.COMMISSION_EXPENSE), -commission),
        (reseller_commission, commission),
    ]


def load_accounts() -> dict:
    """Every reseller's (sales credit, commission) and every customer's balance account."""
    from ledger.models import LedgerAccount

    Kind = LedgerAccount.Kind
    reseller: dict[int, dict] = {}
    customer: dict[int, LedgerAccount] = {}
    for account in LedgerAccount.objects.exclude(owner_type=LedgerAccount.OwnerType.OPERATOR):
        if account.owner_type == LedgerAccount.OwnerType.CUSTOMER:
            customer[account.customer_id] = account
        else:
            reseller.setdefault(account.reseller_id, {})[account.kind] = account
    return {
        "reseller": {
            rid: (kinds[Kind.SALES_CREDIT], kinds[Kind.COMMISSION])
            for rid, kinds in reseller.items()
        },
        "customer": customer,
    }


def post_recharge(accounts: dict, job: tuple, resellers: dict):
    from ledger.models import LedgerTransaction
    from ledger.services import ledger_post

    key, reseller_id, customer_id, amount = job
    return ledger_post(
        kind=LedgerTransaction.Kind.RECHARGE,
        currency=CURRENCY,
        legs=recharge_legs(accounts, reseller_id, customer_id, amount),
        idempotency_key=key,
        scope=f"reseller:{reseller_id}",
        reseller=resellers[reseller_id],
        metadata={"customer": customer_id},
    )


def make_jobs(prefix: str, count: int, customers_by_reseller: dict, rng: random.Random):
    reseller_ids = sorted(customers_by_reseller)
    jobs = []
    for n in range(count):
        reseller_id = rng.choice(reseller_ids)
        customer_id = rng.choice(customers_by_reseller[reseller_id])
        amount = Decimal(rng.randint(100, 5000)) / 100  # 1.00 .. 50.00
        jobs.append((f"{prefix}-{n}", reseller_id, customer_id, amount))
    return jobs


# --- step 2 worker (runs in a spawned process) ---------------------------------------------------


def backend_cpu(pid: int) -> float | None:
    """CPU seconds a local PostgreSQL backend has used (None when it is not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker(db_name: str, index: int, jobs: list, barrier, results) -> None:
    try:
        django.setup()
        from django.conf import settings
        from django.db import connection

        from resellers.models import Reseller

        settings.DATABASES["default"]["NAME"] = db_name
        connection.settings_dict["NAME"] = db_name
        accounts = load_accounts()
        resellers = {r.pk: r for r in Reseller.objects.all()}
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        barrier.wait()
        latencies = []
        server0, client0 = backend_cpu(backend), time.process_time()
        start = time.perf_counter()
        for job in jobs:
            t0 = time.perf_counter()
            post_recharge(accounts, job, resellers)
            latencies.append(time.perf_counter() - t0)
        end = time.perf_counter()
        client = time.process_time() - client0
        server1 = backend_cpu(backend)
        server = server1 - server0 if server0 is not None and server1 is not None else None
        connection.close()
        results.put((index, start, end, latencies, (client, server), None))
    except BaseException:
        barrier.abort()  # the others (and the parent) stop waiting for this one
        results.put((index, 0.0, 0.0, [], (0.0, None), traceback.format_exc()))


def run_concurrent(db_name: str, jobs: list) -> dict:
    ctx = mp.get_context(START_METHOD)
    barrier = ctx.Barrier(WORKERS + 1)
    results = ctx.Queue()
    chunks = [jobs[i::WORKERS] for i in range(WORKERS)]
    procs = [
        ctx.Process(target=worker, args=(db_name, i, chunks[i], barrier, results))
        for i in range(WORKERS)
    ]
    for p in procs:
        p.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=120)  # broken if a worker failed while starting: see its error
    got = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    errors = [err for *_, err in got if err]
    if errors:
        raise RuntimeError("a worker failed:\n" + errors[0])
    start = min(r[1] for r in got)
    end = max(r[2] for r in got)
    latencies = sorted(lat for r in got for lat in r[3])
    servers = [r[4][1] for r in got]
    return {
        "client_ms": sum(r[4][0] for r in got) / len(latencies) * 1000,
        "server_ms": None if None in servers else sum(servers) / len(latencies) * 1000,
        "count": len(latencies),
        "seconds": end - start,
        "tps": len(latencies) / (end - start),
        "p50": statistics.median(latencies) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
    }


# --- step 1 ------------------------------------------------------------------------------------


def create_world() -> dict:
    from django.conf import settings

    from customers.models import Customer
    from ledger.models import LedgerAccount, LedgerTransaction
    from ledger.services import OperatorAccount, customer_account, ledger_post, reseller_account
    from tests.factories import CustomerFactory, ResellerFactory

    Kind = LedgerAccount.Kind
    resellers = ResellerFactory.create_batch(RESELLERS, currency=CURRENCY)
    Customer.objects.bulk_create(
        CustomerFactory.build(reseller=resellers[n % RESELLERS], phone=f"+4915{n:09d}")
        for n in range(CUSTOMERS)
    )
    for customer in Customer.objects.select_related("reseller"):
        customer_account(customer=customer)
    # Every shard of the operator's commission expense exists up front (as in a ledger that
    # has been running), so the timed postings do not measure first-use creation.
    for shard in range(settings.LEDGER_OPERATOR_SHARDS):
        LedgerAccount.objects.get_or_create(
            owner_type=LedgerAccount.OwnerType.OPERATOR,
            kind=Kind.COMMISSION_EXPENSE,
            currency=CURRENCY,
            shard=shard,
        )
    for reseller in resellers:
        sales = reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)
        reseller_account(reseller=reseller, kind=Kind.COMMISSION)
        ledger_post(
            kind=LedgerTransaction.Kind.TOPUP,
            currency=CURRENCY,
            legs=[(OperatorAccount(Kind.CLEARING_PAYPAL), -FUNDING), (sales, FUNDING)],
            idempotency_key=f"fund-{reseller.pk}",
            scope=f"reseller:{reseller.pk}",
            reseller=reseller,
            memo="benchmark funding",
        )
    from django.db import connection

    with connection.cursor() as cursor:  # statistics, as a ledger that has been running has
        cursor.execute("VACUUM ANALYZE ledger_ledgeraccount, ledger_ledgertransaction")
        cursor.execute("VACUUM ANALYZE ledger_ledgerentry")
    by_reseller: dict[int, list[int]] = {}
    for customer_id, reseller_id in Customer.objects.values_list("id", "reseller_id"):
        by_reseller.setdefault(reseller_id, []).append(customer_id)
    return by_reseller


# --- step 2b: where one posting's time goes ------------------------------------------------------


def diagnose(customers_by_reseller: dict, rng: random.Random) -> dict:
    from django.db import connection

    from resellers.models import Reseller

    accounts = load_accounts()
    resellers = {r.pk: r for r in Reseller.objects.all()}
    jobs = make_jobs("diag", DIAG_TXNS + 1, customers_by_reseller, rng)

    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    post_recharge(accounts, jobs[0], resellers)  # warm: the statement is prepared
    with connection.execute_wrapper(record):
        post_recharge(accounts, jobs[1], resellers)
    listing = [" ".join(s.split())[:90] for s in statements]

    with connection.cursor() as cursor:
        cursor.execute("SET track_functions = 'pl'")
    sql_time: Counter = Counter()
    commit_time = [0.0]

    def timed(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[sql.split(None, 1)[0].upper()] += time.perf_counter() - t0

    original_commit = connection._commit

    def timed_commit():
        t0 = time.perf_counter()
        try:
            return original_commit()
        finally:
            commit_time[0] += time.perf_counter() - t0

    connection._commit = timed_commit
    try:
        start = time.perf_counter()
        with connection.execute_wrapper(timed):
            for job in jobs[2:]:
                post_recharge(accounts, job, resellers)
        total = time.perf_counter() - start
    finally:
        del connection._commit
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(1.2)  # statistics are flushed when the backend goes idle, at most once a second
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT funcname, calls, total_time FROM pg_stat_user_functions "
            "WHERE funcname LIKE 'ledger_%' ORDER BY funcname"
        )
        triggers = cursor.fetchall()
        cursor.execute("RESET track_functions")
    n = len(jobs) - 2
    return {
        "queries": len(statements),
        "listing": listing,
        "n": n,
        "tps": n / total,
        "per_posting_ms": total / n * 1000,
        "sql_ms": {k: v / n * 1000 for k, v in sql_time.most_common()},
        "commit_ms": commit_time[0] / n * 1000,
        "triggers": [(name, calls / n, ms / n) for name, calls, ms in triggers],
    }


def checkpoint() -> None:
    """Both timed runs start right after a checkpoint: neither pays for writing out the pages
    the set-up before it dirtied (the history load writes ~1 GB of WAL, pgbench's own load
    ~100 MB), and both pay alike for the full-page images that follow a checkpoint."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


# --- step 3: pgbench ------------------------------------------------------------------------------


def run_pgbench(settings_dict: dict) -> dict:
    env = dict(os.environ)
    env["PGHOST"] = settings_dict.get("HOST") or "127.0.0.1"
    env["PGPORT"] = str(settings_dict.get("PORT") or 5432)
    env["PGUSER"] = settings_dict.get("USER") or "postgres"
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    tools = {t: shutil.which(t) or f"/usr/bin/{t}" for t in ("pgbench", "createdb", "dropdb")}
    scale = max(8, WORKERS)

    def run(*args: str) -> str:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout + done.stderr

    run(tools["dropdb"], "--if-exists", PGBENCH_DB)
    try:
        run(tools["createdb"], PGBENCH_DB)
        run(tools["pgbench"], "-i", "-q", "-s", str(scale), PGBENCH_DB)
        checkpoint()
        out = run(
            tools["pgbench"],
            "-c",
            str(WORKERS),
            "-j",
            "2",
            "-T",
            str(PGBENCH_SECONDS),
            "-n",
            PGBENCH_DB,
        )
    finally:
        run(tools["dropdb"], "--if-exists", PGBENCH_DB)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    if not tps:
        raise RuntimeError(f"could not read pgbench's tps from:\n{out}")
    return {
        "tps": float(tps.group(1)),
        "latency": float(latency.group(1)) if latency else float("nan"),
        "scale": scale,
    }


# --- step 4: bulk load and verify ---------------------------------------------------------------


def bulk_load(txn_count: int) -> dict:
    """Append `txn_count` four-leg recharges (4 entries each) with set-based SQL.

    Transaction and entry ids are reserved from their sequences; an entry's balance_after is
    the account's cached balance plus the running sum of the new entries in id order; digests
    use ledger.verify's formula and are cross-checked against services.entry_digest; cached
    balances and versions move by the same sums. Runs in one transaction with
    session_replication_role = replica, which skips the per-row deferred triggers (and FK
    checks) for the load only; the ledger_verify run that follows checks the result.
    """
    from django.conf import settings
    from django.db import connection, transaction

    from ledger.models import LedgerAccount

    Kind = LedgerAccount.Kind
    timings = {}
    with transaction.atomic(), connection.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(
            """CREATE TEMP TABLE bench_pairs ON COMMIT DROP AS
               SELECT (row_number() OVER (ORDER BY ca.customer_id) - 1)::int AS idx,
                      ca.reseller_id, ca.id AS cust_acct, sa.id AS sales_acct,
                      ma.id AS comm_acct
                 FROM ledger_ledgeraccount ca
                 JOIN ledger_ledgeraccount sa
                   ON sa.reseller_id = ca.reseller_id AND sa.owner_type = 'reseller'
                  AND sa.kind = %s AND sa.currency = %s
                 JOIN ledger_ledgeraccount ma
                   ON ma.reseller_id = ca.reseller_id AND ma.owner_type = 'reseller'
                  AND ma.kind = %s AND ma.currency = %s
                WHERE ca.owner_type = 'customer' AND ca.kind = %s AND ca.currency = %s""",
            [Kind.SALES_CREDIT, CURRENCY, Kind.COMMISSION, CURRENCY, Kind.BALANCE, CURRENCY],
        )
        cur.execute("SELECT count(*) FROM bench_pairs")
        pairs = cur.fetchone()[0]
        cur.execute(
            """CREATE TEMP TABLE bench_ops ON COMMIT DROP AS
               SELECT (row_number() OVER (ORDER BY shard) - 1)::int AS idx, id
                 FROM ledger_ledgeraccount
                WHERE owner_type = 'operator' AND kind = %s AND currency = %s""",
            [Kind.COMMISSION_EXPENSE, CURRENCY],
        )
        cur.execute("SELECT count(*) FROM bench_ops")
        ops = cur.fetchone()[0]
        # Reserve id ranges so ids follow generation order (balance_after chains go by id).
        cur.execute(
            """SELECT nextval('ledger_ledgertransaction_id_seq'),
                      nextval('ledger_ledgerentry_id_seq')"""
        )
        txn_base, entry_base = cur.fetchone()
        cur.execute(
            """SELECT setval('ledger_ledgertransaction_id_seq', %s),
                      setval('ledger_ledgerentry_id_seq', %s)""",
            [txn_base + txn_count, entry_base + 4 * txn_count],
        )
        cur.execute(
            """CREATE TEMP TABLE bench_txn ON COMMIT DROP AS
               SELECT g AS i, %s + g - 1 AS txn_id, p.reseller_id, p.cust_acct, p.sales_acct,
                      p.comm_acct, o.id AS op_acct,
                      x::numeric(18,4) AS x, round(x * 0.1, 4)::numeric(18,4) AS c
                 FROM generate_series(1, %s::bigint) g
                 CROSS JOIN LATERAL (SELECT (1 + (g * 7919) %% 4900) / 100.0 AS x) amt
                 JOIN bench_pairs p ON p.idx = (g * 104729) %% %s
                 JOIN bench_ops o ON o.idx = g %% %s""",
            [txn_base, txn_count, pairs, ops],
        )
        cur.execute(
            """CREATE TEMP TABLE bench_entry ON COMMIT DROP AS
               WITH legs AS (
                   SELECT t.i, t.txn_id, l.account_id, l.amount
                     FROM bench_txn t
                    CROSS JOIN LATERAL (VALUES (t.sales_acct, -t.x), (t.cust_acct, t.x),
                                               (t.op_acct, -t.c), (t.comm_acct, t.c))
                          AS l(account_id, amount)
               ), numbered AS (
                   SELECT %s + (i - 1) * 4 - 1
                          + row_number() OVER (PARTITION BY txn_id ORDER BY account_id) AS id,
                          txn_id, account_id, amount
                     FROM legs
               )
               SELECT n.id, n.txn_id, n.account_id, n.amount::numeric(18,4) AS amount,
                      (a.balance + sum(n.amount) OVER (PARTITION BY n.account_id ORDER BY n.id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))::numeric(18,4)
                          AS balance_after
                 FROM numbered n JOIN ledger_ledgeraccount a ON a.id = n.account_id""",
            [entry_base],
        )
        timings["stage"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        cur.execute(
            """INSERT INTO ledger_ledgertransaction
                   (id, kind, currency, memo, reseller_id, idempotency_scope, idempotency_key,
                    request_hash, created_at, metadata)
               SELECT txn_id, 'recharge', %s, '', reseller_id, 'reseller:' || reseller_id,
                      'bulk-' || i, md5(i::text) || md5(txn_id::text), now(), '{}'::jsonb
                 FROM bench_txn ORDER BY txn_id""",
            [CURRENCY],
        )
        txns = cur.rowcount
        cur.execute(
            """INSERT INTO ledger_ledgerentry
                   (id, transaction_id, account_id, amount, balance_after, digest)
               SELECT id, txn_id, account_id, amount, balance_after,
                      encode(sha256(convert_to(
                          %s || '|' || txn_id || '|' || 'recharge' || '|' || %s || '|'
                          || account_id || '|' || amount::text || '|' || balance_after::text,
                          'UTF8')), 'hex')
                 FROM bench_entry ORDER BY id""",
            [settings.LEDGER_DIGEST_KEY, CURRENCY],
        )
        entries = cur.rowcount
        if not pairs or not ops or txns != txn_count or entries != 4 * txn_count:
            raise RuntimeError(
                f"bulk load wrote {txns} transactions and {entries} entries, expected "
                f"{txn_count} and {4 * txn_count} ({pairs} customer pairs, {ops} shards)"
            )
        cur.execute(
            """UPDATE ledger_ledgeraccount a
                  SET balance = a.balance + s.total, version = a.version + s.n
                 FROM (SELECT account_id, sum(amount) AS total, count(*) AS n
                         FROM bench_entry GROUP BY account_id) s
                WHERE a.id = s.account_id"""
        )
        timings["insert"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cur:  # autocommit: VACUUM cannot run in a transaction
        cur.execute(
            "VACUUM (ANALYZE) ledger_ledgertransaction, ledger_ledgerentry, ledger_ledgeraccount"
        )
    timings["vacuum"] = time.perf_counter() - t0
    return {"txns": txns, "entries": entries, **timings}


def cross_check_digests(sample: int = 2000) -> int:
    """Recompute a sample of the loaded digests with services.entry_digest (Python)."""
    from ledger.models import LedgerEntry
    from ledger.services import digest_text, entry_digest

    rows = (
        LedgerEntry.objects.filter(transaction__idempotency_key__startswith="bulk-")
        .select_related("transaction")
        .order_by("?")[:sample]
    )
    bad = 0
    for e in rows:
        text = digest_text(
            transaction_id=e.transaction_id,
            kind=e.transaction.kind,
            currency=e.transaction.currency,
            account_id=e.account_id,
            amount=e.amount,
            balance_after=e.balance_after,
        )
        bad += entry_digest(text) != e.digest
    return bad


def time_rules() -> list[tuple[str, float]]:
    """Each of ledger_verify's queries timed on its own (the same SQL and LIMIT)."""
    from django.conf import settings
    from django.db import connection

    from ledger.verify import DIGEST_RULE, LIMIT, PG_DIGESTS, RULES

    out = []
    with connection.cursor() as cur:
        for name, sql in [*RULES, (DIGEST_RULE, PG_DIGESTS)]:
            params = [settings.LEDGER_DIGEST_KEY] if sql is PG_DIGESTS else None
            t0 = time.perf_counter()
            cur.execute(f"{sql} LIMIT {LIMIT}", params)
            cur.fetchall()
            out.append((name, time.perf_counter() - t0))
    return out


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    django.setup()
    from django.db import OperationalError, connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        print(
            f"bench/ledger.py needs PostgreSQL; DATABASE_URL points at {connection.vendor}. "
            "Unset it or point it at PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/"
            "tessera_bench).",
            file=sys.stderr,
        )
        return 2
    setup_test_environment()
    try:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    except OperationalError as exc:
        print(f"bench/ledger.py: cannot reach PostgreSQL: {exc}", file=sys.stderr)
        return 2
    db_name = connection.settings_dict["NAME"]
    rng = random.Random(SEED)  # noqa: S311 - benchmark data, not secrets
    figures: list[tuple[str, str]] = []
    try:
        from django.conf import settings

        from ledger.verify import ledger_verify

        print(
            f"database: {db_name} on {connection.settings_dict.get('HOST')}; "
            f"{WORKERS} worker processes (multiprocessing '{START_METHOD}'), "
            f"{TXNS:,} postings, operator shards: {settings.LEDGER_OPERATOR_SHARDS}, posting "
            f"through {'libpq' if settings.LEDGER_POST_LIBPQ else 'a Django cursor'} "
            f"(LEDGER_POST_LIBPQ={settings.LEDGER_POST_LIBPQ}); pgbench database {PGBENCH_DB}"
        )
        t0 = time.perf_counter()
        by_reseller = create_world()
        print(
            f"[1] {RESELLERS} resellers, {CUSTOMERS:,} customers, sales credit funded "
            f"({time.perf_counter() - t0:.1f} s)"
        )

        # The history first: postings are timed against a ledger that has been running (a
        # million entries, statistics up to date), as in production, not an empty one.
        load = bulk_load((ENTRIES + 3) // 4)
        bad = cross_check_digests()
        print(
            f"[2] history: {load['txns']:,} transactions / {load['entries']:,} entries loaded "
            "with SQL, session_replication_role = replica for the load only "
            f"(staging {load['stage']:.1f} s, insert {load['insert']:.1f} s, "
            f"vacuum analyze {load['vacuum']:.1f} s); digest sample re-checked in Python: "
            f"{'all match' if not bad else f'{bad} MISMATCH'}"
        )

        jobs = make_jobs("bench", TXNS, by_reseller, rng)
        checkpoint()
        connection.close()  # nothing open while the workers run
        ours = run_concurrent(db_name, jobs)
        print(
            f"[3] ledger_post x{ours['count']:,} with {WORKERS} processes: "
            f"{ours['tps']:.0f} postings/s, p50 {ours['p50']:.2f} ms, p99 {ours['p99']:.2f} ms"
        )
        server = "n/a" if ours["server_ms"] is None else f"{ours['server_ms']:.2f}"
        print(
            f"    CPU per posting: client (Python, Django) {ours['client_ms']:.2f} ms, "
            f"PostgreSQL backend {server} ms"
        )
        figures += [
            (f"ledger_post, {WORKERS} processes (postings/s)", f"{ours['tps']:.0f}"),
            ("ledger_post p50 latency (ms)", f"{ours['p50']:.2f}"),
            ("ledger_post p99 latency (ms)", f"{ours['p99']:.2f}"),
        ]

        diag = diagnose(by_reseller, rng)
        print(f"    one posting = {diag['queries']} statement(s) through Django (autocommit):")
        for sql in diag["listing"]:
            print(f"      {sql}")
        split = ", ".join(f"{k} {v:.2f}" for k, v in diag["sql_ms"].items())
        print(
            f"    1 connection, {diag['n']} postings: {diag['tps']:.0f} postings/s, "
            f"{diag['per_posting_ms']:.2f} ms each; statements (ms/posting): {split}; "
            f"COMMIT {diag['commit_ms']:.2f}"
        )
        for name, calls, ms in diag["triggers"]:
            print(f"    trigger {name}: {calls:.1f} calls, {ms:.3f} ms per posting")
        figures += [
            ("statements per posting (autocommit)", str(diag["queries"])),
            ("ledger_post, 1 connection (postings/s)", f"{diag['tps']:.0f}"),
        ]

        pg = run_pgbench(connection.settings_dict)
        ratio = ours["tps"] / pg["tps"]
        met = "met" if ratio >= 0.5 else "NOT met"
        print(
            f"[4] pgbench TPC-B-like, scale {pg['scale']}, -c {WORKERS} -j 2 -T "
            f"{PGBENCH_SECONDS}: {pg['tps']:.0f} tps (latency avg {pg['latency']:.2f} ms); "
            f"ours/pgbench = {ratio:.2f}: goal >= 0.5 {met}"
        )
        figures += [
            (f"pgbench TPC-B-like, {WORKERS} clients (tps)", f"{pg['tps']:.0f}"),
            ("ratio ours/pgbench (goal >= 0.5)", f"{ratio:.2f} ({met})"),
        ]

        report = ledger_verify()  # the history and every posting above
        verdict = "clean" if report.clean else "NOT CLEAN"
        goal = "met" if report.seconds < 10 else "NOT met"
        print(
            f"[5] ledger_verify: {report.counts['entries']:,} entries, "
            f"{report.counts['transactions']:,} transactions, {report.counts['accounts']:,} "
            f"accounts in {report.seconds:.2f} s: {verdict}; goal < 10 s {goal}"
        )
        for rule, found in report.violations.items():
            if found:
                print(f"      FAIL {rule}: {found[:5]}")
        for rule, seconds in time_rules():
            print(f"      {seconds:6.2f} s  {rule}")
        figures += [
            ("ledger_verify entries checked", f"{report.counts['entries']:,}"),
            ("ledger_verify seconds (goal < 10)", f"{report.seconds:.2f} ({goal})"),
            ("ledger_verify result", verdict),
        ]

        width = max(len(k) for k, _ in figures)
        print()
        print(f"{'figure':<{width}}  value")
        for k, v in figures:
            print(f"{k:<{width}}  {v}")
        return 0 if report.clean and not bad else 1
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
