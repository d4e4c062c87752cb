from django.contrib import admin

from audit.models import AuditEvent
from resellers.models import AdvertisingRequest, Branding, Reseller, ResellerHostname


@admin.register(Reseller)
class ResellerAdmin(admin.ModelAdmin):
    list_display = ["name", "legal_name", "country", "status", "parent", "currency"]
    list_filter = ["status", "country"]
    search_fields = ["name", "legal_name", "vat_id", "contact_email"]
    raw_id_fields = ["parent"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "reseller", "action", "object_type", "object_id"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Branding)
class BrandingAdmin(admin.ModelAdmin):
    list_display = ["reseller", "display_name", "header_colour", "updated_at"]
    search_fields = ["reseller__name", "display_name"]
    raw_id_fields = ["reseller"]


@admin.register(ResellerHostname)
class ResellerHostnameAdmin(admin.ModelAdmin):
    """Read-only: host names change through the Branding page (DNS check, fee, audit)."""

    list_display = ["hostname", "reseller", "status", "verified_at", "activated_at"]
    list_filter = ["status"]
    search_fields = ["hostname", "reseller__name"]
    readonly_fields = [f.name for f in ResellerHostname._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AdvertisingRequest)
class AdvertisingRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "reseller", "kind", "quantity", "status", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["reseller__name", "city"]
    raw_id_fields = ["reseller", "requested_by"]
