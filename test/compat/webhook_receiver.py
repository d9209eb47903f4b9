"""A webhook receiver for the test_webhooks*.py files, written from MLflow's and Databricks' documentation.

One HTTP server on 127.0.0.1 (a thread of the test process) takes deliveries for any number of webhooks:
each test gives its webhook a path of its own (`receiver.endpoint()`), and reads what arrived there. It
checks each delivery the way the documented receivers do:

- MLflow (https://mlflow.org/docs/latest/ml/webhooks, "Security"): the signed content is
  `<X-MLflow-Delivery-Id>.<X-MLflow-Timestamp>.<raw body>`; X-MLflow-Signature carries `v1,<base64 of
  HMAC-SHA256(secret, signed content)>` (several space-separated during a secret rotation, any one may
  match); a timestamp more than five minutes from the receiver's clock is a replay and is refused.
- Databricks (Model Registry webhooks, "Security"): X-Databricks-Signature is the hex HMAC-SHA256 of the
  raw body under the webhook's secret.

A path can be told to answer some deliveries with other statuses first (a receiver that is down for a
while); every request is recorded, whatever it was answered.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# MLflow's documented replay window for X-MLflow-Timestamp.
MAX_TIMESTAMP_AGE_SECONDS = 300
DEFAULT_WAIT_SECONDS = 30


def mlflow_signature_valid(secret, delivery_id, timestamp, body, signature_header):
    """MLflow's documented check: one of the header's `v1,<b64>` signatures is ours over id.timestamp.body."""
    if not (secret and delivery_id and timestamp and signature_header):
        return False
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    candidates = [part.split(",", 1) for part in signature_header.split(" ") if part]
    return any(
        len(candidate) == 2 and candidate[0] == "v1" and hmac.compare_digest(candidate[1], expected)
        for candidate in candidates
    )


def timestamp_fresh(timestamp, now=None):
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs((now if now is not None else time.time()) - sent) <= MAX_TIMESTAMP_AGE_SECONDS


def databricks_signature_valid(secret, body, signature_header):
    if not (secret and signature_header):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature_header)


@dataclass
class Delivery:
    path: str
    headers: dict
    body: bytes
    received_at: float
    answered: int

    @property
    def json(self):
        return json.loads(self.body)

    def header(self, name):
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)

    def mlflow_verified(self, secret):
        return mlflow_signature_valid(
            secret,
            self.header("X-MLflow-Delivery-Id"),
            self.header("X-MLflow-Timestamp"),
            self.body,
            self.header("X-MLflow-Signature"),
        ) and timestamp_fresh(self.header("X-MLflow-Timestamp"), self.received_at)

    def databricks_verified(self, secret):
        return databricks_signature_valid(secret, self.body, self.header("X-Databricks-Signature"))


@dataclass
class _Endpoint:
    answers: list = field(default_factory=list)  # statuses to answer before the default 200
    deliveries: list = field(default_factory=list)


def _matches(matches, delivery):
    """A delivery not shaped as the matcher expects (no JSON, no such field) is not the one waited for."""
    try:
        return bool(matches(delivery))
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


class Receiver:
    def __init__(self):
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._endpoints = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as senders with a connection pool expect of a receiver.
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver._record(self.path, dict(self.headers.items()), body)
                answer = json.dumps({"received": True}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    @property
    def base_url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def endpoint(self, answers=()):
        """A fresh path for one webhook; `answers` are the statuses its first deliveries get (then 200)."""
        path = f"/hooks/{uuid.uuid4().hex}"
        with self._lock:
            self._endpoints[path] = _Endpoint(answers=list(answers))
        return f"{self.base_url}{path}"

    def answer(self, url, answers):
        """From now on, `url`'s next deliveries get `answers` (then 200)."""
        with self._lock:
            self._endpoints[url[len(self.base_url) :]].answers = list(answers)

    def _record(self, path, headers, body):
        with self._changed:
            endpoint = self._endpoints.setdefault(path, _Endpoint())
            status = endpoint.answers.pop(0) if endpoint.answers else 200
            endpoint.deliveries.append(Delivery(path, headers, body, time.time(), status))
            self._changed.notify_all()
            return status

    def deliveries(self, url):
        path = url[len(self.base_url) :]
        with self._lock:
            return list(self._endpoints.get(path, _Endpoint()).deliveries)

    def wait_for(self, url, matches, timeout=DEFAULT_WAIT_SECONDS):
        """The first delivery to `url` for which matches(delivery) holds, waiting up to `timeout` seconds."""
        path = url[len(self.base_url) :]
        deadline = time.time() + timeout
        with self._changed:
            while True:
                for delivery in self._endpoints.get(path, _Endpoint()).deliveries:
                    if _matches(matches, delivery):
                        return delivery
                remaining = deadline - time.time()
                if remaining <= 0:
                    seen = [d.body.decode(errors="replace") for d in self._endpoints.get(path, _Endpoint()).deliveries]
                    raise AssertionError(f"no matching delivery to {url} within {timeout} s; received: {seen}")
                self._changed.wait(remaining)

    def wait_for_count(self, url, count, timeout=DEFAULT_WAIT_SECONDS):
        path = url[len(self.base_url) :]
        deadline = time.time() + timeout
        with self._changed:
            while len(self._endpoints.get(path, _Endpoint()).deliveries) < count:
                remaining = deadline - time.time()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return list(self._endpoints.get(path, _Endpoint()).deliveries)

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def is_event(entity, action):
    """A matcher for MLflow-shaped deliveries of one event."""
    return lambda delivery: delivery.json.get("entity") == entity and delivery.json.get("action") == action


@pytest.fixture(scope="module")
def receiver():
    """A receiver for a test module's webhooks (import it into the module to use it)."""
    receiver = Receiver()
    yield receiver
    receiver.close()
