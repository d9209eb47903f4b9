"""Logbook's API tokens for pipelines and CI: beyond MLflow, so every test here is Logbook-only."""

import pytest
from mlflow.exceptions import MlflowException

from conftest import PASSWORD, http, signed_in_as

pytestmark = pytest.mark.logbook_only


def issue(url, username, **body):
    response = http("POST", url, "/api/2.0/logbook/tokens/create", credentials=(username, PASSWORD), json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_token_is_shown_once_and_lets_a_pipeline_work_as_a_service(url, client, new_user, monkeypatch):
    username = new_user()
    issued = issue(url, username, name="nightly training", scope="EDIT", expires_in_days=30)
    secret, token = issued["secret"], issued["token"]
    assert secret.startswith(f"lbk_{token['id']}_")
    assert token["owner"] == username and token["scope"] == "EDIT" and "expiration_time" in token
    listed = http("GET", url, "/api/2.0/logbook/tokens/list", credentials=(username, PASSWORD)).json()["tokens"]
    assert [t["id"] for t in listed] == [token["id"]]
    assert secret not in str(listed)

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", secret)
    name = f"model-by-token-{token['id']}"
    client.create_registered_model(name)
    experiment_id = client.create_experiment(f"by-token-{token['id']}")
    client.log_metric(client.create_run(experiment_id).info.run_id, "loss", 0.1)
    history = http(
        "GET", url, "/api/2.0/logbook/registered-models/history", headers={"Authorization": f"Bearer {secret}"},
        params={"name": name},
    ).json()
    actor = history["changes"][0]["actor"]
    assert actor == {"id": f"token-{token['id']}", "kind": "service", "name": "nightly training", "auth_method": "token"}
    used = http("GET", url, "/api/2.0/logbook/tokens/list", credentials=(username, PASSWORD)).json()["tokens"][0]
    assert "last_used_time" in used


def test_a_revoked_token_stops_working_and_only_its_owner_or_an_admin_may_revoke_it(url, new_user, admin):
    owner, other = new_user(), new_user()
    issued = issue(url, owner, name="ci", scope="READ")
    bearer = {"Authorization": f"Bearer {issued['secret']}"}
    search = "/api/2.0/mlflow/experiments/search?max_results=1"
    assert http("GET", url, search, headers=bearer).status_code == 200
    token_id = {"token_id": issued["token"]["id"]}
    stranger = http("POST", url, "/api/2.0/logbook/tokens/revoke", credentials=(other, PASSWORD), json=token_id)
    assert stranger.status_code == 404
    assert http("GET", url, "/api/2.0/logbook/tokens/list", credentials=(other, PASSWORD)).json().get("tokens", []) == []
    assert http("POST", url, "/api/2.0/logbook/tokens/revoke", credentials=(owner, PASSWORD), json=token_id).status_code == 200
    assert http("GET", url, search, headers=bearer).status_code == 401
    revoked = http("GET", url, "/api/2.0/logbook/tokens/list", credentials=admin).json()["tokens"]
    assert "revoked_time" in next(t for t in revoked if t["id"] == token_id["token_id"])


def test_a_forged_or_altered_token_is_refused(url, new_user):
    secret = issue(url, new_user(), name="ci", scope="READ")["secret"]
    altered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for token in (altered, "lbk_1_" + "x" * 43, "lbk_notatoken"):
        response = http("GET", url, "/api/2.0/mlflow/experiments/search", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


def test_a_token_cannot_issue_tokens_and_bad_requests_are_refused(url, new_user):
    username = new_user()
    secret = issue(url, username, name="ci", scope="MANAGE")["secret"]
    minted = http(
        "POST", url, "/api/2.0/logbook/tokens/create", headers={"Authorization": f"Bearer {secret}"},
        json={"name": "child", "scope": "READ"},
    )
    assert minted.status_code == 403
    for body, message in [
        ({"name": "x", "scope": "ADMIN"}, "Invalid scope 'ADMIN'. Valid scopes are: READ, USE, EDIT, MANAGE"),
        ({"name": "x", "scope": "READ", "expires_in_days": 0}, "expires_in_days must be a whole number of days, at least 1."),
        ({"scope": "READ"}, "Missing value for required parameter 'name'"),
    ]:
        response = http("POST", url, "/api/2.0/logbook/tokens/create", credentials=(username, PASSWORD), json=body)
        assert response.status_code == 400, body
        assert message in response.json()["message"]
