"""Registry behaviour where issue 9 asks Logbook to do better than MLflow.

Every test here is marked `logbook_only` (module-level pytestmark): MLflow
3.17.2 fails it, on purpose, and the reason is written above each test. When
validating the suite against the reference MLflow server, deselect them:

    test/compat/run.sh http://127.0.0.1:5055 -m "not logbook_only"
"""

import threading

import mlflow
import pytest
import requests
from mlflow.entities.model_registry.model_version_status import ModelVersionStatus
from mlflow.exceptions import MlflowException

from compat_utils import raises_mlflow
from registry_utils import log_adder, new_experiment, predict, register

pytestmark = pytest.mark.logbook_only

FAILED = ModelVersionStatus.to_string(ModelVersionStatus.FAILED_REGISTRATION)


@pytest.fixture(scope="module")
def logged(client):
    return log_adder(new_experiment(client, "rmbeyond"), 1)


def _stages(client, name):
    return {v.version: v.current_stage for v in client.search_model_versions(f"name = '{name}'")}


# MLflow answers 500 INTERNAL_ERROR (an unhandled exception in its store) when
# archive_existing_versions accompanies a transition to None or Archived.
@pytest.mark.parametrize("stage", ["None", "Archived"])
def test_archive_existing_versions_to_other_stages_is_a_400(client, unique, logged, stage):
    _, info = logged
    name = unique("rmbeyond")
    register(info.model_uri, name)
    register(info.model_uri, name)
    client.transition_model_version_stage(name, "2", "Staging")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.transition_model_version_stage(name, "1", stage, archive_existing_versions=True)
    stages = {v.version: v.current_stage for v in client.search_model_versions(f"name = '{name}'")}
    assert stages == {"1": "None", "2": "Staging"}


# MLflow 3.17.2's SQL store has no model_id column on model versions, so the
# link to the logged model is lost (model_id comes back empty). The client's
# ModelVersion.from_proto never reads model_id, so the REST answers are checked.
def test_version_keeps_its_logged_model_id(client, api, unique, logged):
    run_id, info = logged
    name = unique("rmbeyond")

    def model_id(version):
        r = requests.get(
            f"{api}/model-versions/get", params={"name": name, "version": version}, timeout=30
        )
        assert r.status_code == 200, r.text
        return r.json()["model_version"].get("model_id")

    register(f"runs:/{run_id}/model", name)
    assert model_id("1") == info.model_id
    register(info.model_uri, name)
    assert model_id("2") == info.model_id
    created = requests.post(
        f"{api}/model-versions/create",
        json={"name": name, "source": info.model_uri, "model_id": info.model_id},
        timeout=30,
    )
    assert created.status_code == 200, created.text
    assert created.json()["model_version"]["model_id"] == info.model_id


# MLflow marks a version READY without looking at its source; Logbook's
# artifacts service copies the files at registration, so a source holding no
# model ends FAILED_REGISTRATION with a message, and the client's wait fails.
def test_source_without_model_files_fails_registration(client, unique, logged):
    run_id, _ = logged
    name = unique("rmbeyond")
    client.create_registered_model(name)
    with pytest.raises(MlflowException, match="FAILED_REGISTRATION"):
        client.create_model_version(name, f"runs:/{run_id}/no-such-model", run_id=run_id)
    (mv,) = client.search_model_versions(f"name = '{name}'")
    assert mv.status == FAILED
    assert mv.status_message


# MLflow accepts any s3:// source and marks it READY; Logbook refuses sources
# outside its configured artifact roots (at creation or as FAILED_REGISTRATION).
def test_source_outside_the_artifact_roots_is_refused(client, unique):
    name = unique("rmbeyond")
    client.create_registered_model(name)
    with pytest.raises(MlflowException):
        client.create_model_version(name, "s3://someone-elses-bucket/model")
    assert all(v.status == FAILED for v in client.search_model_versions(f"name = '{name}'"))


# In MLflow a version's download URI is the logged model's own folder, so
# deleting those files breaks every models:/name/... load. Logbook copies the
# files into immutable registry storage at registration.
def test_version_survives_deleting_the_source_files(client, url, unique):
    _, info = log_adder(new_experiment(client, "rmbeyond"), 7)
    name = unique("rmbeyond")
    register(info.model_uri, name)
    location = client.get_logged_model(info.model_id).artifact_location
    path = location[len("mlflow-artifacts:") :].lstrip("/")
    r = requests.delete(f"{url}/api/2.0/mlflow-artifacts/artifacts/{path}", timeout=30)
    assert r.status_code == 200, r.text
    assert predict(f"models:/{name}/1", [0]) == [7]
    download_uri = client.get_model_version_download_uri(name, "1")
    assert list(mlflow.pyfunc.load_model(download_uri).predict([1])) == [8]


# MLflow reads the versions to archive and writes the transition in separate
# steps with nothing ordering two requests on one model: two concurrent
# promotions with archive_existing_versions can both stay in Production (seen
# against 3.17.2). Logbook decides every transition of a model on its one stream.
def test_concurrent_transitions_of_one_model_leave_one_winner(client, unique, logged):
    _, info = logged
    name = unique("mvrace")
    for _ in range(4):
        register(info.model_uri, name)
    promoted = set()
    for round_versions in (("1", "2"), ("3", "4"), ("2", "3")):
        promoted.update(round_versions)
        barrier = threading.Barrier(len(round_versions))
        outcomes = {}

        def promote(version):
            barrier.wait()
            try:
                client.transition_model_version_stage(
                    name, version, "Production", archive_existing_versions=True
                )
                outcomes[version] = "ok"
            except MlflowException as e:
                outcomes[version] = e.error_code

        threads = [threading.Thread(target=promote, args=(v,)) for v in round_versions]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        # Each call either wins in turn or is refused with a clear error, never a server failure.
        failures = {v: o for v, o in outcomes.items() if o != "ok"}
        assert not set(failures.values()) & {"INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE"}, failures
        stages = _stages(client, name)
        production = [v for v, stage in stages.items() if stage == "Production"]
        # One model, one decision at a time: exactly one version is left in Production,
        # one whose transition succeeded, and every other version promoted so far is Archived.
        assert len(production) == 1, stages
        assert outcomes[production[0]] == "ok", outcomes
        others = promoted - set(production)
        assert {stages[v] for v in others} == {"Archived"}, stages
