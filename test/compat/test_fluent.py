"""Fluent-API paths not covered elsewhere: mlflow.search_runs/search_experiments
(list output, which needs no pandas) and asynchronous logging."""

import mlflow

from compat_utils import tags_without_system


def test_fluent_log_metric_steps(client, unique):
    mlflow.set_experiment(unique("fsteps"))
    with mlflow.start_run() as run:
        for step, value in enumerate([0.9, 0.7, 0.4, 0.2]):
            mlflow.log_metric("loss", value, step=step)
        mlflow.log_metrics({"a": 1.0, "b": 2.0}, step=5)
    hist = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in hist] == [(0, 0.9), (1, 0.7), (2, 0.4), (3, 0.2)]
    assert all(m.timestamp > 0 for m in hist)
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "b")] == [(5, 2.0)]
    assert client.get_run(run.info.run_id).data.metrics == {"loss": 0.2, "a": 1.0, "b": 2.0}


def test_fluent_search_runs_list_output(unique):
    name = unique("fsearch")
    exp = mlflow.set_experiment(name)
    with mlflow.start_run(run_name="one"):
        mlflow.log_metric("score", 1.0)
    with mlflow.start_run(run_name="two"):
        mlflow.log_metric("score", 2.0)

    by_id = mlflow.search_runs(
        experiment_ids=[exp.experiment_id],
        filter_string="metrics.score > 1.5",
        output_format="list",
    )
    assert [r.info.run_name for r in by_id] == ["two"]

    # experiment_names resolves names through experiments/get-by-name.
    by_name = mlflow.search_runs(
        experiment_names=[name], order_by=["metrics.score ASC"], output_format="list"
    )
    assert [r.info.run_name for r in by_name] == ["one", "two"]


def test_fluent_search_experiments(unique):
    prefix = unique("fsexp")
    mlflow.create_experiment(f"{prefix}-1", tags={"t": "x"})
    mlflow.create_experiment(f"{prefix}-2")
    found = mlflow.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name"])
    assert [e.name for e in found] == [f"{prefix}-1", f"{prefix}-2"]
    assert found[0].tags == {"t": "x"}


def test_async_logging_goes_through(client, unique):
    mlflow.set_experiment(unique("async"))
    with mlflow.start_run() as run:
        mlflow.log_param("p", "v", synchronous=False)
        for i in range(20):
            mlflow.log_metric("m", float(i), step=i, synchronous=False)
        mlflow.set_tag("t", "x", synchronous=False)
        mlflow.flush_async_logging()
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"p": "v"}
    assert got.data.metrics == {"m": 19.0}
    assert tags_without_system(got.data.tags) == {"t": "x"}
    assert [m.step for m in client.get_metric_history(run.info.run_id, "m")] == list(range(20))
