"""The rest of MLflow's tracking surface (issue 10): the endpoints its web UI calls, and behaviour that
must equal MLflow's (validation messages, chart sampling, dataset filters, relative artifact locations)."""

import posixpath

import pytest
import requests
from mlflow.entities import Dataset, DatasetInput, InputTag

TIMEOUT = 30
HELP = "See the API docs for more information about request parameters."


@pytest.fixture
def ajax(url):
    return f"{url}/ajax-api/2.0/mlflow"


@pytest.fixture
def run_id(client, experiment_id):
    return client.create_run(experiment_id).info.run_id


def message_of(resp, status=400, code="INVALID_PARAMETER_VALUE"):
    assert resp.status_code == status, resp.text
    assert resp.json()["error_code"] == code
    return resp.json()["message"]


def post_raw(api, path, body):
    return requests.post(
        f"{api}/{path}", data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )


def log_steps(client, run_id, key, steps):
    from mlflow.entities import Metric

    client.log_batch(run_id, metrics=[Metric(key, float(s), 1000 + s, s) for s in steps])


# Validation messages: the field MLflow checks first, values as Python's json.dumps prints them.
@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("experiments/create", '{"name": 123}', "Invalid value 123 for parameter 'name' supplied:  Hint: Value was of type 'int'."),
        ("experiments/create", "{}", f"Missing value for required parameter 'name'. {HELP}"),
        (
            "experiments/create",
            '{"name": "x", "artifact_location": 9.0, "tags": [{"key": "k", "value": "v"}]}',
            "Invalid value 9.0 for parameter 'artifact_location' supplied:  Hint: Value was of type 'float'.",
        ),
        (
            "experiments/create",
            '{"name": "x", "artifact_location": "loc", "tags": "5"}',
            "Invalid value \"5\" for parameter 'tags' supplied:  Hint: Value was of type 'str'.",
        ),
        ("experiments/create", '{"name": "x", "artifact_location": 1e16}', "Invalid value 1e+16 for parameter 'artifact_location'"),
        (
            "experiments/create",
            '{"name": [1.5, {"b": 1, "a": "\u00e9"}]}',
            "Invalid value [1.5,{\"a\":\"\\u00e9\",\"b\":1}] for parameter 'name' supplied:  Hint: Value was of type 'list'.",
        ),
        ("runs/log-metric", '{"run_id": 31, "key": "m", "value": 41, "timestamp": 59, "step": 26}', "Invalid value 31 for parameter 'run_id' supplied"),
        ("runs/log-metric", '{"key": "foo", "value": 3, "timestamp": "x"}', "Missing value for required parameter 'run_id'."),
        ("runs/log-metric", '{"run_id": null, "key": "foo", "value": 31, "timestamp": 59}', "Missing value for required parameter 'run_id'."),
        ("runs/log-parameter", '{"run_id": 31, "key": "param", "value": 41}', "Invalid value 31 for parameter 'run_id' supplied"),
        ("runs/set-tag", '{"run_id": 31, "key": "tag", "value": 41}', "Invalid value 31 for parameter 'run_id' supplied"),
        ("runs/log-batch", '{"run_id": 31}', "Invalid value 31 for parameter 'run_id' supplied:  Hint: Value was of type 'int'."),
    ],
)
def test_validation_messages_without_a_run(api, path, body, expected):
    assert expected in message_of(post_raw(api, path, body))


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("runs/log-metric", '{"run_id": "RUN", "key": 31, "value": 41, "timestamp": 59}', "Invalid value 31 for parameter 'key' supplied"),
        ("runs/log-metric", '{"run_id": "RUN", "key": "k", "value": 1, "timestamp": 59, "step": "foo"}', "Invalid value \"foo\" for parameter 'step' supplied"),
        ("runs/log-metric", '{"run_id": "RUN", "key": "k", "value": "abc", "timestamp": 59}', "Invalid value \"abc\" for parameter 'value' supplied:  Hint: Value was of type 'str'."),
        ("runs/log-metric", '{"run_id": "RUN", "key": "k", "timestamp": 59}', "Missing value for required parameter 'value'."),
        ("runs/log-parameter", '{"run_id": "RUN", "key": "k", "value": 9.0}', "Invalid value 9.0 for parameter 'value' supplied:  Hint: Value was of type 'float'."),
        ("runs/set-tag", '{"run_id": "RUN", "key": "t", "value": true}', "Invalid value true for parameter 'value' supplied:  Hint: Value was of type 'bool'."),
        ("runs/set-tag", '{"run_id": "RUN", "value": "v"}', "Missing value for required parameter 'key'."),
        ("runs/log-batch", '{"run_id": "RUN", "params": "foo"}', "Invalid value \"foo\" for parameter 'params' supplied"),
        ("runs/log-batch", '{"run_id": "RUN", "metrics": [{"key": "m", "value": 1}]}', "Missing value for required parameter 'metrics[0].timestamp'."),
    ],
)
def test_validation_messages_for_a_run(api, run_id, path, body, expected):
    assert expected in message_of(post_raw(api, path, body.replace("RUN", run_id)))


# Metric histories for the UI's charts.
def test_bulk_interval_samples_as_mlflow(ajax, client, run_id):
    log_steps(client, run_id, "ten", range(10))

    def sampled(**params):
        return requests.get(
            f"{ajax}/metrics/get-history-bulk-interval",
            params={"run_ids": run_id, "metric_key": "ten", **params},
            timeout=TIMEOUT,
        )

    assert [m["step"] for m in sampled(max_results=5).json()["metrics"]] == [0, 2, 4, 6, 9]
    assert [m["step"] for m in sampled(max_results=1).json()["metrics"]] == [9]
    assert [m["step"] for m in sampled(start_step=3, end_step=5).json()["metrics"]] == [3, 4, 5]
    assert message_of(sampled(max_results=0)) == f"max_results must be between 1 and 2500. {HELP}"
    assert (
        message_of(sampled(start_step=5, end_step=2))
        == "end_step must be greater than start_step. Found start_step=5 and end_step=2."
    )
    assert (
        message_of(sampled(start_step=5))
        == "If either start step or end step are specified, both must be specified."
    )


def test_bulk_history_for_the_ui(url, ajax, client, experiment_id):
    runs = sorted(client.create_run(experiment_id).info.run_id for _ in range(2))
    for run in runs:
        log_steps(client, run, "bulk", [2, 0, 1])

    def bulk(params):
        return requests.get(f"{ajax}/metrics/get-history-bulk", params=params, timeout=TIMEOUT)

    metrics = bulk({"run_id": runs[::-1], "metric_key": "bulk"}).json()["metrics"]
    assert [(m["run_id"], m["step"]) for m in metrics] == [(r, s) for r in runs for s in (0, 1, 2)]
    assert metrics[0] == {"key": "bulk", "value": 0.0, "timestamp": 1000, "step": 0, "run_id": runs[0]}
    assert len(bulk({"run_id": runs, "metric_key": "bulk", "max_results": 4}).json()["metrics"]) == 4
    assert message_of(bulk({"metric_key": "bulk"})) == "GetMetricHistoryBulk request must specify at least one run_id."
    assert message_of(bulk({"run_id": runs[0]})) == "GetMetricHistoryBulk request must specify a metric_key."
    assert bulk({"run_id": "0" * 32, "metric_key": "bulk"}).json() == {"metrics": []}
    rest = requests.get(
        f"{url}/api/2.0/mlflow/metrics/get-history-bulk",
        params={"run_id": runs[0], "metric_key": "bulk"},
        timeout=TIMEOUT,
    )
    assert rest.status_code == 404


def test_history_with_max_results_above_25000_answers_every_point(api, client, run_id):
    log_steps(client, run_id, "long", range(30))
    resp = requests.get(
        f"{api}/metrics/get-history",
        params={"run_id": run_id, "metric_key": "long", "max_results": 30000},
        timeout=TIMEOUT,
    )
    assert resp.status_code == 200
    assert [m["step"] for m in resp.json()["metrics"]] == list(range(30))
    assert "next_page_token" not in resp.json()


# Datasets.
def test_search_datasets(ajax, client, experiment_id, run_id):
    datasets = [
        DatasetInput(
            Dataset(name="train", digest="d1", source_type="local", source="/data/train"),
            tags=[InputTag("mlflow.data.context", "training")],
        ),
        DatasetInput(Dataset(name="raw", digest="d2", source_type="local", source="/data/raw")),
    ]
    client.log_inputs(run_id, datasets)
    resp = requests.post(
        f"{ajax}/experiments/search-datasets", json={"experiment_ids": [experiment_id]}, timeout=TIMEOUT
    )
    assert resp.status_code == 200
    summaries = sorted(resp.json()["dataset_summaries"], key=lambda s: s["name"])
    assert summaries == [
        {"experiment_id": experiment_id, "name": "raw", "digest": "d2"},
        {"experiment_id": experiment_id, "name": "train", "digest": "d1", "context": "training"},
    ]
    for body in ({}, {"experiment_ids": []}):
        resp = requests.post(f"{ajax}/experiments/search-datasets", json=body, timeout=TIMEOUT)
        assert message_of(resp) == "SearchDatasets request must specify at least one experiment_id."
    resp = requests.post(
        f"{ajax}/experiments/search-datasets",
        json={"experiment_ids": [str(i) for i in range(21)]},
        timeout=TIMEOUT,
    )
    assert message_of(resp) == (
        "SearchDatasets request cannot specify more than 20 experiment_ids. Received 21 experiment_ids."
    )


# Artifacts the UI reads and writes.
def test_upload_artifact_then_get_artifact(url, ajax, run_id):
    def upload(params, data=None):
        return requests.post(f"{ajax}/upload-artifact", params=params, data=data, timeout=TIMEOUT)

    assert upload({"run_uuid": run_id, "path": "notes/hello.txt"}, b"hello world").status_code == 200
    resp = requests.get(f"{url}/get-artifact", params={"run_uuid": run_id, "path": "notes/hello.txt"}, timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.text == "hello world"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    resp = requests.get(f"{url}/get-artifact", params={"run_id": run_id, "path": "notes/hello.txt"}, timeout=TIMEOUT)
    assert resp.text == "hello world"

    assert message_of(upload({})) == "Request must specify run_uuid."
    assert message_of(upload({"run_uuid": run_id})) == "Request must specify path."
    assert message_of(upload({"run_uuid": run_id, "path": ""})) == "Request must specify path."
    assert message_of(upload({"run_uuid": run_id, "path": "../x.txt"}, b"x")) == "Invalid path"
    assert message_of(upload({"run_uuid": run_id, "path": "x.txt"})) == "Request must specify data."
    assert "not found" in message_of(
        upload({"run_uuid": "0" * 32, "path": "x.txt"}, b"x"), 404, "RESOURCE_DOES_NOT_EXIST"
    )


def test_logged_model_artifact_files_and_directories(url, ajax, client, experiment_id):
    model = client.create_logged_model(experiment_id, name="with-files")
    root = model.artifact_location
    assert root.startswith("mlflow-artifacts:/")
    put = requests.put(
        f"{url}/api/2.0/mlflow-artifacts/artifacts/{root[len('mlflow-artifacts:/'):].lstrip('/')}/sub/MLmodel",
        data=b"flavors: {}\n",
        timeout=TIMEOUT,
    )
    assert put.status_code == 200, put.text

    files = f"{ajax}/logged-models/{model.model_id}/artifacts/files"
    resp = requests.get(files, params={"artifact_file_path": "sub/MLmodel"}, timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.content == b"flavors: {}\n"
    resp = requests.get(files, timeout=TIMEOUT)
    assert message_of(resp, 400, "BAD_REQUEST") == 'Request must include the "artifact_file_path" query parameter.'
    resp = requests.get(files, params={"artifact_file_path": "../x"}, timeout=TIMEOUT)
    assert message_of(resp) == "Invalid path"

    for prefix in (f"{url}/api/2.0/mlflow", ajax):
        directories = f"{prefix}/logged-models/{model.model_id}/artifacts/directories"
        top = requests.get(directories, timeout=TIMEOUT).json()
        assert top["root_uri"] == root
        assert top["files"] == [{"path": "sub", "is_dir": True}]
        sub = requests.get(directories, params={"artifact_directory_path": "sub"}, timeout=TIMEOUT).json()
        assert sub["files"] == [{"path": "sub/MLmodel", "is_dir": False, "file_size": 12}]
    resp = requests.get(f"{ajax}/logged-models/m-{'0' * 32}/artifacts/directories", timeout=TIMEOUT)
    assert message_of(resp, 404, "RESOURCE_DOES_NOT_EXIST") == f"Logged model with ID 'm-{'0' * 32}' not found."


def test_relative_artifact_location_is_made_absolute_on_the_server(client, unique):
    experiment = client.get_experiment(client.create_experiment(unique("rel"), artifact_location="my_location"))
    assert posixpath.isabs(experiment.artifact_location)
    assert experiment.artifact_location.endswith("/my_location")


def test_server_info(url):
    resp = requests.get(f"{url}/api/3.0/mlflow/server-info", timeout=TIMEOUT)
    assert resp.status_code == 200
    assert isinstance(resp.json().get("store_type"), str)
