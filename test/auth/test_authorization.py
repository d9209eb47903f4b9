"""Authorization through the official client (issue 11): what a signed-in user may read and change in
the tracking store, the artifact store and the model registry, with permissions granted through
AuthServiceClient.

Both suites' servers give every user READ on what others made (MLflow's `default_permission = READ`,
Logbook's LOGBOOK_DEFAULT_PERMISSION, READ by default), the creator of an experiment or a registered
model MANAGE on it, and an admin everything. A refusal reaches the client as an MlflowException with
error_code PERMISSION_DENIED (HTTP 403); an artifact upload, which the client makes with `requests`,
as a requests HTTPError whose response is a 403."""

import uuid

import pytest
import requests
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException

from conftest import PASSWORD, http, signed_in_as


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def denied(call):
    with pytest.raises(MlflowException) as caught:
        call()
    error = caught.value
    assert error.error_code == "PERMISSION_DENIED", error.message
    assert error.get_http_status_code() == 403, error.message


def upload_denied(call):
    with pytest.raises(requests.HTTPError) as caught:
        call()
    assert caught.value.response.status_code == 403, caught.value.response.text


def all_pages(search, page_size):
    """Every page of a search, following next_page_token; each page's names."""
    pages, token = [], None
    while True:
        page = search(max_results=page_size, page_token=token)
        pages.append([item.name for item in page])
        token = page.token
        if not token:
            return pages
        assert len(pages) < 50, pages


def assert_paged(pages, page_size, expected):
    """Pages of `page_size` that together are `expected`, in order: every page but the last full (a
    last empty page after a full one is how MLflow ends some listings)."""
    assert [name for page in pages for name in page] == expected
    assert all(len(page) == page_size for page in pages[:-1]), pages
    assert len(pages[-1]) <= page_size, pages


@pytest.fixture
def artifact(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("trained on the full set")
    return str(path)


@pytest.fixture
def model_source(client, tmp_path):
    """Logs a model directory (its MLmodel file) to a run and answers its runs:/ URI: Logbook verifies that
    a registered version's source holds a model, where MLflow's server takes any path."""

    def log(run_id):
        folder = tmp_path / f"model-{uuid.uuid4().hex[:6]}"
        folder.mkdir()
        (folder / "MLmodel").write_text("flavors: {}\n")
        client.log_artifacts(run_id, str(folder), artifact_path="model")
        return f"runs:/{run_id}/model"

    return log


@pytest.fixture
def experiment_of(client, artifact):
    """An experiment made by `username`, with one run that has a param, a metric and an artifact."""

    def make(username):
        with signed_in_as(username, PASSWORD):
            experiment_id = client.create_experiment(unique("authz"))
            run_id = client.create_run(experiment_id).info.run_id
            client.log_param(run_id, "lr", "0.1")
            client.log_metric(run_id, "loss", 0.5)
            client.log_artifact(run_id, artifact)
        return experiment_id, run_id

    return make


@pytest.fixture
def model_of(client, experiment_of, model_source):
    """A registered model made by `username`, with one version from a run of theirs."""

    def make(username):
        _, run_id = experiment_of(username)
        name = unique("authz-model")
        with signed_in_as(username, PASSWORD):
            source = model_source(run_id)
            client.create_registered_model(name, description="the first")
            version = client.create_model_version(name, source, run_id=run_id).version
        return name, version

    return make


def grant(auth_client, admin, username, resource_type, resource_id, permission):
    with signed_in_as(*admin):
        auth_client.grant_user_permission(username, resource_type, resource_id, permission)


def test_with_the_default_read_another_user_reads_an_experiment_its_runs_metrics_and_artifacts(
    client, new_user, experiment_of, tmp_path
):
    owner, reader = new_user(), new_user()
    experiment_id, run_id = experiment_of(owner)
    with signed_in_as(reader, PASSWORD):
        experiment = client.get_experiment(experiment_id)
        assert client.get_experiment_by_name(experiment.name).experiment_id == experiment_id
        found = client.search_experiments(filter_string=f"name = '{experiment.name}'")
        assert [e.experiment_id for e in found] == [experiment_id]
        run = client.get_run(run_id)
        assert (run.data.params, run.data.metrics) == ({"lr": "0.1"}, {"loss": 0.5})
        assert [m.value for m in client.get_metric_history(run_id, "loss")] == [0.5]
        assert [r.info.run_id for r in client.search_runs([experiment_id])] == [run_id]
        assert [f.path for f in client.list_artifacts(run_id)] == ["notes.txt"]
        downloaded = client.download_artifacts(run_id, "notes.txt", str(tmp_path / "down"))
        assert open(downloaded).read() == "trained on the full set"


def test_with_the_default_read_another_user_cannot_change_an_experiment_or_its_runs(
    client, new_user, experiment_of, artifact
):
    owner, reader = new_user(), new_user()
    experiment_id, run_id = experiment_of(owner)
    with signed_in_as(reader, PASSWORD):
        denied(lambda: client.log_metric(run_id, "loss", 0.1))
        denied(lambda: client.log_param(run_id, "epochs", "3"))
        denied(lambda: client.log_batch(run_id, metrics=[Metric("acc", 0.9, 0, 0)]))
        denied(lambda: client.set_tag(run_id, "stage", "tampered"))
        denied(lambda: client.create_run(experiment_id))
        denied(lambda: client.set_experiment_tag(experiment_id, "stage", "tampered"))
        denied(lambda: client.rename_experiment(experiment_id, unique("renamed")))
        denied(lambda: client.delete_run(run_id))
        denied(lambda: client.delete_experiment(experiment_id))
        upload_denied(lambda: client.log_artifact(run_id, artifact, artifact_path="extra"))
    with signed_in_as(owner, PASSWORD):
        run = client.get_run(run_id)
        assert (run.info.lifecycle_stage, run.data.metrics, run.data.params) == ("active", {"loss": 0.5}, {"lr": "0.1"})
        assert "stage" not in run.data.tags
        experiment = client.get_experiment(experiment_id)
        assert experiment.lifecycle_stage == "active" and "stage" not in experiment.tags
        assert [f.path for f in client.list_artifacts(run_id)] == ["notes.txt"]
        assert len(client.search_runs([experiment_id])) == 1


def test_with_the_default_read_another_user_reads_a_registered_model_but_cannot_change_it_or_its_versions(
    client, new_user, model_of
):
    owner, reader = new_user(), new_user()
    name, version = model_of(owner)
    with signed_in_as(reader, PASSWORD):
        assert client.get_registered_model(name).description == "the first"
        assert client.get_model_version(name, version).version == version
        assert [m.name for m in client.search_registered_models(f"name = '{name}'")] == [name]
        denied(lambda: client.update_registered_model(name, "tampered"))
        denied(lambda: client.set_registered_model_tag(name, "stage", "tampered"))
        denied(lambda: client.rename_registered_model(name, unique("renamed")))
        denied(lambda: client.set_registered_model_alias(name, "champion", version))
        denied(lambda: client.update_model_version(name, version, "tampered"))
        denied(lambda: client.set_model_version_tag(name, version, "stage", "tampered"))
        denied(lambda: client.delete_model_version(name, version))
        denied(lambda: client.delete_registered_model(name))
    with signed_in_as(owner, PASSWORD):
        model = client.get_registered_model(name)
        assert (model.description, model.tags, model.aliases) == ("the first", {}, {})
        # Unset, as it was: MLflow's store answers "", Logbook leaves the field out (as test_registry_versions.py).
        assert client.get_model_version(name, version).description in ("", None)
        assert [v.version for v in client.search_model_versions(f"name = '{name}'")] == [version]


def test_a_denied_experiment_is_hidden_from_search_and_refused_with_403(
    url, client, auth_client, admin, new_user, experiment_of
):
    owner, outsider = new_user(), new_user()
    hidden, hidden_run = experiment_of(owner)
    shown, _ = experiment_of(owner)
    grant(auth_client, admin, outsider, "experiment", hidden, "DENY")
    with signed_in_as(owner, PASSWORD):
        hidden_name, shown_name = (client.get_experiment(i).name for i in (hidden, shown))
        artifact_uri = client.get_run(hidden_run).info.artifact_uri
    with signed_in_as(outsider, PASSWORD):
        assert client.search_experiments(filter_string=f"name = '{hidden_name}'") == []
        assert [e.experiment_id for e in client.search_experiments(filter_string=f"name = '{shown_name}'")] == [shown]
        everything = [e.experiment_id for e in client.search_experiments(max_results=50000)]
        assert shown in everything and hidden not in everything
        denied(lambda: client.get_experiment(hidden))
        denied(lambda: client.get_experiment_by_name(hidden_name))
        denied(lambda: client.get_run(hidden_run))
        denied(lambda: client.get_metric_history(hidden_run, "loss"))
        denied(lambda: client.list_artifacts(hidden_run))
        assert client.search_runs([hidden]) == []
    # The artifact store itself, asked without the client's run lookup first.
    assert artifact_uri.startswith("mlflow-artifacts:/"), artifact_uri
    stored = artifact_uri[len("mlflow-artifacts:") :].lstrip("/")
    for path, params in ((f"/api/2.0/mlflow-artifacts/artifacts/{stored}/notes.txt", None), ("/api/2.0/mlflow-artifacts/artifacts", {"path": stored})):
        assert http("GET", url, path, credentials=(outsider, PASSWORD), params=params).status_code == 403
        assert http("GET", url, path, credentials=(owner, PASSWORD), params=params).status_code == 200
    with signed_in_as(outsider, PASSWORD):
        result = auth_client.get_user_permission(outsider, "experiment", hidden)
        assert (result.permission, result.allowed) == ("DENY", False)
    with signed_in_as(owner, PASSWORD):
        assert client.get_experiment(hidden).experiment_id == hidden


def test_edit_lets_a_user_log_to_an_experiment_but_not_delete_it_or_grant_on_it(
    client, auth_client, admin, new_user, experiment_of, artifact
):
    owner, editor, third = new_user(), new_user(), new_user()
    experiment_id, run_id = experiment_of(owner)
    grant(auth_client, admin, editor, "experiment", experiment_id, "EDIT")
    with signed_in_as(editor, PASSWORD):
        client.log_metric(run_id, "loss", 0.25)
        client.set_tag(run_id, "reviewed", "yes")
        client.log_artifact(run_id, artifact, artifact_path="by-editor")
        client.set_experiment_tag(experiment_id, "team", "vision")
        own_run = client.create_run(experiment_id).info.run_id
        client.log_metric(own_run, "loss", 0.3)
        assert [m.value for m in client.get_metric_history(run_id, "loss")] == [0.5, 0.25]
        assert sorted(f.path for f in client.list_artifacts(run_id)) == ["by-editor", "notes.txt"]
        denied(lambda: client.delete_run(run_id))
        denied(lambda: client.delete_experiment(experiment_id))
        denied(lambda: auth_client.grant_user_permission(third, "experiment", experiment_id, "READ"))
        result = auth_client.get_user_permission(editor, "experiment", experiment_id)
        assert (result.permission, result.allowed) == ("EDIT", True)
    with signed_in_as(owner, PASSWORD):
        assert client.get_experiment(experiment_id).lifecycle_stage == "active"
        assert client.get_experiment(experiment_id).tags["team"] == "vision"


def test_manage_lets_a_user_delete_an_experiment_and_grant_others_on_it(
    client, auth_client, admin, new_user, experiment_of
):
    owner, manager, helper = new_user(), new_user(), new_user()
    experiment_id, run_id = experiment_of(owner)
    grant(auth_client, admin, manager, "experiment", experiment_id, "MANAGE")
    with signed_in_as(helper, PASSWORD):
        denied(lambda: client.log_metric(run_id, "loss", 0.2))
    with signed_in_as(manager, PASSWORD):
        auth_client.grant_user_permission(helper, "experiment", experiment_id, "EDIT")
        # Only an admin, a workspace admin or the user themselves reads a user's permission.
        denied(lambda: auth_client.get_user_permission(helper, "experiment", experiment_id))
    with signed_in_as(helper, PASSWORD):
        assert auth_client.get_user_permission(helper, "experiment", experiment_id).permission == "EDIT"
        client.log_metric(run_id, "loss", 0.2)
    with signed_in_as(manager, PASSWORD):
        auth_client.revoke_user_permission(helper, "experiment", experiment_id)
    with signed_in_as(helper, PASSWORD):
        denied(lambda: client.log_metric(run_id, "loss", 0.1))
    with signed_in_as(manager, PASSWORD):
        client.delete_run(run_id)
        assert client.get_run(run_id).info.lifecycle_stage == "deleted"
        client.delete_experiment(experiment_id)
        assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
        client.restore_experiment(experiment_id)
        assert client.get_experiment(experiment_id).lifecycle_stage == "active"


def test_the_creator_of_an_experiment_gets_manage_and_may_delete_it(client, auth_client, new_user):
    creator, other = new_user(), new_user()
    with signed_in_as(creator, PASSWORD):
        experiment_id = client.create_experiment(unique("authz"))
        run_id = client.create_run(experiment_id).info.run_id
        result = auth_client.get_user_permission(creator, "experiment", experiment_id)
        assert (result.permission, result.allowed) == ("MANAGE", True)
        grants = [(p.resource_type, p.resource_pattern, p.permission) for r in auth_client.list_user_roles(creator) for p in r.permissions]
        assert grants == [("experiment", experiment_id, "MANAGE")]
    with signed_in_as(other, PASSWORD):
        result = auth_client.get_user_permission(other, "experiment", experiment_id)
        assert (result.permission, result.allowed) == ("READ", False)
        denied(lambda: client.delete_experiment(experiment_id))
    with signed_in_as(creator, PASSWORD):
        auth_client.grant_user_permission(other, "experiment", experiment_id, "READ")
        client.delete_run(run_id)
        client.delete_experiment(experiment_id)
        assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"


def test_the_creator_of_a_registered_model_gets_manage_and_may_delete_it(
    client, auth_client, new_user, experiment_of, model_source
):
    creator, other = new_user(), new_user()
    _, run_id = experiment_of(creator)
    name = unique("authz-model")
    with signed_in_as(creator, PASSWORD):
        source = model_source(run_id)
        client.create_registered_model(name)
        version = client.create_model_version(name, source, run_id=run_id).version
        result = auth_client.get_user_permission(creator, "registered_model", name)
        assert (result.permission, result.allowed) == ("MANAGE", True)
        grants = {(p.resource_type, p.resource_pattern, p.permission) for r in auth_client.list_user_roles(creator) for p in r.permissions}
        assert ("registered_model", name, "MANAGE") in grants
    with signed_in_as(other, PASSWORD):
        result = auth_client.get_user_permission(other, "registered_model", name)
        assert (result.permission, result.allowed) == ("READ", False)
    with signed_in_as(creator, PASSWORD):
        client.set_registered_model_alias(name, "champion", version)
        client.delete_model_version(name, version)
        client.delete_registered_model(name)
        assert client.search_registered_models(f"name = '{name}'") == []


def test_edit_on_a_registered_model_lets_a_user_change_it_and_manage_lets_them_delete_it(
    client, auth_client, admin, new_user, model_of
):
    owner, editor, manager = new_user(), new_user(), new_user()
    name, version = model_of(owner)
    grant(auth_client, admin, editor, "registered_model", name, "EDIT")
    grant(auth_client, admin, manager, "registered_model", name, "MANAGE")
    with signed_in_as(editor, PASSWORD):
        client.update_registered_model(name, "tuned")
        client.set_registered_model_tag(name, "stage", "candidate")
        client.update_model_version(name, version, "reviewed")
        denied(lambda: client.delete_model_version(name, version))
        denied(lambda: client.delete_registered_model(name))
        assert client.get_registered_model(name).description == "tuned"
    with signed_in_as(manager, PASSWORD):
        client.delete_model_version(name, version)
        client.delete_registered_model(name)
    with signed_in_as(owner, PASSWORD):
        assert client.search_registered_models(f"name = '{name}'") == []


def test_search_runs_over_experiments_one_of_them_denied_returns_only_readable_runs(
    client, auth_client, admin, new_user
):
    owner, caller = new_user(), new_user()
    with signed_in_as(owner, PASSWORD):
        experiments = [client.create_experiment(unique("authz")) for _ in range(3)]
        runs = {e: [client.create_run(e).info.run_id for _ in range(2)] for e in experiments}
    grant(auth_client, admin, caller, "experiment", experiments[1], "DENY")
    readable = sorted(runs[experiments[0]] + runs[experiments[2]])
    with signed_in_as(caller, PASSWORD):
        assert sorted(r.info.run_id for r in client.search_runs(experiments)) == readable
        pages, token = [], None
        while True:
            page = client.search_runs(experiments, max_results=3, page_token=token)
            pages.append([r.info.run_id for r in page])
            token = page.token
            if not token:
                break
        assert len(pages[0]) == 3
        assert sorted(run for page in pages for run in page) == readable
        assert client.search_runs([experiments[1]]) == []
    with signed_in_as(owner, PASSWORD):
        assert len(client.search_runs(experiments)) == 6


def test_search_registered_models_pages_through_readable_models_and_never_a_denied_one(
    client, auth_client, admin, new_user
):
    owner, caller = new_user(), new_user()
    prefix = unique("authz-paged")
    names = [f"{prefix}-{i}" for i in range(8)]
    with signed_in_as(owner, PASSWORD):
        for name in names:
            client.create_registered_model(name)
    hidden = {names[1], names[2], names[5]}
    for name in hidden:
        grant(auth_client, admin, caller, "registered_model", name, "DENY")
    readable = [name for name in names if name not in hidden]

    def search(**paging):
        return client.search_registered_models(f"name LIKE '{prefix}-%'", order_by=["name ASC"], **paging)

    with signed_in_as(caller, PASSWORD):
        assert [m.name for m in search(max_results=100)] == readable
        assert_paged(all_pages(search, 2), 2, readable)
        assert_paged(all_pages(search, 3), 3, readable)
        for name in hidden:
            denied(lambda: client.get_registered_model(name))
    with signed_in_as(owner, PASSWORD):
        assert_paged(all_pages(search, 3), 3, names)


def test_search_experiments_pages_through_readable_experiments_and_never_a_denied_one(
    client, auth_client, admin, new_user
):
    owner, caller = new_user(), new_user()
    prefix = unique("authz-paged")
    names = [f"{prefix}-{i}" for i in range(7)]
    with signed_in_as(owner, PASSWORD):
        ids = {name: client.create_experiment(name) for name in names}
    hidden = {names[0], names[3], names[4]}
    for name in hidden:
        grant(auth_client, admin, caller, "experiment", ids[name], "DENY")
    readable = [name for name in names if name not in hidden]

    def search(**paging):
        return client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name ASC"], **paging)

    with signed_in_as(caller, PASSWORD):
        assert_paged(all_pages(search, 2), 2, readable)
        assert_paged(all_pages(search, 1), 1, readable)


# Logbook's API tokens (beyond MLflow): a token acts for its owner, capped at its scope.


def issue_token(url, username, scope):
    response = http(
        "POST", url, "/api/2.0/logbook/tokens/create", credentials=(username, PASSWORD), json={"name": "ci", "scope": scope}
    )
    assert response.status_code == 200, response.text
    return response.json()["secret"]


@pytest.mark.logbook_only
def test_a_read_token_reads_its_owners_experiment_and_model_but_cannot_change_them(
    url, client, new_user, experiment_of, model_of, artifact, tmp_path, monkeypatch
):
    owner = new_user()
    experiment_id, run_id = experiment_of(owner)
    name, version = model_of(owner)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", issue_token(url, owner, "READ"))
    assert client.get_experiment(experiment_id).experiment_id == experiment_id
    assert client.get_run(run_id).data.metrics == {"loss": 0.5}
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [run_id]
    assert [f.path for f in client.list_artifacts(run_id)] == ["notes.txt"]
    assert open(client.download_artifacts(run_id, "notes.txt", str(tmp_path / "down"))).read() == "trained on the full set"
    denied(lambda: client.log_metric(run_id, "loss", 0.1))
    denied(lambda: client.set_tag(run_id, "stage", "tampered"))
    denied(lambda: client.create_run(experiment_id))
    denied(lambda: client.delete_experiment(experiment_id))
    upload_denied(lambda: client.log_artifact(run_id, artifact, artifact_path="extra"))
    assert client.get_registered_model(name).description == "the first"
    denied(lambda: client.update_registered_model(name, "by the pipeline"))
    denied(lambda: client.delete_model_version(name, version))
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    with signed_in_as(owner, PASSWORD):
        assert client.get_run(run_id).data.metrics == {"loss": 0.5}
        assert client.get_registered_model(name).description == "the first"


@pytest.mark.logbook_only
def test_a_token_acts_with_its_owners_permissions(
    url, client, auth_client, admin, new_user, experiment_of, model_of, monkeypatch
):
    owner, other = new_user(), new_user()
    own_experiment, own_run = experiment_of(owner)
    others_experiment, others_run = experiment_of(other)
    hidden_experiment, hidden_run = experiment_of(other)
    own_model, _ = model_of(owner)
    others_model, _ = model_of(other)
    grant(auth_client, admin, owner, "experiment", hidden_experiment, "DENY")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", issue_token(url, owner, "MANAGE"))
    client.log_metric(own_run, "loss", 0.4)
    client.update_registered_model(own_model, "by the pipeline")
    assert client.get_registered_model(others_model).description == "the first"
    denied(lambda: client.update_registered_model(others_model, "by the pipeline"))
    assert client.get_run(others_run).data.metrics == {"loss": 0.5}
    denied(lambda: client.log_metric(others_run, "loss", 0.4))
    denied(lambda: client.delete_experiment(others_experiment))
    denied(lambda: client.get_experiment(hidden_experiment))
    denied(lambda: client.get_run(hidden_run))
    assert len(client.search_runs([own_experiment, others_experiment, hidden_experiment])) == 2
    listed = [e.experiment_id for e in client.search_experiments(max_results=50000)]
    assert own_experiment in listed and others_experiment in listed and hidden_experiment not in listed
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    grant(auth_client, admin, owner, "experiment", others_experiment, "EDIT")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", issue_token(url, owner, "EDIT"))
    client.log_metric(others_run, "loss", 0.3)
    denied(lambda: client.delete_experiment(own_experiment))
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    with signed_in_as(other, PASSWORD):
        assert [m.value for m in client.get_metric_history(others_run, "loss")] == [0.5, 0.3]
