"""MLflow 3.17's role API and per-user permission API, driven by its AuthServiceClient and over raw HTTP.

Workspaces are off: every role that matters lives in workspace "default", a workspace admin holds
(workspace, *, MANAGE) there through some role, and a member holds any role there."""

import uuid

import pytest
from mlflow.exceptions import MlflowException, RestException

from conftest import PASSWORD, http, signed_in_as


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def refused(call):
    with pytest.raises(MlflowException) as caught:
        call()
    return caught.value


def rest_refusal(call, error_code, message=None):
    error = refused(call)
    assert isinstance(error, RestException), error
    assert error.error_code == error_code, error.message
    if message is not None:
        assert message in error.message, error.message
    return error


def denied(call):
    assert refused(call).error_code == "PERMISSION_DENIED"


@pytest.fixture
def role(auth_client, admin):
    """Makes roles in "default" (as the admin) with unique names."""

    def make(*grants):
        with signed_in_as(*admin):
            made = auth_client.create_role("default", unique("role"))
            for resource_type, pattern, permission in grants:
                auth_client.add_role_permission(made.id, resource_type, pattern, permission)
            return made

    return make


@pytest.fixture
def holder(auth_client, admin, new_user, role):
    """A new user holding a new role with these grants."""

    def make(*grants):
        username = new_user()
        made = role(*grants)
        with signed_in_as(*admin):
            auth_client.assign_role(username, made.id)
        return username, made

    return make


def test_an_admin_creates_reads_lists_updates_and_deletes_a_role(auth_client, as_admin):
    name = unique("readers")
    created = auth_client.create_role("default", name, "Reads everything")
    assert (created.name, created.workspace, created.description, created.permissions) == (
        name,
        "default",
        "Reads everything",
        [],
    )
    assert auth_client.get_role(created.id).name == name
    assert created.id in [r.id for r in auth_client.list_roles("default")]
    assert created.id in [r.id for r in auth_client.list_all_roles()]
    renamed = auth_client.update_role(created.id, name=f"{name}-2")
    assert (renamed.name, renamed.description) == (f"{name}-2", "Reads everything")
    described = auth_client.update_role(created.id, description="Sees")
    assert (described.name, described.description) == (f"{name}-2", "Sees")
    auth_client.delete_role(created.id)
    rest_refusal(lambda: auth_client.get_role(created.id), "RESOURCE_DOES_NOT_EXIST", f"Role with id={created.id} not found")
    rest_refusal(lambda: auth_client.delete_role(created.id), "RESOURCE_DOES_NOT_EXIST")


def test_a_role_made_without_description_has_none_and_any_workspace_is_accepted(auth_client, as_admin):
    name = unique("team")
    made = auth_client.create_role("team-a", name)
    assert (made.workspace, made.description) == ("team-a", None)
    assert [r.id for r in auth_client.list_roles("team-a") if r.name == name] == [made.id]
    assert made.id not in [r.id for r in auth_client.list_roles("default")]
    auth_client.delete_role(made.id)


def test_role_names_are_unique_in_a_workspace_and_the_user_prefix_is_reserved(auth_client, as_admin):
    name = unique("writers")
    first = auth_client.create_role("default", name)
    rest_refusal(
        lambda: auth_client.create_role("default", name),
        "RESOURCE_ALREADY_EXISTS",
        f"Role (name={name}, workspace=default) already exists.",
    )
    elsewhere = auth_client.create_role("team-b", name)
    other = auth_client.create_role("default", unique("other"))
    rest_refusal(
        lambda: auth_client.update_role(other.id, name=name),
        "RESOURCE_ALREADY_EXISTS",
        f"Role with name={name} already exists in workspace=default",
    )
    reserved = "Role name '__user_99__' uses the reserved '__user_' prefix, which is held for the per-user permission representation. Choose a different name."
    rest_refusal(lambda: auth_client.create_role("default", "__user_99__"), "INVALID_PARAMETER_VALUE", reserved)
    rest_refusal(lambda: auth_client.update_role(other.id, name="__user_99__"), "INVALID_PARAMETER_VALUE", reserved)
    for made in (first, elsewhere, other):
        auth_client.delete_role(made.id)


def test_role_permissions_are_added_listed_updated_and_removed(auth_client, role, as_admin):
    made = role()
    added = auth_client.add_role_permission(made.id, "experiment", "*", "READ")
    assert (added.role_id, added.resource_type, added.resource_pattern, added.permission) == (
        made.id,
        "experiment",
        "*",
        "READ",
    )
    glob = auth_client.add_role_permission(made.id, "experiment", "prod-*", "DENY")
    assert glob.resource_pattern == "prod-*"
    assert [p.id for p in auth_client.list_role_permissions(made.id)] == [added.id, glob.id]
    assert [p.id for p in auth_client.get_role(made.id).permissions] == [added.id, glob.id]
    updated = auth_client.update_role_permission(added.id, "EDIT")
    assert (updated.id, updated.permission, updated.resource_type) == (added.id, "EDIT", "experiment")
    auth_client.remove_role_permission(added.id)
    assert [p.id for p in auth_client.list_role_permissions(made.id)] == [glob.id]
    rest_refusal(
        lambda: auth_client.remove_role_permission(added.id),
        "RESOURCE_DOES_NOT_EXIST",
        f"Role permission with id={added.id} not found",
    )


def test_role_permissions_are_validated_in_mlflows_order(auth_client, role, as_admin):
    made = role(("experiment", "*", "READ"))
    add = auth_client.add_role_permission
    rest_refusal(
        lambda: add(made.id, "widget", "*", "WRITE"),
        "INVALID_PARAMETER_VALUE",
        "Invalid permission 'WRITE'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')",
    )
    rest_refusal(lambda: add(made.id, "widget", "*", "READ"), "INVALID_PARAMETER_VALUE", "Invalid resource type 'widget'. Valid resource types are: ('assessment', ")
    rest_refusal(
        lambda: add(made.id, "workspace", "*", "READ"),
        "INVALID_PARAMETER_VALUE",
        "Invalid permission 'READ' for resource_type='workspace'. Workspace-wide grants accept only: ('MANAGE', 'USE').",
    )
    rest_refusal(
        lambda: add(made.id, "experiment", "1", "NO_PERMISSIONS"),
        "INVALID_PARAMETER_VALUE",
        "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'. Resource-level grants accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE').",
    )
    rest_refusal(
        lambda: add(made.id, "run", "abc", "READ"),
        "INVALID_PARAMETER_VALUE",
        "Invalid resource_pattern 'abc' for resource_type='run'. This resource type supports only wildcard ('*') grants.",
    )
    rest_refusal(lambda: add(999999, "run", "abc", "READ"), "INVALID_PARAMETER_VALUE", "Invalid resource_pattern")
    rest_refusal(lambda: add(999999, "run", "*", "READ"), "RESOURCE_DOES_NOT_EXIST", "Role with id=999999 not found")
    rest_refusal(
        lambda: add(made.id, "experiment", "*", "EDIT"),
        "RESOURCE_ALREADY_EXISTS",
        f"Role permission (role_id={made.id}, resource_type=experiment, resource_pattern=*) already exists.",
    )
    granted = auth_client.list_role_permissions(made.id)[0]
    rest_refusal(
        lambda: auth_client.update_role_permission(granted.id, "NO_PERMISSIONS"),
        "INVALID_PARAMETER_VALUE",
        "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'.",
    )
    rest_refusal(
        lambda: auth_client.update_role_permission(999999, "READ"),
        "RESOURCE_DOES_NOT_EXIST",
        "Role permission with id=999999 not found",
    )


def test_users_are_assigned_to_roles_and_unassigned(auth_client, new_user, role, as_admin):
    username = new_user()
    user = auth_client.get_user(username)
    made = role(("experiment", "*", "READ"))
    assignment = auth_client.assign_role(username, made.id)
    assert (assignment.user_id, assignment.role_id) == (user.id, made.id)
    assert [(a.id, a.user_id) for a in auth_client.list_role_users(made.id)] == [(assignment.id, user.id)]
    roles = auth_client.list_user_roles(username)
    assert [r.id for r in roles] == [made.id]
    assert [p.permission for p in roles[0].permissions] == ["READ"]
    rest_refusal(
        lambda: auth_client.assign_role(username, made.id),
        "RESOURCE_ALREADY_EXISTS",
        f"User role assignment (user_id={user.id}, role_id={made.id}) already exists",
    )
    auth_client.unassign_role(username, made.id)
    assert auth_client.list_role_users(made.id) == []
    assert auth_client.list_user_roles(username) == []
    rest_refusal(
        lambda: auth_client.unassign_role(username, made.id),
        "RESOURCE_DOES_NOT_EXIST",
        f"User role assignment (user_id={user.id}, role_id={made.id}) not found",
    )
    rest_refusal(lambda: auth_client.assign_role("ghost-" + uuid.uuid4().hex, made.id), "RESOURCE_DOES_NOT_EXIST", "not found")
    rest_refusal(lambda: auth_client.assign_role(username, 999999), "RESOURCE_DOES_NOT_EXIST", "Role with id=999999 not found")
    rest_refusal(lambda: auth_client.list_role_users(999999), "RESOURCE_DOES_NOT_EXIST", "Role with id=999999 not found")


def test_deleting_a_role_ends_its_grants_and_assignments(auth_client, holder, as_admin):
    username, made = holder(("experiment", "*", "EDIT"))
    auth_client.delete_role(made.id)
    assert auth_client.list_user_roles(username) == []
    assert auth_client.get_user_permission(username, "experiment", "1").permission == "READ"


def test_a_user_is_granted_a_permission_on_their_own_role_and_it_is_revoked(auth_client, new_user, as_admin):
    username = new_user()
    user = auth_client.get_user(username)
    auth_client.grant_user_permission(username, "experiment", "7", "EDIT")
    result = auth_client.get_user_permission(username, "experiment", "7")
    assert (result.allowed, result.permission) == (True, "EDIT")
    own = [r for r in auth_client.list_user_roles(username) if r.name == f"__user_{user.id}__"]
    assert len(own) == 1 and own[0].workspace == "default"
    assert [(p.resource_type, p.resource_pattern, p.permission) for p in own[0].permissions] == [("experiment", "7", "EDIT")]
    rest_refusal(
        lambda: auth_client.grant_user_permission(username, "experiment", "7", "READ"),
        "RESOURCE_ALREADY_EXISTS",
        f"Permission for user={username} on resource_type=experiment, resource_id=7 already exists.",
    )
    auth_client.grant_user_permission(username, "registered_model", "*", "MANAGE")
    assert len([r for r in auth_client.list_user_roles(username) if r.name == f"__user_{user.id}__"]) == 1
    auth_client.revoke_user_permission(username, "experiment", "7")
    result = auth_client.get_user_permission(username, "experiment", "7")
    # The default permission (READ) lets a user read, not use: allowed is can_use.
    assert (result.allowed, result.permission) == (False, "READ")
    rest_refusal(
        lambda: auth_client.revoke_user_permission(username, "experiment", "7"),
        "RESOURCE_DOES_NOT_EXIST",
        f"Permission for user={username} on resource_type=experiment, resource_id=7 not found.",
    )


def test_per_user_grants_are_validated(auth_client, new_user, as_admin):
    username = new_user()
    workspace = "resource_type 'workspace' is not supported by the per-user permission convenience APIs."
    rest_refusal(lambda: auth_client.grant_user_permission(username, "workspace", "*", "MANAGE"), "INVALID_PARAMETER_VALUE", workspace)
    rest_refusal(lambda: auth_client.revoke_user_permission(username, "workspace", "*"), "INVALID_PARAMETER_VALUE", workspace)
    rest_refusal(lambda: auth_client.get_user_permission(username, "workspace", "*"), "INVALID_PARAMETER_VALUE", workspace)
    rest_refusal(
        lambda: auth_client.grant_user_permission(username, "experiment", "1", "NO_PERMISSIONS"),
        "INVALID_PARAMETER_VALUE",
        "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'.",
    )
    rest_refusal(
        lambda: auth_client.grant_user_permission(username, "run", "abc", "READ"),
        "INVALID_PARAMETER_VALUE",
        "Invalid resource_pattern 'abc' for resource_type='run'.",
    )
    rest_refusal(
        lambda: auth_client.get_user_permission(username, "run", "abc"),
        "INVALID_PARAMETER_VALUE",
        "resource_type 'run' is not supported by the per-user permission convenience APIs.",
    )
    rest_refusal(
        lambda: auth_client.get_user_permission(username, "scorer", "no-slash"),
        "INVALID_PARAMETER_VALUE",
        "Invalid scorer resource_id. Expected '<experiment_id>/<scorer_name>'.",
    )
    assert auth_client.get_user_permission(username, "run", "*").permission == "READ"
    ghost = "ghost-" + uuid.uuid4().hex
    rest_refusal(lambda: auth_client.get_user_permission(ghost, "experiment", "1"), "RESOURCE_DOES_NOT_EXIST", f"User with username={ghost} not found")
    rest_refusal(lambda: auth_client.grant_user_permission(ghost, "experiment", "1", "READ"), "RESOURCE_DOES_NOT_EXIST")


def test_direct_and_role_grants_fold_together_and_deny_wins(auth_client, holder, role, admin):
    username, _ = holder(("experiment", "*", "EDIT"))
    with signed_in_as(*admin):
        auth_client.grant_user_permission(username, "experiment", "11", "READ")
        assert auth_client.get_user_permission(username, "experiment", "11").permission == "EDIT"
        denying = role(("experiment", "*", "DENY"))
        auth_client.assign_role(username, denying.id)
        assert auth_client.get_user_permission(username, "experiment", "11").permission == "DENY"
        assert auth_client.get_user_permission(username, "experiment", "11").allowed is False
        admins = role(("workspace", "*", "MANAGE"))
        auth_client.assign_role(username, admins.id)
        assert auth_client.get_user_permission(username, "experiment", "11").permission == "MANAGE"


def test_a_workspace_admin_manages_the_roles_of_their_workspace(auth_client, holder, new_user):
    boss, _ = holder(("workspace", "*", "MANAGE"))
    member = new_user()
    with signed_in_as(boss, PASSWORD):
        made = auth_client.create_role("default", unique("team"))
        permission = auth_client.add_role_permission(made.id, "experiment", "*", "USE")
        auth_client.update_role_permission(permission.id, "EDIT")
        auth_client.update_role(made.id, description="Edits experiments")
        auth_client.assign_role(member, made.id)
        assert [a.role_id for a in auth_client.list_role_users(made.id)] == [made.id]
        assert made.id in [r.id for r in auth_client.list_roles("default")]
        assert [r.id for r in auth_client.list_user_roles(member)] == [made.id]
        denied(lambda: auth_client.create_role("team-a", unique("team")))
        denied(lambda: auth_client.list_all_roles())
        denied(lambda: auth_client.delete_role(999999))
        auth_client.unassign_role(member, made.id)
        auth_client.remove_role_permission(permission.id)
        auth_client.delete_role(made.id)


def test_a_member_views_their_workspaces_roles_but_does_not_manage_them(auth_client, holder, new_user, role):
    member, made = holder(("experiment", "*", "READ"))
    other = role(("experiment", "1", "EDIT"))
    with signed_in_as(member, PASSWORD):
        assert auth_client.get_role(other.id).id == other.id
        assert [p.permission for p in auth_client.list_role_permissions(other.id)] == ["EDIT"]
        assert other.id in [r.id for r in auth_client.list_roles("default")]
        assert [r.id for r in auth_client.list_user_roles(member)] == [made.id]
        denied(lambda: auth_client.list_all_roles())
        denied(lambda: auth_client.update_role(other.id, description="mine"))
        denied(lambda: auth_client.add_role_permission(other.id, "experiment", "*", "READ"))
        denied(lambda: auth_client.list_role_users(other.id))
        denied(lambda: auth_client.assign_role(member, other.id))
        denied(lambda: auth_client.delete_role(other.id))
        denied(lambda: auth_client.create_role("default", unique("mine")))
        denied(lambda: auth_client.get_role(999999))
    outsider = new_user()
    with signed_in_as(outsider, PASSWORD):
        denied(lambda: auth_client.get_role(other.id))
        denied(lambda: auth_client.list_roles("default"))
        denied(lambda: auth_client.list_user_roles(member))


def test_a_resource_manager_grants_on_it_and_nobody_else_does(auth_client, new_user, admin):
    owner, other = new_user(), new_user()
    with signed_in_as(*admin):
        auth_client.grant_user_permission(owner, "experiment", "77", "MANAGE")
        auth_client.grant_user_permission(other, "experiment", "78", "EDIT")
    with signed_in_as(owner, PASSWORD):
        auth_client.grant_user_permission(other, "experiment", "77", "READ")
        auth_client.revoke_user_permission(other, "experiment", "77")
        denied(lambda: auth_client.grant_user_permission(other, "experiment", "79", "READ"))
        denied(lambda: auth_client.grant_user_permission(other, "experiment", "*", "READ"))
        assert auth_client.get_user_permission(owner, "experiment", "77").permission == "MANAGE"
        denied(lambda: auth_client.get_user_permission(other, "experiment", "77"))
    with signed_in_as(other, PASSWORD):
        # EDIT is not MANAGE: an editor does not hand out their experiment.
        denied(lambda: auth_client.grant_user_permission(owner, "experiment", "78", "READ"))


def test_users_list_shows_each_users_roles(url, holder, admin):
    username, made = holder(("experiment", "*", "USE"))
    listed = http("GET", url, "/api/2.0/mlflow/users/list", credentials=admin).json()["users"]
    entry = next(user for user in listed if user["username"] == username)
    assert entry["roles"] == [
        {
            "description": None,
            "id": made.id,
            "name": made.name,
            "permissions": [made_permission(url, admin, made.id)],
            "workspace": "default",
        }
    ]
    own = http("GET", url, "/api/2.0/mlflow/users/list", credentials=(username, PASSWORD)).json()["users"]
    assert next(user for user in own if user["username"] == username)["roles"] == entry["roles"]


def made_permission(url, admin, role_id):
    answer = http("GET", url, "/api/3.0/mlflow/roles/permissions/list", credentials=admin, params={"role_id": role_id})
    return answer.json()["role_permissions"][0]


def test_a_user_reads_their_own_permissions(url, auth_client, holder, admin):
    username, made = holder(("experiment", "*", "USE"))
    with signed_in_as(*admin):
        auth_client.grant_user_permission(username, "experiment", "5", "EDIT")
        user_id = auth_client.get_user(username).id
    current = http("GET", url, "/api/3.0/mlflow/users/current/permissions", credentials=(username, PASSWORD))
    assert current.status_code == 200
    rows = current.json()
    assert rows["is_admin"] is False
    assert sorted((r["role_name"], r["resource_type"], r["resource_pattern"], r["permission"], r["workspace"]) for r in rows["permissions"]) == sorted(
        [
            (made.name, "experiment", "*", "USE", "default"),
            (f"__user_{user_id}__", "experiment", "5", "EDIT", "default"),
        ]
    )
    assert set(rows["permissions"][0]) == {"permission", "resource_pattern", "resource_type", "role_id", "role_name", "workspace"}
    listed = http("GET", url, "/api/3.0/mlflow/users/permissions/list", credentials=admin, params={"username": username})
    assert listed.json() == rows
    mine = http("GET", url, "/api/3.0/mlflow/users/permissions/list", credentials=(username, PASSWORD), params={"username": username})
    assert mine.json() == rows
    assert http("GET", url, "/api/3.0/mlflow/users/permissions/list", credentials=(username, PASSWORD), params={"username": admin[0]}).status_code == 403


def test_deleting_a_user_deletes_their_own_role_and_assignments(auth_client, holder, admin):
    username, made = holder(("experiment", "*", "READ"))
    with signed_in_as(*admin):
        auth_client.grant_user_permission(username, "experiment", "3", "EDIT")
        own = next(r for r in auth_client.list_user_roles(username) if r.name.startswith("__user_"))
        auth_client.delete_user(username)
        rest_refusal(lambda: auth_client.get_role(own.id), "RESOURCE_DOES_NOT_EXIST")
        assert auth_client.list_role_users(made.id) == []
        assert auth_client.get_role(made.id).id == made.id


def test_parameters_are_read_and_refused_as_mlflow_reads_them(url, admin, new_user, role):
    def call(method, path, credentials=admin, **kwargs):
        return http(method, url, f"/api/3.0/mlflow/{path}", credentials=credentials, **kwargs)

    def bad_request(answer, message):
        assert answer.status_code == 400, answer.text
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert answer.json()["message"].startswith(message), answer.json()["message"]

    bad_request(call("GET", "roles/get", params={"role_id": "abc"}), "Parameter 'role_id' must be an integer. Got: 'abc'")
    bad_request(call("GET", "roles/get"), "Missing value for required parameter 'role_id'.")
    bad_request(call("POST", "roles/create", json={"workspace": "default"}), "Missing value for required parameter 'name'.")
    bad_request(call("POST", "roles/create", json={"name": " ", "workspace": "default"}), "Role name cannot be empty.")
    bad_request(call("POST", "roles/create", json={"name": "x", "workspace": " "}), "Workspace cannot be empty.")
    bad_request(
        call("POST", "roles/create", json={"name": unique("r"), "workspace": "default", "description": 5}),
        "Role description must be a string or null.",
    )
    bad_request(call("GET", "roles/list", params={"workspace": ""}), "Parameter 'workspace' must be a non-empty string when provided.")
    made = role()
    bad_request(
        call("PATCH", "roles/update", json={"role_id": made.id}),
        "At least one of 'name' or 'description' must be provided to update a role.",
    )
    # A JSON string that is a number is taken, as Python's int() takes it.
    assert call("GET", "roles/get", params={"role_id": str(made.id)}).json()["role"]["id"] == made.id
    assert call("PATCH", "roles/update", json={"role_id": str(made.id), "description": "d"}).status_code == 200
    assert call("POST", "roles/create", json={"name": "x"}).status_code == 400
    username = new_user()
    bad_request(
        call("POST", "roles/create", credentials=(username, PASSWORD), json={"name": "x"}),
        "Request must include one of: role_id, role_permission_id, workspace.",
    )
    bad_request(
        call("POST", "roles/create", credentials=(username, PASSWORD), json={"name": "x", "workspace": ""}),
        "Parameter 'workspace' must be a non-empty string.",
    )
    assert call("DELETE", "roles/delete", credentials=(username, PASSWORD), json={"role_id": 999999}).status_code == 403
    # The per-user grant API revokes with POST.
    assert call("POST", "users/permissions/revoke", json={"username": username, "resource_type": "experiment"}).status_code == 400
    answer = call("GET", "users/permissions/get", params={"username": username, "resource_type": "experiment", "resource_id": "1"})
    assert answer.json() == {"allowed": False, "permission": "READ"}
    assert call("GET", "roles/list").json()["roles"][0]["permissions"] is not None


def test_roles_are_served_at_version_3_only(url, admin):
    assert http("POST", url, "/api/2.0/mlflow/roles/create", credentials=admin, json={}).status_code == 404
    assert http("GET", url, "/ajax-api/3.0/mlflow/roles/list", credentials=admin).status_code == 200


def test_a_workspace_admin_creates_users_but_does_not_delete_them(auth_client, holder, new_user):
    boss, _ = holder(("workspace", "*", "MANAGE"))
    with signed_in_as(boss, PASSWORD):
        made = auth_client.create_user(unique("seeded"), PASSWORD)
        assert made.is_admin is False
        denied(lambda: auth_client.delete_user(made.username))
        denied(lambda: auth_client.update_user_admin(made.username, True))
