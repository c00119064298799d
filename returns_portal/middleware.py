"""Request checks that hold for every page and endpoint."""

import json

from django.http import HttpResponseBadRequest, JsonResponse

NUL_MESSAGE = "The request contains a NUL character (\\u0000), which no field accepts."
JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _json_has_nul(body: bytes) -> bool:
    if b"\x00" in body:
        return True
    if b"\\u0000" not in body:  # the common case: no parse needed
        return False
    try:
        return _has_nul(json.loads(body))
    except ValueError:
        return False  # malformed JSON is the parser's to refuse, with its own message


class RejectNulCharactersMiddleware:
    """A NUL character in a query string, form or JSON body is refused with a 400.

    PostgreSQL text and JSON columns cannot store it, so it would otherwise surface as a
    database error (a 500) wherever a view reads raw input instead of a form or serializer
    (which already refuse it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "%00" in request.META.get("QUERY_STRING", "") or any(
            _has_nul(k) or _has_nul(v) for k, values in request.GET.lists() for v in values
        ):
            return True
        if request.method not in ("POST", "PUT", "PATCH"):
            return False
        content_type = request.content_type or ""
        if content_type in JSON_TYPES:
            return _json_has_nul(request.body)
        if content_type in FORM_TYPES:
            try:
                form = request.POST
            except Exception:  # a malformed body: the view answers it as it does today
                return False
            return any(_has_nul(k) or _has_nul(v) for k, vs in form.lists() for v in vs)
        return False
