"""allauth's rate limits behind the trusted proxy: each client counts by its own address, and
failures cannot be used to lock a known person out (accounts.adapters.AccountAdapter).

Every request comes from the proxy (REMOTE_ADDR) with the client's address appended to
X-Forwarded-For, as production runs (TRUSTED_PROXY_COUNT = 1).
"""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
RESET = reverse("account_reset_password")
PROXY = "10.0.0.2"
ATTACKER = "198.51.100.66"
VICTIM = "203.0.113.5"
TOO_MANY = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def behind_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    cache.clear()  # the limits' counters live in the cache
    yield
    cache.clear()


def _from(client, address: str, forwarded: str | None = None):
    """`client` sending through the proxy as `address` (the proxy appends it)."""
    header = f"{forwarded}, {address}" if forwarded else address
    client.defaults.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)
    return client


def _sign_in(client, login: str, password: str):
    return client.post(LOGIN, {"login": login, "password": password})


def test_failures_from_another_address_do_not_lock_the_owner_out(client):
    victim = UserFactory()
    attacker = _from(client.__class__(), ATTACKER)
    for _ in range(5):
        assert TOO_MANY not in _sign_in(attacker, victim.email, "wrong-password-1").content.decode()
    # The attacker is throttled for this account, even with the right password...
    answer = _sign_in(attacker, victim.email, PASSWORD)
    assert TOO_MANY in answer.content.decode() and "_auth_user_id" not in attacker.session
    # ...while the owner signs in from their own address.
    owner = _from(client, VICTIM)
    answer = _sign_in(owner, victim.email, PASSWORD)
    assert answer.status_code == 302 and owner.session["_auth_user_id"] == str(victim.pk)


def test_spoofed_forwarded_entries_do_not_evade_the_limit(client):
    victim = UserFactory()
    for n in range(5):
        spoofed = _from(client.__class__(), ATTACKER, forwarded=f"192.0.2.{n}, 192.0.2.{n + 100}")
        _sign_in(spoofed, victim.email, "wrong-password-1")
    spoofed = _from(client.__class__(), ATTACKER, forwarded="192.0.2.77")
    assert TOO_MANY in _sign_in(spoofed, victim.email, PASSWORD).content.decode()


def test_one_address_is_bounded_over_all_accounts(client):
    victims = UserFactory.create_batch(21)
    attacker = _from(client.__class__(), ATTACKER)
    for victim in victims[:20]:
        _sign_in(attacker, victim.email, "wrong-password-1")
    assert TOO_MANY in _sign_in(attacker, victims[20].email, PASSWORD).content.decode()
    owner = _from(client, VICTIM)
    assert _sign_in(owner, victims[20].email, PASSWORD).status_code == 302


def test_customers_mobile_numbers_are_counted_apart(client, world):
    """A mobile number sign-in has no e-mail: each number is its own account in the limit
    (before, every mobile number shared one counter, so five failures locked out all)."""
    customer = world.a.customer
    stranger = _from(client.__class__(), ATTACKER)
    for _ in range(5):
        _sign_in(stranger, "+49 179 7654321", "wrong-password-1")
    assert TOO_MANY in _sign_in(stranger, "0049 179 7654321", "x").content.decode()
    # Another number, from the same address: not locked by the first number's failures.
    assert customer.phone != "+491797654321"
    answer = _sign_in(stranger, customer.phone, PASSWORD)
    assert answer.status_code == 302
    assert stranger.session["_auth_user_id"] == str(customer.user_id)


def test_a_reset_requested_by_others_never_refuses_the_owners_own(
    client, django_capture_on_commit_callbacks
):
    victim = UserFactory()
    attacker = _from(client.__class__(), ATTACKER)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(8):
            assert attacker.post(RESET, {"email": victim.email}).status_code == 302
        owner = _from(client, VICTIM)
        answer = owner.post(RESET, {"email": victim.email})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/done/")
    # The mailbox is not flooded: at most 5 reset e-mails per address in the window, each
    # with a link that works; the owner uses any of them.
    sent = [m for m in mail.outbox if victim.email in m.to]
    assert 1 <= len(sent) <= 5


def test_resets_from_one_address_are_bounded(client):
    attacker = _from(client.__class__(), ATTACKER)
    answers = [attacker.post(RESET, {"email": f"x{n}@example.test"}) for n in range(21)]
    assert [a.status_code for a in answers[:20]] == [302] * 20
    assert answers[20].status_code == 429
