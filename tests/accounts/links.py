"""Reading the links in the emails accounts send."""

import re
from urllib.parse import parse_qs, urlsplit


def email_link(message, page: str) -> str:
    """The link to `page` (e.g. "verify-email") in an email's body."""
    return re.search(rf"\S+/{page}/#\S+", message.body).group(0)


def link_params(message, page: str) -> dict[str, str]:
    """The parameters the link to `page` carries in its fragment."""
    fragment = urlsplit(email_link(message, page)).fragment
    return {key: values[0] for key, values in parse_qs(fragment).items()}
