"""Calls from Facebook's servers, each proved by a `signed_request`: deauthorize (forget the
token) and data deletion (forget everything, in the background).
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.tasks import enqueue_on_commit
from facebook_connect import graph
from facebook_connect.exceptions import FacebookNotConfigured, InvalidSignedRequest
from facebook_connect.models import FacebookAccount, FacebookDataDeletion, FacebookFriend
from facebook_connect.services.connection import purge_account
from facebook_connect.services.tokens import mark_disconnected


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def parse_signed_request(signed_request: str) -> dict:
    """The payload of a Facebook `signed_request`, once its HMAC-SHA256 signature (app
    secret, constant-time comparison) and its age (FACEBOOK_SIGNED_REQUEST_MAX_AGE) check.

    Raises InvalidSignedRequest (400).
    """
    secret = settings.FACEBOOK_APP_SECRET
    if not secret:
        raise FacebookNotConfigured()
    try:
        encoded_signature, payload = signed_request.split(".", 1)
        signature = _b64decode(encoded_signature)
    except (ValueError, binascii.Error) as exc:
        raise InvalidSignedRequest() from exc
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise InvalidSignedRequest()
    try:
        data = json.loads(_b64decode(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidSignedRequest() from exc
    if not isinstance(data, dict) or str(data.get("algorithm", "")).upper() != "HMAC-SHA256":
        raise InvalidSignedRequest()
    issued_at = data.get("issued_at")
    if isinstance(issued_at, bool) or not isinstance(issued_at, int):
        raise InvalidSignedRequest()
    age = timezone.now().timestamp() - issued_at
    if age > settings.FACEBOOK_SIGNED_REQUEST_MAX_AGE or age < -60:
        raise InvalidSignedRequest()
    user_id = data.get("user_id")
    if not isinstance(user_id, str) or not graph.ID_RE.match(user_id):
        raise InvalidSignedRequest()
    return data


def deauthorize(*, signed_request: str) -> None:
    """The user removed our app on Facebook: forget the token (the link stays, so a later
    Facebook login finds the same account). Unknown users are fine (nothing to forget)."""
    data = parse_signed_request(signed_request)
    account = FacebookAccount.objects.filter(facebook_id=data["user_id"]).first()
    if account is not None:
        mark_disconnected(account_id=account.pk)


@transaction.atomic
def request_data_deletion(*, signed_request: str) -> FacebookDataDeletion:
    """Record the request and delete the data in the background (after commit)."""
    data = parse_signed_request(signed_request)
    deletion = FacebookDataDeletion.objects.create(
        confirmation_code=secrets.token_hex(10), facebook_id=data["user_id"]
    )
    from facebook_connect import tasks

    enqueue_on_commit(tasks.delete_facebook_data, deletion.pk)
    return deletion


@transaction.atomic
def delete_facebook_data(*, deletion_id: int) -> bool:
    """Delete every stored datum of the Facebook user: the account (token, profile), its
    friends and likes, the user's shares, the avatar copied from Facebook (not one the user
    uploaded), and the rows naming them in other accounts' friend lists. Idempotent."""
    deletion = FacebookDataDeletion.objects.select_for_update().filter(pk=deletion_id).first()
    if deletion is None or deletion.status == FacebookDataDeletion.DONE:
        return False
    facebook_id = deletion.facebook_id
    account = FacebookAccount.objects.select_for_update().filter(facebook_id=facebook_id).first()
    if account is not None:
        purge_account(account, remove_avatar=True)
    FacebookFriend.objects.filter(facebook_id=facebook_id).delete()
    deletion.status = FacebookDataDeletion.DONE
    deletion.facebook_id = ""
    deletion.completed_at = timezone.now()
    deletion.save(update_fields=["status", "facebook_id", "completed_at"])
    return True
