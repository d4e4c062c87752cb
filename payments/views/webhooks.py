"""The providers' webhook endpoints: the raw body goes to `notification_receive`, which
verifies it (never trusting a field before the signature checked out) and acts."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.access import public
from payments.services.notifications import notification_receive


def _receive(request, provider: str) -> HttpResponse:
    received = notification_receive(provider=provider, body=request.body, headers=request.headers)
    return HttpResponse(received.outcome, status=received.status, content_type="text/plain")


@csrf_exempt
@require_POST
@public
def stripe_webhook(request):
    return _receive(request, "stripe")


@csrf_exempt
@require_POST
@public
def paypal_webhook(request):
    return _receive(request, "paypal")
