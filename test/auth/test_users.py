"""MLflow 3.17's users API, driven by its AuthServiceClient and over raw HTTP."""

import uuid

import pytest
from mlflow.exceptions import MlflowException, RestException

from conftest import PASSWORD, http, signed_in_as


def refused(call):
    with pytest.raises(MlflowException) as caught:
        call()
    return caught.value


def test_an_admin_creates_a_user_who_then_signs_in(url, auth_client, as_admin):
    username = f"ada-{uuid.uuid4().hex[:8]}"
    user = auth_client.create_user(username, PASSWORD)
    assert (user.username, user.is_admin) == (username, False)
    assert auth_client.get_user(username).id == user.id
    assert http("GET", url, "/api/2.0/mlflow/users/current", credentials=(username, PASSWORD)).json() == {
        "is_basic_auth": True,
        "user": {"id": user.id, "is_admin": False, "username": username},
    }


def test_create_refuses_a_duplicate_and_a_short_password(auth_client, new_user, as_admin):
    username = new_user()
    duplicate = refused(lambda: auth_client.create_user(username, PASSWORD))
    assert isinstance(duplicate, RestException) and duplicate.error_code == "RESOURCE_ALREADY_EXISTS"
    assert f"User (username={username}) already exists." in duplicate.message
    short = refused(lambda: auth_client.create_user(f"short-{uuid.uuid4().hex[:8]}", "short"))
    assert short.error_code == "INVALID_PARAMETER_VALUE"
    assert "Password must be at least 12 characters." in short.message


def test_missing_parameters_are_named(url, admin):
    response = http("POST", url, "/api/2.0/mlflow/users/create", credentials=admin, json={"password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Missing value for required parameter 'username'. See the API docs for more information about request parameters."
    )


def test_a_user_reads_only_their_own_account_and_may_not_manage_users(auth_client, new_user):
    alice, bob = new_user(), new_user()
    with signed_in_as(alice, PASSWORD):
        assert auth_client.get_user(alice).username == alice
        assert refused(lambda: auth_client.get_user(bob)).error_code == "PERMISSION_DENIED"
        assert refused(lambda: auth_client.create_user(f"x-{uuid.uuid4().hex[:8]}", PASSWORD)).error_code == (
            "PERMISSION_DENIED"
        )
        assert refused(lambda: auth_client.update_user_admin(alice, True)).error_code == "PERMISSION_DENIED"
        assert refused(lambda: auth_client.delete_user(bob)).error_code == "PERMISSION_DENIED"


def test_a_user_changes_their_password_with_the_current_one_and_the_old_one_stops_working(url, auth_client, new_user):
    username = new_user()
    new_password = "another password of 20"
    with signed_in_as(username, PASSWORD):
        missing = refused(lambda: auth_client.update_user_password(username, new_password))
        assert "Current password is required when changing your own password." in missing.message
        wrong = refused(lambda: auth_client.update_user_password(username, new_password, "not it at all"))
        assert "Current password does not match." in wrong.message
        auth_client.update_user_password(username, new_password, PASSWORD)
    assert http("GET", url, "/api/2.0/mlflow/users/current", credentials=(username, PASSWORD)).status_code == 401
    assert http("GET", url, "/api/2.0/mlflow/users/current", credentials=(username, new_password)).status_code == 200


def test_an_admin_promotes_and_deletes_users_but_not_themself(url, auth_client, new_user, admin, as_admin):
    username = new_user()
    auth_client.update_user_admin(username, True)
    assert auth_client.get_user(username).is_admin is True
    auth_client.delete_user(username)
    assert refused(lambda: auth_client.get_user(username)).error_code == "RESOURCE_DOES_NOT_EXIST"
    assert http("GET", url, "/api/2.0/mlflow/users/current", credentials=(username, PASSWORD)).status_code == 401
    itself = http("DELETE", url, "/api/2.0/mlflow/users/delete", credentials=admin, json={"username": admin[0]})
    assert itself.status_code == 400
    assert itself.json()["message"] == (
        "Users cannot delete their own account. Ask another admin to delete this user instead."
    )


def test_users_are_listed_to_any_signed_in_user(url, new_user):
    username = new_user()
    listed = http("GET", url, "/api/2.0/mlflow/users/list", credentials=(username, PASSWORD)).json()["users"]
    assert username in [user["username"] for user in listed]
