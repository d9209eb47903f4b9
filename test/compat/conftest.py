"""Shared fixtures for the Logbook <-> MLflow client compatibility suite.

The server under test is given by the LOGBOOK_URL environment variable. Every
test creates its own uniquely named experiments, so the suite can run against a
server that already holds data, and tests do not depend on each other.
"""

import os
import uuid

# These must be in place before mlflow is imported anywhere.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
for _var in ("MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
    os.environ.pop(_var, None)

import pytest  # noqa: E402
import requests  # noqa: E402

_URL = os.environ.get("LOGBOOK_URL", "").strip().rstrip("/")
if _URL:
    os.environ["MLFLOW_TRACKING_URI"] = _URL


def pytest_configure(config):
    if not _URL:
        raise pytest.UsageError(
            "LOGBOOK_URL is not set; use test/compat/run.sh <url> or export "
            "LOGBOOK_URL=http://host:port"
        )


def pytest_report_header(config):
    import mlflow

    return f"tracking server: {_URL}  mlflow client: {mlflow.__version__}"


@pytest.fixture(scope="session")
def url():
    return _URL


@pytest.fixture(scope="session", autouse=True)
def _server_is_up():
    try:
        resp = requests.get(f"{_URL}/health", timeout=10)
    except requests.RequestException as e:
        pytest.exit(f"tracking server at {_URL} is not reachable: {e}", returncode=1)
    if resp.status_code != 200:
        pytest.exit(
            f"{_URL}/health answered {resp.status_code}, expected 200", returncode=1
        )
    import mlflow

    mlflow.set_tracking_uri(_URL)


@pytest.fixture(autouse=True)
def _clean_fluent_state():
    """End runs a failed test may leave active and forget the active experiment."""
    import mlflow
    import mlflow.tracking.fluent as fluent

    yield
    while mlflow.active_run() is not None:
        mlflow.end_run()
    if hasattr(fluent, "_active_experiment_id"):
        fluent._active_experiment_id = None


@pytest.fixture(scope="session")
def client(url):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=url)


@pytest.fixture
def unique():
    """unique("exp") -> 'compat-exp-<12 hex>'; a new value on every call."""

    def make(prefix="x"):
        return f"compat-{prefix}-{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def experiment_id(client, unique):
    """A fresh, empty, active experiment."""
    return client.create_experiment(unique("exp"))


@pytest.fixture
def api(url):
    """Base URL of the REST API, e.g. http://host:port/api/2.0/mlflow."""
    return f"{url}/api/2.0/mlflow"
