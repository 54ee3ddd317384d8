"""Helpers for the reports and moderation tests."""

import pytest

from messaging.services import get_or_create_conversation, send_message
from moderation.models import Case

REPORTS = "/api/v1/reports/"


def report(client, target_type: str, target=None, reason: str = "spam", **body):
    """POST /reports/ for a model instance (its pk) or with the body given."""
    if target is not None:
        body["target_id"] = target.pk
    return client.post(REPORTS, {"target_type": target_type, "reason": reason, **body})


def case_of(target_type: str, target) -> Case:
    return Case.objects.get(target_type=target_type, target_id=target.pk, status="open")


@pytest.fixture
def message(alice, bob):
    """A message from bob to alice."""
    conversation, _ = get_or_create_conversation(user=bob, username="alice")
    sent, _ = send_message(sender=bob, conversation=conversation, text="buy my stuff")
    return sent
