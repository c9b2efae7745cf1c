"""Unit tests: routing, validation and error shapes, without PostgreSQL (the lifespan is not run;
routes that need the database are covered by the integration tests in apps/async_worker/tests)."""

import pytest
from fastapi.testclient import TestClient

from api_rest.main import create_app
from api_rest.settings import Settings

URL = "/api/comment/new"


@pytest.fixture
def client():
    return TestClient(create_app(Settings(api_max_body_bytes=4096), relay=False), raise_server_exceptions=False)


def rules(resp) -> dict[str, str]:
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["error"] == "validation_failed"
    return {e["field"]: e["rule"] for e in body["errors"]}


def test_original_routes_kept(client):
    assert client.get("/").json() == {"Hello": "Shipay"}
    assert client.get("/items/5", params={"q": "x"}).json() == {"item_id": 5, "q": "x"}
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"email": "nope", "comment": "hi", "content_id": 1}, "email", "value_error"),
        ({"email": "a@example.com", "comment": "", "content_id": 1}, "comment", "string_too_short"),
        ({"email": "a@example.com", "comment": "   ", "content_id": 1}, "comment", "value_error"),
        ({"email": "a@example.com", "comment": "x" * 2001, "content_id": 1}, "comment", "string_too_long"),
        ({"email": "a@example.com", "comment": "a\x00b", "content_id": 1}, "comment", "value_error"),
        ({"email": "a@example.com", "comment": "hi", "content_id": 0}, "content_id", "greater_than"),
        ({"email": "a@example.com", "comment": "hi", "content_id": -3}, "content_id", "greater_than"),
        ({"email": "a@example.com", "comment": "hi", "content_id": "7"}, "content_id", "int_type"),
        ({"email": "a@example.com", "comment": "hi", "content_id": 1.5}, "content_id", "int_type"),
        ({"email": "a@example.com", "comment": "hi", "content_id": 2**63}, "content_id", "less_than_equal"),
        ({"email": "a@example.com", "comment": "hi"}, "content_id", "missing"),
        ({"email": "a@example.com", "comment": "hi", "content_id": 1, "x": 1}, "x", "extra_forbidden"),
    ],
)
def test_bad_comment_names_field_and_rule(client, body, field, rule):
    assert rules(client.post(URL, json=body)).get(field) == rule


def test_malformed_json(client):
    got = rules(client.post(URL, content=b"{nope", headers={"Content-Type": "application/json"}))
    assert got == {"body": "json_invalid"}


def test_wrong_content_type_is_415(client):
    resp = client.post(URL, content=b"email=a", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 415
    assert resp.json()["error"] == "unsupported_media_type"


def test_body_over_limit_is_413(client):
    resp = client.post(URL, json={"email": "a@example.com", "comment": "x" * 5000, "content_id": 1})
    assert resp.status_code == 413
    assert "4096" in resp.json()["detail"]


def test_chunked_body_over_limit_is_413(client):
    resp = client.post(URL, content=iter([b"{" + b" " * 2500, b" " * 2500 + b"}"]), headers={"Content-Type": "application/json"})
    assert resp.status_code == 413


def test_unknown_route_is_json_404(client):
    resp = client.get("/no/such/route")
    assert resp.status_code == 404
    assert resp.json() == {"error": "not_found", "detail": "Not Found"}


def test_list_rejects_bad_paging(client):
    assert rules(client.get("/api/comment/list/0")) == {"content_id": "greater_than"}
    assert rules(client.get("/api/comment/list/1", params={"limit": 101})) == {"limit": "less_than_equal"}


def test_metrics_use_route_templates(client):
    client.get("/items/123")
    text = client.get("/metrics").text
    assert 'api_http_requests_total{method="GET",route="/items/{item_id}",status="200"}' in text
    assert "/items/123" not in text


def test_dsn_from_parts_quotes_secrets():
    s = Settings(postgres_host="db", postgres_user="u", postgres_password="p@ss/w", postgres_db="shipay")
    assert s.dsn == "postgresql://u:p%40ss%2Fw@db:5432/shipay?sslmode=prefer"
    assert Settings(database_url="postgresql://x@y/z").dsn == "postgresql://x@y/z"


def test_tls_needs_both_files():
    assert not Settings(api_tls_cert_file="/c").tls_enabled
    assert Settings(api_tls_cert_file="/c", api_tls_key_file="/k").tls_enabled
