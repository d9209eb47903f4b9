"""Every route of the API, called by each kind of caller, against what MLflow 3.17's validators allow them.

The routes come from the server's own OpenAPI document (the routing table both shapes serve), so a route
added without a row in ROUTES fails here before anyone can call it unchecked. Each case makes fresh
resources owned by another user, then calls the route as: nobody (401), a user denied the resources, a
reader (the default permission, READ), an API token of a manager scoped to READ, an editor, a manager and
an admin. The test asserts 403 exactly where the level the route needs is above the caller's, and
neither 401 nor 403 nor a 5xx anywhere else.
"""

import re
import time
import uuid

import pytest
import requests

from conftest import PASSWORD, http

pytestmark = pytest.mark.logbook_only

# What each route needs on the resources it names: READ, EDIT or MANAGE; `create` (anyone signed in whose
# token may write); `signed-in` (anyone: a listing shows only what the caller may read); `open` (no
# credentials); `identity` (the users, roles and tokens API, with its own rules, tested in test_users.py,
# test_roles.py and test_tokens.py); `author` and `author-or-admin` (a Databricks comment, which the
# owner wrote: READ on its model lets a caller reach it, and then only its author, or an admin to delete,
# may change it; a transition request, which only its creator cancels); `admin` (policies, the audit trails,
# MLflow's webhooks, the webhook delivery ledger and the services' event feeds). Databricks' registry webhooks here are scoped to the
# matrix's model, which takes MANAGE on it (a registry-wide one, without model_name, takes an admin).
LEVEL_OF_CALLER = {"denied": 0, "reader": 1, "token": 1, "editor": 2, "manager": 3}
LEVEL_NEEDED = {"READ": 1, "EDIT": 2, "MANAGE": 3}
CALLERS = ["anonymous", "denied", "reader", "token", "editor", "manager", "admin"]


# Nothing listens there: the routes are checked for who may call them, not for deliveries. The suites' servers
# allow loopback receivers over http (test/support/webhook-env.sh).
RECEIVER_URL = "http://127.0.0.1:9/matrix-hook"
# A path parameter naming a webhook or one of its deliveries, however the route spells it.
WEBHOOK_PARAM = re.compile(r"(/webhooks/)\{(webhook_?[iI]d|id)\}")
DELIVERY_PARAM = re.compile(r"(/deliveries/)\{(delivery_?[iI]d|id)\}")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def artifact_path(f, name="a.txt"):
    return f"{f['artifact_root']}/{name}"


def lm(f):
    return f["logged_model"]


def model_webhook(f):
    """A new Databricks registry webhook on the matrix's model, made by its owner (who may manage it)."""
    made = http(
        "POST",
        f["url"],
        "/api/2.0/mlflow/registry-webhooks/create",
        credentials=(f["owner"], PASSWORD),
        json={"model_name": f["model"], "events": ["MODEL_VERSION_CREATED"], "http_url_spec": {"url": RECEIVER_URL}},
    )
    return ok(made, "registry webhook")["webhook"]["id"]


def admin_webhook(f):
    """A new MLflow webhook (only an admin makes those)."""
    made = http(
        "POST",
        f["url"],
        "/api/2.0/mlflow/webhooks",
        credentials=f["admin"],
        json={
            "name": unique("matrix-hook"),
            "url": RECEIVER_URL,
            "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}],
        },
    )
    return ok(made, "webhook")["webhook"]["webhook_id"]


# (method, path with /api/ prefixes; ajax-api paths use the same row) -> (level, request builder). A builder
# returns the keyword arguments of requests.request: params, json or data.
ROUTES = {
    ("POST", "/api/2.0/mlflow/experiments/create"): ("create", lambda f: {"json": {"name": unique("exp")}}),
    ("GET", "/api/2.0/mlflow/experiments/get"): ("READ", lambda f: {"params": {"experiment_id": f["exp"]}}),
    ("GET", "/api/2.0/mlflow/experiments/get-by-name"): (
        "READ",
        lambda f: {"params": {"experiment_name": f["exp_name"]}},
    ),
    ("POST", "/api/2.0/mlflow/experiments/search"): ("signed-in", lambda f: {"json": {"max_results": 5}}),
    ("GET", "/api/2.0/mlflow/experiments/search"): ("signed-in", lambda f: {"params": {"max_results": 5}}),
    ("POST", "/api/2.0/mlflow/experiments/delete"): ("MANAGE", lambda f: {"json": {"experiment_id": f["exp"]}}),
    ("POST", "/api/2.0/mlflow/experiments/restore"): ("MANAGE", lambda f: {"json": {"experiment_id": f["exp"]}}),
    ("POST", "/api/2.0/mlflow/experiments/update"): (
        "EDIT",
        lambda f: {"json": {"experiment_id": f["exp"], "new_name": unique("renamed")}},
    ),
    ("POST", "/api/2.0/mlflow/experiments/set-experiment-tag"): (
        "EDIT",
        lambda f: {"json": {"experiment_id": f["exp"], "key": "k", "value": "v"}},
    ),
    ("POST", "/api/2.0/mlflow/experiments/delete-experiment-tag"): (
        "EDIT",
        lambda f: {"json": {"experiment_id": f["exp"], "key": "k"}},
    ),
    ("POST", "/api/2.0/mlflow/experiments/search-datasets"): (
        "READ",
        lambda f: {"json": {"experiment_ids": [f["exp"]]}},
    ),
    ("POST", "/api/2.0/mlflow/runs/create"): ("EDIT", lambda f: {"json": {"experiment_id": f["exp"]}}),
    ("GET", "/api/2.0/mlflow/runs/get"): ("READ", lambda f: {"params": {"run_id": f["run"]}}),
    ("POST", "/api/2.0/mlflow/runs/update"): ("EDIT", lambda f: {"json": {"run_id": f["run"], "status": "RUNNING"}}),
    ("POST", "/api/2.0/mlflow/runs/delete"): ("MANAGE", lambda f: {"json": {"run_id": f["run"]}}),
    ("POST", "/api/2.0/mlflow/runs/restore"): ("MANAGE", lambda f: {"json": {"run_id": f["run"]}}),
    ("POST", "/api/2.0/mlflow/runs/log-metric"): (
        "EDIT",
        lambda f: {"json": {"run_id": f["run"], "key": "m", "value": 1, "timestamp": 1, "step": 1}},
    ),
    ("POST", "/api/2.0/mlflow/runs/log-parameter"): (
        "EDIT",
        lambda f: {"json": {"run_id": f["run"], "key": unique("p"), "value": "1"}},
    ),
    ("POST", "/api/2.0/mlflow/runs/set-tag"): ("EDIT", lambda f: {"json": {"run_id": f["run"], "key": "t", "value": "v"}}),
    ("POST", "/api/2.0/mlflow/runs/delete-tag"): ("EDIT", lambda f: {"json": {"run_id": f["run"], "key": "t"}}),
    ("POST", "/api/2.0/mlflow/runs/log-batch"): (
        "EDIT",
        lambda f: {"json": {"run_id": f["run"], "metrics": [{"key": "m", "value": 2, "timestamp": 2, "step": 2}]}},
    ),
    ("POST", "/api/2.0/mlflow/runs/log-inputs"): ("EDIT", lambda f: {"json": {"run_id": f["run"], "datasets": []}}),
    ("POST", "/api/2.0/mlflow/runs/outputs"): (
        "EDIT",
        lambda f: {"json": {"run_id": f["run"], "models": [{"model_id": lm(f), "step": 0}]}},
    ),
    ("POST", "/api/2.0/mlflow/runs/search"): ("signed-in", lambda f: {"json": {"experiment_ids": [f["exp"]]}}),
    ("GET", "/api/2.0/mlflow/runs/search"): ("signed-in", lambda f: {"params": {"experiment_ids": f["exp"]}}),
    ("GET", "/api/2.0/mlflow/metrics/get-history"): (
        "READ",
        lambda f: {"params": {"run_id": f["run"], "metric_key": "m"}},
    ),
    ("GET", "/api/2.0/mlflow/metrics/get-history-bulk"): (
        "READ",
        lambda f: {"params": {"run_id": f["run"], "metric_key": "m"}},
    ),
    ("GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval"): (
        "READ",
        lambda f: {"params": {"run_ids": f["run"], "metric_key": "m"}},
    ),
    ("POST", "/api/2.0/mlflow/logged-models"): ("EDIT", lambda f: {"json": {"experiment_id": f["exp"], "name": "lm"}}),
    ("POST", "/api/2.0/mlflow/logged-models/search"): (
        "signed-in",
        lambda f: {"json": {"experiment_ids": [f["exp"]]}},
    ),
    ("GET", "/api/2.0/mlflow/logged-models/{modelId}"): ("READ", lambda f: {}),
    ("PATCH", "/api/2.0/mlflow/logged-models/{modelId}"): ("EDIT", lambda f: {"json": {"status": "LOGGED_MODEL_READY"}}),
    ("DELETE", "/api/2.0/mlflow/logged-models/{modelId}"): ("MANAGE", lambda f: {}),
    ("PATCH", "/api/2.0/mlflow/logged-models/{modelId}/tags"): ("EDIT", lambda f: {"json": {"tags": [{"key": "t", "value": "v"}]}}),
    ("DELETE", "/api/2.0/mlflow/logged-models/{modelId}/tags/{key}"): ("MANAGE", lambda f: {}),
    ("POST", "/api/2.0/mlflow/logged-models/{modelId}/params"): (
        "EDIT",
        lambda f: {"json": {"params": [{"key": unique("p"), "value": "1"}]}},
    ),
    ("GET", "/api/2.0/mlflow/logged-models/{modelId}/artifacts/files"): (
        "READ",
        lambda f: {"params": {"artifact_file_path": "a.txt"}},
    ),
    ("GET", "/api/2.0/mlflow/logged-models/{modelId}/artifacts/directories"): ("READ", lambda f: {}),
    ("PUT", "/api/2.0/mlflow-artifacts/artifacts/{path}"): ("EDIT", lambda f: {"data": b"bytes"}),
    ("GET", "/api/2.0/mlflow-artifacts/artifacts/{path}"): ("READ", lambda f: {}),
    ("DELETE", "/api/2.0/mlflow-artifacts/artifacts/{path}"): ("MANAGE", lambda f: {}),
    ("GET", "/api/2.0/mlflow-artifacts/artifacts"): ("READ", lambda f: {"params": {"path": f["artifact_root"]}}),
    ("POST", "/api/2.0/mlflow-artifacts/mpu/create/{path}"): ("EDIT", lambda f: {"json": {"path": "big.bin", "num_parts": 1}}),
    ("PUT", "/api/2.0/mlflow-artifacts/mpu/upload-part/{path}"): (
        "EDIT",
        lambda f: {"params": {"upload_id": "none", "part_number": 1}, "data": b"x"},
    ),
    ("POST", "/api/2.0/mlflow-artifacts/mpu/complete/{path}"): (
        "EDIT",
        lambda f: {"json": {"path": "big.bin", "upload_id": "none", "parts": []}},
    ),
    ("POST", "/api/2.0/mlflow-artifacts/mpu/abort/{path}"): ("EDIT", lambda f: {"json": {"path": "big.bin", "upload_id": "none"}}),
    ("GET", "/api/3.0/mlflow/server-info"): ("open", lambda f: {}),
    ("GET", "/api/2.0/mlflow/artifacts/list"): ("READ", lambda f: {"params": {"run_id": f["run"]}}),
    ("GET", "/get-artifact"): ("READ", lambda f: {"params": {"run_id": f["run"], "path": "a.txt"}}),
    ("POST", "/api/2.0/mlflow/upload-artifact"): (
        "EDIT",
        lambda f: {"params": {"run_uuid": f["run"], "path": unique("up") + ".txt"}, "data": b"bytes"},
    ),
    ("POST", "/api/2.0/mlflow/registered-models/create"): ("create", lambda f: {"json": {"name": unique("model")}}),
    ("GET", "/api/2.0/mlflow/registered-models/get"): ("READ", lambda f: {"params": {"name": f["model"]}}),
    ("POST", "/api/2.0/mlflow/registered-models/rename"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "new_name": unique("model")}},
    ),
    ("PATCH", "/api/2.0/mlflow/registered-models/update"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "description": "d"}},
    ),
    ("DELETE", "/api/2.0/mlflow/registered-models/delete"): ("MANAGE", lambda f: {"json": {"name": f["model"]}}),
    ("GET", "/api/2.0/mlflow/registered-models/search"): ("signed-in", lambda f: {"params": {"max_results": 5}}),
    ("POST", "/api/2.0/mlflow/registered-models/get-latest-versions"): ("READ", lambda f: {"json": {"name": f["model"]}}),
    ("GET", "/api/2.0/mlflow/registered-models/get-latest-versions"): ("READ", lambda f: {"params": {"name": f["model"]}}),
    ("POST", "/api/2.0/mlflow/registered-models/set-tag"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "key": "k", "value": "v"}},
    ),
    ("DELETE", "/api/2.0/mlflow/registered-models/delete-tag"): ("EDIT", lambda f: {"json": {"name": f["model"], "key": "k"}}),
    ("POST", "/api/2.0/mlflow/registered-models/alias"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "alias": "champion", "version": "1"}},
    ),
    ("DELETE", "/api/2.0/mlflow/registered-models/alias"): ("MANAGE", lambda f: {"json": {"name": f["model"], "alias": "champion"}}),
    ("GET", "/api/2.0/mlflow/registered-models/alias"): ("READ", lambda f: {"params": {"name": f["model"], "alias": "champion"}}),
    ("POST", "/api/2.0/mlflow/model-versions/create"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "source": f["artifact_uri"], "run_id": f["run"]}},
    ),
    ("GET", "/api/2.0/mlflow/model-versions/get"): ("READ", lambda f: {"params": {"name": f["model"], "version": "1"}}),
    ("PATCH", "/api/2.0/mlflow/model-versions/update"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "version": "1", "description": "d"}},
    ),
    ("DELETE", "/api/2.0/mlflow/model-versions/delete"): ("MANAGE", lambda f: {"json": {"name": f["model"], "version": "1"}}),
    ("GET", "/api/2.0/mlflow/model-versions/search"): ("signed-in", lambda f: {"params": {"filter": f"name='{f['model']}'"}}),
    ("POST", "/api/2.0/mlflow/model-versions/transition-stage"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "version": "1", "stage": "Staging", "archive_existing_versions": False}},
    ),
    ("GET", "/api/2.0/mlflow/model-versions/get-activities"): (
        "READ",
        lambda f: {"params": {"name": f["model"], "version": "1"}},
    ),
    ("POST", "/api/2.0/mlflow/comments/create"): (
        "READ",
        lambda f: {"json": {"name": f["model"], "version": "1", "comment": "c"}},
    ),
    ("PATCH", "/api/2.0/mlflow/comments/update"): ("author", lambda f: {"json": {"id": f["comment"], "comment": "mine"}}),
    ("DELETE", "/api/2.0/mlflow/comments/delete"): ("author-or-admin", lambda f: {"params": {"id": f["comment"]}}),
    ("POST", "/api/2.0/mlflow/transition-requests/create"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "version": "1", "stage": "Production"}},
    ),
    # The owner's open request to Staging (no policy governs it): deciding it takes what a transition takes.
    ("POST", "/api/2.0/mlflow/transition-requests/approve"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "version": "1", "stage": "Staging", "archive_existing_versions": False}},
    ),
    ("POST", "/api/2.0/mlflow/transition-requests/reject"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "version": "1", "stage": "Staging"}},
    ),
    ("DELETE", "/api/2.0/mlflow/transition-requests/delete"): (
        "author",
        lambda f: {"params": {"name": f["model"], "version": "1", "stage": "Staging", "creator": f["owner"]}},
    ),
    ("GET", "/api/2.0/mlflow/transition-requests/list"): ("READ", lambda f: {"params": {"name": f["model"], "version": "1"}}),
    ("GET", "/api/2.0/mlflow/model-versions/get-download-uri"): (
        "READ",
        lambda f: {"params": {"name": f["model"], "version": "1"}},
    ),
    ("POST", "/api/2.0/mlflow/model-versions/set-tag"): (
        "EDIT",
        lambda f: {"json": {"name": f["model"], "version": "1", "key": "k", "value": "v"}},
    ),
    ("DELETE", "/api/2.0/mlflow/model-versions/delete-tag"): (
        "MANAGE",
        lambda f: {"json": {"name": f["model"], "version": "1", "key": "k"}},
    ),
    ("GET", "/api/2.0/mlflow/model-versions/get-artifact"): (
        "READ",
        lambda f: {"params": {"name": f["model"], "version": "1", "path": "a.txt"}},
    ),
    ("GET", "/model-versions/get-artifact"): ("READ", lambda f: {"params": {"name": f["model"], "version": "1", "path": "a.txt"}}),
    ("GET", "/api/2.0/logbook/model-versions/lineage"): ("READ", lambda f: {"params": {"name": f["model"], "version": "1"}}),
    ("GET", "/api/2.0/logbook/registered-models/history"): ("READ", lambda f: {"params": {"name": f["model"]}}),
    ("GET", "/api/2.0/logbook/registered-models/state"): ("READ", lambda f: {"params": {"name": f["model"]}}),
    ("POST", "/api/2.0/logbook/policies/create"): (
        "admin",
        lambda f: {
            "json": {
                "name": unique("policy"),
                "applies_to": unique("governs-nothing"),
                "targets": {"stages": ["Production"]},
                "approvals": [{"count": 1, "from": ["risk"]}],
            }
        },
    ),
    ("PATCH", "/api/2.0/logbook/policies/update"): ("admin", lambda f: {"json": {"name": unique("policy"), "description": "d"}}),
    ("DELETE", "/api/2.0/logbook/policies/delete"): ("admin", lambda f: {"json": {"name": unique("policy")}}),
    ("GET", "/api/2.0/logbook/policies/get"): ("signed-in", lambda f: {"params": {"name": unique("policy")}}),
    ("GET", "/api/2.0/logbook/policies/search"): ("signed-in", lambda f: {"params": {"max_results": 5}}),
    ("GET", "/api/2.0/logbook/audit/entries/search"): ("admin", lambda f: {"params": {"name": f["model"]}}),
    ("GET", "/api/2.0/logbook/audit/entries/export"): ("admin", lambda f: {"params": {"name": f["model"]}}),
    ("GET", "/api/2.0/logbook/audit/verify"): ("admin", lambda f: {}),
    ("GET", "/api/2.0/logbook/audit/checkpoints/public-keys"): ("admin", lambda f: {}),
    ("GET", "/api/2.0/logbook/identity-audit/entries/search"): ("admin", lambda f: {"params": {"event_type": "UserCreated"}}),
    ("GET", "/api/2.0/logbook/identity-audit/entries/export"): ("admin", lambda f: {"params": {"event_type": "UserCreated"}}),
    ("GET", "/api/2.0/logbook/identity-audit/verify"): ("admin", lambda f: {}),
    ("GET", "/api/2.0/logbook/identity-audit/checkpoints/public-keys"): ("admin", lambda f: {}),
    ("GET", "/api/2.0/logbook/events/tracking"): ("admin", lambda f: {"params": {"after": "latest"}}),
    ("GET", "/api/2.0/logbook/events/artifacts"): ("admin", lambda f: {"params": {"after": "latest"}}),
    ("GET", "/api/2.0/logbook/events/registry"): ("admin", lambda f: {"params": {"after": "latest"}}),
    ("POST", "/api/2.0/mlflow/webhooks"): (
        "admin",
        lambda f: {
            "json": {
                "name": unique("matrix-hook"),
                "url": RECEIVER_URL,
                "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}],
            }
        },
    ),
    ("GET", "/api/2.0/mlflow/webhooks"): ("admin", lambda f: {"params": {"max_results": 5}}),
    ("GET", "/api/2.0/mlflow/webhooks/{webhookId}"): ("admin", lambda f: {}),
    ("PATCH", "/api/2.0/mlflow/webhooks/{webhookId}"): ("admin", lambda f: {"json": {"description": "d"}}),
    ("DELETE", "/api/2.0/mlflow/webhooks/{webhookId}"): ("admin", lambda f: {}),
    ("POST", "/api/2.0/mlflow/webhooks/{webhookId}/test"): ("admin", lambda f: {"json": {}}),
    ("POST", "/api/2.0/mlflow/registry-webhooks/create"): (
        "MANAGE",
        lambda f: {
            "json": {
                "model_name": f["model"],
                "events": ["MODEL_VERSION_TRANSITIONED_STAGE"],
                "http_url_spec": {"url": RECEIVER_URL},
            }
        },
    ),
    ("GET", "/api/2.0/mlflow/registry-webhooks/list"): ("MANAGE", lambda f: {"params": {"model_name": f["model"]}}),
    ("PATCH", "/api/2.0/mlflow/registry-webhooks/update"): (
        "MANAGE",
        lambda f: {"json": {"id": model_webhook(f), "description": "d"}},
    ),
    ("DELETE", "/api/2.0/mlflow/registry-webhooks/delete"): ("MANAGE", lambda f: {"params": {"id": model_webhook(f)}}),
    ("POST", "/api/2.0/mlflow/registry-webhooks/test"): ("MANAGE", lambda f: {"json": {"id": model_webhook(f)}}),
    ("GET", "/api/2.0/logbook/webhooks/{webhookId}"): ("admin", lambda f: {}),
    ("GET", "/api/2.0/logbook/webhooks/{webhookId}/deliveries"): ("admin", lambda f: {}),
    ("GET", "/api/2.0/logbook/webhooks/{webhookId}/deliveries/{deliveryId}"): ("admin", lambda f: {}),
    ("POST", "/api/2.0/logbook/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver"): ("admin", lambda f: {"json": {}}),
    ("POST", "/api/2.0/logbook/webhooks/{webhookId}/redeliver"): (
        "admin",
        lambda f: {"json": {"start_time": 0, "end_time": int(time.time() * 1000)}},
    ),
    ("POST", "/api/2.0/logbook/webhooks/{webhookId}/resume"): ("admin", lambda f: {"json": {}}),
    ("POST", "/graphql"): ("signed-in", lambda f: {"json": {"query": "query { __typename }"}}),
    ("GET", "/graphql"): ("signed-in", lambda f: {"params": {"query": "query { __typename }"}}),
}

IDENTITY_PATHS = re.compile(r"^/api/(2\.0|3\.0)/(mlflow/(users|roles)/|logbook/tokens/)")


def normalized(path):
    """The row of a served path: the ajax prefix and logged models' 3.0 paths share the 2.0 REST row; a
    webhook's and a delivery's path parameters are {webhookId} and {deliveryId}."""
    path = re.sub(r"^/ajax-api/", "/api/", path)
    path = WEBHOOK_PARAM.sub(r"\1{webhookId}", path)
    path = DELIVERY_PARAM.sub(r"\1{deliveryId}", path)
    return re.sub(r"^/api/3\.0/mlflow/logged-models", "/api/2.0/mlflow/logged-models", path)


def served_routes(url, admin):
    document = http("GET", url, "/openapi.json", credentials=admin).json()
    return sorted(
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    )


def test_every_served_route_has_a_row(url, admin):
    missing = [
        f"{method} {path}"
        for method, path in served_routes(url, admin)
        if (method, normalized(path)) not in ROUTES and not IDENTITY_PATHS.match(normalized(path))
    ]
    assert missing == [], "routes without a permission row: " + ", ".join(missing)


@pytest.fixture(scope="module")
def callers(url, admin):
    """The users of the matrix, made once, and how each one authenticates."""
    names = {name: unique(f"matrix-{name}") for name in ["owner", "denied", "reader", "editor", "manager"]}
    for username in names.values():
        made = http("POST", url, "/api/2.0/mlflow/users/create", credentials=admin, json={"username": username, "password": PASSWORD})
        assert made.status_code == 200, made.text
    issued = http(
        "POST",
        url,
        "/api/2.0/logbook/tokens/create",
        credentials=(names["manager"], PASSWORD),
        json={"name": "matrix", "scope": "READ"},
    )
    assert issued.status_code == 200, issued.text
    auth = {name: {"auth": (username, PASSWORD)} for name, username in names.items()}
    auth["token"] = {"headers": {"Authorization": f"Bearer {issued.json()['secret']}"}}
    auth["admin"] = {"auth": admin}
    auth["anonymous"] = {}
    return names, auth


def call(url, method, path, caller_auth, request):
    kwargs = {**request, **caller_auth}
    if "headers" in request and "headers" in caller_auth:
        kwargs["headers"] = {**request["headers"], **caller_auth["headers"]}
    return requests.request(method, f"{url}{path}", timeout=30, **kwargs)


def ok(response, what):
    assert response.status_code == 200, f"{what}: {response.status_code} {response.text}"
    return response.json() if response.content else {}


def make_resources(url, admin, names):
    """An experiment, run, metric, artifact, logged model, registered model and version owned by `owner`,
    with grants for the matrix's callers on the experiment and the model."""
    owner = (names["owner"], PASSWORD)
    exp_name = unique("matrix")
    exp = ok(http("POST", url, "/api/2.0/mlflow/experiments/create", credentials=owner, json={"name": exp_name}), "exp")[
        "experiment_id"
    ]
    run = ok(http("POST", url, "/api/2.0/mlflow/runs/create", credentials=owner, json={"experiment_id": exp}), "run")["run"]
    run_id, artifact_uri = run["info"]["run_id"], run["info"]["artifact_uri"]
    ok(
        http(
            "POST",
            url,
            "/api/2.0/mlflow/runs/log-metric",
            credentials=owner,
            json={"run_id": run_id, "key": "m", "value": 1, "timestamp": 1, "step": 0},
        ),
        "metric",
    )
    artifact_root = artifact_uri.split("mlflow-artifacts:/", 1)[-1].lstrip("/")
    ok(http("PUT", url, f"/api/2.0/mlflow-artifacts/artifacts/{artifact_root}/a.txt", credentials=owner, data=b"a"), "artifact")
    logged_model = ok(
        http("POST", url, "/api/2.0/mlflow/logged-models", credentials=owner, json={"experiment_id": exp, "name": "lm"}),
        "logged model",
    )["model"]["info"]["model_id"]
    model = unique("model")
    ok(http("POST", url, "/api/2.0/mlflow/registered-models/create", credentials=owner, json={"name": model}), "model")
    ok(
        http(
            "POST",
            url,
            "/api/2.0/mlflow/model-versions/create",
            credentials=owner,
            json={"name": model, "source": artifact_uri, "run_id": run_id},
        ),
        "version",
    )
    comment = ok(
        http(
            "POST",
            url,
            "/api/2.0/mlflow/comments/create",
            credentials=owner,
            json={"name": model, "version": "1", "comment": "the owner's"},
        ),
        "comment",
    )["comment"]["id"]
    ok(
        http(
            "POST",
            url,
            "/api/2.0/mlflow/transition-requests/create",
            credentials=owner,
            json={"name": model, "version": "1", "stage": "Staging"},
        ),
        "transition request",
    )
    for caller, permission in [("denied", "DENY"), ("editor", "EDIT"), ("manager", "MANAGE")]:
        for resource_type, resource_id in [("experiment", exp), ("registered_model", model)]:
            ok(
                http(
                    "POST",
                    url,
                    "/api/3.0/mlflow/users/permissions/grant",
                    credentials=admin,
                    json={
                        "username": names[caller],
                        "resource_type": resource_type,
                        "resource_id": resource_id,
                        "permission": permission,
                    },
                ),
                f"grant {permission}",
            )
    return {
        "exp": exp,
        "exp_name": exp_name,
        "run": run_id,
        "artifact_uri": artifact_uri,
        "artifact_root": artifact_root,
        "logged_model": logged_model,
        "model": model,
        "comment": comment,
        "owner": names["owner"],
        "url": url,
        "admin": admin,
    }


def concrete(path, f):
    """A served path with its parameters filled in: a webhook made for it; a delivery id that names none (the
    matrix checks who may ask, and an admin's 404 is an answer)."""
    if WEBHOOK_PARAM.search(path):
        path = WEBHOOK_PARAM.sub(lambda m: m.group(1) + admin_webhook(f), path)
    path = DELIVERY_PARAM.sub(lambda m: m.group(1) + str(uuid.uuid4()), path)
    return (
        path.replace("{modelId}", f["logged_model"])
        .replace("{key}", "t")
        .replace("{path}", artifact_path(f))
    )


def expected_forbidden(level, caller):
    if level == "author":
        return True
    if level == "admin":
        return caller != "admin"
    if caller == "admin" or level in ("signed-in", "open"):
        return False
    if level == "author-or-admin":
        return True
    if level == "create":
        return caller == "token"
    return LEVEL_OF_CALLER[caller] < LEVEL_NEEDED[level]


def matrix_routes():
    return sorted(ROUTES)


@pytest.mark.parametrize("route", matrix_routes(), ids=lambda route: f"{route[0]} {route[1]}")
def test_each_caller_gets_what_the_route_allows_them(url, admin, callers, route):
    names, auth = callers
    level, build = ROUTES[route]
    method, path = route
    served = [p for m, p in served_routes_cache(url, admin) if m == method and normalized(p) == path]
    assert served, f"{method} {path} has a row but is not served"
    for served_path in served:
        resources = make_resources(url, admin, names)
        target = concrete(served_path, resources)
        for caller in CALLERS:
            request = build(resources)
            response = call(url, method, target, auth[caller], request)
            if path.endswith("/registered-models/rename") and response.status_code == 200:
                # The grants followed the model to its new name: the next callers name it so.
                resources["model"] = request["json"]["new_name"]
            what = f"{caller} {method} {served_path}: {response.status_code} {response.text[:300]}"
            if caller == "anonymous":
                assert response.status_code == (200 if level == "open" else 401), what
                continue
            assert response.status_code < 500, what
            if expected_forbidden(level, caller):
                assert response.status_code == 403, what
                assert response.json()["error_code"] == "PERMISSION_DENIED", what
            else:
                assert response.status_code not in (401, 403), what


_SERVED = {}


def served_routes_cache(url, admin):
    if url not in _SERVED:
        _SERVED[url] = served_routes(url, admin)
    return _SERVED[url]
