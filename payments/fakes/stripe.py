"""A loopback fake of Stripe: the API our adapter calls, hosted Checkout, and signed webhooks.

The real `stripe` SDK runs against it unchanged (point the client's `base_addresses["api"]` at
`<server>/stripe`): it reads Stripe's form-encoded bodies, checks the bearer key, honours
`Idempotency-Key` (a replay answers the first response; the same key with other parameters is
refused with `idempotency_error`), and answers Stripe's JSON objects and error envelope with
Stripe's status codes. Webhooks are signed with the endpoint secret exactly as Stripe signs
them, so `stripe.Webhook.construct_event` verifies them as it would the real ones.

Money moves only through the hosted page (`/checkout/<id>`) or the test hooks (`pay`,
`pay_async`, `complete_async`, `expire`, `refund_on_dashboard`, `dispute`). Each sends its
events to `webhook_url` synchronously, outside the state lock (the receiver may call the fake
back), and records the outcome in `deliveries`; a failed delivery is tolerated, as our
reconciliation job re-fetches what a lost webhook would have told.
"""

from __future__ import annotations

import copy
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http import HTTPStatus
from wsgiref.util import application_uri

from payments.fakes.stripe_objects import (
    new_charge,
    new_dispute,
    new_event,
    new_payment_intent,
    new_refund,
    new_session,
)
from payments.fakes.stripe_page import checkout_page, message_page
from payments.fakes.stripe_wire import (
    StripeApiError,
    as_int,
    fingerprint,
    json_body,
    major,
    new_id,
    parse_body,
    parse_query,
    sign,
)


class FakeStripeError(ValueError):
    """A test hook asked for something Stripe would not do (pay an expired session, …)."""


@dataclass(frozen=True)
class Delivery:
    """One attempt to post an event to the webhook URL: the HTTP status, or the error."""

    event_id: str
    event_type: str
    url: str
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class FakeStripe:
    """Stripe's API and hosted Checkout in memory, as a WSGI app (mount it with
    `payments.fakes.server.serve({"stripe": fake})`)."""

    def __init__(
        self,
        secret_key: str = "sk_test_tessera_fake",  # noqa: S107 - the fake's test key
        webhook_secret: str = "whsec_tessera_fake",  # noqa: S107
        webhook_url: str = "",
        *,
        public_url: str = "",
        webhook_timeout: float = 5.0,
    ):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url  # may be set later, once the receiver runs
        # Where the hosted page's links point; empty: the address the API was called on.
        self.public_url = public_url.rstrip("/")
        self.webhook_timeout = webhook_timeout
        # Stripe sends charge.refunded for refunds made through the API too.
        self.notify_api_refunds = True
        # The next `outage` API calls answer 500 api_error (transient failures in tests).
        self.outage = 0
        self.sessions: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.disputes: dict[str, dict] = {}
        self.events: list[dict] = []  # every event the fake raised, in order
        self.deliveries: list[Delivery] = []
        self.requests: list[tuple[str, str, str]] = []  # (method, path, idempotency key)
        self._descriptions: dict[str, str] = {}  # session id → line item name
        self._pi_metadata: dict[str, dict] = {}  # session id → payment_intent_data.metadata
        self._idempotent: dict[str, tuple[str, int, dict]] = {}
        self._lock = threading.RLock()

    # --- test hooks ---------------------------------------------------------------------------

    def pay(self, session_id: str) -> dict:
        """The payer pays by card and it succeeds: the session completes paid, a payment intent
        and its charge exist, checkout.session.completed is sent. Answers the session."""
        return self._run(lambda: self._pay(session_id, async_method=False), session_id)

    def pay_async(self, session_id: str) -> dict:
        """The payer picks a delayed method (bank debit): the session completes unpaid, the
        payment intent is processing; checkout.session.completed (unpaid) is sent."""
        return self._run(lambda: self._pay(session_id, async_method=True), session_id)

    def complete_async(self, session_id: str, succeed: bool = True) -> dict:
        """The delayed payment settles (async_payment_succeeded) or fails
        (async_payment_failed)."""
        return self._run(lambda: self._settle(session_id, succeed=succeed), session_id)

    def expire(self, session_id: str) -> dict:
        """The session expires unpaid; checkout.session.expired is sent."""
        return self._run(lambda: self._expire(session_id), session_id)

    def refund_on_dashboard(self, payment_intent: str, amount_minor: int) -> dict:
        """Someone refunds on Stripe's dashboard: charge.refunded is sent. Answers the refund."""
        with self._lock:
            try:
                refund, events = self._refund(payment_intent, amount_minor, {})
            except StripeApiError as exc:
                raise FakeStripeError(str(exc)) from None
        self._deliver_all(events)
        return copy.deepcopy(refund)

    def dispute(self, payment_intent: str, amount_minor: int) -> dict:
        """The cardholder's bank opens a dispute: charge.dispute.created is sent."""
        with self._lock:
            try:
                charge = self._charge_of(payment_intent)
            except StripeApiError as exc:
                raise FakeStripeError(str(exc)) from None
            if amount_minor <= 0 or amount_minor > charge["amount"]:
                raise FakeStripeError("a dispute is for at most the charge's amount")
            dispute = new_dispute(charge, amount=amount_minor)
            self.disputes[dispute["id"]] = dispute
            charge["disputed"] = True
            events = [self._raise("charge.dispute.created", dispute)]
        self._deliver_all(events)
        return copy.deepcopy(dispute)

    def event_for(self, event_type: str, obj: dict) -> dict:
        """A Stripe event of `event_type` about `obj` (a snapshot), not recorded or sent."""
        return new_event(event_type, obj)

    def signed(
        self, event: dict, *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers Stripe would post for `event` (signed with `secret`, by default
        the endpoint's; `timestamp` for a stale or future signature)."""
        body = json_body(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign(body, secret or self.webhook_secret, timestamp=timestamp),
        }
        return body, headers

    def deliver(self, event: dict) -> Delivery:
        """Post `event` to the webhook URL now (a new signature, as Stripe's retries have)."""
        body, headers = self.signed(event)
        url = self.webhook_url
        status, error = None, ""
        if not url.startswith(("http://", "https://")):
            error = "no webhook URL"
        else:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.webhook_timeout) as answer:  # noqa: S310 - http(s) only, checked above
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (OSError, ValueError) as exc:
                error = str(exc) or type(exc).__name__
        delivery = Delivery(event["id"], event["type"], url, status, error)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def session_for(self, reference: str) -> dict:
        """The last session created for our reference (client_reference_id)."""
        with self._lock:
            for session in reversed(self.sessions.values()):
                if session["client_reference_id"] == reference:
                    return copy.deepcopy(session)
        raise KeyError(reference)

    # --- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "/")
        if path.startswith("/v1/"):
            status, headers, body = self._api(environ, method, path)
        elif path.startswith("/checkout/"):
            status, headers, body = self._checkout(environ, method, path.removeprefix("/checkout/"))
        elif path.startswith("/_test/sessions/") and method == "POST":
            status, headers, body = self._test_hook(environ, path.removeprefix("/_test/sessions/"))
        else:
            status, headers, body = 404, [("Content-Type", "text/plain")], b"not found"
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _api(self, environ, method: str, path: str):
        key = environ.get("HTTP_IDEMPOTENCY_KEY", "")
        with self._lock:
            self.requests.append((method, path, key))
        try:
            self._authenticate(environ)
            if self.outage > 0:
                self.outage -= 1
                raise StripeApiError(500, "An unknown error occurred.", type="api_error")
            if method == "POST":
                params = parse_body(environ)
            else:
                params = parse_query(environ.get("QUERY_STRING", ""))
            status, extra, payload, events = self._idempotently(environ, method, path, params, key)
        except StripeApiError as exc:
            status, extra, payload, events = exc.status, [], exc.body, []
        self._deliver_all(events)
        headers = [("Content-Type", "application/json"), ("Request-Id", new_id("req")), *extra]
        return status, headers, json_body(payload)

    def _authenticate(self, environ) -> None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header:
            raise StripeApiError(
                401, "You did not provide an API key. Provide it as a Bearer token."
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token != self.secret_key:
            shown = token[:8] + "*" * max(len(token) - 12, 0) + token[-4:] if token else ""
            raise StripeApiError(401, f"Invalid API Key provided: {shown}")

    def _idempotently(self, environ, method: str, path: str, params: dict, key: str):
        """Run the call once per Idempotency-Key: Stripe stores a result only once the
        endpoint ran (so a request refused by validation may be retried with the same key)."""
        stamp = fingerprint(method, path, params)
        with self._lock:
            if method == "POST" and key:
                seen = self._idempotent.get(key)
                if seen is not None:
                    if seen[0] != stamp:
                        raise StripeApiError(
                            400,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                            type="idempotency_error",
                        )
                    return seen[1], [("Idempotent-Replayed", "true")], copy.deepcopy(seen[2]), []
            payload, events = self._route(environ, method, path, params)
            if method == "POST" and key:
                self._idempotent[key] = (stamp, 200, copy.deepcopy(payload))
            return 200, [], payload, events

    def _route(self, environ, method: str, path: str, params: dict):
        parts = path.strip("/").split("/")[1:]  # without "v1"
        if parts == ["checkout", "sessions"] and method == "POST":
            return self._create_session(environ, params), []
        if len(parts) == 3 and parts[:2] == ["checkout", "sessions"] and method == "GET":
            return self._session_view(parts[2], params.get("expand") or []), []
        if parts[:2] == ["checkout", "sessions"] and parts[3:] == ["expire"] and method == "POST":
            events = self._expire(parts[2], api=True)
            return self._session_view(parts[2], []), events
        if parts == ["refunds"] and method == "POST":
            amount = as_int(params, "amount") if "amount" in params else None
            pi = params.get("payment_intent") or self._pi_of_charge(params.get("charge", ""))
            refund, events = self._refund(pi, amount, params.get("metadata") or {})
            return copy.deepcopy(refund), events if self.notify_api_refunds else []
        if len(parts) == 2 and parts[0] in ("refunds", "payment_intents", "charges"):
            table = {"refunds": self.refunds, "payment_intents": self.payment_intents}.get(
                parts[0], self.charges
            )
            if method == "GET" and parts[1] in table:
                return copy.deepcopy(table[parts[1]]), []
            if method == "GET":
                raise _missing(parts[0].rstrip("s"), parts[1])
        raise StripeApiError(
            404, f"Unrecognized request URL ({method}: {path}).", code="resource_missing"
        )

    # --- the API's objects --------------------------------------------------------------------

    def _create_session(self, environ, params: dict) -> dict:
        base = self.public_url or application_uri(environ).rstrip("/")
        session, description, intent_metadata = new_session(params, base_url=base)
        self.sessions[session["id"]] = session
        self._descriptions[session["id"]] = description
        self._pi_metadata[session["id"]] = intent_metadata
        return copy.deepcopy(session)

    def _session(self, session_id: str) -> dict:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise _missing("checkout.session", session_id) from None

    def _session_view(self, session_id: str, expand: list) -> dict:
        session = copy.deepcopy(self._session(session_id))
        if "payment_intent" in expand and session["payment_intent"]:
            session["payment_intent"] = copy.deepcopy(
                self.payment_intents[session["payment_intent"]]
            )
        return session

    def _pay(self, session_id: str, *, async_method: bool) -> list[dict]:
        session = self._session(session_id)
        if session["status"] != "open":
            raise FakeStripeError(f"session {session_id} is {session['status']}, not open")
        intent = new_payment_intent(
            session,
            description=self._descriptions.get(session_id, ""),
            metadata=self._pi_metadata.get(session_id, {}),
            async_method=async_method,
        )
        self.payment_intents[intent["id"]] = intent
        session.update(status="complete", payment_intent=intent["id"], url=None)
        if not async_method:
            self._succeed(intent)
            session["payment_status"] = "paid"
        return [self._raise("checkout.session.completed", session)]

    def _succeed(self, intent: dict) -> None:
        charge = new_charge(intent)
        self.charges[charge["id"]] = charge
        intent.update(status="succeeded", amount_received=intent["amount"])
        intent["latest_charge"] = charge["id"]

    def _settle(self, session_id: str, *, succeed: bool) -> list[dict]:
        session = self._session(session_id)
        intent = self.payment_intents.get(session["payment_intent"] or "")
        if session["status"] != "complete" or intent is None or intent["status"] != "processing":
            raise FakeStripeError(f"session {session_id} has no delayed payment in progress")
        if succeed:
            self._succeed(intent)
            session["payment_status"] = "paid"
            return [self._raise("checkout.session.async_payment_succeeded", session)]
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = {"code": "payment_method_not_available"}
        return [self._raise("checkout.session.async_payment_failed", session)]

    def _expire(self, session_id: str, *, api: bool = False) -> list[dict]:
        session = self._session(session_id)
        if session["status"] != "open":
            message = f"Only open Checkout Sessions can be expired: {session_id}."
            if api:
                raise StripeApiError(400, message, code="checkout_session_not_open")
            raise FakeStripeError(message)
        session.update(status="expired", url=None)
        return [self._raise("checkout.session.expired", session)]

    def _charge_of(self, payment_intent: str) -> dict:
        intent = self.payment_intents.get(payment_intent)
        if intent is None:
            raise _missing("payment_intent", payment_intent)
        charge = self.charges.get(intent["latest_charge"] or "")
        if charge is None:
            raise StripeApiError(
                400,
                f"This PaymentIntent ({payment_intent}) does not have a successful charge to "
                "refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        return charge

    def _pi_of_charge(self, charge_id: str) -> str:
        charge = self.charges.get(charge_id)
        if charge is None:
            raise StripeApiError(
                400, "One of payment_intent or charge is required.", param="payment_intent"
            )
        return charge["payment_intent"]

    def _refund(self, payment_intent: str, amount: int | None, metadata: dict):
        charge = self._charge_of(payment_intent)
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise StripeApiError(
                400,
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = remaining if amount is None else amount
        if amount <= 0:
            raise StripeApiError(400, "Refund amount must be positive.", param="amount")
        if amount > remaining:
            cur = charge["currency"]
            raise StripeApiError(
                400,
                f"Refund amount ({major(amount, cur)}) is greater than unrefunded amount on "
                f"charge ({major(remaining, cur)})",
                code="amount_too_large",
                param="amount",
            )
        refund = new_refund(charge, amount=amount, metadata=metadata)
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        return refund, [self._raise("charge.refunded", charge)]

    def _raise(self, event_type: str, obj: dict) -> dict:
        event = self.event_for(event_type, obj)
        self.events.append(event)
        return event

    # --- delivery, the hosted page, the test endpoints ----------------------------------------

    def _run(self, change, session_id: str) -> dict:
        with self._lock:
            events = change()
        self._deliver_all(events)
        with self._lock:
            return copy.deepcopy(self.sessions[session_id])

    def _deliver_all(self, events: list[dict]) -> None:
        # Outside the lock: the receiver may call the fake back while handling the event.
        for event in events:
            if self.webhook_url:
                self.deliver(event)

    def _checkout(self, environ, method: str, session_id: str):
        with self._lock:
            session = copy.deepcopy(self.sessions.get(session_id))
        if session is None:
            page = message_page(title="Not found", text="This checkout page does not exist.")
            return 404, _html(), page
        if session["status"] != "open":
            return self._closed_page(session)
        action = parse_body(environ).get("action") if method == "POST" else None
        notice = ""
        if action in ("pay", "pay_async"):
            try:
                session = self._run(
                    lambda: self._pay(session_id, async_method=action == "pay_async"), session_id
                )
            except FakeStripeError:  # paid or expired meanwhile (another tab, a hook)
                with self._lock:
                    session = copy.deepcopy(self.sessions[session_id])
            return self._closed_page(session)
        if action == "cancel":
            return 303, [("Location", session["cancel_url"] or session["success_url"])], b""
        if action == "decline":
            notice = "Your card was declined. Try another card or payment method."
        own = application_uri(environ).rstrip("/") + f"/checkout/{session_id}"
        page = checkout_page(
            action=own,
            session=session,
            description=self._descriptions.get(session_id, ""),
            notice=notice,
        )
        return 200, _html(), page

    def _closed_page(self, session: dict):
        if session["status"] == "complete":
            target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
            return 303, [("Location", target)], b""
        page = message_page(
            title="Session expired",
            text="This checkout session has expired. Start the payment again.",
            link=session["cancel_url"] or "",
            link_text="Back",
        )
        return 410, _html(), page

    def _test_hook(self, environ, rest: str):
        """POST /_test/sessions/<id>/(pay|pay_async|complete_async|expire), for `make run`."""
        session_id, _, hook = rest.partition("/")
        params = parse_body(environ)
        hooks = {
            "pay": lambda: self.pay(session_id),
            "pay_async": lambda: self.pay_async(session_id),
            "complete_async": lambda: self.complete_async(
                session_id, succeed=params.get("succeed", "true") != "false"
            ),
            "expire": lambda: self.expire(session_id),
        }
        try:
            result = hooks[hook]()
        except (KeyError, FakeStripeError, StripeApiError) as exc:
            return 400, [("Content-Type", "application/json")], json_body({"error": str(exc)})
        return 200, [("Content-Type", "application/json")], json_body(result)


def _missing(kind: str, object_id: str) -> StripeApiError:
    return StripeApiError(
        404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id"
    )


def _html() -> list[tuple[str, str]]:
    return [("Content-Type", "text/html; charset=utf-8")]


__all__ = ["Delivery", "FakeStripe", "FakeStripeError"]
