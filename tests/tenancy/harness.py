"""The machinery of the tenant-isolation and role-matrix tests.

`our_routes()` walks the URL configuration in force and returns every route whose view is
ours (defined in one of our apps, or in the test modules that plant views). The two checks
take a route and report failures as readable strings, so the tests that plant a faulty view
can show that the checks catch it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.tenancy.headers import header_failures
from tests.world import Tenant, World


# Django's admin (config/admin.py wraps its login) is checked in tests/config/test_admin.py.
def _our_modules() -> tuple[str, ...]:
    """Our apps are the installed apps at the top of this repository."""
    ours = tuple(
        app.name
        for app in apps.get_app_configs()
        if Path(app.path).parent == settings.BASE_DIR and app.name != "config"
    )
    return (*ours, "config.views", "tests.tenancy.planted_views")


OUR_MODULES = _our_modules()


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]
    module: str


@dataclass(frozen=True)
class ObjectUrl:
    """How to open a URL that names an object: build its kwargs for an object of `tenant`.

    audience: who may open it when the object is theirs — "tenant" (members of the reseller
    that owns the object), "customer" (the customer it belongs to) or "staff"; "machine" for
    an address a provider posts to, whose secret token is the key (anyone holding it may
    post; a token that names nobody is a 404).
    data: what a POST sends; a function of (world, tenant) when it names the world's objects.
    """

    kwargs: Callable[[World, Tenant], dict[str, Any]]
    method: str = "get"
    data: dict[str, Any] | Callable[[World, Tenant], dict[str, Any]] = field(default_factory=dict)
    audience: str = "tenant"

    def payload(self, world: World, tenant: Tenant) -> dict[str, Any]:
        return self.data(world, tenant) if callable(self.data) else self.data


def _walk(patterns, prefix: str = "", namespace: str = "", inherited: tuple = ()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            params = (
                inherited + tuple(entry.pattern.converters) + tuple(entry.pattern.regex.groupindex)
            )
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns, params)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            params = (
                inherited + tuple(entry.pattern.converters) + tuple(entry.pattern.regex.groupindex)
            )
            yield name, tuple(dict.fromkeys(params)), entry.callback


def our_routes() -> list[Route]:
    routes = {}
    for name, params, callback in _walk(get_resolver().url_patterns):
        module = getattr(callback, "__module__", "") or ""
        if module.startswith(OUR_MODULES):
            routes[name] = Route(name=name, params=params, module=module)
    return sorted(routes.values(), key=lambda r: r.name)


def _send(client, method: str, url: str, data: dict):
    return client.post(url, data) if method == "post" else client.get(url)


def _intruder_role(audience: str) -> str:
    return {"tenant": "admin", "customer": "customer", "staff": "admin"}[audience]


def _owner_role(audience: str) -> str:
    return {"tenant": "admin", "customer": "customer", "staff": "staff"}[audience]


def isolation_failures(world: World, route: Route, registry: dict[str, ObjectUrl]) -> list[str]:
    """Open the object of tenant A as tenant B (expect 404 or 403), then as its owner
    (expect it to work, so the first answer cannot come from a page that is simply broken)."""
    entry = registry.get(route.name)
    if entry is None:
        return [f"{route.name} takes {route.params} but is not in tests/tenancy/registry.py"]
    kwargs = entry.kwargs(world, world.a)
    url = reverse(route.name, kwargs=kwargs)
    data = entry.payload(world, world.a)
    failures = []
    if entry.audience == "machine":
        return _machine_failures(world, route, entry, kwargs, data)
    intruder = world.client_for(_intruder_role(entry.audience), world.b)
    answer = _send(intruder, entry.method, url, data)
    if answer.status_code not in (403, 404):
        failures.append(
            f"{route.name}: {entry.method.upper()} {url} as {_intruder_role(entry.audience)} "
            f"of another tenant answered {answer.status_code}, expected 404 or 403"
        )
    owner = world.client_for(_owner_role(entry.audience), world.a)
    answer = _send(owner, entry.method, url, data)
    if answer.status_code >= 400:
        failures.append(
            f"{route.name}: {entry.method.upper()} {url} as its owner answered "
            f"{answer.status_code}; the isolation check needs a working page"
        )
    return failures


def _machine_failures(world, route, entry, kwargs, data) -> list[str]:
    """A provider's address: a token that names nobody is a 404 whoever asks; the real one
    answers (the provider is nobody signed in)."""
    failures = []
    made_up = reverse(route.name, kwargs={name: "x" * len(str(v)) for name, v in kwargs.items()})
    for role in ("anonymous", "admin"):
        answer = _send(world.client_for(role, world.b), entry.method, made_up, data)
        if answer.status_code != 404:
            failures.append(f"{route.name}: {made_up} as {role} answered {answer.status_code}")
    url = reverse(route.name, kwargs=kwargs)
    answer = _send(world.client_for("anonymous"), entry.method, url, data)
    if answer.status_code >= 400:
        failures.append(f"{route.name}: {url} answered {answer.status_code} with its own token")
    return failures


@contextmanager
def rolled_back() -> Iterator[None]:
    """Undo whatever the block writes, so the next role finds the world as it was built.

    A plain savepoint, not `transaction.atomic()`: the services open
    `transaction.atomic(durable=True)`, which refuses to nest in any atomic block but the
    test's own. Needs the test's transaction (the `db` fixture).
    """
    sid = transaction.savepoint()
    assert sid is not None, "rolled_back() needs the test's transaction (the db fixture)"
    try:
        yield
    finally:
        transaction.savepoint_rollback(sid)


def classify(response) -> str:
    """'allowed', 'login' (sent to sign in), 'mfa' (sent to enrol MFA) or 'refused'."""
    code = response.status_code
    if code in (301, 302):
        location = response.headers.get("Location", "")
        if location.startswith(reverse("account_login")):
            return "login"
        if location.startswith(reverse("mfa_activate_totp")):
            return "mfa"
        return "allowed"
    if code == 403:
        return "refused"
    if code in (200, 201, 204):
        return "allowed"
    return f"error {code}"


def expected_outcome(role: str, allowed: frozenset[str]) -> str:
    if role in allowed:
        return "allowed"
    if role == "anonymous":
        return "login"
    if role == "staff_no_mfa" and "staff" in allowed:
        return "mfa"
    return "refused"


def role_failures(
    world: World,
    route: Route,
    role: str,
    allowed: frozenset[str],
    registry: dict[str, ObjectUrl],
    actions: dict[str, tuple[str, Callable[[World], dict]]],
) -> list[str]:
    """Open a page as `role` (a member of tenant A, or staff) and compare with the matrix;
    every answer must carry the security headers (tests/tenancy/headers.py)."""
    method, data = "get", {}
    kwargs = {}
    if route.params:
        entry = registry[route.name]
        kwargs, method = entry.kwargs(world, world.a), entry.method
        data = entry.payload(world, world.a)
    if route.name in actions:
        method, build = actions[route.name]
        data = build(world)
    url = reverse(route.name, kwargs=kwargs)
    response = _send(world.client_for(role), method, url, data)
    where = f"{route.name}: {method.upper()} {url} as {role}"
    failures = header_failures(response, signed_in=role != "anonymous", where=where)
    got = classify(response)
    want = expected_outcome(role, allowed)
    if got != want:
        failures.append(f"{where}: {got}, expected {want}")
    return failures
