from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from catalog.identity import viewer_for_request


@require_safe
def home(request):
    return render(request, "home.html", {"viewer": viewer_for_request(request)})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
