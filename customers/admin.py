from django.contrib import admin

from customers.models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["phone", "name", "reseller", "status", "balance_policy"]
    list_filter = ["status", "balance_policy"]
    search_fields = ["phone", "name", "email"]
    raw_id_fields = ["reseller", "user"]
