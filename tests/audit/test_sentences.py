"""Audit events as sentences in the reader's language: codes by their labels, amounts as the
language writes them, unknown actions and missing facts said plainly."""

from django.utils import translation

from audit.sentences import SENTENCES, audit_sentence


def test_codes_are_shown_by_their_labels_in_the_readers_language():
    data = {"user": "anna@example.test", "from": "user", "to": "accountant"}
    assert (
        audit_sentence("membership.role_changed", data)
        == "anna@example.test changed from User to Accountant."
    )
    assert audit_sentence("advertising.requested", {"quantity": 25, "kind": "leaflet"}) == (
        "Advertising material requested: 25 × Leaflets."
    )
    with translation.override("de"):
        sentence = audit_sentence(
            "advertising.status_changed", {"from": "requested", "to": "shipped"}
        )
    assert "requested" not in sentence and "shipped" not in sentence


def test_amounts_with_a_currency_follow_the_language():
    data = {"amount": "1250.0000", "currency": "EUR", "note": "", "child": 3}
    assert audit_sentence("ledger.credit_transferred", data).startswith("€1,250.00 of sales credit")
    with translation.override("de"):
        assert audit_sentence("ledger.credit_transferred", data).startswith("1.250,00\u00a0€")


def test_facts_that_are_not_text_do_not_break_the_sentence():
    data = {"before": {"may_create": False}, "after": {"may_create": True}}
    assert audit_sentence("reseller.subreseller_policy_changed", data) == (
        "Sub-reseller settings changed."
    )


def test_unknown_actions_and_missing_facts_are_said_plainly():
    assert audit_sentence("something.new", {}) == "Other event (something.new)."
    assert audit_sentence("invitation.created", {}) == "? invited as ?."


def test_every_sentence_is_translated_in_every_language():
    with translation.override("en"):
        english = {action: str(sentence) for action, sentence in SENTENCES.items()}
    for language in ("de", "fr", "pl"):
        with translation.override(language):
            untranslated = [a for a, s in SENTENCES.items() if str(s) == english[a]]
        assert untranslated == [], (language, untranslated)


def test_every_action_the_code_records_has_its_sentence():
    """Each `action="app.verb"` an audit_record call writes (and the IPN's per-outcome ones)
    is told as a sentence, not as "Other event (…)"."""
    import re
    from pathlib import Path

    from payments.models import PaypalIpn

    root = Path(__file__).resolve().parents[2]
    recorded = set()
    for path in root.glob("*/**/*.py"):
        if path.parts[len(root.parts)] in {"tests", ".venv", "bench"}:
            continue
        recorded |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text("utf-8")))
    recorded |= {f"paypal_ipn.{outcome}" for outcome in PaypalIpn.Outcome.values}
    assert len(recorded) > 60
    assert sorted(recorded - set(SENTENCES)) == []


def test_a_reversed_sale_says_what_commission_came_back_and_what_is_owed():
    data = {
        "amount": "20.0000",
        "currency": "EUR",
        "commission_clawed": "1.5000",
        "commission_owed": "0.5000",
    }
    assert audit_sentence("customer.sale_reversed", data) == (
        "Sale of €20.00 reversed; commission taken back: €1.50 from commission credit, €0.50 owed."
    )


def test_a_rate_is_written_as_the_language_writes_numbers():
    data = {"rate": "7.50", "effective_from": "2026-12-01"}
    assert audit_sentence("reseller.commission_plan_set", data) == (
        "Commission plan set: 7.50 % from 2026-12-01."
    )
    with translation.override("de"):
        assert "7,50" in audit_sentence("reseller.commission_plan_set", data)
