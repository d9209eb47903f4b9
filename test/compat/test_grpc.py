"""MLflow's services over gRPC (issue 14), called with MLflow's own compiled messages and compared field by
field with the same call over REST. Beyond MLflow, whose server has no gRPC endpoint: Logbook-only."""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import grpc
import pytest
import requests

from compat_utils import now_ms
from grpc_utils import STANDARD, Endpoints, Method, assert_mlflow_error, assert_same, grpc_target, same_double

pytestmark = pytest.mark.logbook_only

TRACKING = "mlflow.MlflowService"
REGISTRY = "mlflow.ModelRegistryService"
WEBHOOKS = "mlflow.WebhookService"
ARTIFACTS = "mlflow.artifacts.MlflowArtifactsService"


def unique(prefix):
    return f"grpc-{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def target(url):
    return grpc_target(url)


@pytest.fixture(scope="module")
def channel(target):
    with grpc.insecure_channel(target) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
        except grpc.FutureTimeoutError:
            pytest.fail(f"Logbook's gRPC endpoint at {target} is not reachable (LOGBOOK_GRPC_TARGET overrides it)")
        yield channel


@pytest.fixture(scope="module")
def api(channel, url):
    return Endpoints(channel, url)


@pytest.fixture
def experiment_id(api):
    return api.grpc(f"{TRACKING}/createExperiment", name=unique("exp")).experiment_id


@pytest.fixture
def run_id(api, experiment_id):
    return api.grpc(f"{TRACKING}/createRun", experiment_id=experiment_id, start_time=now_ms()).run.info.run_id


def test_experiments_answer_as_over_rest(api):
    name = unique("exp")
    experiment_id = api.grpc(
        f"{TRACKING}/createExperiment", name=name, tags=[{"key": "team", "value": "vision"}]
    ).experiment_id
    got, rest = api.both(f"{TRACKING}/getExperiment", experiment_id=experiment_id)
    assert got.experiment.name == name and got.experiment.lifecycle_stage == "active"
    assert {(t.key, t.value) for t in got.experiment.tags} >= {("team", "vision")}
    assert_same(got, rest)
    assert_same(*api.both(f"{TRACKING}/getExperimentByName", experiment_name=name))

    renamed = unique("renamed")
    api.grpc(f"{TRACKING}/updateExperiment", experiment_id=experiment_id, new_name=renamed)
    api.grpc(f"{TRACKING}/setExperimentTag", experiment_id=experiment_id, key="stage", value="dev")
    api.grpc(f"{TRACKING}/deleteExperimentTag", experiment_id=experiment_id, key="team")
    got, rest = api.both(f"{TRACKING}/getExperiment", experiment_id=experiment_id)
    assert got.experiment.name == renamed
    tags = {t.key: t.value for t in got.experiment.tags}
    assert tags.get("stage") == "dev" and "team" not in tags
    assert_same(got, rest)

    search = dict(filter=f"name = '{renamed}'", max_results=5, order_by=["creation_time DESC"])
    found, rest = api.both(f"{TRACKING}/searchExperiments", **search)
    assert [e.experiment_id for e in found.experiments] == [experiment_id]
    assert_same(found, rest)

    api.grpc(f"{TRACKING}/deleteExperiment", experiment_id=experiment_id)
    deleted, rest = api.both(f"{TRACKING}/getExperiment", experiment_id=experiment_id)
    assert deleted.experiment.lifecycle_stage == "deleted"
    assert_same(deleted, rest)
    assert api.grpc(f"{TRACKING}/searchExperiments", filter=f"name = '{renamed}'").experiments == []
    assert_same(*api.both(f"{TRACKING}/searchExperiments", filter=f"name = '{renamed}'", view_type="DELETED_ONLY"))
    api.grpc(f"{TRACKING}/restoreExperiment", experiment_id=experiment_id)
    assert api.rest(f"{TRACKING}/getExperiment", experiment_id=experiment_id).experiment.lifecycle_stage == "active"


def test_runs_params_tags_and_updates_answer_as_over_rest(api, experiment_id):
    started = now_ms()
    created = api.grpc(
        f"{TRACKING}/createRun", experiment_id=experiment_id, run_name="trainer", start_time=started,
        tags=[{"key": "origin", "value": "grpc"}],
    ).run
    run_id = created.info.run_id
    assert created.info.status == 1 and created.info.start_time == started  # RUNNING
    api.grpc(f"{TRACKING}/logParam", run_id=run_id, key="lr", value="0.01")
    api.grpc(f"{TRACKING}/setTag", run_id=run_id, key="note", value="a" * 5000)
    api.grpc(f"{TRACKING}/logMetric", run_id=run_id, key="loss", value=0.25, timestamp=started, step=3)
    api.grpc(f"{TRACKING}/deleteTag", run_id=run_id, key="origin")
    updated = api.grpc(
        f"{TRACKING}/updateRun", run_id=run_id, status="FINISHED", end_time=started + 1000, run_name="trained"
    )
    assert updated.run_info.status == 3 and updated.run_info.run_name == "trained"  # FINISHED

    got, rest = api.both(f"{TRACKING}/getRun", run_id=run_id)
    assert {(p.key, p.value) for p in got.run.data.params} == {("lr", "0.01")}
    tags = {t.key: t.value for t in got.run.data.tags}
    assert tags["note"] == "a" * 5000 and "origin" not in tags
    assert [(m.key, m.value, m.timestamp, m.step) for m in got.run.data.metrics] == [("loss", 0.25, started, 3)]
    assert got.run.info.end_time == started + 1000
    assert_same(got, rest)

    api.grpc(f"{TRACKING}/deleteRun", run_id=run_id)
    assert api.rest(f"{TRACKING}/getRun", run_id=run_id).run.info.lifecycle_stage == "deleted"
    api.grpc(f"{TRACKING}/restoreRun", run_id=run_id)
    assert_same(*api.both(f"{TRACKING}/getRun", run_id=run_id))


def test_a_batch_of_a_thousand_metrics_and_searches_with_filter_and_order(api, experiment_id):
    start = now_ms()
    run_ids = []
    for index, loss in enumerate([0.9, 0.1, 0.5]):
        run_id = api.grpc(f"{TRACKING}/createRun", experiment_id=experiment_id, run_name=f"r{index}").run.info.run_id
        metrics = [{"key": "loss", "value": loss, "timestamp": start, "step": 0}]
        if index == 0:
            many = [{"key": f"m{n}", "value": n / 7, "timestamp": start + n, "step": n} for n in range(999)]
            metrics = many + metrics
        api.grpc(f"{TRACKING}/logBatch", run_id=run_id, metrics=metrics)
        api.grpc(
            f"{TRACKING}/logBatch", run_id=run_id,
            params=[{"key": "index", "value": str(index)}], tags=[{"key": "batch", "value": "yes"}],
        )
        run_ids.append(run_id)

    got, rest = api.both(f"{TRACKING}/getRun", run_id=run_ids[0])
    assert len(got.run.data.metrics) == 1000
    assert {m.key: m.value for m in got.run.data.metrics}["m998"] == 998 / 7
    assert_same(got, rest)

    search = dict(
        experiment_ids=[experiment_id], filter="metrics.loss < 0.8 and params.index != '7'",
        order_by=["metrics.loss ASC"], max_results=10,
    )
    found, rest = api.both(f"{TRACKING}/searchRuns", **search)
    assert [r.info.run_id for r in found.runs] == [run_ids[1], run_ids[2]]
    assert_same(found, rest)

    first = api.grpc(f"{TRACKING}/searchRuns", experiment_ids=[experiment_id], order_by=["attributes.run_name DESC"],
                     max_results=2)
    assert [r.info.run_name for r in first.runs] == ["r2", "r1"] and first.next_page_token
    page, rest = api.both(f"{TRACKING}/searchRuns", experiment_ids=[experiment_id],
                          order_by=["attributes.run_name DESC"], max_results=2, page_token=first.next_page_token)
    assert [r.info.run_name for r in page.runs] == ["r0"]
    assert_same(page, rest)


def test_metric_history_keeps_nan_infinities_and_int64_timestamps_and_steps(api, run_id):
    beyond_int32 = 2**31 + 12345
    points = [
        (float("nan"), now_ms(), 0),
        (float("inf"), beyond_int32, 1),
        (float("-inf"), 2**41 + 7, 2**33),
        (-1.5e-300, 1, -(2**35)),
    ]
    api.grpc(f"{TRACKING}/logBatch", run_id=run_id,
             metrics=[{"key": "odd", "value": v, "timestamp": t, "step": s} for v, t, s in points])
    api.grpc(f"{TRACKING}/logMetric", run_id=run_id, key="odd", value=float("nan"), timestamp=beyond_int32, step=5)
    points.append((float("nan"), beyond_int32, 5))

    got, rest = api.both(f"{TRACKING}/getMetricHistory", run_id=run_id, metric_key="odd")
    history = sorted(((m.step, m.timestamp, m.value) for m in got.metrics), key=lambda p: (p[0], p[1]))
    expected = sorted(((s, t, v) for v, t, s in points), key=lambda p: (p[0], p[1]))
    assert [(s, t) for s, t, _ in history] == [(s, t) for s, t, _ in expected]
    assert all(same_double(actual, wanted) for (_, _, actual), (_, _, wanted) in zip(history, expected)), history
    assert_same(got, rest)
    latest = {m.key: m for m in api.grpc(f"{TRACKING}/getRun", run_id=run_id).run.data.metrics}["odd"]
    assert latest.step == 2**33 and latest.value == float("-inf")


def test_registered_models_versions_aliases_tags_and_stages_answer_as_over_rest(api, run_id):
    name = unique("model")
    created = api.grpc(f"{REGISTRY}/createRegisteredModel", name=name, description="first",
                       tags=[{"key": "owner", "value": "vision"}]).registered_model
    assert created.name == name and created.description == "first"
    api.grpc(f"{REGISTRY}/updateRegisteredModel", name=name, description="second")
    api.grpc(f"{REGISTRY}/setRegisteredModelTag", name=name, key="domain", value="images")
    api.grpc(f"{REGISTRY}/deleteRegisteredModelTag", name=name, key="owner")

    source = f"runs:/{run_id}/model"
    versions = [
        api.grpc(f"{REGISTRY}/createModelVersion", name=name, source=source, run_id=run_id,
                 description=f"v{n}", tags=[{"key": "n", "value": str(n)}]).model_version
        for n in (1, 2)
    ]
    assert [v.version for v in versions] == ["1", "2"]
    assert versions[0].source == source and versions[0].run_id == run_id
    api.grpc(f"{REGISTRY}/updateModelVersion", name=name, version="1", description="the first")
    api.grpc(f"{REGISTRY}/setModelVersionTag", name=name, version="1", key="quality", value="good")
    api.grpc(f"{REGISTRY}/deleteModelVersionTag", name=name, version="1", key="n")
    api.grpc(f"{REGISTRY}/setRegisteredModelAlias", name=name, alias="champion", version="1")
    api.grpc(f"{REGISTRY}/setRegisteredModelAlias", name=name, alias="challenger", version="2")
    api.grpc(f"{REGISTRY}/deleteRegisteredModelAlias", name=name, alias="challenger")
    moved = api.grpc(f"{REGISTRY}/transitionModelVersionStage", name=name, version="2", stage="Staging",
                     archive_existing_versions=False).model_version
    assert moved.current_stage == "Staging"

    got, rest = api.both(f"{REGISTRY}/getRegisteredModel", name=name)
    model = got.registered_model
    assert model.description == "second" and {(t.key, t.value) for t in model.tags} == {("domain", "images")}
    assert [(a.alias, a.version) for a in model.aliases] == [("champion", "1")]
    assert_same(got, rest)

    got, rest = api.both(f"{REGISTRY}/getModelVersion", name=name, version="1")
    assert got.model_version.description == "the first"
    assert {(t.key, t.value) for t in got.model_version.tags} == {("quality", "good")}
    assert list(got.model_version.aliases) == ["champion"]
    assert_same(got, rest)

    by_alias, rest = api.both(f"{REGISTRY}/getModelVersionByAlias", name=name, alias="champion")
    assert by_alias.model_version.version == "1"
    assert_same(by_alias, rest)

    latest, rest = api.both(f"{REGISTRY}/getLatestVersions", name=name, stages=["Staging"])
    assert [v.version for v in latest.model_versions] == ["2"]
    assert_same(latest, rest)

    found, rest = api.both(f"{REGISTRY}/searchRegisteredModels", filter=f"name = '{name}'", max_results=5)
    assert [m.name for m in found.registered_models] == [name]
    assert_same(found, rest)

    found, rest = api.both(f"{REGISTRY}/searchModelVersions", filter=f"name = '{name}'",
                           order_by=["version_number DESC"], max_results=5)
    assert [v.version for v in found.model_versions] == ["2", "1"]
    assert_same(found, rest)

    uri, rest = api.both(f"{REGISTRY}/getModelVersionDownloadUri", name=name, version="1")
    assert uri.artifact_uri
    assert_same(uri, rest)

    renamed = unique("renamed")
    api.grpc(f"{REGISTRY}/renameRegisteredModel", name=name, new_name=renamed)
    api.grpc(f"{REGISTRY}/deleteModelVersion", name=renamed, version="2")
    remaining = api.rest(f"{REGISTRY}/searchModelVersions", filter=f"name = '{renamed}'").model_versions
    assert [v.version for v in remaining] == ["1"]
    api.grpc(f"{REGISTRY}/deleteRegisteredModel", name=renamed)
    with pytest.raises(grpc.RpcError) as caught:
        api.grpc(f"{REGISTRY}/getRegisteredModel", name=renamed)
    assert_mlflow_error(caught.value, grpc.StatusCode.NOT_FOUND, "RESOURCE_DOES_NOT_EXIST")


def test_artifact_listings_answer_as_over_rest(api, client, run_id):
    client.log_text(run_id, "hello", "outputs/hello.txt")
    client.log_text(run_id, "{}", "outputs/deeper/conf.json")
    client.log_text(run_id, "top", "top.txt")

    listed, rest = api.both(f"{TRACKING}/listArtifacts", run_id=run_id, path="outputs")
    assert {(f.path, f.is_dir) for f in listed.files} == {("outputs/hello.txt", False), ("outputs/deeper", True)}
    assert_same(listed, rest)
    assert_same(*api.both(f"{TRACKING}/listArtifacts", run_id=run_id))

    artifact_uri = api.grpc(f"{TRACKING}/getRun", run_id=run_id).run.info.artifact_uri
    assert artifact_uri.startswith("mlflow-artifacts:/"), artifact_uri
    root = artifact_uri.removeprefix("mlflow-artifacts:").lstrip("/")
    listed, rest = api.both(f"{ARTIFACTS}/listArtifacts", path=f"{root}/outputs")
    assert {(f.path, f.is_dir) for f in listed.files} == {("hello.txt", False), ("deeper", True)}
    assert_same(listed, rest)


def test_webhooks_answer_as_over_rest(api):
    created = api.grpc(f"{WEBHOOKS}/createWebhook", name=unique("hook"), url="http://127.0.0.1:9/hook",
                       events=[{"entity": "REGISTERED_MODEL", "action": "CREATED"}], status="DISABLED").webhook
    assert created.webhook_id and created.status == 2  # DISABLED
    got, rest = api.both(f"{WEBHOOKS}/getWebhook", webhook_id=created.webhook_id)
    assert got.webhook.url == "http://127.0.0.1:9/hook"
    assert_same(got, rest)
    api.grpc(f"{WEBHOOKS}/updateWebhook", webhook_id=created.webhook_id, description="quiet")
    assert api.rest(f"{WEBHOOKS}/getWebhook", webhook_id=created.webhook_id).webhook.description == "quiet"
    api.grpc(f"{WEBHOOKS}/deleteWebhook", webhook_id=created.webhook_id)
    with pytest.raises(grpc.RpcError) as caught:
        api.grpc(f"{WEBHOOKS}/getWebhook", webhook_id=created.webhook_id)
    assert_mlflow_error(caught.value, grpc.StatusCode.NOT_FOUND, "RESOURCE_DOES_NOT_EXIST")


def rest_error(url, method, path, **kwargs):
    answer = requests.request(method, f"{url}{path}", timeout=30, **kwargs)
    assert answer.status_code != 200
    return answer.json()


def test_errors_carry_mlflows_code_and_message(api, url, experiment_id):
    with pytest.raises(grpc.RpcError) as caught:
        api.grpc(f"{TRACKING}/getExperiment", experiment_id="987654321")
    rest = rest_error(url, "GET", "/api/2.0/mlflow/experiments/get", params={"experiment_id": "987654321"})
    assert rest["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert_mlflow_error(caught.value, grpc.StatusCode.NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", rest["message"])
    assert caught.value.details() == rest["message"]

    name = api.rest(f"{TRACKING}/getExperiment", experiment_id=experiment_id).experiment.name
    with pytest.raises(grpc.RpcError) as caught:
        api.grpc(f"{TRACKING}/createExperiment", name=name)
    rest = rest_error(url, "POST", "/api/2.0/mlflow/experiments/create", json={"name": name})
    assert_mlflow_error(caught.value, grpc.StatusCode.ALREADY_EXISTS, "RESOURCE_ALREADY_EXISTS", rest["message"])
    assert caught.value.details() == rest["message"]

    with pytest.raises(grpc.RpcError) as caught:
        api.grpc(f"{TRACKING}/searchRuns", experiment_ids=[experiment_id], filter="metrics.loss <<< 1")
    rest = rest_error(url, "POST", "/api/2.0/mlflow/runs/search",
                      json={"experiment_ids": [experiment_id], "filter": "metrics.loss <<< 1"})
    assert_mlflow_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PARAMETER_VALUE", rest["message"])
    assert caught.value.details() == rest["message"]

    with pytest.raises(grpc.RpcError) as caught:
        api.grpc(f"{TRACKING}/createExperiment")
    assert_mlflow_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PARAMETER_VALUE")


def test_malformed_bytes_are_an_invalid_argument(channel):
    call = channel.unary_unary(f"/{TRACKING}/createExperiment", request_serializer=lambda raw: raw,
                               response_deserializer=lambda raw: raw)
    with pytest.raises(grpc.RpcError) as caught:
        call(b"\xff\xff", timeout=30)
    assert_mlflow_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST")


def test_a_message_over_the_body_limit_is_refused(api, run_id):
    limit = int(os.environ.get("LOGBOOK_BODY_LIMIT_MB", "16")) * 1024 * 1024
    with pytest.raises(grpc.RpcError) as caught:
        api.grpc(f"{TRACKING}/setTag", run_id=run_id, key="huge", value="x" * (limit + 1024))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, caught.value.details()


def test_an_unknown_method_is_unimplemented(channel):
    call = channel.unary_unary(f"/{TRACKING}/noSuchMethod", request_serializer=lambda raw: raw,
                               response_deserializer=lambda raw: raw)
    with pytest.raises(grpc.RpcError) as caught:
        call(b"", timeout=30)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_a_call_past_its_deadline_ends_deadline_exceeded(api, experiment_id):
    with pytest.raises(grpc.RpcError) as caught:
        api.grpc(f"{TRACKING}/searchRuns", experiment_ids=[experiment_id], timeout=0.001)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_health_check_says_serving(channel):
    request, response = STANDARD["grpc.health.v1.HealthCheckRequest"], STANDARD["grpc.health.v1.HealthCheckResponse"]
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=request.SerializeToString,
                                response_deserializer=response.FromString)
    serving = response.ServingStatus.Value("SERVING")
    assert check(request(), timeout=10).status == serving
    assert check(request(service=TRACKING), timeout=10).status == serving
    with pytest.raises(grpc.RpcError) as caught:
        check(request(service="no.such.Service"), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def grpcurl():
    """GRPCURL, else grpcurl on PATH, else where `go install` puts it."""
    found = os.environ.get("GRPCURL") or shutil.which("grpcurl")
    fallback = Path.home() / "go" / "bin" / "grpcurl"
    if not found and fallback.exists():
        found = str(fallback)
    assert found, "grpcurl not found: set GRPCURL or put grpcurl on PATH (.ci/run installs it)"
    return found


def test_reflection_lets_grpcurl_list_and_call_the_services(api, target):
    listed = subprocess.run([grpcurl(), "-plaintext", target, "list"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    services = listed.stdout.split()
    assert {TRACKING, REGISTRY, WEBHOOKS, ARTIFACTS, "grpc.health.v1.Health"} <= set(services)

    name = unique("grpcurl")
    called = subprocess.run(
        [grpcurl(), "-plaintext", "-d", json.dumps({"name": name}), target, f"{TRACKING}/createExperiment"],
        capture_output=True, text=True, timeout=60,
    )
    assert called.returncode == 0, called.stderr
    answer = json.loads(called.stdout)
    # Protobuf JSON names a field by its json_name or, as grpcurl does when the descriptor leaves it out, as declared.
    experiment_id = answer.get("experimentId", answer.get("experiment_id"))
    assert api.rest(f"{TRACKING}/getExperiment", experiment_id=experiment_id).experiment.name == name


def test_the_request_id_travels_in_and_out(channel):
    method = Method(f"{TRACKING}/searchExperiments")
    call = channel.unary_unary(method.path, request_serializer=method.request.SerializeToString,
                               response_deserializer=method.response.FromString)
    request_id = f"grpc-{uuid.uuid4().hex}"
    _, outcome = call.with_call(method.request(max_results=1), timeout=30, metadata=[("x-request-id", request_id)])
    assert dict(outcome.initial_metadata())["x-request-id"] == request_id
    _, outcome = call.with_call(method.request(max_results=1), timeout=30)
    assert dict(outcome.initial_metadata())["x-request-id"]
