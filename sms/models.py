from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """One SMS in the outbox: written with the change it reports, sent by a task after commit.

    The rows are also the database backend's inbox (sms:inbox)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.PROTECT,
        related_name="sms_messages",
        verbose_name=_("reseller"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sms_messages",
        verbose_name=_("customer"),
    )
    recipient = models.CharField(_("recipient"), max_length=20)
    body = models.TextField(_("text"))
    template = models.CharField(_("template"), max_length=64)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    backend = models.CharField(_("backend"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["reseller", "customer", "-created_at"]),
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["-created_at", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed"]),
                name="sms_message_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"SMS #{self.pk} to {self.recipient}"
