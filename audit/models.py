from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.sentences import audit_sentence


class AuditEvent(models.Model):
    """Who did what, when, to which object. Written by services inside their transaction."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("reseller"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        db_table = "resellers_auditevent"  # created by resellers 0001; moved here, data kept
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["reseller", "-at"], name="resellers_a_reselle_e4ee5f_idx"),
            models.Index(
                fields=["object_type", "object_id"], name="resellers_a_object__d4e430_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def sentence(self) -> str:
        """The event in words (audit.sentences), for every list that shows it."""
        return audit_sentence(self.action, self.data)
