"""Webhooks where issue 13 asks Logbook to go beyond MLflow 3.17.2.

Every test here is marked `logbook_only` (module-level pytestmark): MLflow has none of it. Logbook's further
events (`logbook_events`, each payload naming its actor and event id under "logbook"), the delivery ledger
(/api/2.0/logbook/webhooks/{id}/deliveries), one delivery id across the retries of a delivery, a rotated
secret signing beside the new one, a failing webhook paused visibly and resumed, a disabled webhook that
stops at once (MLflow keeps delivering from its cache for up to a minute), loopback allowed
without allowing every private network, and Databricks' registry webhooks with their X-Databricks-Signature.

The receiver (webhook_receiver.py) verifies signatures as MLflow's and Databricks' documentation describe.
"""

import time
import uuid

import pytest
import requests

from registry_utils import log_adder, new_experiment, register
from webhook_receiver import is_event, receiver  # noqa: F401 (receiver is a fixture)

pytestmark = pytest.mark.logbook_only

SECRET = "compat webhook secret"
QUIET_SECONDS = 2
WAIT_SECONDS = 30
LEDGER_FIELDS = {"delivery_id", "event_key", "status", "attempts", "last_status_code"}


@pytest.fixture(scope="module")
def logged(client):
    return log_adder(new_experiment(client, "webhooks-beyond"), 1)


@pytest.fixture
def made(url):
    """Webhooks a test made over REST, deleted after it (by their flavour's delete)."""
    mlflow_ids, databricks_ids = [], []
    yield mlflow_ids, databricks_ids
    for webhook_id in mlflow_ids:
        requests.delete(f"{url}/api/2.0/mlflow/webhooks/{webhook_id}", timeout=30)
    for webhook_id in databricks_ids:
        requests.delete(f"{url}/api/2.0/mlflow/registry-webhooks/delete", params={"id": webhook_id}, timeout=30)


def unique(prefix):
    return f"compat-{prefix}-{uuid.uuid4().hex[:12]}"


def ok(response):
    assert response.status_code == 200, f"{response.status_code} {response.text}"
    return response.json()


def create_mlflow_webhook(server, made, **body):
    body.setdefault("name", unique("hook"))
    body.setdefault("events", [])
    webhook = ok(requests.post(f"{server}/api/2.0/mlflow/webhooks", json=body, timeout=30))["webhook"]
    made[0].append(webhook["webhook_id"])
    return webhook


def ledger(url, webhook_id):
    body = ok(requests.get(f"{url}/api/2.0/logbook/webhooks/{webhook_id}/deliveries", timeout=30))
    return body.get("deliveries", [])


def wait_for_ledger(url, webhook_id, matches):
    deadline = time.time() + WAIT_SECONDS
    while True:
        entries = ledger(url, webhook_id)
        found = [entry for entry in entries if matches(entry)]
        if found:
            return found[0]
        assert time.time() < deadline, f"no matching ledger entry for {webhook_id}: {entries}"
        time.sleep(0.25)


def new_version(logged, name):
    _, info = logged
    register(info.model_uri, name)
    return name


def create_transition_request(url, name, version, stage):
    return ok(
        requests.post(
            f"{url}/api/2.0/mlflow/transition-requests/create",
            json={"name": name, "version": version, "stage": stage, "comment": "please"},
            timeout=30,
        )
    )


def logbook_part(delivery):
    part = delivery.json.get("logbook")
    assert isinstance(part, dict), delivery.json
    assert part.get("actor"), delivery.json
    assert part.get("event_id"), delivery.json
    return part


def test_logbook_events_are_delivered_with_actor_and_event_id(client, url, made, receiver, logged):
    hook_url = receiver.endpoint()
    webhook = create_mlflow_webhook(
        url,
        made,
        url=hook_url,
        secret=SECRET,
        events=[{"entity": "MODEL_VERSION", "action": "CREATED"}],
        logbook_events=["model_version.stage_transitioned", "transition_request.created"],
    )
    fetched = ok(requests.get(f"{url}/api/2.0/mlflow/webhooks/{webhook['webhook_id']}", timeout=30))["webhook"]
    assert sorted(fetched["logbook_events"]) == ["model_version.stage_transitioned", "transition_request.created"]
    assert "secret" not in fetched

    name = new_version(logged, unique("model"))
    client.transition_model_version_stage(name, "1", "Staging")
    transitioned = receiver.wait_for(
        hook_url, lambda d: is_event("model_version", "stage_transitioned")(d) and d.json["data"].get("name") == name
    )
    assert transitioned.mlflow_verified(SECRET)
    assert str(transitioned.json["data"]["version"]) == "1"
    assert "Staging" in transitioned.json["data"].values()
    transition_part = logbook_part(transitioned)

    create_transition_request(url, name, "1", "Production")
    requested = receiver.wait_for(
        hook_url, lambda d: is_event("transition_request", "created")(d) and d.json["data"].get("name") == name
    )
    assert requested.mlflow_verified(SECRET)
    assert "Production" in requested.json["data"].values()
    request_part = logbook_part(requested)
    assert request_part["event_id"] != transition_part["event_id"]

    # Its MLflow event still arrives, in MLflow's shape.
    created = receiver.wait_for(hook_url, lambda d: is_event("model_version", "created")(d) and d.json["data"]["name"] == name)
    assert created.mlflow_verified(SECRET)


def test_an_unknown_logbook_event_is_refused(client, url, receiver):
    name = unique("hook")
    response = requests.post(
        f"{url}/api/2.0/mlflow/webhooks",
        json={"name": name, "url": receiver.endpoint(), "events": [], "logbook_events": ["model_version.exploded"]},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert name not in {w.name for w in client.list_webhooks(max_results=1000)}


def test_the_ledger_records_each_delivery(client, url, made, receiver):
    hook_url = receiver.endpoint()
    webhook = create_mlflow_webhook(
        url, made, url=hook_url, secret=SECRET, events=[{"entity": "REGISTERED_MODEL", "action": "CREATED"}]
    )
    name = unique("model")
    client.create_registered_model(name)
    delivery = receiver.wait_for(hook_url, lambda d: d.json["data"]["name"] == name)
    delivery_id = delivery.header("X-MLflow-Delivery-Id")

    entry = wait_for_ledger(url, webhook["webhook_id"], lambda e: e["delivery_id"] == delivery_id and e["status"] == "DELIVERED")
    assert LEDGER_FIELDS <= set(entry), entry
    assert entry["event_key"] == "registered_model.created"
    assert int(entry["attempts"]) == 1
    assert int(entry["last_status_code"]) == 200
    one = ok(requests.get(f"{url}/api/2.0/logbook/webhooks/{webhook['webhook_id']}/deliveries/{delivery_id}", timeout=30))
    assert delivery_id in str(one)


def test_one_delivery_id_across_retries(client, url, made, receiver):
    # The receiver is down for two attempts, then answers.
    hook_url = receiver.endpoint(answers=[503, 503])
    webhook = create_mlflow_webhook(
        url, made, url=hook_url, secret=SECRET, events=[{"entity": "REGISTERED_MODEL", "action": "CREATED"}]
    )
    name = unique("model")
    client.create_registered_model(name)
    deliveries = receiver.wait_for_count(hook_url, 3, timeout=WAIT_SECONDS)
    assert [d.answered for d in deliveries[:3]] == [503, 503, 200]
    ids = {d.header("X-MLflow-Delivery-Id") for d in deliveries}
    assert len(ids) == 1, ids
    assert all(d.mlflow_verified(SECRET) for d in deliveries)
    assert all(d.json["data"]["name"] == name for d in deliveries)

    (delivery_id,) = ids
    entry = wait_for_ledger(url, webhook["webhook_id"], lambda e: e["delivery_id"] == delivery_id and e["status"] == "DELIVERED")
    assert int(entry["attempts"]) == 3
    assert int(entry["last_status_code"]) == 200
    time.sleep(QUIET_SECONDS)
    assert len(receiver.deliveries(hook_url)) == 3


def test_a_rotated_secret_keeps_signing_during_the_overlap(client, url, made, receiver):
    hook_url = receiver.endpoint()
    webhook = create_mlflow_webhook(
        url, made, url=hook_url, secret="the old secret", events=[{"entity": "REGISTERED_MODEL", "action": "CREATED"}]
    )
    client.update_webhook(webhook["webhook_id"], secret="the new secret")
    name = unique("model")
    client.create_registered_model(name)
    delivery = receiver.wait_for(hook_url, lambda d: d.json["data"]["name"] == name)
    # Both signatures, space-separated, the new one first: receivers holding either secret verify it.
    signatures = delivery.header("X-MLflow-Signature").split(" ")
    assert len(signatures) == 2, signatures
    assert delivery.mlflow_verified("the new secret") and delivery.mlflow_verified("the old secret")
    assert not delivery.mlflow_verified("another secret")


def test_a_webhook_that_keeps_failing_is_paused_visibly_and_resumes(client, url, made, receiver):
    hook_url = receiver.endpoint(answers=[503] * 1000)
    webhook = create_mlflow_webhook(
        url, made, url=hook_url, secret=SECRET, events=[{"entity": "REGISTERED_MODEL", "action": "CREATED"}]
    )
    name = unique("model")
    client.create_registered_model(name)
    deadline = time.time() + WAIT_SECONDS
    while True:
        shown = ok(requests.get(f"{url}/api/2.0/mlflow/webhooks/{webhook['webhook_id']}", timeout=30))["webhook"]
        if "paused" in shown:
            break
        assert time.time() < deadline, f"not paused after {len(receiver.deliveries(hook_url))} failed deliveries: {shown}"
        time.sleep(0.5)
    assert shown["paused"]["reason"]
    assert shown["paused"]["since"] > 0
    failed = receiver.deliveries(hook_url)
    assert {d.header("X-MLflow-Delivery-Id") for d in failed} and all(d.answered == 503 for d in failed)

    receiver.answer(hook_url, [])
    ok(requests.post(f"{url}/api/2.0/logbook/webhooks/{webhook['webhook_id']}/resume", json={}, timeout=30))
    delivered = receiver.wait_for(hook_url, lambda d: d.answered == 200 and d.json["data"]["name"] == name)
    assert delivered.header("X-MLflow-Delivery-Id") == failed[0].header("X-MLflow-Delivery-Id")
    assert delivered.mlflow_verified(SECRET)
    shown = ok(requests.get(f"{url}/api/2.0/mlflow/webhooks/{webhook['webhook_id']}", timeout=30))["webhook"]
    assert "paused" not in shown


def test_a_disabled_webhook_receives_nothing_at_once(client, url, made, receiver):
    control, disabled = receiver.endpoint(), receiver.endpoint()
    create_mlflow_webhook(url, made, url=control, events=[{"entity": "REGISTERED_MODEL", "action": "CREATED"}])
    webhook = create_mlflow_webhook(url, made, url=disabled, events=[{"entity": "REGISTERED_MODEL", "action": "CREATED"}])
    client.create_registered_model(unique("model"))
    receiver.wait_for_count(disabled, 1)

    client.update_webhook(webhook["webhook_id"], status="DISABLED")
    name = unique("model")
    client.create_registered_model(name)
    receiver.wait_for(control, lambda d: d.json["data"]["name"] == name)
    time.sleep(QUIET_SECONDS)
    assert [d.json["data"]["name"] for d in receiver.deliveries(disabled) if d.json["data"]["name"] == name] == []


def test_loopback_is_allowed_but_other_private_networks_are_not(client, url, receiver):
    # The suite allows 127.0.0.0/8 (LOGBOOK_WEBHOOK_ALLOWED_NETWORKS), not MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS.
    name = unique("hook")
    response = requests.post(
        f"{url}/api/2.0/mlflow/webhooks",
        json={"name": name, "url": "http://10.1.2.3/hook", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["message"] == "Webhook URL must not resolve to a non-public IP address. '10.1.2.3' resolves to 10.1.2.3."
    assert name not in {w.name for w in client.list_webhooks(max_results=1000)}


def test_databricks_registry_webhook_for_one_model(client, url, made, receiver, logged):
    name, other = unique("model"), unique("model")
    new_version(logged, name)
    new_version(logged, other)
    hook_url = receiver.endpoint()
    created = ok(
        requests.post(
            f"{url}/api/2.0/mlflow/registry-webhooks/create",
            json={
                "model_name": name,
                "events": ["MODEL_VERSION_TRANSITIONED_STAGE"],
                "description": "promotions of one model",
                "status": "ACTIVE",
                "http_url_spec": {"url": hook_url, "secret": SECRET, "enable_ssl_verification": False},
            },
            timeout=30,
        )
    )["webhook"]
    made[1].append(created["id"])
    assert created["model_name"] == name
    assert created["events"] == ["MODEL_VERSION_TRANSITIONED_STAGE"]
    assert created["status"] == "ACTIVE"
    assert created["http_url_spec"]["url"] == hook_url
    assert "secret" not in created["http_url_spec"]
    listed = ok(requests.get(f"{url}/api/2.0/mlflow/registry-webhooks/list", params={"model_name": name}, timeout=30))
    assert created["id"] in [w["id"] for w in listed.get("webhooks", [])]

    client.transition_model_version_stage(other, "1", "Staging")
    client.transition_model_version_stage(name, "1", "Staging")
    delivery = receiver.wait_for(hook_url, lambda d: d.json.get("model_name") == name)
    assert delivery.databricks_verified(SECRET), delivery.headers
    body = delivery.json
    assert body["event"] == "MODEL_VERSION_TRANSITIONED_STAGE"
    assert body["webhook_id"] == created["id"]
    assert str(body["version"]) == "1"
    assert (body["from_stage"], body["to_stage"]) == ("None", "Staging")
    assert abs(int(body["event_timestamp"]) - time.time() * 1000) < 5 * 60 * 1000
    assert isinstance(body.get("text"), str) and name in body["text"]

    # Scoped to its model: the other model's promotion never reached it.
    time.sleep(QUIET_SECONDS)
    assert [d.json.get("model_name") for d in receiver.deliveries(hook_url)] == [name]
