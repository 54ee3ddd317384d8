from django.conf import settings
from django.core import signing
from django.utils import timezone

from accounts.models import User
from core.exceptions import NotFound
from lifecycle.models import DataExport


def list_exports(*, user: User):
    """The user's exports, newest first."""
    return DataExport.objects.filter(user=user).order_by("-id")


def access_export(*, user: User, export_id: int) -> DataExport:
    """One of the user's exports; anyone else's, or none, is NotFound."""
    export = list_exports(user=user).filter(pk=export_id).first()
    if export is None:
        raise NotFound("No export with that id.")
    return export


def is_downloadable(export: DataExport) -> bool:
    """Built, not expired, its archive still stored."""
    return (
        export.status == DataExport.DONE
        and bool(export.archive)
        and export.expires_at is not None
        and export.expires_at > timezone.now()
    )


# --- signed download links ---------------------------------------------------------------

DOWNLOAD_SALT = "lifecycle.export.download"


def sign_download(export: DataExport) -> str:
    """The signature of an export's download link: its id and file token, timestamped
    (valid DATA_EXPORT_LINK_MAX_AGE seconds, and only while the archive exists)."""
    return signing.TimestampSigner(salt=DOWNLOAD_SALT).sign(f"{export.pk}:{export.token.hex}")


def download_matches(export: DataExport, signature: str) -> bool:
    """Whether `signature` is this export's, unexpired and untampered."""
    try:
        value = signing.TimestampSigner(salt=DOWNLOAD_SALT).unsign(
            signature, max_age=settings.DATA_EXPORT_LINK_MAX_AGE
        )
    except signing.BadSignature:  # SignatureExpired included
        return False
    return value == f"{export.pk}:{export.token.hex}"
