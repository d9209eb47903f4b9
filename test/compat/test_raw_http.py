"""Raw HTTP checks of the wire format and error shapes the Python client relies on."""

import uuid

import pytest
import requests

JSON = {"Content-Type": "application/json"}
TIMEOUT = 30


def post(api, path, body=None, data=None, headers=JSON):
    return requests.post(f"{api}/{path}", json=body, data=data, headers=headers, timeout=TIMEOUT)


def get(api, path, params=None):
    return requests.get(f"{api}/{path}", params=params, timeout=TIMEOUT)


def error_of(resp, status):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("message"), str)
    return body["error_code"], body["message"]


@pytest.fixture
def run_id(api):
    r = post(api, "experiments/create", {"name": f"compat-raw-{uuid.uuid4().hex[:12]}"})
    assert r.status_code == 200, r.text
    exp_id = r.json()["experiment_id"]
    r = post(api, "runs/create", {"experiment_id": exp_id, "start_time": 1_700_000_000_000})
    assert r.status_code == 200, r.text
    return r.json()["run"]["info"]["run_id"]


def test_health(url):
    r = requests.get(f"{url}/health", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.text.strip() == "OK"


def test_create_experiment_wire_shape(api):
    name = f"compat-raw-{uuid.uuid4().hex[:12]}"
    r = post(api, "experiments/create", {"name": name})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    exp_id = r.json()["experiment_id"]
    assert isinstance(exp_id, str)
    r = get(api, "experiments/get", {"experiment_id": exp_id})
    assert r.status_code == 200
    exp = r.json()["experiment"]
    assert exp["experiment_id"] == exp_id
    assert exp["name"] == name
    assert exp["lifecycle_stage"] == "active"
    r = get(api, "experiments/get-by-name", {"experiment_name": name})
    assert r.status_code == 200
    assert r.json()["experiment"]["experiment_id"] == exp_id


def test_run_wire_shape(api, run_id):
    r = get(api, "runs/get", {"run_id": run_id})
    assert r.status_code == 200
    info = r.json()["run"]["info"]
    assert info["run_id"] == run_id
    assert info["run_uuid"] == run_id  # deprecated alias is still sent
    assert info["status"] == "RUNNING"  # enums travel as names
    assert info["lifecycle_stage"] == "active"
    assert info["start_time"] == 1_700_000_000_000
    assert isinstance(info["experiment_id"], str)
    # The client also sends run_uuid alone (older clients); both spellings work.
    r = get(api, "runs/get", {"run_uuid": run_id})
    assert r.status_code == 200
    assert r.json()["run"]["info"]["run_id"] == run_id


def test_nan_metric_travels_as_string(api, run_id):
    body = {"run_id": run_id, "key": "n", "value": "NaN", "timestamp": 1, "step": 0}
    assert post(api, "runs/log-metric", body).status_code == 200
    r = get(api, "metrics/get-history", {"run_id": run_id, "metric_key": "n"})
    assert r.status_code == 200
    (m,) = r.json()["metrics"]
    assert m["value"] == "NaN"
    assert m["key"] == "n" and m["step"] == 0 and m["timestamp"] == 1


def test_malformed_json_body(api):
    r = post(api, "experiments/create", data="{not json", headers=JSON)
    code, _ = error_of(r, 400)
    assert code in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST")


def test_missing_required_field(api, run_id):
    code, msg = error_of(post(api, "experiments/create", {}), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    assert "Missing value for required parameter 'name'" in msg

    code, msg = error_of(post(api, "runs/log-metric", {"run_id": run_id, "value": 1, "timestamp": 1}), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    assert "Missing value for required parameter 'key'" in msg

    body = {"run_id": run_id, "metrics": [{"key": "a", "value": 1}]}
    code, msg = error_of(post(api, "runs/log-batch", body), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    assert "Missing value for required parameter 'metrics[0].timestamp'" in msg


def test_wrong_field_type(api):
    code, msg = error_of(post(api, "experiments/create", {"name": 31}), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    assert "Invalid value 31 for parameter 'name' supplied" in msg


def test_unknown_route_is_404(api):
    r = post(api, "no-such/endpoint", {})
    assert r.status_code == 404
    r = get(api, "no-such/endpoint")
    assert r.status_code == 404


def test_leading_slashes_route_as_one(url, api, run_id):
    # A tracking URI ending in "/" makes them; MLflow's router merges them before matching.
    r = requests.get(f"{url}//api/2.0/mlflow/runs/get", params={"run_id": run_id}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["run"]["info"]["run_id"] == run_id
    r = requests.get(
        f"{url}//model-versions/get-artifact",
        params={"name": "model", "version": 1, "path": "../path"},
        timeout=TIMEOUT,
    )
    assert error_of(r, 400) == ("INVALID_PARAMETER_VALUE", "Invalid path")


def test_not_found_errors(api):
    code, msg = error_of(get(api, "experiments/get", {"experiment_id": "987654321012"}), 404)
    assert code == "RESOURCE_DOES_NOT_EXIST"
    assert "No Experiment with id=987654321012 exists" in msg
    name = f"compat-missing-{uuid.uuid4().hex}"
    code, _ = error_of(get(api, "experiments/get-by-name", {"experiment_name": name}), 404)
    assert code == "RESOURCE_DOES_NOT_EXIST"
    missing = "0123456789abcdef0123456789abcdef"
    code, msg = error_of(get(api, "runs/get", {"run_id": missing}), 404)
    assert code == "RESOURCE_DOES_NOT_EXIST"
    assert f"Run with id={missing} not found" in msg


def test_duplicate_experiment_is_400(api):
    name = f"compat-raw-{uuid.uuid4().hex[:12]}"
    assert post(api, "experiments/create", {"name": name}).status_code == 200
    code, _ = error_of(post(api, "experiments/create", {"name": name}), 400)
    assert code == "RESOURCE_ALREADY_EXISTS"


def test_log_batch_over_1000_metrics(api, run_id):
    metrics = [{"key": f"m{i}", "value": 1.0, "timestamp": 1, "step": 0} for i in range(1001)]
    code, msg = error_of(post(api, "runs/log-batch", {"run_id": run_id, "metrics": metrics}), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    assert "at most 1000 metrics" in msg
    # Nothing from the rejected batch was stored.
    r = get(api, "runs/get", {"run_id": run_id})
    assert "metrics" not in r.json()["run"]["data"]


def test_log_batch_over_100_params(api, run_id):
    params = [{"key": f"p{i}", "value": "v"} for i in range(101)]
    code, _ = error_of(post(api, "runs/log-batch", {"run_id": run_id, "params": params}), 400)
    assert code == "INVALID_PARAMETER_VALUE"


def test_log_batch_exactly_1000_metrics_ok(api, run_id):
    metrics = [{"key": f"m{i}", "value": float(i), "timestamp": 1, "step": 0} for i in range(1000)]
    assert post(api, "runs/log-batch", {"run_id": run_id, "metrics": metrics}).status_code == 200


def test_search_runs_max_results_limit(api, run_id):
    r = get(api, "runs/get", {"run_id": run_id})
    exp_id = r.json()["run"]["info"]["experiment_id"]
    code, _ = error_of(
        post(api, "runs/search", {"experiment_ids": [exp_id], "max_results": 50001}), 400
    )
    assert code == "INVALID_PARAMETER_VALUE"
    r = post(api, "runs/search", {"experiment_ids": [exp_id], "max_results": 50000})
    assert r.status_code == 200
    assert [x["info"]["run_id"] for x in r.json()["runs"]] == [run_id]


def test_search_experiments_max_results_limits(api):
    for bad in (0, 50001):
        code, _ = error_of(post(api, "experiments/search", {"max_results": bad}), 400)
        assert code == "INVALID_PARAMETER_VALUE"


def test_bad_filter_string(api):
    body = {"experiment_ids": ["0"], "filter": "metrics.x >>> 1", "max_results": 10}
    code, _ = error_of(post(api, "runs/search", body), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    body = {"filter": "name = ", "max_results": 10}
    code, _ = error_of(post(api, "experiments/search", body), 400)
    assert code == "INVALID_PARAMETER_VALUE"


def test_bad_page_token(api):
    body = {"experiment_ids": ["0"], "page_token": "notatoken", "max_results": 10}
    code, _ = error_of(post(api, "runs/search", body), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    body = {"page_token": "notatoken", "max_results": 10}
    code, _ = error_of(post(api, "experiments/search", body), 400)
    assert code == "INVALID_PARAMETER_VALUE"


def test_invalid_param_key(api, run_id):
    body = {"run_id": run_id, "key": "bad!key", "value": "1"}
    code, msg = error_of(post(api, "runs/log-parameter", body), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    assert "Invalid value \"bad!key\" for parameter 'key' supplied" in msg
    body = {"run_id": run_id, "params": [{"key": "bad!key", "value": "1"}]}
    code, _ = error_of(post(api, "runs/log-batch", body), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    body = {"run_id": run_id, "key": "bad!metric", "value": 1.0, "timestamp": 1}
    code, _ = error_of(post(api, "runs/log-metric", body), 400)
    assert code == "INVALID_PARAMETER_VALUE"


def test_param_change_message(api, run_id):
    assert post(api, "runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"}).status_code == 200
    code, msg = error_of(post(api, "runs/log-parameter", {"run_id": run_id, "key": "p", "value": "2"}), 400)
    assert code == "INVALID_PARAMETER_VALUE"
    assert "Changing param values is not allowed" in msg


def test_delete_with_json_body(api):
    # The client sends DELETE requests with a JSON body (logged models here).
    name = f"compat-raw-{uuid.uuid4().hex[:12]}"
    exp_id = post(api, "experiments/create", {"name": name}).json()["experiment_id"]
    r = post(api, "logged-models", {"experiment_id": exp_id, "name": "raw"})
    assert r.status_code == 200, r.text
    model = r.json()["model"]
    assert model["info"]["status"] == "LOGGED_MODEL_PENDING"
    model_id = model["info"]["model_id"]
    r = requests.delete(
        f"{api}/logged-models/{model_id}", json={"model_id": model_id}, headers=JSON, timeout=TIMEOUT
    )
    assert r.status_code == 200, r.text
    code, _ = error_of(get(api, f"logged-models/{model_id}"), 404)
    assert code == "RESOURCE_DOES_NOT_EXIST"


INVALID_HOST = "Invalid Host header - possible DNS rebinding attack detected"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "localhost.evil.example"])
def test_foreign_host_header_refused(url, api, host):
    """DNS rebinding: a page on a foreign name that resolves to this server gets MLflow's 403."""
    name = f"compat-host-{uuid.uuid4().hex[:12]}"
    r = requests.post(
        f"{api}/experiments/create",
        json={"name": name},
        headers={**JSON, "Host": host},
        timeout=TIMEOUT,
    )
    assert r.status_code == 403, r.text
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.text == INVALID_HOST
    r = get(api, "experiments/get-by-name", {"experiment_name": name})
    assert r.status_code == 404, r.text
    r = requests.get(f"{url}/health", headers={"Host": host}, timeout=TIMEOUT)
    assert r.status_code == 200


@pytest.mark.parametrize(
    "host", ["localhost:5000", "127.0.0.1", "[::1]:5000", "10.0.0.7:5000", "192.168.1.20"]
)
def test_local_and_private_host_headers_served(api, host):
    """MLflow's default allowed hosts: the local names on any port and the private addresses."""
    r = requests.get(
        f"{api}/experiments/get", params={"experiment_id": "0"}, headers={"Host": host}, timeout=TIMEOUT
    )
    assert r.status_code == 200, r.text
