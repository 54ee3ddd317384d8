"""Fetching the profile picture URL that Graph hands us: an untrusted URL (SSRF fence,
docs/reliability.md trap 10).

- https only, and the host must be one of FACEBOOK_AVATAR_ALLOWED_HOSTS (or a subdomain);
- the host is resolved once and every address must be public: private, loopback,
  link-local, reserved and multicast addresses are refused; the connection then goes to the
  checked address (with the real host name for SNI, certificate and Host header), so a
  second DNS answer cannot swap in an internal address (DNS rebinding);
- redirects are refused, never followed; connect and read timeouts and an overall deadline;
- the body is capped at FACEBOOK_AVATAR_MAX_BYTES while it streams (a lying or missing
  Content-Length changes nothing);
- what arrives goes through core.images.process_image, the same validation as uploads.

FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS lists hosts exempt from the https and public-address
rules: only for tests and demos against the local fake Graph server. Settings refuse it
with DEBUG off.
"""

import ipaddress
import socket
import time
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from facebook_connect.exceptions import AvatarRefused

CHUNK = 64 * 1024


def host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.lower().strip().lstrip(".")
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


def public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AvatarRefused(f"cannot resolve {host!r}") from exc
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise AvatarRefused(f"{host!r} has no address")
    return addresses


def check_url(url: str) -> tuple[str, str, int, str, str]:
    """(scheme, host, port, address to connect to, path with query) if the URL passes the
    fence; AvatarRefused otherwise."""
    if not isinstance(url, str) or len(url) > 2048:
        raise AvatarRefused("not a URL")
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise AvatarRefused("bad port") from exc
    if not host or parts.username or parts.password:
        raise AvatarRefused("no host, or credentials in the URL")
    insecure_ok = host_allowed(host, settings.FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS)
    if scheme != "https" and not (scheme == "http" and insecure_ok):
        raise AvatarRefused(f"scheme {scheme!r} is not https")
    if not insecure_ok and not host_allowed(host, settings.FACEBOOK_AVATAR_ALLOWED_HOSTS):
        raise AvatarRefused(f"host {host!r} is not allowed")
    addresses = resolve(host, port)
    if not insecure_ok:
        private = [address for address in addresses if not public_address(address)]
        if private:
            raise AvatarRefused(f"{host!r} resolves to a non-public address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, addresses[0], path


def fetch_avatar(url: str) -> bytes:
    """The bytes at `url`, if it passes the fence and fits the cap. AvatarRefused for a
    fence violation, OSError (urllib3 errors included) for network failures."""
    scheme, host, port, address, path = check_url(url)
    max_bytes = settings.FACEBOOK_AVATAR_MAX_BYTES
    timeout = settings.FACEBOOK_AVATAR_TIMEOUT
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    deadline = time.monotonic() + timeout * 3
    try:
        response = pool.urlopen(
            "GET",
            path,
            headers={"Host": host if port in (80, 443) else f"{host}:{port}", "Accept": "image/*"},
            redirect=False,
            preload_content=False,
            decode_content=False,
        )
        try:
            if 300 <= response.status < 400:
                raise AvatarRefused("redirects are not followed")
            if response.status != 200:
                raise OSError(f"avatar fetch answered {response.status}")
            length = response.headers.get("Content-Length")
            if length is not None and (not length.isdigit() or int(length) > max_bytes):
                raise AvatarRefused("the avatar is too large")
            body = bytearray()
            for chunk in response.stream(CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise AvatarRefused("the avatar is too large")
                if time.monotonic() > deadline:
                    raise OSError("the avatar download took too long")
            return bytes(body)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise OSError(f"avatar fetch failed: {exc.__class__.__name__}") from exc
    finally:
        pool.close()
