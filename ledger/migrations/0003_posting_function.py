"""PostgreSQL: one round trip per posting, and cheaper guarantees.

1. `ledger_post_v1(...)`: the whole posting in one statement — insert the transaction (ON
   CONFLICT: a replayed key waits for the first posting, then gets no row back), lock the
   accounts in id order and move every balance that stays within its limit, write the entries
   with their balance after and digest. If a limit or a currency refuses an account, it raises
   (HINT 'ledger_post_refused', DETAIL the account id), which rolls the statement back. Plain
   primary-key statements, so plans do not depend on statistics.
2. The deferred balance check stays one trigger per entry (so entries added later to any
   transaction are checked too), but only the trigger of a transaction's last entry does the
   work, with primary-key probes, so its plan does not depend on statistics (the old one
   turned into a hash join over every account when statistics were missing). A deferred
   trigger per transaction checks that it has at least two entries.

The digest text is the one `ledger.services.digest_text` and `ledger.verify` build.
"""

import importlib

from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_ledgerentry;
DROP TRIGGER IF EXISTS ledger_transaction_has_entries ON ledger_ledgertransaction;

CREATE OR REPLACE FUNCTION ledger_check_entries_balance() RETURNS trigger AS $$
DECLARE
    entries int;
    total numeric;
    txn_currency text;
    foreign_currency boolean;
BEGIN
    -- One check per transaction: the trigger of its last entry does it (all rows exist by
    -- the time deferred triggers run, at commit).
    IF EXISTS (SELECT 1 FROM ledger_ledgerentry e
                WHERE e.transaction_id = NEW.transaction_id AND e.id > NEW.id) THEN
        RETURN NULL;
    END IF;
    SELECT t.currency INTO txn_currency FROM ledger_ledgertransaction t WHERE t.id = NEW.transaction_id;
    -- Every account must be in the transaction's currency, so "sums to zero per currency"
    -- is "one currency, and the entries sum to zero".
    SELECT count(*), sum(e.amount),
           bool_or((SELECT a.currency FROM ledger_ledgeraccount a WHERE a.id = e.account_id)
                   IS DISTINCT FROM txn_currency)
      INTO entries, total, foreign_currency
      FROM ledger_ledgerentry e
     WHERE e.transaction_id = NEW.transaction_id;
    IF foreign_currency THEN
        RAISE EXCEPTION 'ledger transaction % touches an account in another currency',
            NEW.transaction_id USING ERRCODE = 'check_violation';
    ELSIF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % %',
            NEW.transaction_id, total, txn_currency USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entries_balance();

CREATE OR REPLACE FUNCTION ledger_check_transaction_has_entries() RETURNS trigger AS $$
BEGIN
    IF (SELECT count(*) FROM ledger_ledgerentry WHERE transaction_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has fewer than two entries', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_transaction_has_entries AFTER INSERT ON ledger_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction_has_entries();

CREATE OR REPLACE FUNCTION ledger_post_v1(
    p_kind text, p_currency text, p_memo text, p_actor_id bigint, p_reseller_id bigint,
    p_scope text, p_key text, p_request_hash text, p_reverses_id bigint, p_metadata jsonb,
    p_account_ids bigint[], p_amounts numeric[], p_digest_key text, p_created_at timestamptz,
    OUT o_transaction_id bigint, OUT o_created_at timestamptz
) AS $$
-- p_account_ids come sorted (the lock order); one UPDATE per account by primary key, each
-- refusing to pass the account's limit or to touch another currency.
DECLARE
    balances numeric[] := '{}';
    balance_after numeric;
    prefix text;
BEGIN
    INSERT INTO ledger_ledgertransaction AS t
        (kind, currency, memo, actor_id, reseller_id, idempotency_scope, idempotency_key,
         request_hash, reverses_id, created_at, metadata)
    VALUES (p_kind, p_currency, p_memo, p_actor_id, p_reseller_id, p_scope, p_key,
            p_request_hash, p_reverses_id, p_created_at, p_metadata)
    ON CONFLICT DO NOTHING
    RETURNING t.id, t.created_at INTO o_transaction_id, o_created_at;
    IF o_transaction_id IS NULL THEN
        RETURN;  -- a replay of the key (or a second reversal): the caller looks it up
    END IF;

    FOR i IN 1 .. cardinality(p_account_ids) LOOP
        UPDATE ledger_ledgeraccount a
           SET balance = a.balance + p_amounts[i], version = a.version + 1
         WHERE a.id = p_account_ids[i] AND a.currency = p_currency
           AND (p_amounts[i] >= 0 OR a.lower_limit IS NULL
                OR a.balance + p_amounts[i] >= a.lower_limit)
        RETURNING a.balance INTO balance_after;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger posting refused on account %', p_account_ids[i]
                USING HINT = 'ledger_post_refused', DETAIL = p_account_ids[i]::text;
        END IF;
        balances[i] := balance_after;
    END LOOP;

    prefix := p_digest_key || '|' || o_transaction_id || '|' || p_kind || '|' || p_currency;
    INSERT INTO ledger_ledgerentry (transaction_id, account_id, amount, balance_after, digest)
    SELECT o_transaction_id, m.id, m.delta, m.balance,
           encode(sha256(convert_to(
               prefix || '|' || m.id || '|' || m.delta::text || '|' || m.balance::text,
               'UTF8')), 'hex')
      FROM unnest(p_account_ids, p_amounts, balances) AS m(id, delta, balance);
END $$ LANGUAGE plpgsql;

-- Every posting rewrites a few account rows: leave room on each page so the new row version
-- stays on the same page (a HOT update: no index is touched, the page is pruned in place).
ALTER TABLE ledger_ledgeraccount SET (fillfactor = 50);
"""

BACKWARD = """
ALTER TABLE ledger_ledgeraccount RESET (fillfactor);
DROP FUNCTION IF EXISTS ledger_post_v1(text, text, text, bigint, bigint, text, text, text,
    bigint, jsonb, bigint[], numeric[], text, timestamptz);
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_ledgerentry;
DROP TRIGGER IF EXISTS ledger_transaction_has_entries ON ledger_ledgertransaction;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # RAISE formats use %: no mogrify

    return run


def _restore_0002(apps, schema_editor):
    """Going back: drop ours and put 0002's per-entry triggers back."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BACKWARD, params=None)
    module = importlib.import_module("ledger.migrations.0002_postgresql_guarantees")
    sql = module.FORWARD.split("CREATE OR REPLACE FUNCTION ledger_check_entries_balance")[1]
    schema_editor.execute("CREATE OR REPLACE FUNCTION ledger_check_entries_balance" + sql, None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_postgresql_guarantees")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _restore_0002)]
