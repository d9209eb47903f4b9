"""Registered models through the official client: create, get, update, rename,
delete, tags, and search with MLflow's filter grammar, order_by and page tokens.

Versions registered here come from real pyfunc models (registry_utils), so the
tests hold on a server that checks sources at registration.
"""

import mlflow
import pytest

from compat_utils import now_ms, raises_mlflow
from registry_utils import log_adder, new_experiment, register

PROMPT_TAG = "mlflow.prompt.is_prompt"


@pytest.fixture(scope="module")
def logged(client):
    """One logged pyfunc model the tests of this module register under their own names."""
    return log_adder(new_experiment(client, "rm"), 1)


def test_create_and_get_registered_model(client, unique):
    name = unique("rm")
    before = now_ms()
    created = client.create_registered_model(
        name, tags={"team": "fraud", "k": "v"}, description="first"
    )
    assert created.name == name
    assert created.description == "first"
    assert created.tags == {"team": "fraud", "k": "v"}

    got = client.get_registered_model(name)
    assert got.name == name
    assert got.description == "first"
    assert got.tags == {"team": "fraud", "k": "v"}
    assert got.aliases == {}
    assert got.latest_versions == []
    assert abs(got.creation_timestamp - before) < 10 * 60 * 1000
    assert got.last_updated_timestamp >= got.creation_timestamp


def test_update_registered_model_description(client, unique):
    name = unique("rm")
    client.create_registered_model(name)
    updated = client.update_registered_model(name, description="now described")
    assert updated.description == "now described"
    assert client.get_registered_model(name).description == "now described"
    client.update_registered_model(name, description="")
    assert client.get_registered_model(name).description in ("", None)


def test_registered_model_tags(client, unique):
    name = unique("rm")
    client.create_registered_model(name, tags={"k": "v"})
    client.set_registered_model_tag(name, "a", "1")
    client.set_registered_model_tag(name, "k", "v2")
    assert client.get_registered_model(name).tags == {"k": "v2", "a": "1"}
    client.delete_registered_model_tag(name, "a")
    assert client.get_registered_model(name).tags == {"k": "v2"}
    # MLflow answers deleting an absent tag with success.
    client.delete_registered_model_tag(name, "a")
    assert client.get_registered_model(name).tags == {"k": "v2"}


def test_rename_registered_model_moves_versions_and_aliases(client, unique, logged):
    _, info = logged
    name, new_name = unique("rm"), unique("rm-renamed")
    register(info.model_uri, name)
    register(info.model_uri, name)
    client.set_registered_model_alias(name, "champion", "2")
    client.set_registered_model_tag(name, "k", "v")

    client.rename_registered_model(name, new_name)

    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_registered_model(name)
    got = client.get_registered_model(new_name)
    assert got.tags == {"k": "v"}
    assert got.aliases == {"champion": "2"}
    versions = client.search_model_versions(f"name = '{new_name}'")
    assert sorted((v.name, v.version) for v in versions) == [(new_name, "1"), (new_name, "2")]
    assert client.get_model_version(new_name, "1").name == new_name
    assert client.get_model_version_by_alias(new_name, "champion").version == "2"
    assert client.search_model_versions(f"name = '{name}'") == []
    # The old name is free again.
    client.create_registered_model(name)


def test_rename_to_an_existing_name_is_refused(client, unique):
    a, b = unique("rm"), unique("rm")
    client.create_registered_model(a)
    client.create_registered_model(b)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS", 400):
        client.rename_registered_model(a, b)
    assert client.get_registered_model(a).name == a


def test_delete_registered_model_cascades_to_versions(client, unique, logged):
    _, info = logged
    name = unique("rm")
    register(info.model_uri, name)
    client.set_registered_model_alias(name, "champion", "1")
    client.delete_registered_model(name)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_registered_model(name)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_model_version(name, "1")
    assert client.search_model_versions(f"name = '{name}'") == []
    assert client.search_registered_models(f"name = '{name}'") == []
    # A new model under the same name starts again at version 1.
    assert register(info.model_uri, name).version == "1"


def test_latest_versions_on_registered_model(client, unique, logged):
    _, info = logged
    name = unique("rm")
    register(info.model_uri, name)
    register(info.model_uri, name)
    got = client.get_registered_model(name)
    assert [(v.version, v.current_stage) for v in got.latest_versions] == [("2", "None")]
    (found,) = client.search_registered_models(f"name = '{name}'")
    assert [v.version for v in found.latest_versions] == ["2"]


def _names(client, flt, **kw):
    return [m.name for m in client.search_registered_models(flt, **kw)]


def _name_set(client, flt):
    return {m.name for m in client.search_registered_models(flt)}


def test_search_registered_models_filters(client, unique):
    base = unique("rmsearch")
    alpha, beta, gamma = f"{base}-alpha", f"{base}-beta", f"{base}-Gamma"
    client.create_registered_model(alpha, tags={"team": "fraud", "tier": "gold"})
    client.create_registered_model(beta, tags={"team": "ads"})
    client.create_registered_model(gamma)

    assert _name_set(client, f"name = '{alpha}'") == {alpha}
    assert _name_set(client, f"name LIKE '{base}%'") == {alpha, beta, gamma}
    assert _name_set(client, f"name LIKE '{base}-be_a'") == {beta}
    # LIKE is case-sensitive, ILIKE is not.
    assert _name_set(client, f"name LIKE '{base}-gamma'") == set()
    assert _name_set(client, f"name ILIKE '{base.upper()}-GAMMA'") == {gamma}
    assert _name_set(client, f"name LIKE '{base}%' AND name != '{beta}'") == {alpha, gamma}
    assert _name_set(client, f"name IN ('{alpha}', '{gamma}')") == {alpha, gamma}
    assert _name_set(client, f"name LIKE '{base}%' AND tags.team = 'fraud'") == {alpha}
    assert _name_set(client, f"name LIKE '{base}%' AND tags.team != 'fraud'") == {beta}
    assert _name_set(client, f"name LIKE '{base}%' AND tags.team LIKE 'a%'") == {beta}
    assert _name_set(client, f"name LIKE '{base}%' AND tags.team ILIKE 'FR%'") == {alpha}
    assert _name_set(client, f"name LIKE '{base}%' AND tags.`tier` = 'gold'") == {alpha}
    both = f"name LIKE '{base}%' AND tags.team = 'fraud' AND tags.tier = 'x'"
    assert _name_set(client, both) == set()
    fluent = mlflow.search_registered_models(
        filter_string=f"name LIKE '{base}-%' AND tags.team = 'ads'"
    )
    assert [m.name for m in fluent] == [beta]


def test_search_registered_models_order_by(client, unique):
    base = unique("rmorder")
    names = [f"{base}-{c}" for c in "bca"]
    for n in names:
        client.create_registered_model(n)
    flt = f"name LIKE '{base}%'"
    # The default order is by name, ascending.
    assert _names(client, flt) == sorted(names)
    assert _names(client, flt, order_by=["name DESC"]) == sorted(names, reverse=True)
    assert _names(client, flt, order_by=["name ASC"]) == sorted(names)
    # Touching a model moves it to the front of last_updated_timestamp DESC.
    client.update_registered_model(names[0], description="touched")
    newest_first = _names(client, flt, order_by=["last_updated_timestamp DESC", "name ASC"])
    assert newest_first[0] == names[0]
    assert _names(client, flt, order_by=["last_updated_timestamp ASC"])[-1] == names[0]


def test_search_registered_models_paging(client, unique):
    base = unique("rmpage")
    names = [f"{base}-{i}" for i in range(5)]
    for n in names:
        client.create_registered_model(n)
    flt = f"name LIKE '{base}%'"
    seen, token, pages = [], None, 0
    while True:
        page = client.search_registered_models(flt, max_results=2, page_token=token)
        assert len(page) <= 2
        seen += [m.name for m in page]
        pages += 1
        token = page.token
        if not token:
            break
    assert seen == names
    assert pages == 3


def test_search_registered_models_bad_input(client):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_registered_models("foo = 'x'")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_registered_models(order_by=["foo"])
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_registered_models(max_results=5000)
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_registered_models(page_token="garbage")


def test_prompts_are_excluded_from_model_search(client, unique):
    prompt_name = unique("prompt")
    model_name = f"{prompt_name}-model"
    client.create_registered_model(model_name)
    prompt = mlflow.genai.register_prompt(name=prompt_name, template="Hello {{name}}")
    assert prompt.version == 1

    # The client adds `tag.mlflow.prompt.is_prompt != 'true'` unless the filter names the tag.
    assert _names(client, f"name LIKE '{prompt_name}%'") == [model_name]
    fluent = mlflow.search_registered_models(filter_string=f"name LIKE '{prompt_name}%'")
    assert [m.name for m in fluent] == [model_name]
    asked = _names(client, f"name LIKE '{prompt_name}%' AND tags.`{PROMPT_TAG}` = 'true'")
    assert asked == [prompt_name]
    assert [p.name for p in client.search_prompts(f"name = '{prompt_name}'")] == [prompt_name]
    loaded = mlflow.genai.load_prompt(f"prompts:/{prompt_name}/1")
    assert loaded.template == "Hello {{name}}"


def test_registered_model_errors(client, unique):
    name = unique("rm")
    client.create_registered_model(name)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS", 400):
        client.create_registered_model(name)
    missing = unique("missing")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_registered_model(missing)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.update_registered_model(missing, description="x")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_registered_model(missing)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.set_registered_model_tag(missing, "k", "v")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.rename_registered_model(missing, unique("rm"))
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_registered_model("")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_registered_model(f"{name}/slash")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_registered_model(f"{name}:colon")
