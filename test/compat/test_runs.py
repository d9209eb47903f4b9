"""Runs: fluent and client logging, lifecycle, params/metrics/tags round-trips."""

import math
import sys

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunStatus, RunTag

from compat_utils import now_ms, raises_mlflow, tags_without_system


def test_start_run_context_manager_logs_everything(client, unique):
    exp = mlflow.set_experiment(unique("ctx"))
    before = now_ms()
    with mlflow.start_run(run_name="my-run") as run:
        run_id = run.info.run_id
        assert run.info.status == "RUNNING"
        assert run.info.experiment_id == exp.experiment_id
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"optimizer": "adam", "epochs": 10, "empty": ""})
        mlflow.log_metric("loss", 0.5)
        mlflow.log_metrics({"acc": 0.75, "f1": 1})
        mlflow.set_tag("owner", "alice")
        mlflow.set_tags({"team": "ml", "priority": 3})
        running = client.get_run(run_id)
        assert running.info.status == "RUNNING"
        assert running.info.end_time is None
    after = now_ms()

    got = client.get_run(run_id)
    assert got.info.run_id == run_id
    assert got.info.experiment_id == exp.experiment_id
    assert got.info.status == "FINISHED"
    assert got.info.lifecycle_stage == "active"
    assert got.info.run_name == "my-run"
    assert before <= got.info.start_time <= got.info.end_time <= after
    assert got.info.artifact_uri == f"{exp.artifact_location}/{run_id}/artifacts"
    # Params are strings, exactly as str() of the logged value.
    assert got.data.params == {"lr": "0.01", "optimizer": "adam", "epochs": "10", "empty": ""}
    assert got.data.metrics == {"loss": 0.5, "acc": 0.75, "f1": 1.0}
    assert tags_without_system(got.data.tags) == {
        "owner": "alice",
        "team": "ml",
        "priority": "3",
    }
    assert got.data.tags["mlflow.runName"] == "my-run"
    assert got.data.tags["mlflow.source.type"] == "LOCAL"
    assert got.info.user_id == got.data.tags["mlflow.user"]


def test_run_failed_when_block_raises(client, unique):
    mlflow.set_experiment(unique("fail"))
    with pytest.raises(ValueError):
        with mlflow.start_run() as run:
            mlflow.log_metric("m", 1.0)
            raise ValueError("boom")
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FAILED"
    assert got.info.end_time is not None
    assert got.info.end_time >= got.info.start_time
    assert got.data.metrics == {"m": 1.0}


def test_explicit_end_run_status(client, unique):
    mlflow.set_experiment(unique("end"))
    run = mlflow.start_run()
    mlflow.end_run(status="KILLED")
    got = client.get_run(run.info.run_id)
    assert got.info.status == "KILLED"
    assert got.info.end_time is not None


def test_client_create_run_and_set_terminated(client, experiment_id):
    start = now_ms() - 5000
    run = client.create_run(experiment_id, start_time=start, tags={"k": "v"}, run_name="cli")
    assert run.info.status == "RUNNING"
    assert run.info.start_time == start
    assert run.info.end_time is None
    assert run.info.run_name == "cli"
    assert run.data.tags == {"k": "v", "mlflow.runName": "cli"}

    client.set_terminated(run.info.run_id, status="FAILED", end_time=start + 1234)
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FAILED"
    assert got.info.end_time == start + 1234
    assert got.info.start_time == start


def test_generated_run_name_matches_tag(client, experiment_id):
    run = client.create_run(experiment_id)
    assert run.info.run_name  # the server picks a random name
    got = client.get_run(run.info.run_id)
    assert got.info.run_name == run.info.run_name
    assert got.data.tags["mlflow.runName"] == run.info.run_name


def test_run_ids_are_unique_hex(client, experiment_id):
    ids = {client.create_run(experiment_id).info.run_id for _ in range(3)}
    assert len(ids) == 3
    for rid in ids:
        assert rid and rid == rid.strip()


def test_rename_run(client, experiment_id):
    run_id = client.create_run(experiment_id, run_name="before").info.run_id
    client.update_run(run_id, name="after")
    got = client.get_run(run_id)
    assert got.info.run_name == "after"
    assert got.data.tags["mlflow.runName"] == "after"
    # Setting the mlflow.runName tag renames the run as well.
    client.set_tag(run_id, "mlflow.runName", "by-tag")
    got = client.get_run(run_id)
    assert got.info.run_name == "by-tag"
    assert got.data.tags["mlflow.runName"] == "by-tag"


def test_nested_runs_get_parent_tag(client, unique):
    exp = mlflow.set_experiment(unique("nested"))
    with mlflow.start_run(run_name="parent") as parent:
        with mlflow.start_run(run_name="child", nested=True) as child:
            assert mlflow.active_run().info.run_id == child.info.run_id
        assert mlflow.active_run().info.run_id == parent.info.run_id
    got_child = client.get_run(child.info.run_id)
    assert got_child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert got_child.info.status == "FINISHED"
    assert "mlflow.parentRunId" not in client.get_run(parent.info.run_id).data.tags
    # Children can be found through the dotted tag key.
    found = client.search_runs(
        [exp.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert [r.info.run_id for r in found] == [child.info.run_id]


def test_delete_tag(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_tag(run_id, "a", "1")
    client.set_tag(run_id, "b", "2")
    client.set_tag(run_id, "a", "one")  # tags are upserts
    assert tags_without_system(client.get_run(run_id).data.tags) == {"a": "one", "b": "2"}
    client.delete_tag(run_id, "a")
    assert tags_without_system(client.get_run(run_id).data.tags) == {"b": "2"}
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_tag(run_id, "a")


def test_fluent_delete_tag(client, unique):
    mlflow.set_experiment(unique("fdeltag"))
    with mlflow.start_run() as run:
        mlflow.set_tag("x", "1")
        mlflow.delete_tag("x")
    assert "x" not in client.get_run(run.info.run_id).data.tags


def test_log_batch(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_batch(
        run_id,
        metrics=[
            Metric("loss", 1.0, ts, 0),
            Metric("loss", 0.5, ts + 1, 1),
            Metric("loss", 0.25, ts + 2, 2),
            Metric("acc", 0.9, ts, 7),
        ],
        params=[Param("p1", "a"), Param("p2", "b")],
        tags=[RunTag("t1", "x"), RunTag("t2", "y")],
    )
    got = client.get_run(run_id)
    assert got.data.metrics == {"loss": 0.25, "acc": 0.9}
    assert got.data.params == {"p1": "a", "p2": "b"}
    assert tags_without_system(got.data.tags) == {"t1": "x", "t2": "y"}
    hist = client.get_metric_history(run_id, "loss")
    assert [(m.value, m.step, m.timestamp) for m in hist] == [
        (1.0, 0, ts),
        (0.5, 1, ts + 1),
        (0.25, 2, ts + 2),
    ]
    assert all(m.key == "loss" for m in hist)
    acc = client.get_metric_history(run_id, "acc")
    assert [(m.value, m.step, m.timestamp) for m in acc] == [(0.9, 7, ts)]


def test_log_batch_duplicate_param_keys_rejected(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_batch(run_id, params=[Param("d", "1"), Param("d", "2")])


def test_log_batch_larger_than_server_limits_is_split_by_client(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    base = 1_700_000_000_000
    metrics = [Metric("series", float(i), base + i, i) for i in range(2500)]
    params = [Param(f"p{i:03d}", str(i)) for i in range(250)]
    tags = [RunTag(f"t{i:03d}", str(i)) for i in range(150)]
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)

    got = client.get_run(run_id)
    assert got.data.metrics == {"series": 2499.0}
    assert got.data.params == {f"p{i:03d}": str(i) for i in range(250)}
    assert tags_without_system(got.data.tags) == {f"t{i:03d}": str(i) for i in range(150)}
    hist = client.get_metric_history(run_id, "series")
    assert [(m.value, m.step, m.timestamp) for m in hist] == [
        (float(i), i, base + i) for i in range(2500)
    ]


def test_log_many_distinct_metric_keys(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_batch(run_id, metrics=[Metric(f"k{i}", i / 2, ts, 0) for i in range(1200)])
    assert client.get_run(run_id).data.metrics == {f"k{i}": i / 2 for i in range(1200)}


def test_metric_history_values_steps_timestamps(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    points = [(0.1, 0, 1000), (0.2, 1, 2000), (0.3, 2, 3000), (-4.5, 3, 4000)]
    for value, step, ts in points:
        client.log_metric(run_id, "m", value, timestamp=ts, step=step)
    hist = client.get_metric_history(run_id, "m")
    assert [(m.key, m.value, m.step, m.timestamp) for m in hist] == [
        ("m", v, s, t) for v, s, t in points
    ]
    assert client.get_metric_history(run_id, "never-logged") == []


def test_metric_history_is_ordered_by_timestamp_then_step(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "h", 5.0, timestamp=3000, step=2)
    client.log_metric(run_id, "h", 1.0, timestamp=1000, step=5)
    client.log_metric(run_id, "h", 7.0, timestamp=2000, step=5)
    client.log_metric(run_id, "h", 9.0, timestamp=4000, step=1)
    client.log_metric(run_id, "h", 8.0, timestamp=4000, step=0)
    hist = client.get_metric_history(run_id, "h")
    assert [(m.value, m.step, m.timestamp) for m in hist] == [
        (1.0, 5, 1000),
        (7.0, 5, 2000),
        (5.0, 2, 3000),
        (8.0, 0, 4000),
        (9.0, 1, 4000),
    ]


def test_latest_metric_is_max_step_then_timestamp(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "x", 50.0, timestamp=1000, step=5)
    client.log_metric(run_id, "x", 10.0, timestamp=9000, step=1)  # later, but lower step
    client.log_metric(run_id, "y", 1.0, timestamp=1000, step=3)
    client.log_metric(run_id, "y", 2.0, timestamp=2000, step=3)  # same step, later timestamp
    client.log_metric(run_id, "y", 3.0, timestamp=500, step=3)
    got = client.get_run(run_id)
    assert got.data.metrics == {"x": 50.0, "y": 2.0}


def test_metric_default_step_is_zero(client, unique):
    mlflow.set_experiment(unique("step0"))
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 3.0)
    (point,) = client.get_metric_history(run.info.run_id, "m")
    assert point.step == 0
    assert point.value == 3.0
    assert point.timestamp > 0


def test_identical_metric_points_are_stored_once(client, experiment_id):
    # Same key, value, timestamp and step twice: MLflow keeps one history entry.
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "d", 1.0, timestamp=5, step=0)
    client.log_metric(run_id, "d", 1.0, timestamp=5, step=0)
    client.log_metric(run_id, "d", 2.0, timestamp=5, step=0)
    hist = client.get_metric_history(run_id, "d")
    assert sorted((m.value, m.timestamp, m.step) for m in hist) == [(1.0, 5, 0), (2.0, 5, 0)]


def _is_pos_inf(v):
    # MLflow's SQL store clamps +/-inf to +/-DBL_MAX; an exact +inf is also fine.
    return v == math.inf or v == sys.float_info.max


def _is_neg_inf(v):
    return v == -math.inf or v == -sys.float_info.max


def test_metric_nan_and_infinities(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "nan", float("nan"), timestamp=1, step=0)
    client.log_metric(run_id, "pinf", float("inf"), timestamp=1, step=0)
    client.log_metric(run_id, "ninf", float("-inf"), timestamp=1, step=0)
    client.log_metric(run_id, "max", sys.float_info.max, timestamp=1, step=0)
    client.log_metric(run_id, "tiny", 5e-324, timestamp=1, step=0)
    client.log_metric(run_id, "series", 1.0, timestamp=1, step=0)
    client.log_metric(run_id, "series", float("nan"), timestamp=2, step=1)
    client.log_metric(run_id, "series", float("inf"), timestamp=3, step=2)
    client.log_metric(run_id, "series", float("-inf"), timestamp=4, step=3)

    m = client.get_run(run_id).data.metrics
    assert math.isnan(m["nan"])
    assert _is_pos_inf(m["pinf"])
    assert _is_neg_inf(m["ninf"])
    assert m["max"] == sys.float_info.max
    assert m["tiny"] == 5e-324
    assert _is_neg_inf(m["series"])  # latest = highest step

    (nan_point,) = client.get_metric_history(run_id, "nan")
    assert math.isnan(nan_point.value)
    values = [p.value for p in client.get_metric_history(run_id, "series")]
    assert len(values) == 4
    assert values[0] == 1.0
    assert math.isnan(values[1])
    assert _is_pos_inf(values[2])
    assert _is_neg_inf(values[3])


def test_float_values_round_trip_exactly(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    values = [0.1 + 0.2, 1 / 3, -2.5e-17, 123456789.123456789, 2**53 + 1.0, -0.0, 1e300]
    client.log_batch(
        run_id, metrics=[Metric("v", v, 1000 + i, i) for i, v in enumerate(values)]
    )
    assert [p.value for p in client.get_metric_history(run_id, "v")] == values


def test_param_values_are_immutable(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "p", "1")
    client.log_param(run_id, "p", "1")  # same value again: allowed
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400, match="Changing param values is not allowed"):
        client.log_param(run_id, "p", "2")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_batch(run_id, params=[Param("p", "3")])
    assert client.get_run(run_id).data.params == {"p": "1"}


def test_fluent_param_change_raises(unique):
    mlflow.set_experiment(unique("fparam"))
    with mlflow.start_run():
        mlflow.log_param("p", 1)
        with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
            mlflow.log_param("p", 2)


def test_invalid_param_key_rejected(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_param(run_id, "bad!key", "1")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_param(run_id, "../escape", "1")
    # Keys may contain these characters.
    client.log_param(run_id, "ok/key-1.2_x y:z", "1")
    assert client.get_run(run_id).data.params == {"ok/key-1.2_x y:z": "1"}


def test_delete_and_restore_run(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 1.0)
    client.delete_run(run_id)
    got = client.get_run(run_id)  # deleted runs stay readable
    assert got.info.lifecycle_stage == "deleted"
    assert got.data.metrics == {"m": 1.0}
    # A deleted run accepts no more data.
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_metric(run_id, "m", 2.0)
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.set_tag(run_id, "t", "v")

    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    client.log_metric(run_id, "m", 3.0, step=1)
    assert client.get_run(run_id).data.metrics == {"m": 3.0}


def test_logging_to_finished_run_is_allowed(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_terminated(run_id)
    client.log_metric(run_id, "late", 1.0)
    client.set_tag(run_id, "late", "yes")
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics["late"] == 1.0


def test_unknown_run_id(client):
    missing = "0123456789abcdef0123456789abcdef"
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_run(missing)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.log_metric(missing, "m", 1.0)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.log_param(missing, "p", "1")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.set_tag(missing, "t", "v")


def test_create_run_in_unknown_experiment(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.create_run("987654321012")


def test_run_status_enum_values(client, experiment_id):
    for status in ("FINISHED", "FAILED", "KILLED"):
        run_id = client.create_run(experiment_id).info.run_id
        client.set_terminated(run_id, status=status)
        assert client.get_run(run_id).info.status == status
    run_id = client.create_run(experiment_id).info.run_id
    client.update_run(run_id, status="SCHEDULED")
    assert client.get_run(run_id).info.status == RunStatus.to_string(RunStatus.SCHEDULED)
