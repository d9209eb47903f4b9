"""A model logged with a flavor (pyfunc with a PythonModel) and loaded back.

In MLflow 3 a model's files live under the logged model's own artifact location,
mlflow-artifacts:/<exp>/models/<model_id>/artifacts, not under the run's. The
client reaches them through the same artifact proxy, by models:/<model_id>,
by runs:/<run_id>/<name> (resolved with logged-models/search) and by the
mlflow-artifacts URI itself.

mlflow.pyfunc imports numpy and pandas, which requirements.txt pins for this file.
"""

import hashlib
import os
from pathlib import Path

import mlflow
import mlflow.pyfunc  # needs numpy and pandas
import requests
from mlflow.entities import LoggedModelStatus

MODEL_FILES = {"MLmodel", "python_model.pkl", "requirements.txt", "python_env.yaml", "conda.yaml"}


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_add_model(n):
    # Defined in a function so cloudpickle stores the class by value: the model
    # loads in any process, without importing this test module.
    class AddN(mlflow.pyfunc.PythonModel):
        def __init__(self, n):
            self.n = n

        def predict(self, context, model_input: list[int], params=None) -> list[int]:
            return [x + self.n for x in model_input]

    return AddN(n)


def make_vocab_model():
    class Vocab(mlflow.pyfunc.PythonModel):
        def load_context(self, context):
            with open(context.artifacts["vocab"], encoding="utf-8") as f:
                self.words = f.read().split("\n")
            blob_dir = context.artifacts["blobs"]
            with open(os.path.join(blob_dir, "nested", "w.bin"), "rb") as f:
                self.size = len(f.read())

        def predict(self, context, model_input: list[int], params=None) -> list[str]:
            return [f"{self.words[i]}:{self.size}" for i in model_input]

    return Vocab()


def artifacts_path(location):
    """mlflow-artifacts:/<p> -> <p> (the proxy path relative to the artifact root)."""
    assert location.startswith("mlflow-artifacts:/"), location
    return location[len("mlflow-artifacts:") :].lstrip("/")


def test_pyfunc_log_and_load_model(client, url, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.pyfunc.log_model(name="adder", python_model=make_add_model(1))
    rid = run.info.run_id
    exp = client.get_experiment(experiment_id)

    assert info.model_id.startswith("m-")
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.run_id == rid

    lm = client.get_logged_model(info.model_id)
    expected_location = f"{exp.artifact_location}/models/{info.model_id}/artifacts"
    assert lm.artifact_location == expected_location
    assert lm.artifact_location.startswith("mlflow-artifacts:/")
    assert lm.status == LoggedModelStatus.READY
    assert lm.source_run_id == rid
    assert lm.name == "adder"

    # The files landed under the logged model's location ...
    names = {f.path for f in client.list_logged_model_artifacts(info.model_id)}
    assert MODEL_FILES <= names, names
    # ... and are served at the matching proxy path.
    base = f"{url}/api/2.0/mlflow-artifacts/artifacts/{artifacts_path(lm.artifact_location)}"
    r = requests.get(f"{base}/MLmodel", timeout=30)
    assert r.status_code == 200, r.text
    assert "python_function" in r.text
    assert info.model_id in r.text  # MLmodel records model_id
    listing = requests.get(
        f"{url}/api/2.0/mlflow-artifacts/artifacts",
        params={"path": artifacts_path(lm.artifact_location)},
        timeout=30,
    ).json()
    assert MODEL_FILES <= {f["path"] for f in listing["files"]}
    # Nothing was written under the run's own artifact root.
    run_root = artifacts_path(client.get_run(rid).info.artifact_uri)
    r = requests.get(
        f"{url}/api/2.0/mlflow-artifacts/artifacts", params={"path": run_root}, timeout=30
    )
    assert r.status_code == 200 and r.json().get("files", []) == []

    for uri in (
        info.model_uri,
        f"models:/{info.model_id}",
        f"runs:/{rid}/adder",
        lm.artifact_location,
    ):
        model = mlflow.pyfunc.load_model(uri)
        assert list(model.predict([1, 2, 3])) == [2, 3, 4], uri
        assert model.metadata.model_id == info.model_id


def test_pyfunc_model_with_artifacts_roundtrip(client, experiment_id, tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("zero\none\ntwo\nthrëe", encoding="utf-8")
    blobs = tmp_path / "blobs"
    (blobs / "nested").mkdir(parents=True)
    blob = os.urandom(200_000)
    (blobs / "nested" / "w.bin").write_bytes(blob)
    (blobs / "a b.txt").write_text("spaced")

    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.pyfunc.log_model(
            name="vocab",
            python_model=make_vocab_model(),
            artifacts={"vocab": str(vocab), "blobs": str(blobs)},
            input_example=[1, 2],
        )

    names = {f.path for f in client.list_logged_model_artifacts(info.model_id)}
    assert MODEL_FILES <= names and "artifacts" in names, names
    assert "input_example.json" in names
    sub = {f.path for f in client.list_logged_model_artifacts(info.model_id, "artifacts")}
    assert {"artifacts/vocab.txt", "artifacts/blobs"} <= sub, sub

    model = mlflow.pyfunc.load_model(info.model_uri)
    assert list(model.predict([3, 0])) == [f"thrëe:{len(blob)}", f"zero:{len(blob)}"]
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/vocab")
    assert list(model.predict([1])) == [f"one:{len(blob)}"]

    # Every byte of the bundled artifacts comes back unchanged.
    local = mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri)
    assert sha256_file(os.path.join(local, "artifacts", "vocab.txt")) == sha256_file(vocab)
    assert (
        sha256_file(os.path.join(local, "artifacts", "blobs", "nested", "w.bin"))
        == hashlib.sha256(blob).hexdigest()
    )
    assert Path(local, "artifacts", "blobs", "a b.txt").read_text() == "spaced"


def test_two_models_in_one_run(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        one = mlflow.pyfunc.log_model(name="one", python_model=make_add_model(1))
        ten = mlflow.pyfunc.log_model(name="ten", python_model=make_add_model(10))
    assert one.model_id != ten.model_id
    rid = run.info.run_id
    assert list(mlflow.pyfunc.load_model(f"runs:/{rid}/one").predict([0])) == [1]
    assert list(mlflow.pyfunc.load_model(f"runs:/{rid}/ten").predict([0])) == [10]
    assert list(mlflow.pyfunc.load_model(ten.model_uri).predict([5])) == [15]
