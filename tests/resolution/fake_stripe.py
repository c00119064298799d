"""A local stand-in for Stripe's refunds API, speaking its HTTP protocol.

`POST /v1/refunds` (form-encoded, Bearer key) answers with Stripe-shaped JSON. It honours the
`Idempotency-Key` header the way Stripe does: the same key with the same parameters replays
the first response (header `Idempotent-Replayed: true`) and refunds nothing new; the same key
with other parameters is a 400 `idempotency_error`; a key whose first request is still in
flight is a 409. Tests script failures per payment reference:

- `slow[ref] = seconds`: record the refund, then sleep before answering (the first time).
- `fail_next[ref] = [500, 500]`: answer those statuses first (Stripe `api_error`).
- a payment reference starting `pi_declined` or `ch_declined`: 402 `card_error`;
  an unknown-looking one (`pi_missing…`): 400 `invalid_request_error` (resource_missing).
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class FakeStripe:
    def __init__(self):
        self.refunds: list[dict] = []  # every refund actually made
        self.requests: list[dict] = []  # every POST /v1/refunds received
        self.slow: dict[str, float] = {}
        self.fail_next: dict[str, list[int]] = {}
        self.request_seen = threading.Event()
        self._keys: dict[str, tuple[dict, int, dict] | None] = {}  # None: in flight
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def refunds_for(self, payment_reference: str) -> list[dict]:
        return [
            r
            for r in self.refunds
            if payment_reference in (r.get("payment_intent"), r.get("charge"))
        ]

    # --- protocol --------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet test output
                pass

            def do_POST(self):
                if self.path != "/v1/refunds":
                    return self._send(404, _error("invalid_request_error", "Unrecognized URL"))
                if not self.headers.get("Authorization", "").startswith("Bearer sk_"):
                    return self._send(
                        401, _error("invalid_request_error", "Invalid API Key provided")
                    )
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                key = self.headers.get("Idempotency-Key")
                fake.requests.append({"params": params, "key": key})
                fake.request_seen.set()
                status, body, headers = fake._refund(params, key)
                self._send(status, body, headers)

            def _send(self, status, body, headers=None):
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client died waiting (the worker-kill test)

        return Handler

    def _refund(self, params: dict, key: str | None):
        ref = params.get("payment_intent") or params.get("charge") or ""
        if key:
            with self._lock:
                if key in self._keys:
                    seen = self._keys[key]
                    if seen is None:
                        return (
                            409,
                            _error(
                                "idempotency_error",
                                "There is currently another in-progress request using this "
                                "Idempotent Key (that probably means you submitted twice, and the "
                                "other request is still going through): " + key,
                            ),
                            {},
                        )
                    first_params, status, body = seen
                    if first_params != params:
                        return (
                            400,
                            _error(
                                "idempotency_error",
                                "Keys for idempotent requests can only be used with the same "
                                "parameters they were first used with.",
                            ),
                            {},
                        )
                    return status, body, {"Idempotent-Replayed": "true"}
                self._keys[key] = None
        status, body = self._decide(params, ref)
        if status == 200 and ref in self.slow:
            time.sleep(self.slow.pop(ref))  # refunded already; the answer is late
        if key:
            with self._lock:
                # Stripe does not save 5xx answers: the key may be tried again.
                if status >= 500:
                    self._keys.pop(key, None)
                else:
                    self._keys[key] = (params, status, body)
        return status, body, {}

    def _decide(self, params: dict, ref: str):
        failures = self.fail_next.get(ref)
        if failures:
            return failures.pop(0), _error("api_error", "Something went wrong on Stripe's end.")
        if not ref:
            return 400, _error(
                "invalid_request_error", "One of charge or payment_intent is required."
            )
        if ref.split("_", 1)[-1].startswith("declined"):
            return 402, _error("card_error", "The refund was declined.", code="card_declined")
        if ref.split("_", 1)[-1].startswith("missing"):
            return 400, _error(
                "invalid_request_error",
                f"No such payment_intent: '{ref}'",
                code="resource_missing",
                param="payment_intent",
            )
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError):
            return 400, _error("invalid_request_error", "Invalid integer", param="amount")
        refund = {
            "id": f"re_{uuid.uuid4().hex[:24]}",
            "object": "refund",
            "amount": amount,
            "currency": "usd",
            "charge": ref if ref.startswith("ch_") else f"ch_{uuid.uuid4().hex[:24]}",
            "payment_intent": ref if not ref.startswith("ch_") else None,
            "created": int(time.time()),
            "metadata": {
                k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")
            },
            "reason": None,
            "status": "succeeded",
        }
        self.refunds.append(refund)
        return 200, refund


def _error(kind: str, message: str, *, code: str | None = None, param: str | None = None):
    error = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return {"error": error}
