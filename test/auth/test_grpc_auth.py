"""The gRPC endpoint (issue 14) authenticates and authorizes as the REST API does: the `authorization`
metadata is the REST header (Basic or Bearer), a refusal is MLflow's error code as a gRPC status, and what a
call changes is recorded as done by its caller. MLflow's server has no gRPC endpoint: Logbook-only."""

import base64
import json
import os
import time
import uuid
from urllib.parse import urlsplit

import grpc
import pytest
from mlflow.protos import model_registry_pb2, service_pb2

from conftest import PASSWORD, http
from grpc_events import Subscription, data

pytestmark = pytest.mark.logbook_only

NOT_AUTHENTICATED = (
    "You are not authenticated. Please see "
    "https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate."
)


def unique(prefix):
    return f"grpc-{prefix}-{uuid.uuid4().hex[:10]}"


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def channel(url):
    """LOGBOOK_GRPC_TARGET, else the REST server's host on its port + 10000 (as test/support/shapes.sh starts it)."""
    parts = urlsplit(url)
    target = os.environ.get("LOGBOOK_GRPC_TARGET", "").strip() or f"{parts.hostname}:{parts.port + 10000}"
    with grpc.insecure_channel(target) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
        except grpc.FutureTimeoutError:
            pytest.fail(f"Logbook's gRPC endpoint at {target} is not reachable (LOGBOOK_GRPC_TARGET overrides it)")
        yield channel


@pytest.fixture
def call(channel):
    """Calls one of MLflow's methods by name with its request message, as the caller `authorization` names."""

    def invoke(path, request, authorization=None):
        method = channel.unary_unary(
            path,
            request_serializer=type(request).SerializeToString,
            response_deserializer=type(request).Response.FromString,
        )
        return method(request, timeout=30, metadata=[("authorization", authorization)] if authorization else None)

    return invoke


def refused(invoke, status, error_code):
    with pytest.raises(grpc.RpcError) as caught:
        invoke()
    error = caught.value
    assert error.code() == status, f"{error.code()}: {error.details()}"
    assert dict(error.trailing_metadata() or ())["mlflow-error-code"] == error_code
    return error


SEARCH = "/mlflow.MlflowService/searchExperiments"


def test_a_call_without_credentials_is_unauthenticated(call):
    error = refused(lambda: call(SEARCH, service_pb2.SearchExperiments(max_results=1)),
                    grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")
    assert error.details() == NOT_AUTHENTICATED


@pytest.mark.parametrize(
    "authorization",
    [basic("nobody-at-all", PASSWORD), "Bearer lbk_999999_not-a-token", "Basic !!!notbase64"],
)
def test_unknown_or_unreadable_credentials_are_unauthenticated(call, authorization):
    refused(lambda: call(SEARCH, service_pb2.SearchExperiments(max_results=1), authorization),
            grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")


def test_a_wrong_password_is_unauthenticated(call, new_user):
    username = new_user()
    refused(lambda: call(SEARCH, service_pb2.SearchExperiments(max_results=1), basic(username, "a wrong guess")),
            grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")


def test_the_admin_signs_in_with_basic_credentials(call, admin, url):
    name = unique("admin")
    experiment_id = call("/mlflow.MlflowService/createExperiment", service_pb2.CreateExperiment(name=name),
                         basic(*admin)).experiment_id
    got = http("GET", url, "/api/2.0/mlflow/experiments/get", credentials=admin,
               params={"experiment_id": experiment_id})
    assert got.json()["experiment"]["name"] == name


def test_a_user_may_read_but_not_change_what_another_made(call, new_user):
    owner, other = new_user(), new_user()
    experiment_id = call("/mlflow.MlflowService/createExperiment", service_pb2.CreateExperiment(name=unique("owned")),
                         basic(owner, PASSWORD)).experiment_id
    tag = service_pb2.SetExperimentTag(experiment_id=experiment_id, key="note", value="mine")
    call("/mlflow.MlflowService/setExperimentTag", tag, basic(owner, PASSWORD))

    read = call("/mlflow.MlflowService/getExperiment", service_pb2.GetExperiment(experiment_id=experiment_id),
                basic(other, PASSWORD))
    assert {(t.key, t.value) for t in read.experiment.tags} >= {("note", "mine")}
    refused(lambda: call("/mlflow.MlflowService/setExperimentTag", tag, basic(other, PASSWORD)),
            grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED")
    refused(lambda: call("/mlflow.MlflowService/createRun", service_pb2.CreateRun(experiment_id=experiment_id),
                         basic(other, PASSWORD)),
            grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED")


def test_changes_over_grpc_name_the_user_who_made_them(call, url, new_user):
    username = new_user()
    experiment_id = call("/mlflow.MlflowService/createExperiment", service_pb2.CreateExperiment(name=unique("mine")),
                         basic(username, PASSWORD)).experiment_id
    run = call("/mlflow.MlflowService/createRun", service_pb2.CreateRun(experiment_id=experiment_id, user_id=username),
               basic(username, PASSWORD)).run
    got = http("GET", url, "/api/2.0/mlflow/runs/get", credentials=(username, PASSWORD),
               params={"run_id": run.info.run_id}).json()
    assert got["run"]["info"]["user_id"] == username

    name = unique("model")
    call("/mlflow.ModelRegistryService/createRegisteredModel", model_registry_pb2.CreateRegisteredModel(name=name),
         basic(username, PASSWORD))
    history = http("GET", url, "/api/2.0/logbook/registered-models/history", credentials=(username, PASSWORD),
                   params={"name": name}).json()
    actor = history["changes"][0]["actor"]
    assert actor["kind"] == "user" and actor["name"] == username and actor["auth_method"] == "basic"


def test_a_bearer_token_works_and_its_changes_name_the_token(call, url, new_user):
    username = new_user()
    issued = http("POST", url, "/api/2.0/logbook/tokens/create", credentials=(username, PASSWORD),
                  json={"name": "grpc pipeline", "scope": "EDIT"})
    assert issued.status_code == 200, issued.text
    secret, token_id = issued.json()["secret"], issued.json()["token"]["id"]
    bearer = f"Bearer {secret}"

    experiment_id = call("/mlflow.MlflowService/createExperiment", service_pb2.CreateExperiment(name=unique("token")),
                         bearer).experiment_id
    run = call("/mlflow.MlflowService/createRun", service_pb2.CreateRun(experiment_id=experiment_id), bearer).run
    metric = service_pb2.LogMetric(run_id=run.info.run_id, key="loss", value=0.5, timestamp=1)
    call("/mlflow.MlflowService/logMetric", metric, bearer)
    logged = http("GET", url, "/api/2.0/mlflow/metrics/get-history", headers={"Authorization": bearer},
                  params={"run_id": run.info.run_id, "metric_key": "loss"}).json()
    assert [m["value"] for m in logged["metrics"]] == [0.5]
    name = unique("model")
    call("/mlflow.ModelRegistryService/createRegisteredModel", model_registry_pb2.CreateRegisteredModel(name=name),
         bearer)
    history = http("GET", url, "/api/2.0/logbook/registered-models/history", headers={"Authorization": bearer},
                   params={"name": name}).json()
    assert history["changes"][0]["actor"] == {
        "id": f"token-{token_id}", "kind": "service", "name": "grpc pipeline", "auth_method": "token",
    }

    revoked = http("POST", url, "/api/2.0/logbook/tokens/revoke", credentials=(username, PASSWORD),
                   json={"token_id": token_id})
    assert revoked.status_code == 200, revoked.text
    refused(lambda: call(SEARCH, service_pb2.SearchExperiments(max_results=1), bearer),
            grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")


def test_subscribing_to_events_is_for_admins_only(channel, call, admin, new_user):
    for authorization, status, error_code in (
        (None, grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED"),
        (basic(new_user(), PASSWORD), grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED"),
    ):
        with Subscription(channel, timeout=30, authorization=authorization, from_latest=True) as refused_stream:
            refused(lambda: refused_stream.next_event(20), status, error_code)

    name = unique("subscribed")
    with Subscription(channel, timeout=60, authorization=basic(*admin), from_latest=True,
                      types=["RegisteredModelCreated"]) as events:
        time.sleep(1)
        call("/mlflow.ModelRegistryService/createRegisteredModel", model_registry_pb2.CreateRegisteredModel(name=name),
             basic(*admin))
        received = events.read_until(lambda event: data(event)["name"] == name, seconds=10)
    assert json.loads(received[-1].event_json)["actor"]["name"] == admin[0]
