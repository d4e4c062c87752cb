"""PostgreSQL: the same guarantees with one check per transaction instead of seven per posting.

Before, a four-leg posting queued nine deferred events at commit: a balance trigger per
entry, a has-entries trigger per transaction, and the foreign-key checks of every entry. Each
is a look-up run at commit; together they were a third of a posting's database time. Now:

1. `ledger_transaction_balanced`, a deferred constraint trigger on each new transaction: at
   commit it reads the transaction's entries once and refuses fewer than two, an entry on an
   account that does not exist, an account in another currency, or a sum other than zero.
2. `ledger_entries_with_their_transaction`, a statement-level trigger on entries (one call per
   INSERT statement, with the statement's rows as a transition table): an entry may only be
   written in the database transaction that created its ledger transaction. That is what
   lets one check per transaction cover every entry: none can be added to a transaction
   already committed (it would have escaped the check above). Each transaction row records
   the database transaction that wrote it (`db_xact`, default `pg_current_xact_id()`, the
   top-level id also inside savepoints; a column only the database knows). Rows written
   before this migration have none, so they too are closed to new entries.
3. The entries' foreign keys (to the account and the transaction) are dropped (the model
   says db_constraint=False): (1) checks the account exists, (2) that the transaction does,
   transactions can never be deleted (0002), and `ledger_account_keep_history` refuses to
   delete an account that has entries. `ledger_verify` checks both references as well.
"""

from django.db import migrations, models

FORWARD = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_ledgerentry;
DROP TRIGGER IF EXISTS ledger_transaction_has_entries ON ledger_ledgertransaction;
DROP FUNCTION IF EXISTS ledger_check_entries_balance();
DROP FUNCTION IF EXISTS ledger_check_transaction_has_entries();

ALTER TABLE ledger_ledgertransaction ADD COLUMN IF NOT EXISTS db_xact xid8;
ALTER TABLE ledger_ledgertransaction ALTER COLUMN db_xact SET DEFAULT pg_current_xact_id();

CREATE OR REPLACE FUNCTION ledger_check_transaction() RETURNS trigger AS $$
DECLARE
    entries int;
    accounts int;
    total numeric;
    foreign_currency boolean;
BEGIN
    SELECT count(*), count(a.id), sum(e.amount), bool_or(a.currency <> NEW.currency)
      INTO entries, accounts, total, foreign_currency
      FROM ledger_ledgerentry e LEFT JOIN ledger_ledgeraccount a ON a.id = e.account_id
     WHERE e.transaction_id = NEW.id;
    IF entries < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has fewer than two entries', NEW.id
            USING ERRCODE = 'check_violation';
    ELSIF accounts < entries THEN
        RAISE EXCEPTION 'ledger transaction % has an entry on an account that does not exist',
            NEW.id USING ERRCODE = 'foreign_key_violation';
    ELSIF foreign_currency THEN
        RAISE EXCEPTION 'ledger transaction % touches an account in another currency',
            NEW.id USING ERRCODE = 'check_violation';
    ELSIF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % %',
            NEW.id, total, NEW.currency USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction();

CREATE OR REPLACE FUNCTION ledger_check_new_entries() RETURNS trigger AS $$
DECLARE
    stray bigint;
BEGIN
    SELECT n.transaction_id INTO stray
      FROM new_entries n LEFT JOIN ledger_ledgertransaction t ON t.id = n.transaction_id
     WHERE t.db_xact IS DISTINCT FROM pg_current_xact_id()
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entries can only be written with their transaction: '
            'transaction % does not exist or was not created by this database transaction',
            stray USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entries_with_their_transaction AFTER INSERT ON ledger_ledgerentry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_entries();

CREATE OR REPLACE FUNCTION ledger_refuse_account_delete() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_ledgerentry WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION 'ledger account % has entries and cannot be deleted', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_account_keep_history BEFORE DELETE ON ledger_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_account_delete();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_account_keep_history ON ledger_ledgeraccount;
DROP FUNCTION IF EXISTS ledger_refuse_account_delete();
DROP TRIGGER IF EXISTS ledger_entries_with_their_transaction ON ledger_ledgerentry;
DROP FUNCTION IF EXISTS ledger_check_new_entries();
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_ledgertransaction;
DROP FUNCTION IF EXISTS ledger_check_transaction();
ALTER TABLE ledger_ledgertransaction DROP COLUMN IF EXISTS db_xact;
"""


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)  # RAISE formats use %: no mogrify


def _backward(apps, schema_editor):
    """Going back: drop ours and put 0003's triggers back (the foreign keys come back with
    the field alterations, which run after this)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    import importlib

    schema_editor.execute(BACKWARD, params=None)
    module = importlib.import_module("ledger.migrations.0003_posting_function")
    triggers = module.FORWARD.split("CREATE OR REPLACE FUNCTION ledger_post_v1")[0]
    schema_editor.execute(triggers, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_lighter_transaction_indexes")]

    operations = [
        migrations.RunPython(_forward, _backward),
        migrations.AlterField(
            model_name="ledgerentry",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=models.PROTECT,
                related_name="entries",
                to="ledger.ledgeraccount",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="transaction",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=models.PROTECT,
                related_name="entries",
                to="ledger.ledgertransaction",
            ),
        ),
    ]
