"""MlflowClient.search_runs: filters, ordering, paging and view types."""

import pytest
from mlflow.entities import ViewType

from compat_utils import raises_mlflow

BASE = 1_700_000_000_000

# name, acc (None = never logged), optimizer, team, final status
SPEC = [
    ("alpha-1", 0.9, "adam", "a", "FINISHED"),
    ("alpha-2", 0.4, "sgd", "b", "FINISHED"),
    ("beta-1", 0.7, "adam", "b", "FAILED"),
    ("beta-2", None, "sgd", "a", "RUNNING"),
    ("gamma", 0.1, "adam", "a", "KILLED"),
]


@pytest.fixture(scope="module")
def populated(client):
    """One experiment with five runs with known data. Read-only for the tests."""
    import uuid

    exp_id = client.create_experiment(f"compat-search-{uuid.uuid4().hex[:12]}")
    ids = {}
    for i, (name, acc, opt, team, status) in enumerate(SPEC):
        run = client.create_run(
            exp_id, run_name=name, start_time=BASE + i * 1000, tags={"team": team}
        )
        rid = run.info.run_id
        ids[name] = rid
        if acc is not None:
            client.log_metric(rid, "acc", acc, timestamp=BASE, step=0)
        client.log_metric(rid, "loss", 1.0 - i / 10, timestamp=BASE, step=0)
        client.log_param(rid, "opt", opt)
        if status != "RUNNING":
            client.set_terminated(rid, status, end_time=BASE + i * 1000 + 500)
    return exp_id, ids


def names(runs):
    return [r.info.run_name for r in runs]


def search(client, exp_id, filter_string="", **kw):
    return names(client.search_runs([exp_id], filter_string, **kw))


def test_default_order_is_start_time_desc(client, populated):
    exp_id, _ = populated
    assert search(client, exp_id) == ["gamma", "beta-2", "beta-1", "alpha-2", "alpha-1"]


def test_search_results_carry_full_run_data(client, populated):
    exp_id, ids = populated
    (run,) = client.search_runs([exp_id], "attributes.run_name = 'beta-1'")
    assert run.info.run_id == ids["beta-1"]
    assert run.info.status == "FAILED"
    assert run.info.start_time == BASE + 2000
    assert run.info.end_time == BASE + 2500
    assert run.data.metrics == {"acc": 0.7, "loss": 0.8}
    assert run.data.params == {"opt": "adam"}
    assert run.data.tags == {"team": "b", "mlflow.runName": "beta-1"}


def test_filter_metric_greater_than(client, populated):
    exp_id, _ = populated
    assert search(client, exp_id, "metrics.acc > 0.5") == ["beta-1", "alpha-1"]
    assert search(client, exp_id, "metrics.acc >= 0.7") == ["beta-1", "alpha-1"]
    assert search(client, exp_id, "metrics.acc < 0.4") == ["gamma"]
    assert search(client, exp_id, "metrics.acc <= 0.4") == ["gamma", "alpha-2"]
    assert search(client, exp_id, "metrics.acc = 0.9") == ["alpha-1"]
    assert search(client, exp_id, "metrics.acc != 0.9") == ["gamma", "beta-1", "alpha-2"]
    # Runs without the metric never match a metric comparison.
    assert "beta-2" not in search(client, exp_id, "metrics.acc > -1")


def test_filter_param_equals(client, populated):
    exp_id, _ = populated
    assert search(client, exp_id, "params.opt = 'adam'") == ["gamma", "beta-1", "alpha-1"]
    assert search(client, exp_id, 'params.opt != "adam"') == ["beta-2", "alpha-2"]
    assert search(client, exp_id, "params.opt LIKE 's%'") == ["beta-2", "alpha-2"]


def test_filter_tag_equals(client, populated):
    exp_id, _ = populated
    assert search(client, exp_id, "tags.team = 'a'") == ["gamma", "beta-2", "alpha-1"]
    assert search(client, exp_id, "tags.team != 'a'") == ["beta-1", "alpha-2"]


def test_filter_status(client, populated):
    exp_id, _ = populated
    assert search(client, exp_id, "attributes.status = 'FINISHED'") == ["alpha-2", "alpha-1"]
    assert search(client, exp_id, "attributes.status = 'RUNNING'") == ["beta-2"]
    assert search(client, exp_id, "attributes.status != 'FINISHED'") == [
        "gamma",
        "beta-2",
        "beta-1",
    ]


def test_filter_run_name_like(client, populated):
    exp_id, _ = populated
    assert search(client, exp_id, "attributes.run_name LIKE 'alpha%'") == ["alpha-2", "alpha-1"]
    assert search(client, exp_id, "run_name LIKE 'beta%'") == ["beta-2", "beta-1"]
    assert search(client, exp_id, "attributes.run_name = 'gamma'") == ["gamma"]
    # LIKE is case-sensitive; ILIKE is not.
    assert search(client, exp_id, "attributes.run_name LIKE 'ALPHA%'") == []
    assert search(client, exp_id, "attributes.run_name ILIKE 'ALPHA%'") == ["alpha-2", "alpha-1"]


def test_filter_run_id_in(client, populated):
    exp_id, ids = populated
    flt = f"attributes.run_id IN ('{ids['alpha-1']}', '{ids['gamma']}')"
    assert search(client, exp_id, flt) == ["gamma", "alpha-1"]
    flt = f"attributes.run_id NOT IN ('{ids['alpha-1']}', '{ids['gamma']}')"
    assert search(client, exp_id, flt) == ["beta-2", "beta-1", "alpha-2"]
    assert search(client, exp_id, f"attributes.run_id = '{ids['beta-1']}'") == ["beta-1"]


def test_filter_start_time(client, populated):
    exp_id, _ = populated
    assert search(client, exp_id, f"attributes.start_time > {BASE + 2500}") == ["gamma", "beta-2"]
    assert search(client, exp_id, f"attributes.created <= {BASE + 1000}") == [
        "alpha-2",
        "alpha-1",
    ]


def test_filter_conjunction(client, populated):
    exp_id, _ = populated
    flt = "params.opt = 'adam' AND metrics.acc >= 0.7 AND tags.team = 'a'"
    assert search(client, exp_id, flt) == ["alpha-1"]
    flt = "params.opt = 'adam' and attributes.status = 'KILLED'"
    assert search(client, exp_id, flt) == ["gamma"]


def test_order_by_metric(client, populated):
    exp_id, _ = populated
    # Runs lacking the metric sort last in both directions.
    assert search(client, exp_id, order_by=["metrics.acc DESC"]) == [
        "alpha-1",
        "beta-1",
        "alpha-2",
        "gamma",
        "beta-2",
    ]
    assert search(client, exp_id, order_by=["metrics.acc ASC"]) == [
        "gamma",
        "alpha-2",
        "beta-1",
        "alpha-1",
        "beta-2",
    ]
    assert search(client, exp_id, order_by=["metrics.acc"]) == search(
        client, exp_id, order_by=["metrics.acc ASC"]
    )


def test_order_by_attributes(client, populated):
    exp_id, _ = populated
    assert search(client, exp_id, order_by=["attributes.start_time ASC"]) == [
        "alpha-1",
        "alpha-2",
        "beta-1",
        "beta-2",
        "gamma",
    ]
    assert search(client, exp_id, order_by=["attributes.run_name DESC"]) == [
        "gamma",
        "beta-2",
        "beta-1",
        "alpha-2",
        "alpha-1",
    ]
    # Multiple keys: param ascending, then name descending.
    assert search(client, exp_id, order_by=["params.opt ASC", "attributes.run_name DESC"]) == [
        "gamma",
        "beta-1",
        "alpha-1",
        "beta-2",
        "alpha-2",
    ]


def test_order_with_filter(client, populated):
    exp_id, _ = populated
    assert search(client, exp_id, "tags.team = 'a'", order_by=["metrics.loss ASC"]) == [
        "gamma",
        "beta-2",
        "alpha-1",
    ]


def test_paging_with_max_results_and_page_token(client, populated):
    exp_id, _ = populated
    order = ["attributes.start_time ASC"]
    page = client.search_runs([exp_id], max_results=2, order_by=order)
    assert names(page) == ["alpha-1", "alpha-2"]
    assert page.token
    page = client.search_runs([exp_id], max_results=2, order_by=order, page_token=page.token)
    assert names(page) == ["beta-1", "beta-2"]
    assert page.token
    page = client.search_runs([exp_id], max_results=2, order_by=order, page_token=page.token)
    assert names(page) == ["gamma"]
    assert not page.token


def test_paging_collects_every_run_once(client, populated):
    exp_id, ids = populated
    seen, token, pages = [], None, 0
    while True:
        page = client.search_runs([exp_id], "", max_results=1, page_token=token)
        assert len(page) <= 1
        seen += [r.info.run_id for r in page]
        token = page.token
        pages += 1
        if not token:
            break
        assert pages < 20
    assert sorted(seen) == sorted(ids.values())
    assert names(client.search_runs([exp_id], max_results=3)) == ["gamma", "beta-2", "beta-1"]


def test_search_over_several_experiments(client, populated, experiment_id):
    exp_id, _ = populated
    other = client.create_run(experiment_id, run_name="other-exp", start_time=BASE + 10_000)
    both = client.search_runs([exp_id, experiment_id])
    assert other.info.run_id in [r.info.run_id for r in both]
    assert len(both) == 6
    assert names(both)[0] == "other-exp"


def test_run_view_type(client, experiment_id):
    keep = client.create_run(experiment_id, run_name="keep").info.run_id
    gone = client.create_run(experiment_id, run_name="gone").info.run_id
    client.delete_run(gone)

    def ids(view):
        return sorted(r.info.run_id for r in client.search_runs([experiment_id], run_view_type=view))

    assert ids(ViewType.ACTIVE_ONLY) == [keep]
    assert ids(ViewType.DELETED_ONLY) == [gone]
    assert ids(ViewType.ALL) == sorted([keep, gone])
    # Default view is ACTIVE_ONLY.
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [keep]
    client.restore_run(gone)
    assert ids(ViewType.DELETED_ONLY) == []


def test_search_empty_experiment(client, experiment_id):
    page = client.search_runs([experiment_id])
    assert list(page) == []
    assert not page.token


def test_invalid_search_inputs(client, experiment_id):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], "metrics.acc >>> 1")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], "foo.bar = 1")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], "metrics.a > 1 OR metrics.a < 0")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], order_by=["metrics.acc SIDEWAYS"])
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], page_token="not-a-token")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], max_results=50001)
