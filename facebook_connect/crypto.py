"""Facebook tokens encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from FACEBOOK_TOKEN_KEY (comma-separated Fernet keys: the first encrypts, all
decrypt, so a key can be rotated by putting the new one first). When it is empty a key is
derived from SECRET_KEY with HKDF, under its own label, so the token key never equals a key
used for anything else. Rotating SECRET_KEY then makes stored tokens unreadable: they read
as empty, the accounts need a new Facebook login, nothing breaks.
"""

import base64
import functools
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

logger = logging.getLogger(__name__)

HKDF_INFO = b"chirp facebook_connect token encryption v1"


def derive_key(secret: str) -> bytes:
    """A Fernet key derived from `secret` (HKDF-SHA256, fixed label)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        return MultiFernet([Fernet(derive_key(secret_key))])
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FACEBOOK_TOKEN_KEY must be Fernet keys (32 url-safe base64-encoded bytes); "
            'generate one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        ) from exc


def fernet() -> MultiFernet:
    keys = settings.FACEBOOK_TOKEN_KEY
    if isinstance(keys, str):
        keys = [keys] if keys else []
    return _fernet(tuple(key.strip() for key in keys if key.strip()), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The plaintext, or "" when it cannot be read (key rotated away, or tampered with)."""
    if not ciphertext:
        return ""
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        logger.warning("a stored Facebook token could not be decrypted; treating it as absent")
        return ""


class EncryptedTextField(models.TextField):
    """A text column stored encrypted. Values are random per write, so it supports no
    lookups except equality with "" (the empty value is stored as "")."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else ""
