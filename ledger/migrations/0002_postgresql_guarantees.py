"""PostgreSQL guarantees the service also enforces: append-only rows, balanced transactions.

On other databases (the embedded SQLite) this migration does nothing; the posting service
enforces the same rules there.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE OR REPLACE FUNCTION ledger_check_entries_balance() RETURNS trigger AS $$
DECLARE
    bad record;
BEGIN
    -- One check per transaction: the trigger of its last entry does it (all rows exist by
    -- the time deferred triggers run, at commit).
    IF NEW.id <> (SELECT max(id) FROM ledger_ledgerentry
                   WHERE transaction_id = NEW.transaction_id) THEN
        RETURN NULL;
    END IF;
    SELECT a.currency AS currency, sum(e.amount) AS total INTO bad
      FROM ledger_ledgerentry e JOIN ledger_ledgeraccount a ON a.id = e.account_id
     WHERE e.transaction_id = NEW.transaction_id
     GROUP BY a.currency HAVING sum(e.amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % %',
            NEW.transaction_id, bad.total, bad.currency USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (
        SELECT 1 FROM ledger_ledgerentry e
          JOIN ledger_ledgeraccount a ON a.id = e.account_id
          JOIN ledger_ledgertransaction t ON t.id = e.transaction_id
         WHERE e.transaction_id = NEW.transaction_id AND a.currency <> t.currency
    ) THEN
        RAISE EXCEPTION 'ledger transaction % touches an account in another currency',
            NEW.transaction_id USING ERRCODE = 'check_violation';
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
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_transaction_has_entries ON ledger_ledgertransaction;
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_ledgerentry;
DROP TRIGGER IF EXISTS ledger_transaction_append_only ON ledger_ledgertransaction;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_ledgerentry;
DROP FUNCTION IF EXISTS ledger_check_transaction_has_entries();
DROP FUNCTION IF EXISTS ledger_check_entries_balance();
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # RAISE formats use %: no mogrify

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
