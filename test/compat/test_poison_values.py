"""Values at and beyond what Logbook stores exactly: refused with MLflow's error, and nothing stored
breaks a later read (issue 7). MLflow's own server stores int64 values beyond 2^53 and NUL characters
(on SQLite), so the refusals are Logbook-only; the exact extremes and the paging work on both."""

import pytest
import requests
from mlflow.exceptions import MlflowException

TIMEOUT = 30
LARGEST_EXACT = 2**53 - 1


@pytest.fixture
def run(client, experiment_id):
    return client.create_run(experiment_id)


def assert_every_read_answers(client, run):
    run_id = run.info.run_id
    assert client.get_run(run_id).info.run_id == run_id
    client.get_metric_history(run_id, "m")
    assert [r.info.run_id for r in client.search_runs([run.info.experiment_id])] == [run_id]
    assert client.get_experiment(run.info.experiment_id).experiment_id == run.info.experiment_id


@pytest.mark.logbook_only
@pytest.mark.parametrize(
    "step, timestamp",
    [(2**53 + 1, 1), (-(2**63), 1), (0, 2**63 - 1)],
    ids=["step-2^53+1", "step--2^63", "timestamp-2^63-1"],
)
def test_integers_a_double_cannot_hold_are_refused(client, run, step, timestamp):
    with pytest.raises(MlflowException) as refused:
        client.log_metric(run.info.run_id, "m", 1.0, timestamp=timestamp, step=step)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "integers must lie between" in refused.value.message
    assert client.get_metric_history(run.info.run_id, "m") == []
    assert_every_read_answers(client, run)


@pytest.mark.logbook_only
def test_text_postgres_cannot_hold_is_refused(client, run):
    text = "a\x00b"
    for write in (
        lambda: client.set_tag(run.info.run_id, "t", text),
        lambda: client.log_param(run.info.run_id, "p", text),
        lambda: client.create_experiment(f"x{text}"),
    ):
        with pytest.raises(MlflowException) as refused:
            write()
        assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    data = client.get_run(run.info.run_id).data
    assert "t" not in data.tags and data.params == {}
    assert_every_read_answers(client, run)


@pytest.mark.logbook_only
def test_a_lone_surrogate_is_refused(api, client, run):
    # The client's protobuf encoder cannot even send one; a JSON escape can.
    body = '{"run_id": "%s", "key": "t", "value": "a\\ud800b"}' % run.info.run_id
    r = requests.post(f"{api}/runs/set-tag", data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "t" not in client.get_run(run.info.run_id).data.tags
    assert_every_read_answers(client, run)


@pytest.mark.logbook_only
def test_deeply_nested_body_is_refused(api, run):
    body = '{"run_id": "%s", "metrics": %s%s}' % (run.info.run_id, "[" * 100_000, "]" * 100_000)
    r = requests.post(f"{api}/runs/log-batch", data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_the_largest_exact_integers_round_trip(client, run):
    run_id = run.info.run_id
    client.log_metric(run_id, "m", 1.0, timestamp=LARGEST_EXACT, step=-LARGEST_EXACT)
    client.set_terminated(run_id, end_time=LARGEST_EXACT)
    (point,) = client.get_metric_history(run_id, "m")
    assert (point.timestamp, point.step) == (LARGEST_EXACT, -LARGEST_EXACT)
    assert client.get_run(run_id).info.end_time == LARGEST_EXACT
    assert_every_read_answers(client, run)


def test_metric_history_pages_larger_than_25000_are_served(api, client, run):
    client.log_metric(run.info.run_id, "m", 1.0, step=0)
    r = requests.get(
        f"{api}/metrics/get-history",
        params={"run_id": run.info.run_id, "metric_key": "m", "max_results": 30000},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    assert [m["step"] for m in r.json()["metrics"]] == [0]
