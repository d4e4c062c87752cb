from django.contrib import admin

from sms.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "reseller", "recipient", "template", "status", "attempts")
    list_filter = ("status", "template", "language", "backend")
    search_fields = ("recipient", "provider_message_id")
    raw_id_fields = ("reseller", "customer")
    readonly_fields = ("created_at", "updated_at", "sent_at")
