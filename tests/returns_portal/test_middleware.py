"""A NUL character anywhere in the input is a clear 400, on every database."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from resolution.models import MoneyMovement

pytestmark = pytest.mark.django_db


def test_nul_in_a_hand_read_form_is_a_400_and_writes_nothing(client, manager, customer):
    # the goodwill form reads request.POST itself: PostgreSQL would refuse the NUL with a 500
    client.force_login(manager)
    before = MoneyMovement.objects.count()
    resp = client.post(
        "/resolution/goodwill/",
        {"email": f"{customer.email}\x00", "amount": "5.00", "reason": "Late", "as": "credit"},
    )
    assert resp.status_code == 400
    assert "NUL character" in resp.content.decode()
    assert MoneyMovement.objects.count() == before


def test_nul_in_a_query_string_is_a_400(client, manager):
    client.force_login(manager)
    assert client.get("/staff/returns/?product=AB%00C").status_code == 400
    assert client.get("/staff/returns/?product=ABC").status_code == 200


def test_nul_in_json_is_a_400_with_a_json_error(api_client, customer):
    api_client.force_authenticate(customer.user)
    for body in ({"order_id": 1, "items": [{"note": "a\x00b"}]}, {"k\x00": 1}):
        resp = api_client.post(
            "/api/v1/returns/", json.dumps(body), content_type="application/json"
        )
        assert resp.status_code == 400
        assert resp.json() == {"detail": pytest.approx(resp.json()["detail"])}
        assert "NUL character" in resp.json()["detail"]
    # a backslash followed by "u0000" as text is not a NUL: the request goes on to the API
    text = json.dumps({"order_id": "x", "note": "\\u0000"})
    assert "\\\\u0000" in text
    resp = api_client.post("/api/v1/returns/", text, content_type="application/json")
    assert resp.status_code == 400 and "NUL character" not in resp.content.decode()


def test_nul_in_a_multipart_text_field_is_a_400_but_not_in_a_file(client, manager):
    client.force_login(manager)

    def upload():
        return SimpleUploadedFile("a.txt", b"x\x00y", content_type="text/plain")

    # NUL bytes inside a file are the file's business: the request reaches the view (which
    # only answers GET: 405)
    assert client.post("/staff/returns/", {"note": "ab", "file": upload()}).status_code == 405
    # in a text field they are refused
    assert client.post("/staff/returns/", {"note": "a\x00", "file": upload()}).status_code == 400
