"""Fixtures for the authentication suite: a server with HTTP Basic authentication on (Logbook with
LOGBOOK_AUTH=basic, or MLflow's `--app-name basic-auth`), its first admin named by
LOGBOOK_ADMIN_USERNAME and LOGBOOK_ADMIN_PASSWORD.

MLflow's client reads MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD on every request, so a
test acts as a user by setting them (`signed_in_as`)."""

import contextlib
import os
import uuid

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
for _var in ("MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID", "MLFLOW_TRACKING_TOKEN"):
    os.environ.pop(_var, None)

import pytest  # noqa: E402
import requests  # noqa: E402

_URL = os.environ.get("LOGBOOK_URL", "").strip().rstrip("/")
_ADMIN = (os.environ.get("LOGBOOK_ADMIN_USERNAME", ""), os.environ.get("LOGBOOK_ADMIN_PASSWORD", ""))
PASSWORD = "a password of 20 chars"


def pytest_configure(config):
    if not _URL or not all(_ADMIN):
        raise pytest.UsageError("set LOGBOOK_URL, LOGBOOK_ADMIN_USERNAME and LOGBOOK_ADMIN_PASSWORD (test/auth/run.sh)")


@pytest.fixture(scope="session")
def url():
    return _URL


@pytest.fixture(scope="session")
def admin():
    return _ADMIN


@contextlib.contextmanager
def signed_in_as(username, password):
    saved = {name: os.environ.get(name) for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")}
    os.environ["MLFLOW_TRACKING_USERNAME"] = username
    os.environ["MLFLOW_TRACKING_PASSWORD"] = password
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def auth_client(url):
    from mlflow.server import get_app_client

    return get_app_client("basic-auth", tracking_uri=url)


@pytest.fixture
def as_admin(admin):
    with signed_in_as(*admin):
        yield


@pytest.fixture
def new_user(auth_client, admin):
    """Makes users (as the admin) with unique names and the suite's password."""

    def make():
        username = f"user-{uuid.uuid4().hex[:10]}"
        with signed_in_as(*admin):
            auth_client.create_user(username, PASSWORD)
        return username

    return make


@pytest.fixture
def client(url):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=url)


def http(method, url, path, credentials=None, **kwargs):
    return requests.request(method, f"{url}{path}", auth=credentials, timeout=30, **kwargs)
