from django.contrib import admin

from customers.models import CommissionTier, Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["phone", "name", "reseller", "status", "balance_policy"]
    list_filter = ["status", "balance_policy"]
    search_fields = ["phone", "name", "email"]
    raw_id_fields = ["reseller", "user"]


@admin.register(CommissionTier)
class CommissionTierAdmin(admin.ModelAdmin):
    list_display = ["reseller", "min_amount", "rate"]
    list_filter = [("reseller", admin.EmptyFieldListFilter)]
    raw_id_fields = ["reseller"]
