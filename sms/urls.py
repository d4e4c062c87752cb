from django.urls import path

from sms import views

app_name = "sms"

urlpatterns = [
    path("sms/inbox/", views.inbox, name="inbox"),
    path("sms/inbox/<int:pk>/", views.message_detail, name="message-detail"),
    path("r/sms/<int:pk>/resend/", views.message_resend, name="message-resend"),
]
