"""MLflow 3 logged models, run outputs and run inputs (datasets and models).

Only metadata calls are exercised here; nothing uploads artifacts.
"""

import mlflow
from mlflow.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelStatus,
)

from compat_utils import now_ms, raises_mlflow, tags_without_system


def test_initialize_and_get_logged_model(client, experiment_id):
    before = now_ms()
    model = mlflow.initialize_logged_model(
        name="my-model",
        experiment_id=experiment_id,
        tags={"k": "v"},
        params={"lr": "0.1", "layers": "3"},
        model_type="agent",
    )
    assert model.model_id.startswith("m-")
    assert model.status == LoggedModelStatus.PENDING
    assert model.name == "my-model"
    assert model.experiment_id == experiment_id

    got = client.get_logged_model(model.model_id)
    assert got.model_id == model.model_id
    assert got.name == "my-model"
    assert got.experiment_id == experiment_id
    assert got.model_type == "agent"
    assert got.status == LoggedModelStatus.PENDING
    assert got.params == {"lr": "0.1", "layers": "3"}
    assert tags_without_system(got.tags) == {"k": "v"}
    assert not got.source_run_id
    assert abs(got.creation_timestamp - before) < 10 * 60 * 1000
    assert got.last_updated_timestamp >= got.creation_timestamp
    exp = client.get_experiment(experiment_id)
    assert got.artifact_location == f"{exp.artifact_location}/models/{model.model_id}/artifacts"
    assert got.model_uri == f"models:/{model.model_id}"


def test_client_create_logged_model_random_name(client, experiment_id):
    model = client.create_logged_model(experiment_id, params={"x": "1"}, model_type="clf")
    assert model.name  # the server picks a name when none is given
    got = client.get_logged_model(model.model_id)
    assert got.name == model.name
    assert got.params == {"x": "1"}
    assert got.model_type == "clf"
    assert got.status == LoggedModelStatus.PENDING


def test_finalize_logged_model(client, experiment_id):
    model = client.create_logged_model(experiment_id, name="fin")
    ready = client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    assert ready.status == LoggedModelStatus.READY
    assert client.get_logged_model(model.model_id).status == LoggedModelStatus.READY

    other = client.create_logged_model(experiment_id, name="fin-failed")
    failed = mlflow.finalize_logged_model(other.model_id, "FAILED")
    assert failed.status == LoggedModelStatus.FAILED
    assert client.get_logged_model(other.model_id).status == LoggedModelStatus.FAILED


def test_logged_model_tags(client, experiment_id):
    model = client.create_logged_model(experiment_id, name="tagged", tags={"k": "v"})
    client.set_logged_model_tags(model.model_id, {"a": "1", "k": "v2"})
    assert tags_without_system(client.get_logged_model(model.model_id).tags) == {
        "a": "1",
        "k": "v2",
    }
    client.delete_logged_model_tag(model.model_id, "a")
    assert tags_without_system(client.get_logged_model(model.model_id).tags) == {"k": "v2"}
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_logged_model_tag(model.model_id, "a")
    # The fluent spellings hit the same endpoints.
    mlflow.set_logged_model_tags(model.model_id, {"b": "2"})
    mlflow.delete_logged_model_tag(model.model_id, "k")
    assert tags_without_system(client.get_logged_model(model.model_id).tags) == {"b": "2"}


def test_log_model_params(client, experiment_id):
    model = client.create_logged_model(experiment_id, name="params", params={"a": "1"})
    client.log_model_params(model.model_id, {"b": "2", "c": "3"})
    assert client.get_logged_model(model.model_id).params == {"a": "1", "b": "2", "c": "3"}


def test_search_logged_models(client, experiment_id, unique):
    a = client.create_logged_model(experiment_id, name="alpha", tags={"k": "v"}, model_type="t1")
    b = client.create_logged_model(experiment_id, name="beta", params={"x": "1"}, model_type="t2")
    other_exp = client.create_experiment(unique("lm-other"))
    client.create_logged_model(other_exp, name="alpha")

    def search(flt=None, **kw):
        return [m.model_id for m in client.search_logged_models([experiment_id], filter_string=flt, **kw)]

    assert sorted(search()) == sorted([a.model_id, b.model_id])
    assert search("name = 'alpha'") == [a.model_id]
    assert search("name != 'alpha'") == [b.model_id]
    assert search("name LIKE 'be%'") == [b.model_id]
    assert search("tags.k = 'v'") == [a.model_id]
    assert search("params.x = '1'") == [b.model_id]
    assert search("model_type = 't2'") == [b.model_id]
    assert search("name = 'nothing'") == []
    ordered = search(order_by=[{"field_name": "name", "ascending": False}])
    assert ordered == [b.model_id, a.model_id]

    both = client.search_logged_models([experiment_id, other_exp], filter_string="name = 'alpha'")
    assert len(both) == 2

    fluent = mlflow.search_logged_models(
        experiment_ids=[experiment_id], filter_string="name = 'beta'", output_format="list"
    )
    assert [m.model_id for m in fluent] == [b.model_id]


def test_search_logged_models_paging(client, experiment_id):
    ids = [client.create_logged_model(experiment_id, name=f"m{i}").model_id for i in range(3)]
    order = [{"field_name": "name", "ascending": True}]
    page = client.search_logged_models([experiment_id], max_results=2, order_by=order)
    assert [m.model_id for m in page] == ids[:2]
    assert page.token
    page = client.search_logged_models(
        [experiment_id], max_results=2, order_by=order, page_token=page.token
    )
    assert [m.model_id for m in page] == ids[2:]
    assert not page.token


def test_delete_logged_model(client, experiment_id):
    keep = client.create_logged_model(experiment_id, name="keep")
    gone = client.create_logged_model(experiment_id, name="gone")
    client.delete_logged_model(gone.model_id)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_logged_model(gone.model_id)
    assert [m.model_id for m in client.search_logged_models([experiment_id])] == [keep.model_id]


def test_get_unknown_logged_model(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_logged_model("m-0123456789abcdef0123456789abcdef")


def test_invalid_logged_model_name(client, experiment_id):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_logged_model(experiment_id, name="bad/name")


def test_logged_model_in_active_run_and_outputs(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        model = mlflow.initialize_logged_model(name="run-model")
        # The active run becomes the source run, its experiment the model's.
        assert model.source_run_id == run.info.run_id
        assert model.experiment_id == experiment_id
        mlflow.log_outputs([LoggedModelOutput(model.model_id, 3)])
        assert mlflow.last_logged_model().model_id == model.model_id

    got = client.get_run(run.info.run_id)
    outputs = [(o.model_id, o.step) for o in got.outputs.model_outputs]
    assert outputs == [(model.model_id, 3)]
    assert client.get_logged_model(model.model_id).source_run_id == run.info.run_id

    found = client.search_logged_models(
        [experiment_id], filter_string=f"source_run_id = '{run.info.run_id}'"
    )
    assert [m.model_id for m in found] == [model.model_id]
    # Search results include outputs as well.
    (searched,) = client.search_runs([experiment_id])
    assert [(o.model_id, o.step) for o in searched.outputs.model_outputs] == outputs


def test_client_log_outputs(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    m1 = client.create_logged_model(experiment_id, name="o1", source_run_id=run_id)
    m2 = client.create_logged_model(experiment_id, name="o2", source_run_id=run_id)
    client.log_outputs(run_id, [LoggedModelOutput(m1.model_id, 0), LoggedModelOutput(m2.model_id, 7)])
    outputs = client.get_run(run_id).outputs.model_outputs
    assert sorted((o.model_id, o.step) for o in outputs) == sorted(
        [(m1.model_id, 0), (m2.model_id, 7)]
    )


def test_log_metric_with_model_id(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        model = mlflow.initialize_logged_model(name="scored")
        mlflow.log_metric("acc", 0.9, step=3, model_id=model.model_id)
    got = client.get_logged_model(model.model_id)
    assert [(m.key, m.value, m.step, m.run_id) for m in got.metrics] == [
        ("acc", 0.9, 3, run.info.run_id)
    ]
    assert client.get_run(run.info.run_id).data.metrics == {"acc": 0.9}
    (point,) = client.get_metric_history(run.info.run_id, "acc")
    assert (point.value, point.step) == (0.9, 3)
    # Logging a metric for a model records the model as a run input.
    inputs = client.get_run(run.info.run_id).inputs.model_inputs
    assert [i.model_id for i in inputs] == [model.model_id]
    found = client.search_logged_models([experiment_id], filter_string="metrics.acc > 0.5")
    assert [m.model_id for m in found] == [model.model_id]


def _dataset(name="train-ds", digest="abc123"):
    return Dataset(
        name=name,
        digest=digest,
        source_type="local",
        source='{"uri": "/data/train.csv"}',
        schema='{"mlflow_colspec": [{"type": "long", "name": "a"}]}',
        profile='{"num_rows": 10}',
    )


def test_log_inputs_dataset(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_inputs(
        run_id,
        datasets=[DatasetInput(_dataset(), tags=[InputTag("mlflow.data.context", "training")])],
    )
    (di,) = client.get_run(run_id).inputs.dataset_inputs
    assert di.dataset.name == "train-ds"
    assert di.dataset.digest == "abc123"
    assert di.dataset.source_type == "local"
    assert di.dataset.source == '{"uri": "/data/train.csv"}'
    assert di.dataset.schema == '{"mlflow_colspec": [{"type": "long", "name": "a"}]}'
    assert di.dataset.profile == '{"num_rows": 10}'
    assert [(t.key, t.value) for t in di.tags] == [("mlflow.data.context", "training")]


def test_log_inputs_several_datasets_and_models(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    model = client.create_logged_model(experiment_id, name="input-model")
    client.log_inputs(
        run_id,
        datasets=[
            DatasetInput(_dataset("ds-a", "d1"), tags=[InputTag("mlflow.data.context", "training")]),
            DatasetInput(_dataset("ds-b", "d2"), tags=[InputTag("mlflow.data.context", "eval")]),
        ],
        models=[LoggedModelInput(model.model_id)],
    )
    run = client.get_run(run_id)
    got = sorted(
        (d.dataset.name, d.dataset.digest, d.tags[0].value) for d in run.inputs.dataset_inputs
    )
    assert got == [("ds-a", "d1", "training"), ("ds-b", "d2", "eval")]
    assert [m.model_id for m in run.inputs.model_inputs] == [model.model_id]


def test_search_runs_by_dataset(client, experiment_id):
    with_ds = client.create_run(experiment_id).info.run_id
    client.create_run(experiment_id)
    client.log_inputs(
        with_ds,
        datasets=[DatasetInput(_dataset("ds-q", "q1"), tags=[InputTag("mlflow.data.context", "training")])],
    )
    for flt in (
        "datasets.name = 'ds-q'",
        "datasets.digest = 'q1'",
        "datasets.context = 'training'",
        "datasets.name IN ('ds-q', 'nope')",
    ):
        assert [r.info.run_id for r in client.search_runs([experiment_id], flt)] == [with_ds], flt
    (run,) = client.search_runs([experiment_id], "datasets.name = 'ds-q'")
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["ds-q"]
