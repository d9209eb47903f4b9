"""Experiments: create/get/search/rename/tags/delete/restore through MlflowClient."""

import time

import mlflow
import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

from compat_utils import now_ms, raises_mlflow


def test_default_experiment_exists(client):
    exp = client.get_experiment("0")
    assert exp.experiment_id == "0"
    assert exp.name == "Default"
    assert client.get_experiment_by_name("Default").experiment_id == "0"


def test_create_and_get_experiment(client, unique):
    name = unique("create")
    before = now_ms()
    exp_id = client.create_experiment(name, tags={"team": "core", "stage": "dev"})
    after = now_ms()
    assert isinstance(exp_id, str) and exp_id

    exp = client.get_experiment(exp_id)
    assert exp.experiment_id == exp_id
    assert exp.name == name
    assert exp.lifecycle_stage == "active"
    assert exp.tags == {"team": "core", "stage": "dev"}
    assert isinstance(exp.artifact_location, str) and exp.artifact_location
    # Server clock, so allow some skew; the point is that they are epoch millis.
    assert abs(exp.creation_time - before) < 10 * 60 * 1000
    assert abs(exp.last_update_time - after) < 10 * 60 * 1000
    assert exp.last_update_time >= exp.creation_time


def test_get_experiment_by_name(client, unique):
    name = unique("byname")
    exp_id = client.create_experiment(name)
    exp = client.get_experiment_by_name(name)
    assert exp is not None
    assert exp.experiment_id == exp_id
    assert exp.name == name


def test_get_experiment_by_name_missing_returns_none(client, unique):
    # The client maps exactly RESOURCE_DOES_NOT_EXIST (404) to None.
    assert client.get_experiment_by_name(unique("missing")) is None
    assert mlflow.get_experiment_by_name(unique("missing")) is None


def test_get_experiment_unknown_id(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_experiment("987654321012")


def test_duplicate_name_rejected(client, unique):
    name = unique("dup")
    client.create_experiment(name)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS", 400):
        client.create_experiment(name)


def test_duplicate_name_of_deleted_experiment_rejected(client, unique):
    name = unique("dupdel")
    exp_id = client.create_experiment(name)
    client.delete_experiment(exp_id)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS", 400):
        client.create_experiment(name)


def test_create_experiment_empty_name_rejected(client):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_experiment("")


def test_set_experiment_creates_then_reuses(client, unique):
    name = unique("fluent")
    exp = mlflow.set_experiment(name)
    assert exp.name == name
    assert exp.lifecycle_stage == "active"
    assert client.get_experiment_by_name(name).experiment_id == exp.experiment_id
    again = mlflow.set_experiment(name)
    assert again.experiment_id == exp.experiment_id
    by_id = mlflow.set_experiment(experiment_id=exp.experiment_id)
    assert by_id.name == name


def test_search_experiments_name_like(client, unique):
    prefix = unique("like")
    ids = {client.create_experiment(f"{prefix}-{i}") for i in range(3)}
    client.create_experiment(unique("other"))

    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'")
    assert {e.experiment_id for e in found} == ids

    exact = client.search_experiments(filter_string=f"name = '{prefix}-1'")
    assert [e.name for e in exact] == [f"{prefix}-1"]

    # LIKE is case-sensitive, ILIKE is not.
    assert list(client.search_experiments(filter_string=f"name LIKE '{prefix.upper()}-%'")) == []
    ilike = client.search_experiments(filter_string=f"name ILIKE '{prefix.upper()}-%'")
    assert {e.experiment_id for e in ilike} == ids


def test_search_experiments_by_tag(client, unique):
    prefix = unique("tag")
    a = client.create_experiment(f"{prefix}-a", tags={"owner": "alice", "kind": "x"})
    b = client.create_experiment(f"{prefix}-b", tags={"owner": "bob", "kind": "x"})
    client.create_experiment(f"{prefix}-c")

    alice = client.search_experiments(
        filter_string=f"name LIKE '{prefix}%' AND tags.owner = 'alice'"
    )
    assert [e.experiment_id for e in alice] == [a]

    kind = client.search_experiments(filter_string=f"name LIKE '{prefix}%' AND tags.kind = 'x'")
    assert {e.experiment_id for e in kind} == {a, b}

    not_alice = client.search_experiments(
        filter_string=f"name LIKE '{prefix}%' AND tags.owner != 'alice'"
    )
    assert [e.experiment_id for e in not_alice] == [b]

    like = client.search_experiments(filter_string=f"name LIKE '{prefix}%' AND tags.owner LIKE 'b%'")
    assert [e.experiment_id for e in like] == [b]
    # Tags come back on search results too.
    assert like[0].tags == {"owner": "bob", "kind": "x"}


def test_search_experiments_order_by(client, unique):
    prefix = unique("order")
    names = [f"{prefix}-b", f"{prefix}-c", f"{prefix}-a"]
    for n in names:
        client.create_experiment(n)
        time.sleep(0.01)  # distinct creation_time values
    flt = f"name LIKE '{prefix}-%'"

    asc = client.search_experiments(filter_string=flt, order_by=["name ASC"])
    assert [e.name for e in asc] == sorted(names)
    desc = client.search_experiments(filter_string=flt, order_by=["name DESC"])
    assert [e.name for e in desc] == sorted(names, reverse=True)
    oldest_first = client.search_experiments(filter_string=flt, order_by=["creation_time ASC"])
    assert [e.name for e in oldest_first] == names
    # Default order: newest first (creation_time DESC).
    default = client.search_experiments(filter_string=flt)
    assert [e.name for e in default] == list(reversed(names))


def test_search_experiments_pagination(client, unique):
    prefix = unique("page")
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        client.create_experiment(n)
    flt = f"name LIKE '{prefix}-%'"

    page1 = client.search_experiments(filter_string=flt, max_results=2, order_by=["name ASC"])
    assert [e.name for e in page1] == names[0:2]
    assert page1.token
    page2 = client.search_experiments(
        filter_string=flt, max_results=2, order_by=["name ASC"], page_token=page1.token
    )
    assert [e.name for e in page2] == names[2:4]
    assert page2.token
    page3 = client.search_experiments(
        filter_string=flt, max_results=2, order_by=["name ASC"], page_token=page2.token
    )
    assert [e.name for e in page3] == names[4:5]
    assert not page3.token

    everything = client.search_experiments(filter_string=flt, max_results=10)
    assert len(everything) == 5
    assert not everything.token


def test_search_experiments_view_type(client, unique):
    prefix = unique("view")
    keep = client.create_experiment(f"{prefix}-keep")
    gone = client.create_experiment(f"{prefix}-gone")
    client.delete_experiment(gone)
    flt = f"name LIKE '{prefix}-%'"

    active = client.search_experiments(filter_string=flt)
    assert [e.experiment_id for e in active] == [keep]
    deleted = client.search_experiments(filter_string=flt, view_type=ViewType.DELETED_ONLY)
    assert [e.experiment_id for e in deleted] == [gone]
    assert deleted[0].lifecycle_stage == "deleted"
    both = client.search_experiments(filter_string=flt, view_type=ViewType.ALL)
    assert {e.experiment_id for e in both} == {keep, gone}


def test_search_experiments_invalid_filter(client):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_experiments(filter_string="name = ")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_experiments(order_by=["no_such_column ASC"])


def test_rename_experiment(client, unique):
    old, new = unique("old"), unique("new")
    exp_id = client.create_experiment(old)
    created = client.get_experiment(exp_id)
    client.rename_experiment(exp_id, new)
    exp = client.get_experiment(exp_id)
    assert exp.name == new
    assert exp.last_update_time >= created.last_update_time
    assert client.get_experiment_by_name(new).experiment_id == exp_id
    assert client.get_experiment_by_name(old) is None


def test_rename_experiment_to_taken_name_fails(client, unique):
    a, b = unique("a"), unique("b")
    exp_a = client.create_experiment(a)
    client.create_experiment(b)
    # MLflow answers 400; the exact code differs by backend (the sqlite store
    # surfaces BAD_REQUEST from the integrity error), so only the class is pinned.
    with pytest.raises(MlflowException) as excinfo:
        client.rename_experiment(exp_a, b)
    assert excinfo.value.get_http_status_code() == 400
    assert client.get_experiment(exp_a).name == a


def test_experiment_tags_set_overwrite_delete(client, unique):
    exp_id = client.create_experiment(unique("tags"), tags={"keep": "1"})
    client.set_experiment_tag(exp_id, "color", "red")
    client.set_experiment_tag(exp_id, "note", "")
    assert client.get_experiment(exp_id).tags == {"keep": "1", "color": "red", "note": ""}

    client.set_experiment_tag(exp_id, "color", "blue")
    assert client.get_experiment(exp_id).tags["color"] == "blue"

    client.delete_experiment_tag(exp_id, "color")
    assert client.get_experiment(exp_id).tags == {"keep": "1", "note": ""}

    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_experiment_tag(exp_id, "color")


def test_fluent_experiment_tags(client, unique):
    exp = mlflow.set_experiment(unique("ftags"))
    mlflow.set_experiment_tag("a", "1")
    mlflow.set_experiment_tags({"b": "2", "c": "3"})
    mlflow.delete_experiment_tag("a")
    assert client.get_experiment(exp.experiment_id).tags == {"b": "2", "c": "3"}


def test_set_tag_on_deleted_experiment_rejected(client, unique):
    exp_id = client.create_experiment(unique("tagdel"))
    client.delete_experiment(exp_id)
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.set_experiment_tag(exp_id, "k", "v")


def test_delete_and_restore_experiment(client, unique):
    name = unique("delres")
    exp_id = client.create_experiment(name)
    run = client.create_run(exp_id)

    client.delete_experiment(exp_id)
    exp = client.get_experiment(exp_id)  # still readable once deleted
    assert exp.lifecycle_stage == "deleted"
    by_name = client.get_experiment_by_name(name)  # get-by-name sees deleted ones too
    assert by_name is not None and by_name.lifecycle_stage == "deleted"
    # Deleting an experiment deletes its runs.
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    # A deleted experiment accepts no new runs.
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_run(exp_id)
    # Deleting twice: it is no longer an active experiment.
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_experiment(exp_id)

    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"
    # Restoring an active experiment is an error.
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.restore_experiment(exp_id)


def test_set_experiment_on_deleted_experiment_raises(client, unique):
    name = unique("fdel")
    exp_id = client.create_experiment(name)
    client.delete_experiment(exp_id)
    with pytest.raises(MlflowException):
        mlflow.set_experiment(name)
