"""Usernames derived from a person's name, for accounts another identity provider creates
(Facebook login): ASCII-folded, `[a-z0-9_]`, numbered when taken."""

import re
import unicodedata

from accounts.models import User

USERNAME_MAX = User._meta.get_field("username").max_length


def username_base(name: str) -> str:
    """ "José María O'Neill" -> "jose_maria_o_neill": ASCII-folded, [a-z0-9_], at most 30."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", folded).strip("_").lower()
    return cleaned[:USERNAME_MAX].rstrip("_") or "user"


def free_username(name: str) -> str:
    """The name's username base if free (without regard to case), else the base numbered
    2, 3, ... (shortened to fit 30 characters)."""
    base = username_base(name)
    if not User.objects.filter(username__iexact=base).exists():
        return base
    stem = base[: USERNAME_MAX - 6]
    taken = {
        username.lower()
        for username in User.objects.filter(
            username__iregex=rf"^{re.escape(stem)}[0-9]{{1,6}}$"
        ).values_list("username", flat=True)
    }
    number = 2
    while f"{stem}{number}" in taken:
        number += 1
    return f"{stem}{number}"
