"""Who may call at all: HTTP Basic credentials checked on every request, as MLflow's basic-auth app does."""

import base64
import os

import pytest
from mlflow.exceptions import MlflowException

from conftest import PASSWORD, http, signed_in_as

CHALLENGE = 'Basic realm="mlflow"'
NOT_AUTHENTICATED = (
    "You are not authenticated. Please see "
    "https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate."
)
SEARCH = "/api/2.0/mlflow/experiments/search?max_results=1"


def basic(text):
    return {"Authorization": "Basic " + base64.b64encode(text.encode()).decode()}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("nobody-at-all:" + PASSWORD),
        {"Authorization": "Bearer some.jwt.token"},
        {"Authorization": "Basic !!!notbase64"},
        basic("no colon"),
        {"Authorization": "Basic "},
        {"Authorization": "Basic"},
    ],
    ids=["none", "unknown user", "bearer", "not base64", "no colon", "empty", "scheme only"],
)
def test_missing_or_bad_credentials_get_401_with_the_basic_challenge(url, headers):
    response = http("GET", url, SEARCH, headers=headers)
    assert response.status_code == 401
    assert CHALLENGE in response.headers["WWW-Authenticate"]


def test_a_wrong_password_gets_401_and_the_right_one_passes(url, new_user):
    username = new_user()
    assert http("GET", url, SEARCH, credentials=(username, "not the password")).status_code == 401
    assert http("GET", url, SEARCH, credentials=(username, PASSWORD)).status_code == 200
    assert http("GET", url, SEARCH, headers=basic(f"{username.upper()}:{PASSWORD}")).status_code == 401


def test_unknown_paths_are_401_before_they_are_404(url, admin):
    assert http("GET", url, "/api/2.0/mlflow/no-such-route").status_code == 401
    assert http("GET", url, "/api/2.0/mlflow/no-such-route", credentials=admin).status_code == 404


def test_health_and_server_info_answer_without_credentials(url):
    assert http("GET", url, "/health").status_code == 200
    assert http("GET", url, "/api/3.0/mlflow/server-info").status_code == 200


def test_the_client_signs_in_from_its_environment_variables(url, client, new_user):
    username = new_user()
    with signed_in_as(username, PASSWORD):
        experiment_id = client.create_experiment(f"signed-in-{username}")
        run = client.create_run(experiment_id)
        client.log_metric(run.info.run_id, "loss", 0.5)
        client.log_text(run.info.run_id, "hello", "notes.txt")
        assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["notes.txt"]
        assert client.get_metric_history(run.info.run_id, "loss")[0].value == 0.5
    with signed_in_as(username, "not the password"), pytest.raises(MlflowException) as refused:
        client.get_experiment(experiment_id)
    assert refused.value.error_code == "UNAUTHENTICATED"


def test_a_token_alone_is_not_basic_credentials(url, client, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "an-opaque-token")
    with pytest.raises(MlflowException) as refused:
        client.search_experiments()
    assert refused.value.error_code == "UNAUTHENTICATED"


@pytest.mark.logbook_only
def test_the_401_is_in_mlflows_error_shape(url):
    response = http("GET", url, SEARCH)
    assert response.json() == {"error_code": "UNAUTHENTICATED", "message": NOT_AUTHENTICATED}


@pytest.mark.logbook_only
def test_every_change_names_the_user_who_made_it(url, client, new_user):
    username = new_user()
    with signed_in_as(username, PASSWORD):
        name = f"model-of-{username}"
        client.create_registered_model(name)
        history = http(
            "GET", url, "/api/2.0/logbook/registered-models/history", credentials=(username, PASSWORD), params={"name": name}
        ).json()
    actor = history["changes"][0]["actor"]
    assert actor["kind"] == "user" and actor["name"] == username and actor["auth_method"] == "basic"


@pytest.mark.logbook_only
def test_a_service_refuses_requests_that_did_not_come_through_the_gateway(admin):
    service = os.environ.get("LOGBOOK_SERVICE_URL", "")
    if not service:
        pytest.skip("only the distributed shape has services behind the gateway")
    forged = {"x-logbook-principal": "eyJhY3RvciI6e319.AAAA"}
    for headers in ({}, forged):
        response = http("GET", service, SEARCH, credentials=admin, headers=headers)
        assert response.status_code == 401, headers
    assert http("GET", service, "/health").status_code == 200


@pytest.mark.logbook_only
def test_repeated_wrong_passwords_slow_that_user_down(url, new_user):
    username = new_user()
    for _ in range(5):
        assert http("GET", url, SEARCH, credentials=(username, "a wrong guess")).status_code == 401
    assert http("GET", url, SEARCH, credentials=(username, "a wrong guess")).status_code == 401
    slowed = http("GET", url, SEARCH, credentials=(username, PASSWORD))
    assert slowed.status_code == 429
    assert slowed.json()["error_code"] == "RESOURCE_EXHAUSTED"
    assert int(slowed.headers["Retry-After"]) >= 1
