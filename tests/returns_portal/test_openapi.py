"""The OpenAPI schema of the whole project validates without warnings, and the docs render."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    # when the schema of every app's endpoints is generated, failing on any warning
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    # then it documents the returns API with request bodies and error responses
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    create = paths["/api/v1/returns/"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"201", "400", "401", "404"} <= set(create["responses"])
    for path in [
        "/api/v1/returns/quote/",
        "/api/v1/returns/{return_id}/",
        "/api/v1/returns/by-reference/{reference}/",
        "/api/v1/returns/{return_id}/events/",
        "/api/v1/returns/{return_id}/approve/",
        "/api/v1/returns/{return_id}/decline/",
        "/api/v1/returns/{return_id}/cancel/",
        "/api/v1/reasons/",
        "/api/v1/orders/{order_id}/returnable-lines/",
    ]:
        assert path in paths, path
    approve = paths["/api/v1/returns/{return_id}/approve/"]["post"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(approve["responses"])
    listing = {p["name"] for p in paths["/api/v1/returns/"]["get"]["parameters"]}
    assert {"status", "created_after", "created_before", "reason", "sku", "supplier"} <= listing
    assert {"kind", "ordering", "page", "page_size"} <= listing
    statuses = schema["components"]["schemas"]["ReturnStatusEnum"]["enum"]
    assert "pending_review" in statuses


def test_schema_endpoint_and_docs_render(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/returns/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    # self-hosted assets, never a CDN
    assert b"cdn.jsdelivr.net" not in docs.content and b"unpkg.com" not in docs.content
    assert client.get("/api/redoc/").status_code == 200
