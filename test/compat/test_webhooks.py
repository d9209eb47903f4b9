"""MLflow 3 webhooks through the official client, exactly as MLflow 3.17.2 behaves (issue 13).

The client's create_webhook, list_webhooks (with page tokens), get_webhook, update_webhook, delete_webhook
and test_webhook; the REST refusals of bad names, invalid entity/action pairs, empty events, disallowed
schemes and unknown webhooks; and deliveries: registry changes made with the client reach a receiver on
127.0.0.1 (webhook_receiver.py, written from MLflow's documentation) with MLflow's body, headers and a
signature that verifies.

The server must allow http receivers on loopback: MLflow with MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https and
MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true (test/compat/reference.sh), Logbook with
MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https and LOGBOOK_WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8
(test/support/webhook-env.sh). MLflow caches each event's webhooks for MLFLOW_WEBHOOK_CACHE_TTL seconds;
reference.sh sets it to 0, so a webhook created by one test is seen by the next test's events.
"""

import time
import uuid
from datetime import datetime

import mlflow
import pytest
import requests
from mlflow.entities.webhook import WebhookEvent, WebhookStatus
from mlflow.exceptions import MlflowException
from mlflow.webhooks.types import get_example_payload_for_event

from compat_utils import raises_mlflow
from registry_utils import log_adder, new_experiment, register
from webhook_receiver import is_event, receiver  # noqa: F401 (receiver is a fixture)

SECRET = "compat webhook secret"
# How long a test waits to be sure a webhook that must not fire did not (the ones that must fire have arrived).
QUIET_SECONDS = 2


@pytest.fixture(scope="module")
def logged(client):
    """A logged pyfunc model: every version registered here is made from it."""
    return log_adder(new_experiment(client, "webhooks"), 1)


@pytest.fixture
def hooks(client):
    """Creates webhooks with the client, and deletes them after the test: a webhook left behind would
    keep its server sending to a receiver that is gone (MLflow retries each such delivery for seconds)."""
    made = []

    def create(**kwargs):
        webhook = client.create_webhook(**kwargs)
        made.append(webhook.webhook_id)
        return webhook

    yield create
    for webhook_id in made:
        try:
            client.delete_webhook(webhook_id)
        except MlflowException:
            pass


def hook_name(prefix="hook"):
    return f"compat-{prefix}-{uuid.uuid4().hex[:12]}"


def rest(method, api, path, **kwargs):
    return requests.request(method, f"{api}{path}", timeout=30, **kwargs)


def assert_refused(response, error_code, status, message=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == error_code, body
    if message is not None:
        assert body["message"] == message, body


def events_of(*names):
    return {WebhookEvent.from_str(name) for name in names}


def listed_ids(client, max_results=None):
    ids, token = [], None
    while True:
        page = client.list_webhooks(max_results=max_results, page_token=token)
        ids.extend(w.webhook_id for w in page)
        token = page.token
        if not token:
            return ids


def assert_mlflow_delivery(delivery, entity, action, data):
    """What MLflow's documentation promises a receiver: its headers, its signature, and this body."""
    assert delivery.header("Content-Type") == "application/json"
    uuid.UUID(delivery.header("X-MLflow-Delivery-Id"))
    assert delivery.header("X-MLflow-Timestamp").isdigit()
    assert delivery.mlflow_verified(SECRET), delivery.headers
    body = delivery.json
    assert body["entity"] == entity and body["action"] == action
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() is not None
    assert body["data"] == data


# ---------------------------------------------------------------------------------------------- lifecycle


def test_create_and_get_a_webhook(client, hooks, api, receiver):
    url = receiver.endpoint()
    name = hook_name()
    before = int(time.time() * 1000)
    created = hooks(
        name=name,
        url=url,
        events=["model_version.created", "model_version_alias.created"],
        description="tells CI about new versions",
        secret=SECRET,
    )
    assert created.name == name and created.url == url
    assert created.description == "tells CI about new versions"
    assert created.status == WebhookStatus.ACTIVE
    assert set(created.events) == events_of("model_version.created", "model_version_alias.created")
    assert created.creation_timestamp >= before - 1000
    assert created.last_updated_timestamp == created.creation_timestamp
    assert created.secret is None

    fetched = client.get_webhook(created.webhook_id)
    assert (fetched.webhook_id, fetched.name, fetched.url, fetched.description, fetched.status) == (
        created.webhook_id,
        name,
        url,
        "tells CI about new versions",
        WebhookStatus.ACTIVE,
    )
    assert set(fetched.events) == set(created.events)

    raw = rest("GET", api, f"/webhooks/{created.webhook_id}").json()["webhook"]
    assert "secret" not in raw
    assert sorted(raw["events"], key=lambda e: e["entity"]) == [
        {"entity": "MODEL_VERSION", "action": "CREATED"},
        {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"},
    ]
    assert raw["status"] == "ACTIVE"


def test_create_a_disabled_webhook_without_description(client, hooks, api, receiver):
    created = hooks(
        name=hook_name(), url=receiver.endpoint(), events=["registered_model.created"], status="DISABLED"
    )
    assert created.status == WebhookStatus.DISABLED
    assert created.description in (None, "")
    raw = rest("GET", api, f"/webhooks/{created.webhook_id}").json()["webhook"]
    assert raw["status"] == "DISABLED"
    assert raw.get("description", "") == ""


def test_list_webhooks_follows_page_tokens(client, hooks, receiver):
    made = []
    for _ in range(3):
        made.append(hooks(name=hook_name("page"), url=receiver.endpoint(), events=["model_version_tag.set"]).webhook_id)
        time.sleep(0.005)  # distinct creation times, so "newest first" is one order
    first = client.list_webhooks(max_results=2)
    assert len(first) == 2 and first.token
    # Newest first: the last one made leads the first page.
    assert first[0].webhook_id == made[-1]
    everything = listed_ids(client, max_results=2)
    assert set(made) <= set(everything)
    assert len(everything) == len(set(everything))
    assert set(made) <= set(listed_ids(client))


def test_list_webhooks_refuses_more_than_1000_per_page(api):
    assert_refused(
        rest("GET", api, "/webhooks", params={"max_results": 1001}),
        "INVALID_PARAMETER_VALUE",
        400,
        "max_results must be between 1 and 1000.",
    )


def test_update_a_webhook(client, hooks, receiver):
    created = hooks(
        name=hook_name(), url=receiver.endpoint(), events=["model_version.created"], description="first", secret=SECRET
    )
    time.sleep(0.01)
    new_name, new_url = hook_name("renamed"), receiver.endpoint()
    updated = client.update_webhook(
        created.webhook_id,
        name=new_name,
        url=new_url,
        events=["model_version_tag.set", "model_version_tag.deleted"],
        status="DISABLED",
    )
    assert (updated.name, updated.url, updated.status) == (new_name, new_url, WebhookStatus.DISABLED)
    # Events are replaced, not added to; what was not given stays.
    assert set(updated.events) == events_of("model_version_tag.set", "model_version_tag.deleted")
    assert updated.description == "first"
    assert updated.creation_timestamp == created.creation_timestamp
    assert updated.last_updated_timestamp > created.last_updated_timestamp

    again = client.update_webhook(created.webhook_id, description="second", status="ACTIVE")
    assert (again.name, again.description, again.status) == (new_name, "second", WebhookStatus.ACTIVE)
    assert client.get_webhook(created.webhook_id).description == "second"


def test_delete_a_webhook(client, hooks, receiver):
    created = hooks(name=hook_name(), url=receiver.endpoint(), events=["model_version.created"])
    assert client.delete_webhook(created.webhook_id) is None
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404, f"Webhook with ID {created.webhook_id} not found."):
        client.get_webhook(created.webhook_id)
    assert created.webhook_id not in listed_ids(client, max_results=1000)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_webhook(created.webhook_id)


# ------------------------------------------------------------------------------------------------ refusals


def _create_body(receiver, **overrides):
    body = {
        "name": hook_name("refused"),
        "url": receiver.endpoint(),
        "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}],
    }
    body.update(overrides)
    return body


def _assert_not_created(client, name):
    assert name not in {w.name for w in client.list_webhooks(max_results=1000)}


@pytest.mark.parametrize("name", ["bad name!", "-leading-hyphen", "trailing.", "x" * 64, "ümlaut"])
def test_create_refuses_a_bad_name(client, hooks, api, receiver, name):
    response = rest("POST", api, "/webhooks", json=_create_body(receiver, name=name))
    assert_refused(
        response,
        "INVALID_PARAMETER_VALUE",
        400,
        f"Webhook name {name!r} is invalid. It must start and end with a letter or digit, be less than 63 "
        "characters long, and contain only letters, digits, dots (.), underscores (_), and hyphens (-).",
    )
    _assert_not_created(client, name)


def test_a_63_character_name_is_accepted(client, hooks, receiver):
    name = ("a" + uuid.uuid4().hex * 2)[:63]
    assert hooks(name=name, url=receiver.endpoint(), events=["model_version.created"]).name == name


@pytest.mark.parametrize(
    "event, message",
    [
        (
            {"entity": "REGISTERED_MODEL", "action": "DELETED"},
            "Invalid action 'deleted' for entity 'registered_model'. Valid actions are: ['created']",
        ),
        (
            {"entity": "MODEL_VERSION_TAG", "action": "CREATED"},
            "Invalid action 'created' for entity 'model_version_tag'. Valid actions are: ['deleted', 'set']",
        ),
        (
            {"entity": "MODEL_VERSION_ALIAS", "action": "SET"},
            "Invalid action 'set' for entity 'model_version_alias'. Valid actions are: ['created', 'deleted']",
        ),
    ],
)
def test_create_refuses_an_invalid_entity_action_pair(client, hooks, api, receiver, event, message):
    body = _create_body(receiver, events=[{"entity": "MODEL_VERSION", "action": "CREATED"}, event])
    assert_refused(rest("POST", api, "/webhooks", json=body), "INVALID_PARAMETER_VALUE", 400, message)
    _assert_not_created(client, body["name"])


def test_create_refuses_empty_or_missing_events(client, hooks, api, receiver):
    body = _create_body(receiver, events=[])
    assert_refused(
        rest("POST", api, "/webhooks", json=body),
        "INVALID_PARAMETER_VALUE",
        400,
        "Webhook events must be a non-empty list of WebhookEvent objects: [].",
    )
    body = _create_body(receiver)
    del body["events"]
    assert_refused(
        rest("POST", api, "/webhooks", json=body),
        "INVALID_PARAMETER_VALUE",
        400,
        "Missing value for required parameter 'events'. See the API docs for more information about request parameters.",
    )
    _assert_not_created(client, body["name"])


@pytest.mark.parametrize("scheme", ["ftp", "file", "gopher"])
def test_create_refuses_a_scheme_not_allowed(client, hooks, api, receiver, scheme):
    url = f"{scheme}://127.0.0.1/hook"
    body = _create_body(receiver, url=url)
    assert_refused(
        rest("POST", api, "/webhooks", json=body),
        "INVALID_PARAMETER_VALUE",
        400,
        f"Invalid webhook URL scheme: {scheme!r}. Allowed schemes are: http, https.",
    )
    _assert_not_created(client, body["name"])


def test_update_refuses_what_create_refuses_and_changes_nothing(client, hooks, api, receiver):
    created = hooks(name=hook_name(), url=receiver.endpoint(), events=["model_version.created"])
    path = f"/webhooks/{created.webhook_id}"
    assert_refused(rest("PATCH", api, path, json={"name": "bad name!"}), "INVALID_PARAMETER_VALUE", 400)
    assert_refused(rest("PATCH", api, path, json={"url": "ftp://127.0.0.1/hook"}), "INVALID_PARAMETER_VALUE", 400)
    assert_refused(
        rest("PATCH", api, path, json={"events": [{"entity": "REGISTERED_MODEL", "action": "DELETED"}]}),
        "INVALID_PARAMETER_VALUE",
        400,
    )
    after = client.get_webhook(created.webhook_id)
    assert (after.name, after.url, set(after.events), after.last_updated_timestamp) == (
        created.name,
        created.url,
        set(created.events),
        created.last_updated_timestamp,
    )


@pytest.mark.parametrize(
    "method, suffix, body",
    [("GET", "", None), ("PATCH", "", {"description": "x"}), ("DELETE", "", None), ("POST", "/test", {})],
)
def test_an_unknown_webhook_is_a_404(api, method, suffix, body):
    missing = str(uuid.uuid4())
    response = rest(method, api, f"/webhooks/{missing}{suffix}", json=body)
    assert_refused(response, "RESOURCE_DOES_NOT_EXIST", 404, f"Webhook with ID {missing} not found.")


# ---------------------------------------------------------------------------------------------- test fire


def test_test_webhook_sends_the_example_payload_of_its_event(client, hooks, receiver):
    url = receiver.endpoint()
    # One event: which of several is "first" follows MLflow's storage order, not the order given.
    hook = hooks(name=hook_name(), url=url, events=["model_version_alias.created"], secret=SECRET)
    result = client.test_webhook(hook.webhook_id)
    assert result.success is True
    assert result.response_status == 200
    assert result.response_body == '{"received": true}'
    assert result.error_message in (None, "")
    event = WebhookEvent.from_str("model_version_alias.created")
    delivery = receiver.wait_for(url, is_event("model_version_alias", "created"))
    assert_mlflow_delivery(delivery, "model_version_alias", "created", get_example_payload_for_event(event))


@pytest.mark.parametrize("event", ["registered_model.created", "model_version_tag.deleted", "prompt_version.created"])
def test_test_webhook_with_a_chosen_event(client, hooks, receiver, event):
    url = receiver.endpoint()
    hook = hooks(name=hook_name(), url=url, events=["model_version.created"], secret=SECRET)
    assert client.test_webhook(hook.webhook_id, event=event).success is True
    chosen = WebhookEvent.from_str(event)
    entity, action = event.split(".")
    delivery = receiver.wait_for(url, is_event(entity, action))
    assert_mlflow_delivery(delivery, entity, action, get_example_payload_for_event(chosen))


def test_test_webhook_reports_a_refusing_receiver(client, hooks, receiver):
    url = receiver.endpoint(answers=[404])
    hook = hooks(name=hook_name(), url=url, events=["model_version.created"])
    result = client.test_webhook(hook.webhook_id)
    assert result.success is False
    assert result.response_status == 404
    assert result.response_body == '{"received": true}'


def test_test_webhook_without_a_secret_sends_no_signature(client, hooks, receiver):
    url = receiver.endpoint()
    hook = hooks(name=hook_name(), url=url, events=["model_version.created"])
    assert client.test_webhook(hook.webhook_id).success is True
    delivery = receiver.wait_for(url, is_event("model_version", "created"))
    assert delivery.header("X-MLflow-Signature") is None
    assert delivery.header("X-MLflow-Delivery-Id") and delivery.header("X-MLflow-Timestamp")


# ---------------------------------------------------------------------------------------------- deliveries


def test_registered_model_created_is_delivered(client, hooks, receiver):
    url = receiver.endpoint()
    hooks(name=hook_name(), url=url, events=["registered_model.created"], secret=SECRET)
    name = hook_name("model")
    client.create_registered_model(name, tags={"team": "risk"}, description="credit scoring")
    delivery = receiver.wait_for(url, lambda d: d.json["data"].get("name") == name)
    assert_mlflow_delivery(
        delivery, "registered_model", "created", {"name": name, "tags": {"team": "risk"}, "description": "credit scoring"}
    )


def test_model_version_tag_and_alias_events_are_delivered(client, hooks, receiver, logged):
    url = receiver.endpoint()
    hooks(
        name=hook_name(),
        url=url,
        events=[
            "model_version.created",
            "model_version_tag.set",
            "model_version_tag.deleted",
            "model_version_alias.created",
            "model_version_alias.deleted",
        ],
        secret=SECRET,
    )
    run_id, info = logged
    name = hook_name("model")
    version = register(info.model_uri, name)
    assert version.version == 1 or version.version == "1"
    created = receiver.wait_for(url, lambda d: d.json["entity"] == "model_version" and d.json["data"]["name"] == name)
    # The run id is the request's: mlflow.register_model names only the logged model, so it is null here
    # although the version itself records the logged model's run.
    assert_mlflow_delivery(
        created,
        "model_version",
        "created",
        {
            "name": name,
            "version": "1",
            "source": info.model_uri,
            "run_id": None,
            "tags": {},
            "description": None,
        },
    )

    client.set_model_version_tag(name, "1", "validated", "yes")
    delivery = receiver.wait_for(url, is_event("model_version_tag", "set"))
    assert_mlflow_delivery(
        delivery, "model_version_tag", "set", {"name": name, "version": "1", "key": "validated", "value": "yes"}
    )

    client.delete_model_version_tag(name, "1", "validated")
    delivery = receiver.wait_for(url, is_event("model_version_tag", "deleted"))
    assert_mlflow_delivery(delivery, "model_version_tag", "deleted", {"name": name, "version": "1", "key": "validated"})

    client.set_registered_model_alias(name, "champion", "1")
    delivery = receiver.wait_for(url, is_event("model_version_alias", "created"))
    assert_mlflow_delivery(delivery, "model_version_alias", "created", {"name": name, "alias": "champion", "version": "1"})

    client.delete_registered_model_alias(name, "champion")
    delivery = receiver.wait_for(url, is_event("model_version_alias", "deleted"))
    assert_mlflow_delivery(delivery, "model_version_alias", "deleted", {"name": name, "alias": "champion"})

    ids = [d.header("X-MLflow-Delivery-Id") for d in receiver.deliveries(url)]
    assert len(ids) == len(set(ids)) == 5


def test_model_version_created_carries_its_tags_and_description(client, hooks, receiver, logged):
    url = receiver.endpoint()
    hooks(name=hook_name(), url=url, events=["model_version.created"], secret=SECRET)
    run_id, info = logged
    name = hook_name("model")
    client.create_registered_model(name)
    version = client.create_model_version(
        name, info.model_uri, run_id=run_id, tags={"stage": "candidate"}, description="first cut", model_id=info.model_id
    )
    delivery = receiver.wait_for(url, lambda d: d.json["data"]["name"] == name)
    assert_mlflow_delivery(
        delivery,
        "model_version",
        "created",
        {
            "name": name,
            "version": str(version.version),
            "source": info.model_uri,
            "run_id": run_id,
            "tags": {"stage": "candidate"},
            "description": "first cut",
        },
    )


def test_prompt_events_are_delivered(client, hooks, receiver):
    url = receiver.endpoint()
    hooks(
        name=hook_name(),
        url=url,
        events=[
            "prompt.created",
            "prompt_version.created",
            "prompt_tag.set",
            "prompt_alias.created",
            "registered_model.created",
        ],
        secret=SECRET,
    )
    name = hook_name("prompt")
    mlflow.genai.register_prompt(name=name, template="Hello {{name}}", commit_message="first", tags={"lang": "en"})
    created = receiver.wait_for(url, is_event("prompt", "created"))
    assert created.json["data"]["name"] == name
    assert created.mlflow_verified(SECRET)
    version = receiver.wait_for(url, is_event("prompt_version", "created"))
    data = version.json["data"]
    assert (data["name"], data["version"], data["template"]) == (name, "1", "Hello {{name}}")
    assert version.mlflow_verified(SECRET)

    mlflow.genai.set_prompt_tag(name, "owner", "nlp")
    # register_prompt sets tags of its own too (the experiments that use the prompt).
    tag = receiver.wait_for(url, lambda d: is_event("prompt_tag", "set")(d) and d.json["data"]["key"] == "owner")
    assert_mlflow_delivery(tag, "prompt_tag", "set", {"name": name, "key": "owner", "value": "nlp"})

    mlflow.genai.set_prompt_alias(name, "production", 1)
    alias = receiver.wait_for(url, is_event("prompt_alias", "created"))
    assert_mlflow_delivery(alias, "prompt_alias", "created", {"name": name, "alias": "production", "version": "1"})

    # A prompt is not a registered model to a webhook.
    time.sleep(QUIET_SECONDS)
    assert not [d for d in receiver.deliveries(url) if d.json["entity"] in ("registered_model", "model_version")]


def test_only_active_webhooks_subscribed_to_the_event_receive_it(client, hooks, receiver):
    active, disabled, elsewhere = receiver.endpoint(), receiver.endpoint(), receiver.endpoint()
    hooks(name=hook_name(), url=active, events=["registered_model.created"], secret=SECRET)
    hooks(name=hook_name(), url=disabled, events=["registered_model.created"], status="DISABLED")
    hooks(name=hook_name(), url=elsewhere, events=["model_version_tag.set"])
    name = hook_name("model")
    client.create_registered_model(name)
    receiver.wait_for(active, lambda d: d.json["data"]["name"] == name)
    time.sleep(QUIET_SECONDS)
    assert receiver.deliveries(disabled) == []
    assert receiver.deliveries(elsewhere) == []


def test_a_deleted_webhook_receives_nothing(client, hooks, receiver):
    control, deleted = receiver.endpoint(), receiver.endpoint()
    hooks(name=hook_name(), url=control, events=["registered_model.created"])
    hook = hooks(name=hook_name(), url=deleted, events=["registered_model.created"])
    client.delete_webhook(hook.webhook_id)
    name = hook_name("model")
    client.create_registered_model(name)
    receiver.wait_for(control, lambda d: d.json["data"]["name"] == name)
    time.sleep(QUIET_SECONDS)
    assert receiver.deliveries(deleted) == []
