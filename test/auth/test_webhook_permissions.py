"""Webhooks are an admin's (issue 13): MLflow 3.17's basic-auth app lets only admins create, list, read,
update, test or delete them, whoever the webhook's events concern. Through the official client, on both
suites' servers."""

import uuid

import pytest
from mlflow.exceptions import MlflowException

from conftest import PASSWORD, signed_in_as

# Nothing listens there; the test fire's answer is a failed result, not an error.
RECEIVER_URL = "http://127.0.0.1:9/permissions-hook"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def denied(call):
    with pytest.raises(MlflowException) as caught:
        call()
    assert caught.value.error_code == "PERMISSION_DENIED", caught.value.message
    assert caught.value.get_http_status_code() == 403, caught.value.message


@pytest.fixture
def webhook(client, admin):
    with signed_in_as(*admin):
        made = client.create_webhook(name=unique("perm-hook"), url=RECEIVER_URL, events=["model_version.created"])
    yield made
    with signed_in_as(*admin):
        try:
            client.delete_webhook(made.webhook_id)
        except MlflowException:
            pass


def test_a_user_who_is_not_an_admin_may_not_touch_webhooks(client, new_user, webhook):
    with signed_in_as(new_user(), PASSWORD):
        denied(lambda: client.create_webhook(name=unique("perm-hook"), url=RECEIVER_URL, events=["model_version.created"]))
        denied(lambda: client.list_webhooks())
        denied(lambda: client.get_webhook(webhook.webhook_id))
        denied(lambda: client.update_webhook(webhook.webhook_id, description="mine now"))
        denied(lambda: client.test_webhook(webhook.webhook_id))
        denied(lambda: client.delete_webhook(webhook.webhook_id))


def test_an_admin_manages_webhooks(client, admin, webhook):
    with signed_in_as(*admin):
        assert client.get_webhook(webhook.webhook_id).name == webhook.name
        assert webhook.webhook_id in {w.webhook_id for w in client.list_webhooks(max_results=1000)}
        assert client.update_webhook(webhook.webhook_id, description="admin's").description == "admin's"
        assert client.test_webhook(webhook.webhook_id).success is False
        client.delete_webhook(webhook.webhook_id)
