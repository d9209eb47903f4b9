"""Filter and order_by grammar that MLflow 3.17 added or reworded: experiment_id in
search_experiments, IS NULL / IS NOT NULL on tags and params, and the refusals' wording."""

import pytest

from compat_utils import raises_mlflow


@pytest.fixture(scope="module")
def experiments(client):
    """Three experiments sharing a unique name prefix; two carry a `team` tag."""
    import uuid

    prefix = f"compat-grammar-{uuid.uuid4().hex[:12]}"
    ids = {
        "one": client.create_experiment(f"{prefix}-one", tags={"team": "a"}),
        "two": client.create_experiment(f"{prefix}-two", tags={"team": "b"}),
        "three": client.create_experiment(f"{prefix}-three"),
    }
    return prefix, ids


def experiment_names(client, prefix, filter_string, **kw):
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-%' AND {filter_string}", **kw)
    return [e.name[len(prefix) + 1 :] for e in found]


def test_search_experiments_by_experiment_id(client, experiments):
    prefix, ids = experiments
    assert experiment_names(client, prefix, f"experiment_id = '{ids['two']}'") == ["two"]
    assert experiment_names(client, prefix, f"attribute.experiment_id = '{ids['two']}'") == ["two"]
    listed = f"('{ids['one']}', '{ids['three']}')"
    assert sorted(experiment_names(client, prefix, f"experiment_id IN {listed}")) == ["one", "three"]
    assert experiment_names(client, prefix, f"experiment_id NOT IN {listed}") == ["two"]
    assert sorted(experiment_names(client, prefix, f"experiment_id != '{ids['one']}'")) == ["three", "two"]


def test_search_experiments_orders_by_experiment_id(client, experiments):
    prefix, _ = experiments
    ascending = experiment_names(client, prefix, "name != ''", order_by=["experiment_id ASC"])
    assert ascending == ["one", "two", "three"]
    assert experiment_names(client, prefix, "name != ''", order_by=["experiment_id DESC"]) == ascending[::-1]


def test_search_experiments_lets_an_order_by_field_repeat(client, experiments):
    prefix, _ = experiments
    assert experiment_names(client, prefix, "name != ''", order_by=["name ASC", "name DESC"]) == ["one", "three", "two"]


@pytest.mark.parametrize(
    "filter_string, message",
    [
        ("experiment_id < '1'", "Invalid comparator for experiment_id: <"),
        ("experiment_id = 'abc'", "Invalid experiment ID 'abc'. Experiment ID must be a valid integer."),
        ("experiment_id = 1", "Expected a quoted string value for attributes. Got value 1"),
        ("name IN ('a')", "Only ['experiment_id'] attributes support comparison with a list of quoted string values."),
        ("tags.team > 'a'", "Invalid comparator for tag: >"),
        ("creation_time > 1.5", "Invalid value for numeric attribute 'creation_time': '1.5'"),
        ("name IS NULL", "IS NULL / IS NOT NULL is only supported for tags, not for attribute 'name'"),
    ],
)
def test_search_experiments_refusals(client, filter_string, message):
    with raises_mlflow("INVALID_PARAMETER_VALUE", match=message):
        client.search_experiments(filter_string=filter_string)


def test_search_experiments_tag_is_null(client, experiments):
    prefix, _ = experiments
    assert experiment_names(client, prefix, "tags.team IS NULL") == ["three"]
    assert sorted(experiment_names(client, prefix, "tags.team IS NOT NULL")) == ["one", "two"]
    assert experiment_names(client, prefix, "tags.team is not null AND tags.team = 'b'") == ["two"]


@pytest.fixture(scope="module")
def runs(client):
    """One experiment, three runs: tag and param present, absent or both."""
    import uuid

    exp_id = client.create_experiment(f"compat-grammar-runs-{uuid.uuid4().hex[:12]}")
    spec = [("both", "a", "0.1"), ("tag-only", "b", None), ("neither", None, None)]
    for i, (name, team, lr) in enumerate(spec):
        run = client.create_run(exp_id, run_name=name, start_time=1_700_000_000_000 + i, tags={"team": team} if team else {})
        if lr is not None:
            client.log_param(run.info.run_id, "lr", lr)
    return exp_id


def run_names(client, exp_id, filter_string):
    return sorted(r.info.run_name for r in client.search_runs([exp_id], filter_string))


def test_search_runs_tag_and_param_is_null(client, runs):
    assert run_names(client, runs, "tags.team IS NULL") == ["neither"]
    assert run_names(client, runs, "tags.team IS NOT NULL") == ["both", "tag-only"]
    assert run_names(client, runs, "params.lr IS NULL") == ["neither", "tag-only"]
    assert run_names(client, runs, "params.lr is not null") == ["both"]
    assert run_names(client, runs, "tags.team IS NOT NULL AND params.lr IS NULL") == ["tag-only"]


@pytest.mark.parametrize(
    "filter_string, message",
    [
        ("attributes.status IN ('FINISHED')", "Only ['run_id'] attributes support comparison with a list of quoted string values."),
        ("run_name = ('a')", "Only ['run_id'] attributes support comparison with a list of quoted string values."),
        ("metrics.acc IS NULL", "IS NULL / IS NOT NULL is only supported for tags and params, not for 'metric' 'acc'"),
        ("status IS NOT NULL", "IS NULL / IS NOT NULL is only supported for tags and params, not for 'attribute' 'status'"),
        ("tags.team IS NOT  NULL", "Invalid clause(s) in filter string"),
    ],
)
def test_search_runs_refusals(client, runs, filter_string, message):
    with raises_mlflow("INVALID_PARAMETER_VALUE", match=message):
        client.search_runs([runs], filter_string)


def test_search_registered_models_checks_key_before_unquoting(client):
    with raises_mlflow("INVALID_PARAMETER_VALUE", match="Invalid attribute key '`name`' specified."):
        client.search_registered_models(filter_string="`name` = 'a'")
