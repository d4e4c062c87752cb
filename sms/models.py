import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Message(models.Model):
    """One SMS in the outbox: written with the change it reports, sent by a task after commit.

    The rows are also the database backend's inbox (sms:inbox).

    A message that carries a secret (the password of the credentials SMS) keeps it only until
    it is handed to the backend: `body` is always the text with the secret masked (rendered
    with the mask in the secret's place), `secret_body` the full text, emptied once the
    message is sent or finally failed (sms.delivery). `reference` is the stable identity the
    gateway receives on every try, so it can drop a duplicate."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", pgettext_lazy("SMS status", "Sent")
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
    # The full text while a secret in it still has to be sent; empty otherwise.
    secret_body = models.TextField(_("text with the secret"), blank=True, default="")
    # Whether `body` has a secret masked (then it can only be sent while secret_body is kept).
    masked = models.BooleanField(_("secret masked"), default=False)
    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
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

    @property
    def sendable(self) -> bool:
        """Whether the text can still be sent as written: not while a masked secret is gone."""
        return not self.masked or bool(self.secret_body)

    def text_to_send(self) -> str:
        """The text the recipient gets: with its secret while one is kept."""
        return self.secret_body or self.body
