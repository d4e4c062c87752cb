from django.contrib import admin

from resellers.models import AuditEvent, Reseller


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
