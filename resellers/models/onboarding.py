"""The reseller terms: each published version, and who accepted which."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from resellers.models.reseller import Reseller


class TermsDocument(models.Model):
    """A published version of the reseller terms. New versions are added; old ones stay."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("terms document")
        verbose_name_plural = _("terms documents")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class TermsAcceptance(models.Model):
    """Who accepted which version of the terms, when, from which address."""

    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.CASCADE,
        related_name="terms_acceptances",
        verbose_name=_("reseller"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    terms = models.ForeignKey(
        TermsDocument, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("terms")
    )
    accepted_at = models.DateTimeField(_("accepted"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("terms acceptance")
        verbose_name_plural = _("terms acceptances")
        ordering = ["-accepted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reseller_id} v{self.terms_id}"
