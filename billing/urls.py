from django.urls import path

from billing.views import reseller, staff

app_name = "billing"

urlpatterns = [
    path("r/invoices/", reseller.invoice_list, name="invoice-list"),
    path("r/invoices/<int:pk>/", reseller.invoice_detail, name="invoice-detail"),
    path("r/invoices/<int:pk>/pdf/", reseller.invoice_pdf, name="invoice-pdf"),
    path("r/invoices/<int:pk>/xml/", reseller.invoice_xml, name="invoice-xml"),
    path("r/invoices/exports/", reseller.export_list, name="export-list"),
    path("r/invoices/exports/<int:pk>/", reseller.export_detail, name="export-detail"),
    path(
        "r/invoices/exports/<int:pk>/download/",
        reseller.export_download_view,
        name="export-download",
    ),
    path("staff/invoices/", staff.staff_invoice_list, name="staff-invoice-list"),
    path("staff/invoices/<int:pk>/", staff.staff_invoice_detail, name="staff-invoice-detail"),
    path(
        "staff/invoices/<int:pk>/render/", staff.staff_invoice_render, name="staff-invoice-render"
    ),
    path("staff/invoices/<int:pk>/pdf/", staff.staff_invoice_pdf, name="staff-invoice-pdf"),
    path("staff/invoices/<int:pk>/xml/", staff.staff_invoice_xml, name="staff-invoice-xml"),
    path("staff/invoices/exports/", staff.staff_export_list, name="staff-export-list"),
    path("staff/invoices/exports/<int:pk>/", staff.staff_export_detail, name="staff-export-detail"),
    path(
        "staff/invoices/exports/<int:pk>/download/",
        staff.staff_export_download,
        name="staff-export-download",
    ),
]
