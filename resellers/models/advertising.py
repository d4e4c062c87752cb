"""A reseller's request for advertising material."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from resellers.models.reseller import Reseller


class AdvertisingRequest(models.Model):
    """A reseller asks the operator for printed leaflets or posters."""

    class Kind(models.TextChoices):
        LEAFLET = "leaflet", _("Leaflets")
        POSTER = "poster", _("Posters")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        IN_PRODUCTION = "in_production", _("In production")
        SHIPPED = "shipped", _("Shipped")
        REJECTED = "rejected", pgettext_lazy("advertising request status", "Rejected")

    # Sane amounts per kind: (least, most) pieces in one request.
    QUANTITY_BOUNDS = {Kind.LEAFLET: (25, 5000), Kind.POSTER: (1, 100)}
    # Where each status may go next; shipped and rejected are final.
    TRANSITIONS = {
        Status.REQUESTED: (Status.IN_PRODUCTION, Status.REJECTED),
        Status.IN_PRODUCTION: (Status.SHIPPED, Status.REJECTED),
        Status.SHIPPED: (),
        Status.REJECTED: (),
    }

    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.CASCADE,
        related_name="advertising_requests",
        verbose_name=_("reseller"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    kind = models.CharField(_("material"), max_length=16, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    recipient = models.CharField(_("recipient"), max_length=120)
    address_line = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    status_note = models.CharField(
        _("operator note"),
        max_length=300,
        blank=True,
        help_text=_("The reason of a rejection, or e.g. the parcel's tracking number."),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("advertising material request")
        verbose_name_plural = _("advertising material requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["reseller", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1) & models.Q(quantity__lte=5000),
                name="advertising_request_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} × {self.quantity}"

    @property
    def next_statuses(self) -> tuple:
        return self.TRANSITIONS[self.Status(self.status)]
