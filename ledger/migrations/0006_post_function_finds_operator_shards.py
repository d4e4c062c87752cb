"""PostgreSQL: `ledger_post_v2`, which finds the operator's shard accounts itself.

`ledger_post_v1` took every account as an id, so the posting service had to know the id of
the operator's shard of each kind (revenue, commission expense, ...) and kept them in a
process-wide cache. A cached id could outlive its row (tests flush and roll back), which took
two retry mechanisms to survive. `ledger_post_v2` takes the legs on the operator's accounts as
(kind, shard) and moves each row found by its unique key (kind, currency, shard): one UPDATE
through the index `ledger_account_operator_unique`, no separate look-up. A shard used for the
first time is created then (`ledger_operator_shard`). Nothing is cached outside the database,
so nothing can go stale.

Lock order: first the other accounts in id order, then the operator's by (kind, shard). Every
posting takes its locks in this one order, so postings cannot deadlock each other, and it is
the recharge's order too, which locks the reseller's and the customer's accounts before it
posts (with all accounts in id order, an operator shard, created early with a low id, was
locked after them by the recharge and before them by other postings).

Otherwise the same contract as v1 (migration 0003): insert the transaction (ON CONFLICT: a
replayed key gets NULL back), move every account within its limit and currency (else RAISE
with HINT 'ledger_post_refused' and the account id as DETAIL), write the entries with their
balance after and digest. It returns the new transaction's id.

`ledger_post_v1` stays for app servers still running the code before this migration during a
deploy; a later migration drops it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_operator_shard(p_kind text, p_currency text, p_shard integer)
RETURNS bigint AS $$
DECLARE
    account_id bigint;
BEGIN
    SELECT a.id INTO account_id FROM ledger_ledgeraccount a
     WHERE a.owner_type = 'operator' AND a.kind = p_kind AND a.currency = p_currency
       AND a.shard = p_shard;
    IF account_id IS NULL THEN
        INSERT INTO ledger_ledgeraccount AS a
            (owner_type, kind, currency, shard, balance, version, created_at)
        VALUES ('operator', p_kind, p_currency, p_shard, 0, 0, now())
        ON CONFLICT (kind, currency, shard) WHERE owner_type = 'operator' DO NOTHING
        RETURNING a.id INTO account_id;
        IF account_id IS NULL THEN  -- a concurrent posting created it (ON CONFLICT waited)
            SELECT a.id INTO account_id FROM ledger_ledgeraccount a
             WHERE a.owner_type = 'operator' AND a.kind = p_kind AND a.currency = p_currency
               AND a.shard = p_shard;
        END IF;
    END IF;
    RETURN account_id;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_post_v2(
    p_kind text, p_currency text, p_memo text, p_actor_id bigint, p_reseller_id bigint,
    p_scope text, p_key text, p_request_hash text, p_reverses_id bigint, p_metadata jsonb,
    p_account_ids bigint[], p_amounts numeric[], p_operator_kinds text[],
    p_operator_shards integer[], p_operator_amounts numeric[], p_digest_key text,
    p_created_at timestamptz
) RETURNS bigint AS $$
-- p_account_ids/p_amounts: the legs on accounts other than the operator's, ids ascending and
-- distinct. p_operator_kinds/p_operator_shards/p_operator_amounts: the legs on the operator's
-- accounts in p_currency, by (kind, shard) ascending and distinct. Locks are taken in that
-- order, each account's by one UPDATE that also refuses to pass its limit or currency.
DECLARE
    txn_id bigint;
    ids bigint[] := p_account_ids;
    amounts numeric[] := p_amounts;
    balances numeric[] := '{}';
    balance_after numeric;
    account_id bigint;
    prefix text;
BEGIN
    INSERT INTO ledger_ledgertransaction AS t
        (kind, currency, memo, actor_id, reseller_id, idempotency_scope, idempotency_key,
         request_hash, reverses_id, created_at, metadata)
    VALUES (p_kind, p_currency, p_memo, p_actor_id, p_reseller_id, p_scope, p_key,
            p_request_hash, p_reverses_id, p_created_at, p_metadata)
    ON CONFLICT DO NOTHING
    RETURNING t.id INTO txn_id;
    IF txn_id IS NULL THEN
        RETURN NULL;  -- a replay of the key (or a second reversal): the caller looks it up
    END IF;

    FOR i IN 1 .. coalesce(cardinality(p_account_ids), 0) LOOP
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

    FOR i IN 1 .. coalesce(cardinality(p_operator_kinds), 0) LOOP
        -- Found by its key (the index ledger_account_operator_unique) and moved at once.
        UPDATE ledger_ledgeraccount a
           SET balance = a.balance + p_operator_amounts[i], version = a.version + 1
         WHERE a.owner_type = 'operator' AND a.kind = p_operator_kinds[i]
           AND a.currency = p_currency AND a.shard = p_operator_shards[i]
           AND (p_operator_amounts[i] >= 0 OR a.lower_limit IS NULL
                OR a.balance + p_operator_amounts[i] >= a.lower_limit)
        RETURNING a.id, a.balance INTO account_id, balance_after;
        IF NOT FOUND THEN  -- the shard's first use (or, in theory, a limit)
            account_id := ledger_operator_shard(p_operator_kinds[i], p_currency,
                                                p_operator_shards[i]);
            UPDATE ledger_ledgeraccount a
               SET balance = a.balance + p_operator_amounts[i], version = a.version + 1
             WHERE a.id = account_id
               AND (p_operator_amounts[i] >= 0 OR a.lower_limit IS NULL
                    OR a.balance + p_operator_amounts[i] >= a.lower_limit)
            RETURNING a.balance INTO balance_after;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'ledger posting refused on account %', account_id
                    USING HINT = 'ledger_post_refused', DETAIL = account_id::text;
            END IF;
        END IF;
        ids := ids || account_id;
        amounts := amounts || p_operator_amounts[i];
        balances := balances || balance_after;
    END LOOP;

    prefix := p_digest_key || '|' || txn_id || '|' || p_kind || '|' || p_currency;
    INSERT INTO ledger_ledgerentry (transaction_id, account_id, amount, balance_after, digest)
    SELECT txn_id, m.id, m.amount, m.balance,
           encode(sha256(convert_to(
               prefix || '|' || m.id || '|' || m.amount::text || '|' || m.balance::text,
               'UTF8')), 'hex')
      FROM unnest(ids, amounts, balances) AS m(id, amount, balance);
    RETURN txn_id;
END $$ LANGUAGE plpgsql;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS ledger_post_v2(text, text, text, bigint, bigint, text, text, text,
    bigint, jsonb, bigint[], numeric[], text[], integer[], numeric[], text, timestamptz);
DROP FUNCTION IF EXISTS ledger_operator_shard(text, text, integer);
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # RAISE formats use %: no mogrify

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_entry_checks_per_transaction")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
