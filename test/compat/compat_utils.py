"""Small helpers shared by the compatibility tests."""

import contextlib
import time

import pytest
from mlflow.exceptions import MlflowException


@contextlib.contextmanager
def raises_mlflow(error_code, http_status=None, match=None):
    """Expect an MlflowException carrying exactly `error_code` (a name such as
    'RESOURCE_DOES_NOT_EXIST'); optionally check the HTTP status it maps to and
    a substring of the message."""
    with pytest.raises(MlflowException) as excinfo:
        yield excinfo
    err = excinfo.value
    assert err.error_code == error_code, f"expected {error_code}, got {err.error_code}: {err}"
    if http_status is not None:
        assert err.get_http_status_code() == http_status
    if match is not None:
        assert match in str(err), f"{match!r} not in {str(err)!r}"


def now_ms():
    return int(time.time() * 1000)


def tags_without_system(tags):
    """Drop the mlflow.* tags the client adds on its own."""
    return {k: v for k, v in tags.items() if not k.startswith("mlflow.")}
