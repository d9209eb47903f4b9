"""Model versions through the official client: registration from a run and from
a logged model, version numbering, get/update/delete, tags, search, stage
transitions with archive_existing_versions, get_latest_versions and aliases.
"""

import mlflow
import pytest
from mlflow.entities.model_registry.model_version_status import ModelVersionStatus

from compat_utils import now_ms, raises_mlflow
from registry_utils import AWAIT_SECONDS, log_adder, model_versions_tag, new_experiment, register

READY = ModelVersionStatus.to_string(ModelVersionStatus.READY)


@pytest.fixture(scope="module")
def experiment(client):
    return new_experiment(client, "mv")


@pytest.fixture(scope="module")
def logged(experiment):
    """A logged pyfunc model (adds 1) the tests register under their own names."""
    return log_adder(experiment, 1)


@pytest.fixture(scope="module")
def other_logged(experiment):
    """A second model, in another run (adds 10)."""
    return log_adder(experiment, 10)


def test_register_from_run_uri(client, unique, experiment):
    run_id, info = log_adder(experiment, 1)
    name = unique("mv")
    before = now_ms()
    mv = register(f"runs:/{run_id}/model", name)
    assert mv.name == name
    assert mv.version == "1"
    assert mv.status == READY
    assert mv.run_id == run_id
    # The model files live under the logged model, so the client registers models:/<model_id>.
    assert mv.source == f"models:/{info.model_id}"

    got = client.get_model_version(name, "1")
    assert got.status == READY
    assert got.current_stage == "None"
    assert got.run_id == run_id
    assert got.source == f"models:/{info.model_id}"
    assert got.description in ("", None)
    assert got.aliases == []
    assert abs(got.creation_timestamp - before) < 10 * 60 * 1000
    assert got.last_updated_timestamp >= got.creation_timestamp
    # The registered model exists now, created by register_model itself.
    assert client.get_registered_model(name).latest_versions[0].version == "1"
    assert (name, "1") in model_versions_tag(client, info.model_id)


def test_register_from_logged_model_uri(client, unique, logged):
    run_id, info = logged
    name = unique("mv")
    mv = register(info.model_uri, name, tags={"origin": "logged-model"})
    assert mv.version == "1"
    assert mv.status == READY
    assert mv.source == f"models:/{info.model_id}"
    assert mv.tags == {"origin": "logged-model"}
    got = client.get_model_version(name, "1")
    # The server fills in the run from the logged model's source run.
    assert got.run_id == run_id
    assert got.tags == {"origin": "logged-model"}
    # MLflow 3.17.2's store drops model_id; Logbook keeps it
    # (test_registry_beyond_mlflow.py checks that).
    assert got.model_id in (None, "", info.model_id)
    assert (name, "1") in model_versions_tag(client, info.model_id)


def test_version_numbers_increment_per_model(client, unique, logged, other_logged):
    _, one = logged
    _, ten = other_logged
    a, b = unique("mv-a"), unique("mv-b")
    assert [register(one.model_uri, a).version for _ in range(3)] == ["1", "2", "3"]
    assert register(ten.model_uri, b).version == "1"
    assert register(ten.model_uri, a).version == "4"
    # A deleted version's number is not given out again.
    client.delete_model_version(a, "4")
    assert register(one.model_uri, a).version == "5"


def test_client_create_model_version(client, unique, logged):
    run_id, info = logged
    name = unique("mv")
    client.create_registered_model(name)
    mv = client.create_model_version(
        name,
        info.model_uri,
        run_id=run_id,
        tags={"k": "v"},
        description="from the client",
        await_creation_for=AWAIT_SECONDS,
        model_id=info.model_id,
    )
    assert (mv.version, mv.status) == ("1", READY)
    got = client.get_model_version(name, "1")
    assert got.description == "from the client"
    assert got.tags == {"k": "v"}
    assert got.run_id == run_id


def test_update_model_version_description(client, unique, logged):
    _, info = logged
    name = unique("mv")
    register(info.model_uri, name)
    updated = client.update_model_version(name, "1", description="better")
    assert updated.description == "better"
    assert client.get_model_version(name, "1").description == "better"


def test_delete_model_version(client, unique, logged):
    _, info = logged
    name = unique("mv")
    register(info.model_uri, name)
    register(info.model_uri, name)
    client.set_registered_model_alias(name, "champion", "2")
    client.delete_model_version(name, "2")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_model_version(name, "2")
    assert [v.version for v in client.search_model_versions(f"name = '{name}'")] == ["1"]
    # Deleting a version removes its aliases.
    assert client.get_registered_model(name).aliases == {}
    assert [v.version for v in client.get_registered_model(name).latest_versions] == ["1"]


def test_model_version_tags(client, unique, logged):
    _, info = logged
    name = unique("mv")
    register(info.model_uri, name, tags={"k": "v"})
    client.set_model_version_tag(name, "1", "a", "1")
    client.set_model_version_tag(name, "1", "k", "v2")
    assert client.get_model_version(name, "1").tags == {"k": "v2", "a": "1"}
    client.delete_model_version_tag(name, "1", "a")
    assert client.get_model_version(name, "1").tags == {"k": "v2"}
    # MLflow answers deleting an absent tag with success.
    client.delete_model_version_tag(name, "1", "a")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.set_model_version_tag(name, "9", "a", "1")


def _versions(client, flt, **kw):
    return [(v.name, v.version) for v in client.search_model_versions(flt, **kw)]


def test_search_model_versions_filters(client, unique, logged, other_logged):
    run_one, one = logged
    run_ten, ten = other_logged
    base = unique("mvsearch")
    a, b = f"{base}-a", f"{base}-b"
    register(one.model_uri, a, tags={"stage": "candidate"})
    register(ten.model_uri, a)
    register(ten.model_uri, b, tags={"stage": "shadow"})

    order = ["name ASC", "version_number ASC"]
    assert _versions(client, f"name = '{a}'", order_by=order) == [(a, "1"), (a, "2")]
    assert _versions(client, f"name LIKE '{base}%'", order_by=order) == [
        (a, "1"),
        (a, "2"),
        (b, "1"),
    ]
    assert _versions(client, f"name ILIKE '{base.upper()}-B'") == [(b, "1")]
    assert _versions(client, f"name IN ('{b}')") == [(b, "1")]
    assert _versions(client, f"name LIKE '{base}%' AND run_id = '{run_ten}'", order_by=order) == [
        (a, "2"),
        (b, "1"),
    ]
    assert _versions(client, f"name = '{a}' AND run_id IN ('{run_one}', 'nope')") == [(a, "1")]
    assert _versions(client, f"name = '{a}' AND run_id != '{run_one}'") == [(a, "2")]
    assert _versions(client, f"name = '{a}' AND source_path = '{one.model_uri}'") == [(a, "1")]
    assert _versions(client, f"name LIKE '{base}%' AND tags.stage = 'shadow'") == [(b, "1")]
    assert _versions(client, f"name LIKE '{base}%' AND tags.`stage` LIKE 'cand%'") == [(a, "1")]
    assert _versions(client, f"name LIKE '{base}%' AND tags.stage != 'shadow'") == [(a, "1")]
    assert _versions(client, f"name = '{a}' AND version_number = 2") == [(a, "2")]
    assert _versions(client, f"name = '{a}' AND version_number > 5") == []
    fluent = mlflow.search_model_versions(filter_string=f"name = '{b}'")
    assert [(v.name, v.version) for v in fluent] == [(b, "1")]


def test_search_model_versions_order_and_paging(client, unique, logged):
    _, info = logged
    name = unique("mvpage")
    for _ in range(5):
        register(info.model_uri, name)
    flt = f"name = '{name}'"
    assert [v for _, v in _versions(client, flt, order_by=["version_number DESC"])] == [
        "5",
        "4",
        "3",
        "2",
        "1",
    ]
    # The default order is newest first.
    assert [v for _, v in _versions(client, flt)] == ["5", "4", "3", "2", "1"]
    seen, token = [], None
    while True:
        page = client.search_model_versions(
            flt, max_results=2, order_by=["version_number ASC"], page_token=token
        )
        assert len(page) <= 2
        seen += [v.version for v in page]
        token = page.token
        if not token:
            break
    assert seen == ["1", "2", "3", "4", "5"]


def test_search_model_versions_bad_input(client):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_model_versions("foo = 'x'")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_model_versions(order_by=["foo ASC"])


def _stages(client, name):
    return {v.version: v.current_stage for v in client.search_model_versions(f"name = '{name}'")}


def test_transition_stages_without_archiving(client, unique, logged):
    _, info = logged
    name = unique("mvstage")
    for _ in range(3):
        register(info.model_uri, name)
    mv = client.transition_model_version_stage(name, "1", "Staging")
    assert mv.current_stage == "Staging"
    client.transition_model_version_stage(name, "2", "Staging")
    client.transition_model_version_stage(name, "3", "Production")
    assert _stages(client, name) == {"1": "Staging", "2": "Staging", "3": "Production"}
    # Stage names are matched case-insensitively and returned in canonical form.
    moved = client.transition_model_version_stage(name, "1", "production")
    assert moved.current_stage == "Production"
    client.transition_model_version_stage(name, "2", "Archived")
    client.transition_model_version_stage(name, "2", "None")
    assert _stages(client, name) == {"1": "Production", "2": "None", "3": "Production"}


def test_transition_with_archive_existing_versions(client, unique, logged):
    _, info = logged
    name = unique("mvarchive")
    for _ in range(4):
        register(info.model_uri, name)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "Staging")
    client.transition_model_version_stage(name, "3", "Staging")

    client.transition_model_version_stage(name, "4", "Staging", archive_existing_versions=True)
    # Only the versions in the target stage are archived.
    assert _stages(client, name) == {
        "1": "Production",
        "2": "Archived",
        "3": "Archived",
        "4": "Staging",
    }

    client.transition_model_version_stage(name, "4", "Production", archive_existing_versions=True)
    assert _stages(client, name) == {
        "1": "Archived",
        "2": "Archived",
        "3": "Archived",
        "4": "Production",
    }


def test_get_latest_versions(client, unique, logged):
    _, info = logged
    name = unique("mvlatest")
    for _ in range(5):
        register(info.model_uri, name)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "Production")
    client.transition_model_version_stage(name, "3", "Staging")
    client.transition_model_version_stage(name, "4", "Archived")

    def latest(stages=None):
        versions = client.get_latest_versions(name, stages)
        return sorted((v.current_stage, v.version) for v in versions)

    # Without stages: the newest version of every stage.
    assert latest() == [("Archived", "4"), ("None", "5"), ("Production", "2"), ("Staging", "3")]
    assert latest(["Production"]) == [("Production", "2")]
    assert latest(["Staging", "Production"]) == [("Production", "2"), ("Staging", "3")]
    assert latest(["None"]) == [("None", "5")]
    assert latest(["production"]) == [("Production", "2")]
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.get_latest_versions(name, ["Bogus"])
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_latest_versions(unique("missing"))


def test_aliases_set_get_move_delete(client, unique, logged):
    _, info = logged
    name = unique("mvalias")
    for _ in range(2):
        register(info.model_uri, name)
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "challenger", "2")
    assert client.get_registered_model(name).aliases == {"champion": "1", "challenger": "2"}
    by_alias = client.get_model_version_by_alias(name, "champion")
    assert (by_alias.version, by_alias.aliases) == ("1", ["champion"])
    assert client.get_model_version(name, "2").aliases == ["challenger"]

    # Setting an alias that exists moves it: one version per alias.
    client.set_registered_model_alias(name, "champion", "2")
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    assert client.get_model_version(name, "1").aliases == []
    assert sorted(client.get_model_version(name, "2").aliases) == ["challenger", "champion"]
    assert client.get_registered_model(name).aliases == {"champion": "2", "challenger": "2"}

    client.delete_registered_model_alias(name, "champion")
    assert client.get_registered_model(name).aliases == {"challenger": "2"}
    # MLflow answers an unknown alias with INVALID_PARAMETER_VALUE, and deleting one with success.
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.get_model_version_by_alias(name, "champion")
    client.delete_registered_model_alias(name, "champion")


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v1", "V12", "v007"])
def test_reserved_aliases_are_refused(client, unique, logged, alias):
    _, info = logged
    name = unique("mvalias")
    register(info.model_uri, name)
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400, match="reserved"):
        client.set_registered_model_alias(name, alias, "1")
    assert client.get_registered_model(name).aliases == {}


def test_invalid_aliases_are_refused(client, unique, logged):
    _, info = logged
    name = unique("mvalias")
    register(info.model_uri, name)
    for alias in ("a b", "a/b", "a.b", ""):
        with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
            client.set_registered_model_alias(name, alias, "1")
    # Names like "v1a" or "version1" are not reserved.
    client.set_registered_model_alias(name, "v1a", "1")
    client.set_registered_model_alias(name, "my_alias-2", "1")
    assert client.get_registered_model(name).aliases == {"v1a": "1", "my_alias-2": "1"}
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.set_registered_model_alias(name, "ghost", "9")


def test_model_version_errors(client, unique, logged):
    _, info = logged
    name = unique("mverr")
    register(info.model_uri, name)
    for call in (
        lambda: client.get_model_version(name, "9"),
        lambda: client.update_model_version(name, "9", description="x"),
        lambda: client.delete_model_version(name, "9"),
        lambda: client.transition_model_version_stage(name, "9", "Staging"),
        lambda: client.get_model_version_download_uri(name, "9"),
        lambda: client.get_model_version(unique("missing"), "1"),
    ):
        with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
            call()
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.get_model_version(name, "abc")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400, match="Bogus"):
        client.transition_model_version_stage(name, "1", "Bogus")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.create_model_version(unique("missing"), info.model_uri, model_id=info.model_id)
    assert client.get_model_version(name, "1").current_stage == "None"


def test_unsafe_sources_are_refused(client, unique, logged):
    run_id, _ = logged
    name = unique("mvsrc")
    client.create_registered_model(name)
    for source, source_run in (
        ("file:///etc", None),
        ("/etc/passwd", None),
        (f"runs:/{run_id}/../../etc", run_id),
        (f"runs:/{run_id}/model/%2e%2e/%2e%2e", run_id),
    ):
        with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
            client.create_model_version(name, source, run_id=source_run)
    assert client.search_model_versions(f"name = '{name}'") == []
