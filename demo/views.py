from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from demo.seed import demo_accounts


@require_GET
def landing(request):
    """`/`: what this server is and where to go (API docs, the browsable API, admin,
    health); with DEBUG on, the demo accounts that exist and their seeded passwords."""
    context = {"demo_accounts": demo_accounts() if settings.DEBUG else []}
    return render(request, "demo/landing.html", context)
