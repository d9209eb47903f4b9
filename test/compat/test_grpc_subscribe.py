"""Logbook's `logbook.v1.EventService/Subscribe` (issue 14) against the running server: the events of changes
made over MLflow's REST API arrive in commit order with Kafka's contract, resume without gaps or repeats, follow
live changes, leave run data out unless named, and a subscriber that stops reading holds up no other. In the
distributed shape the gateway follows each service's feed over HTTP. Beyond MLflow: Logbook-only.

The server may already hold many events: each test filters by type and picks out its own by name or id."""

import base64
import json
import time
import uuid

import grpc
import pytest
import requests

from compat_utils import now_ms
from grpc_events import Subscription, data
from grpc_utils import assert_mlflow_error, grpc_target

pytestmark = pytest.mark.logbook_only

MODEL_TOPIC = "registry.registered-model.events.v1"
VERSION_TOPIC = "registry.model-version.events.v1"
# A from_latest subscription starts from the end of each log once it asked the feeds; changes wait this long.
SETTLE_SECONDS = 1


def unique(prefix):
    return f"subscribe-{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def channel(url):
    target = grpc_target(url)
    with grpc.insecure_channel(target) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
        except grpc.FutureTimeoutError:
            pytest.fail(f"Logbook's gRPC endpoint at {target} is not reachable (LOGBOOK_GRPC_TARGET overrides it)")
        yield channel


@pytest.fixture(scope="module")
def mlflow_rest(url):
    """POSTs to MLflow's REST API; returns the answer's JSON."""
    session = requests.Session()

    def post(path, **body):
        answer = session.post(f"{url}/api/2.0/mlflow/{path}", json=body, timeout=30)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
        return answer.json()

    yield post
    session.close()


@pytest.fixture
def run_id(mlflow_rest):
    experiment_id = mlflow_rest("experiments/create", name=unique("exp"))["experiment_id"]
    return mlflow_rest("runs/create", experiment_id=experiment_id, start_time=now_ms())["run"]["info"]["run_id"]


def named(name, **fields):
    """Whether an event's data names the model `name` (and holds these other fields)."""
    return lambda event: all(data(event).get(key) == value for key, value in {"name": name, **fields}.items())


def test_a_models_events_arrive_in_commit_order_with_kafkas_contract(channel, mlflow_rest, run_id):
    name = unique("model")
    mlflow_rest("registered-models/create", name=name)
    mlflow_rest("registered-models/set-tag", name=name, key="team", value="fraud")
    for _ in (1, 2):
        mlflow_rest("model-versions/create", name=name, source=f"runs:/{run_id}/model", run_id=run_id)
    mlflow_rest("model-versions/set-tag", name=name, version="1", key="quality", value="good")

    types = ["RegisteredModelCreated", "RegisteredModelTagSet", "ModelVersionCreated", "ModelVersionTagSet"]
    with Subscription(channel, types=types) as events:
        received = events.read_until(lambda event: event.type == "ModelVersionTagSet" and named(name)(event), 90)

    mine = [event for event in received if named(name)(event)]
    assert [(event.type, event.topic, data(event).get("version")) for event in mine] == [
        ("RegisteredModelCreated", MODEL_TOPIC, None),
        ("RegisteredModelTagSet", MODEL_TOPIC, None),
        ("ModelVersionCreated", VERSION_TOPIC, 1),
        ("ModelVersionCreated", VERSION_TOPIC, 2),
        ("ModelVersionTagSet", VERSION_TOPIC, 1),
    ]
    for event in mine:
        envelope = json.loads(event.event_json)
        assert envelope["eventId"] == event.event_id and envelope["streamId"] == event.key
        assert (envelope["type"], envelope["schemaVersion"], envelope["occurredAt"]) == (
            event.type, event.schema_version, event.occurred_at,
        )
    model_id = data(mine[0])["registeredModelId"]
    assert [event.key for event in mine] == [f"registered-model-{model_id}"] * 2 + [
        f"model-version-{model_id}-{version}" for version in (1, 2, 1)
    ]
    assert len({event.position for event in received}) == len(received)


def test_resuming_after_the_last_event_processed_misses_none_and_repeats_none(channel, mlflow_rest):
    name = unique("resumed")
    types = ["RegisteredModelCreated", "RegisteredModelTagSet"]
    last_tag = named(name, key="k5")
    with Subscription(channel, from_latest=True, types=types) as live:
        time.sleep(SETTLE_SECONDS)
        mlflow_rest("registered-models/create", name=name)
        for i in range(6):
            mlflow_rest("registered-models/set-tag", name=name, key=f"k{i}", value=str(i))
        full = live.read_until(last_tag)
    start = next(i for i, event in enumerate(full) if named(name)(event))
    anchor, expected = full[start].position, [event.event_id for event in full[start + 1:]]

    with Subscription(channel, after=anchor, types=types) as first:
        first_part = first.read(3)
    with Subscription(channel, after=first_part[-1].position, types=types) as resumed:
        rest = resumed.read_until(last_tag)
    assert [event.event_id for event in first_part + rest] == expected
    assert len(set(expected)) == len(expected) == 6


def test_an_open_subscription_receives_what_is_committed_after_it(channel, mlflow_rest):
    name = unique("live")
    with Subscription(channel, from_latest=True, types=["RegisteredModelCreated"]) as live:
        time.sleep(SETTLE_SECONDS)
        mlflow_rest("registered-models/create", name=name)
        received = live.read_until(named(name), seconds=5)
    assert received[-1].topic == MODEL_TOPIC


def test_run_data_arrives_only_when_named(channel, mlflow_rest):
    with Subscription(channel, from_latest=True) as summaries, \
            Subscription(channel, from_latest=True, types=["RunDataLogged"]) as batches:
        time.sleep(SETTLE_SECONDS)
        experiment_id = mlflow_rest("experiments/create", name=unique("exp"))["experiment_id"]
        run_id = mlflow_rest("runs/create", experiment_id=experiment_id, start_time=now_ms())["run"]["info"]["run_id"]
        mlflow_rest("runs/log-batch", run_id=run_id, metrics=[{"key": "loss", "value": 0.5, "timestamp": 1, "step": 0}],
                    params=[{"key": "lr", "value": "0.1"}])
        mlflow_rest("runs/update", run_id=run_id, status="FINISHED", end_time=now_ms())

        def mine(event):
            return data(event).get("runId") == run_id or (
                event.type == "ExperimentCreated" and data(event)["experimentId"] == experiment_id
            )

        summary = [event for event in summaries.read_until(lambda e: mine(e) and e.type == "RunStatusChanged")
                   if mine(event)]
        assert [event.type for event in summary] == [
            "ExperimentCreated", "RunCreated", "RunDataLoggedSummary", "RunStatusChanged"]
        logged = batches.read_until(mine, seconds=10)[-1]
    assert logged.type == "RunDataLogged" and logged.topic == "tracking.run-data.events.v1"
    assert [(m["key"], m["value"]) for m in data(logged)["metrics"]] == [("loss", 0.5)]
    assert data(logged)["params"] == [{"key": "lr", "value": "0.1"}]
    latest = data(summary[2])
    assert latest["metricCount"] == 1 and [(m["key"], m["value"]) for m in latest["latestMetrics"]] == [("loss", 0.5)]


def test_a_subscriber_that_stops_reading_holds_up_no_other(channel, mlflow_rest):
    name, tags = unique("stalled"), 200
    types = ["RegisteredModelTagSet"]
    mine, last = named(name), named(name, key=f"k{tags - 1}")
    with Subscription(channel, from_latest=True, types=types) as stalled, \
            Subscription(channel, from_latest=True, types=types) as reader:
        reader.listen()
        time.sleep(SETTLE_SECONDS)
        mlflow_rest("registered-models/create", name=name)
        # Well past what HTTP/2's flow-control windows buffer for a stream nobody reads.
        for i in range(tags):
            mlflow_rest("registered-models/set-tag", name=name, key=f"k{i}", value="x" * 2000)
        read = [data(event)["key"] for event in reader.read_until(last, seconds=60) if mine(event)]
        assert read == [f"k{i}" for i in range(tags)]
        # Held up, not dropped: once it reads again it gets every event.
        late = [data(event)["key"] for event in stalled.read_until(last, seconds=60) if mine(event)]
        assert late == read


def position(cursor):
    return base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode().rstrip("=")


@pytest.mark.parametrize("after", ["not-a-position", position({"elsewhere": "1"}), position(["tracking"])])
def test_a_position_subscribe_did_not_give_is_invalid(channel, after):
    with Subscription(channel, timeout=30, after=after) as refused:
        with pytest.raises(grpc.RpcError) as caught:
            refused.next_event(20)
    assert_mlflow_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PARAMETER_VALUE", "'after'")
