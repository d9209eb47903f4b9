"""Registered versions loaded back with mlflow.pyfunc.load_model through every
models:/ form, and get_model_version_download_uri.
"""

import os

import mlflow
import pytest
import requests

from registry_utils import log_adder, new_experiment, predict, register


@pytest.fixture(scope="module")
def registered(client):
    """A model with v1 (adds 1, Staging, alias 'champion') and v2 (adds 10, Production)."""
    experiment = new_experiment(client, "mvuri")
    run_one, one = log_adder(experiment, 1)
    _, ten = log_adder(experiment, 10)
    name = f"compat-mvuri-{os.urandom(6).hex()}"
    register(f"runs:/{run_one}/model", name)
    register(ten.model_uri, name)
    client.transition_model_version_stage(name, "1", "Staging")
    client.transition_model_version_stage(name, "2", "Production")
    client.set_registered_model_alias(name, "champion", "1")
    return name, one, ten


def test_load_by_version(registered):
    name, *_ = registered
    assert predict(f"models:/{name}/1", [1, 2]) == [2, 3]
    assert predict(f"models:/{name}/2", [1, 2]) == [11, 12]


def test_load_by_alias(client, registered):
    name, *_ = registered
    assert predict(f"models:/{name}@champion", [0]) == [1]
    client.set_registered_model_alias(name, "rolling", "1")
    assert predict(f"models:/{name}@rolling", [0]) == [1]
    client.set_registered_model_alias(name, "rolling", "2")
    assert predict(f"models:/{name}@rolling", [0]) == [10]


def test_load_by_stage_and_latest(registered):
    name, *_ = registered
    assert predict(f"models:/{name}/Staging", [0]) == [1]
    assert predict(f"models:/{name}/Production", [0]) == [10]
    assert predict(f"models:/{name}/latest", [0]) == [10]


def test_load_by_model_id(registered):
    _, one, ten = registered
    assert predict(f"models:/{one.model_id}", [0]) == [1]
    assert predict(f"models:/{ten.model_id}", [0]) == [10]


def test_loaded_metadata_names_the_logged_model(registered):
    name, one, ten = registered
    assert mlflow.pyfunc.load_model(f"models:/{name}/1").metadata.model_id == one.model_id
    assert mlflow.pyfunc.load_model(f"models:/{name}/Production").metadata.model_id == ten.model_id


def test_download_uri_serves_the_model(client, url, registered, tmp_path):
    name, *_ = registered
    for version, expected in (("1", [1]), ("2", [10])):
        uri = client.get_model_version_download_uri(name, version)
        assert uri.startswith("mlflow-artifacts:/"), uri
        assert predict(uri, [0]) == expected
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=str(tmp_path / version)
        )
        assert {"MLmodel", "python_model.pkl"} <= set(os.listdir(local))
        # The proxy serves the same files over plain HTTP.
        path = uri[len("mlflow-artifacts:") :].lstrip("/")
        r = requests.get(f"{url}/api/2.0/mlflow-artifacts/artifacts/{path}/MLmodel", timeout=30)
        assert r.status_code == 200 and "python_function" in r.text


def test_download_artifacts_by_registry_uri(registered, tmp_path):
    name, *_ = registered
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{name}@champion", dst_path=str(tmp_path)
    )
    assert "MLmodel" in os.listdir(local)


def test_registered_version_survives_deleting_its_run(client, unique):
    experiment = new_experiment(client, "mvuri-del")
    run_id, info = log_adder(experiment, 3)
    name = unique("mvuri-del")
    register(info.model_uri, name)
    client.delete_run(run_id)
    assert predict(f"models:/{name}/1", [0]) == [3]
    assert client.get_model_version(name, "1").run_id == run_id
