from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from catalog.identity import viewer_for_request


def home(request):
    return render(request, "home.html", {"viewer": viewer_for_request(request)})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
