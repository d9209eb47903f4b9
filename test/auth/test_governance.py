"""A governed promotion end to end (issue 12), as its users make it: the official client for what MLflow
has (registering, tags, stages, aliases) and raw HTTP for what it has not (approval policies, Databricks'
transition requests, the activity list, the audit trail).

An admin governs Production and the protected alias `champion` of every `gov-*` model: one approval from
role `risk` AND one from role `model-owners`, and the evidence tag validation=passed. Roles and users are
made through the API. The model's owner holds `model-owners`, so that the refusal of their own approval is
the policy's rule that a requester never counts, not a missing role."""

import uuid

import pytest
from mlflow.exceptions import MlflowException

from conftest import PASSWORD, http, signed_in_as

pytestmark = pytest.mark.logbook_only

POLICY = "gov-production"
STAGE_ROLES = ("risk", "model-owners")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def answered(response, status=200):
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


def refused(response, status, error_code, includes):
    body = answered(response, status)
    assert body["error_code"] == error_code, body
    assert includes in body["message"], body


@pytest.fixture(scope="module")
def governance(url, admin, auth_client):
    """The policy, its two roles and their members (made by the admin); removed again afterwards, so a
    second run against the same server starts from nothing."""
    people = {role: unique(role) for role in ("owner", "risk", "model-owners", "outsider")}
    with signed_in_as(*admin):
        for username in people.values():
            auth_client.create_user(username, PASSWORD)
    role_ids = []
    for role in STAGE_ROLES:
        made = answered(
            http("POST", url, "/api/3.0/mlflow/roles/create", admin, json={"name": role, "workspace": "default"})
        )
        role_ids.append(made["role"]["id"])
        members = [people[role]] + ([people["owner"]] if role == "model-owners" else [])
        for username in members:
            answered(
                http(
                    "POST",
                    url,
                    "/api/3.0/mlflow/roles/assign",
                    admin,
                    json={"username": username, "role_id": made["role"]["id"]},
                )
            )
    answered(
        http(
            "POST",
            url,
            "/api/2.0/logbook/policies/create",
            admin,
            json={
                "name": POLICY,
                "description": "Production and the champion alias of gov-* models need risk and an owner",
                "applies_to": "gov-*",
                "targets": {"stages": ["Production"], "aliases": ["champion"]},
                "approvals": [{"count": 1, "from": ["risk"]}, {"count": 1, "from": ["model-owners"]}],
                "evidence": {"tags": {"validation": "passed"}},
                "expires_after": "72h",
            },
        )
    )
    yield people
    answered(http("DELETE", url, "/api/2.0/logbook/policies/delete", admin, json={"name": POLICY}))
    for role_id in role_ids:
        answered(http("DELETE", url, "/api/3.0/mlflow/roles/delete", admin, json={"role_id": role_id}))


@pytest.fixture
def governed_version(client, tmp_path, governance, auth_client, admin):
    """A `gov-*` model made by the owner, version 1 registered from a run's logged model (READY), tagged
    validation=passed; both approvers may edit the model."""
    owner = governance["owner"]
    name = unique("gov-fraud")
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    with signed_in_as(owner, PASSWORD):
        run_id = client.create_run(client.create_experiment(unique("gov"))).info.run_id
        client.log_artifacts(run_id, str(folder), artifact_path="model")
        client.create_registered_model(name)
        version = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
        assert version.status == "READY"
        client.set_model_version_tag(name, version.version, "validation", "passed")
    with signed_in_as(*admin):
        for role in STAGE_ROLES:
            auth_client.grant_user_permission(governance[role], "registered_model", name, "EDIT")
    return name, version.version


def call(url, method, path, username, **body):
    """A Databricks route as `username`: query parameters for GET and DELETE, a JSON body otherwise."""
    where = {"params": body} if method in ("GET", "DELETE") else {"json": body}
    return http(method, url, f"/api/2.0/mlflow/{path}", (username, PASSWORD), **where)


def approve(url, username, name, version, **extra):
    body = {"name": name, "version": version, "stage": "Production", "archive_existing_versions": False, **extra}
    return call(url, "POST", "transition-requests/approve", username, **body)


def test_direct_changes_of_the_governed_stage_and_alias_are_refused_in_the_client(
    client, governance, governed_version
):
    name, version = governed_version
    with signed_in_as(governance["owner"], PASSWORD):
        with pytest.raises(MlflowException) as stage:
            client.transition_model_version_stage(name, version, "Production")
        with pytest.raises(MlflowException) as alias:
            client.set_registered_model_alias(name, "champion", version)
        assert client.get_model_version(name, version).current_stage == "None"
        assert client.get_registered_model(name).aliases == {}
        assert client.transition_model_version_stage(name, version, "Staging").current_stage == "Staging"
    for refusal in (stage.value, alias.value):
        assert refusal.error_code == "PERMISSION_DENIED", refusal.message
        assert refusal.get_http_status_code() == 403
        assert f"policy '{POLICY}'" in refusal.message, refusal.message
        assert "/api/2.0/mlflow/transition-requests/create" in refusal.message, refusal.message


def test_a_promotion_requested_over_http_is_applied_by_the_system_after_two_permitted_approvals(
    url, client, governance, governed_version
):
    name, version = governed_version
    owner, risk, owners = governance["owner"], governance["risk"], governance["model-owners"]
    request = answered(
        call(url, "POST", "transition-requests/create", owner, name=name, version=version, stage="Production")
    )["request"]
    assert (request["status"], request["user_id"], request["policy"]["name"]) == ("PENDING", owner, POLICY)

    refused(approve(url, owner, name, version), 403, "PERMISSION_DENIED", "cannot approve it")
    refused(approve(url, governance["outsider"], name, version), 403, "PERMISSION_DENIED", "(risk, model-owners)")
    first = answered(approve(url, risk, name, version, comment="risk review passed"))
    assert first["activity"]["activity_type"] == "APPROVED_REQUEST"
    assert first["request"]["evaluation"]["missing"] == ["1 approval from model-owners: has 0 of 1"]
    with signed_in_as(owner, PASSWORD):
        assert client.get_model_version(name, version).current_stage == "None"

    last = answered(approve(url, owners, name, version))
    assert last["request"]["status"] == "APPLIED"
    assert last["request"]["evaluation"]["outcome"] == "approved"
    assert [a["user_id"] for a in last["request"]["approvals"]] == [risk, owners]
    with signed_in_as(owner, PASSWORD):
        assert client.get_model_version(name, version).current_stage == "Production"

    activities = answered(call(url, "GET", "model-versions/get-activities", owner, name=name, version=version))
    assert [(a["activity_type"], a["user_id"], a.get("to_stage")) for a in activities["activities"]] == [
        ("REQUESTED_TRANSITION", owner, "Production"),
        ("APPROVED_REQUEST", risk, None),
        ("APPROVED_REQUEST", owners, None),
        ("SYSTEM_TRANSITION", "registry", "Production"),
    ]
    assert answered(call(url, "GET", "transition-requests/list", owner, name=name, version=version)) == {}


def test_a_request_is_voided_when_its_evidence_changes_before_the_last_approval(
    url, client, governance, governed_version
):
    name, version = governed_version
    owner = governance["owner"]
    answered(call(url, "POST", "transition-requests/create", owner, name=name, version=version, stage="Production"))
    answered(approve(url, governance["risk"], name, version))
    with signed_in_as(owner, PASSWORD):
        client.set_model_version_tag(name, version, "validation", "rerun")
    refused(approve(url, governance["model-owners"], name, version), 400, "INVALID_STATE", "voided")
    with signed_in_as(owner, PASSWORD):
        assert client.get_model_version(name, version).current_stage == "None"
    last = answered(call(url, "GET", "model-versions/get-activities", owner, name=name, version=version))
    assert last["activities"][-1]["activity_type"] == "CANCELLED_REQUEST"
    assert "voided" in last["activities"][-1]["system_comment"]


def test_the_audit_trail_lists_the_governed_promotion_with_its_decision_fields(
    url, admin, governance, governed_version
):
    name, version = governed_version
    owner = governance["owner"]
    answered(call(url, "POST", "transition-requests/create", owner, name=name, version=version, stage="Production"))
    answered(approve(url, governance["risk"], name, version))
    answered(approve(url, governance["model-owners"], name, version))

    search = "/api/2.0/logbook/audit/entries/search"
    refused(http("GET", url, search, (owner, PASSWORD), params={"name": name}), 403, "PERMISSION_DENIED", "Permission denied")
    entries = answered(http("GET", url, search, admin, params={"name": name, "order": "oldest"}))["entries"]
    governed = [entry for entry in entries if entry["stream_type"] == "transition-request"]
    assert [entry["event_type"] for entry in governed] == [
        "TransitionRequested",
        "ApprovalGiven",
        "ApprovalGiven",
        "TransitionApplied",
    ]
    assert [entry["actor"]["name"] for entry in governed] == [
        owner,
        governance["risk"],
        governance["model-owners"],
        governance["model-owners"],
    ]
    request_state = governed[-1]["after"]
    assert (request_state["status"], request_state["policy"]["name"]) == ("APPLIED", POLICY), request_state
    # Each approval records the roles its approver held: the named ones, not the per-user role that holds
    # their grant on the model.
    assert [(a["approver"]["name"], a["roles"]) for a in request_state["approvals"]] == [
        (governance["risk"], ["risk"]),
        (governance["model-owners"], ["model-owners"]),
    ]
    applied = [entry for entry in entries if entry["event_type"] == "ModelVersionStageTransitioned"]
    assert len(applied) == 1, applied
    assert applied[0]["actor"]["kind"] == "system" and applied[0]["request_id"] == governed[-1]["request_id"]
    assert (applied[0]["before"]["stages"], applied[0]["after"]["stages"]) == ({}, {version: "Production"})
    for entry in governed + applied:
        assert "decision" in entry and entry["target"] == {"name": name, "version": int(version)}, entry
