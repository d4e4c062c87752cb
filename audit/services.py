"""Writing the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from audit.models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    reseller=None,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    reseller_id: int | None = None,
) -> AuditEvent:
    """Write one audit row. Call it inside the transaction of the change it records."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        reseller_id=reseller.pk if reseller is not None else reseller_id,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
    )


def audit_record_once(*, actor, action: str, obj: models.Model, **kwargs) -> AuditEvent | None:
    """`audit_record`, unless `obj` already has a row for `action`: a replayed idempotency key
    returns the first posting, which was audited then (a concurrent replay waited on the
    idempotency index until the first one committed, audit row included). Returns the new
    row, or None when there was one already."""
    already = AuditEvent.objects.filter(
        action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).exists()
    if already:
        return None
    return audit_record(actor=actor, action=action, obj=obj, **kwargs)
