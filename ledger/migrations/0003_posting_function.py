"""PostgreSQL: one round trip per posting, and cheaper guarantees.

1. `ledger_post_v1(...)`: the whole posting in one statement — insert the transaction (ON
   CONFLICT: a replayed key waits for the first posting, then gets no row back), lock the
   accounts in id order and move every balance that stays within its limit, write the entries
   with their balance after and digest. If a limit or a currency refuses an account, it raises
   (HINT 'ledger_post_refused', DETAIL the account id), which rolls the statement back. Plain
   primary-key statements, so plans do not depend on statistics.
2. The balance check moves from a deferred trigger per entry (four calls per posting, each
   finding out whether it is the last) to one deferred trigger per transaction, which checks
   at commit that it has at least two entries, that they sum to zero per currency and that
   every account is in the transaction's currency.
3. So that entries cannot be slipped into a transaction committed earlier (whose deferred
   check has run), a statement trigger refuses entries whose transaction was not created in the
   current database transaction. `created_at` is set by the database (a BEFORE INSERT trigger
   writes `now()`, the start time of the database transaction), so it cannot be back-dated
   and tells which database transaction created the row.

The digest text is the one `ledger.services.digest_text` and `ledger.verify` build.
"""

import importlib

from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_ledgerentry;
DROP TRIGGER IF EXISTS ledger_transaction_has_entries ON ledger_ledgertransaction;
DROP FUNCTION IF EXISTS ledger_check_entries_balance();
DROP FUNCTION IF EXISTS ledger_check_transaction_has_entries();

CREATE OR REPLACE FUNCTION ledger_stamp_transaction() RETURNS trigger AS $$
BEGIN
    NEW.created_at := now();
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_transaction_stamp BEFORE INSERT ON ledger_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION ledger_stamp_transaction();

CREATE OR REPLACE FUNCTION ledger_check_transaction() RETURNS trigger AS $$
DECLARE
    entries int;
    total numeric;
    foreign_currency boolean;
BEGIN
    -- Every account must be in the transaction's currency, so "sums to zero per currency"
    -- is "one currency, and the entries sum to zero". The account look-up is a correlated
    -- primary-key probe, so the plan stays cheap whatever the statistics say.
    SELECT count(*), sum(e.amount),
           bool_or((SELECT a.currency FROM ledger_ledgeraccount a WHERE a.id = e.account_id)
                   IS DISTINCT FROM NEW.currency)
      INTO entries, total, foreign_currency
      FROM ledger_ledgerentry e
     WHERE e.transaction_id = NEW.id;
    IF entries < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has fewer than two entries', NEW.id
            USING ERRCODE = 'check_violation';
    ELSIF foreign_currency THEN
        RAISE EXCEPTION 'ledger transaction % touches an account in another currency', NEW.id
            USING ERRCODE = 'check_violation';
    ELSIF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % %',
            NEW.id, total, NEW.currency USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction();

CREATE OR REPLACE FUNCTION ledger_check_entries_are_new() RETURNS trigger AS $$
DECLARE
    old_id bigint;
BEGIN
    SELECT t.id INTO old_id
      FROM (SELECT DISTINCT transaction_id FROM new_entries) n
      JOIN ledger_ledgertransaction t ON t.id = n.transaction_id
     WHERE t.created_at <> now()
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entries cannot be added to ledger transaction %, committed earlier',
            old_id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_only_with_its_transaction AFTER INSERT ON ledger_ledgerentry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entries_are_new();

CREATE OR REPLACE FUNCTION ledger_post_v1(
    p_kind text, p_currency text, p_memo text, p_actor_id bigint, p_reseller_id bigint,
    p_scope text, p_key text, p_request_hash text, p_reverses_id bigint, p_metadata jsonb,
    p_account_ids bigint[], p_amounts numeric[], p_digest_key text,
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
            p_request_hash, p_reverses_id, now(), p_metadata)
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
    bigint, jsonb, bigint[], numeric[], text);
DROP TRIGGER IF EXISTS ledger_entry_only_with_its_transaction ON ledger_ledgerentry;
DROP FUNCTION IF EXISTS ledger_check_entries_are_new();
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_ledgertransaction;
DROP FUNCTION IF EXISTS ledger_check_transaction();
DROP TRIGGER IF EXISTS ledger_transaction_stamp ON ledger_ledgertransaction;
DROP FUNCTION IF EXISTS ledger_stamp_transaction();
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
