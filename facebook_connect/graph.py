"""A small Graph API client on a `requests` session.

- Base URL and version from settings (FACEBOOK_GRAPH_URL, FACEBOOK_API_VERSION), so tests
  and demos point it at the fake Graph server (fakegraph.server, a development package).
- The token travels in the `Authorization` header, never in a URL, and every call that
  carries a token also carries `appsecret_proof` (HMAC-SHA256 of the token with the app
  secret): a token stolen from a device is useless without our secret.
- Every call has a timeout. Idempotent calls (reads, token exchanges) are retried with
  backoff on 5xx and connection errors by urllib3; publishing is never retried here (a
  lost answer must not become a second post), the outbox task decides.
- List edges are paged with the `after` cursor (never by fetching the `next` URL Facebook
  sends: we only ever talk to the configured host), with a cap on pages.
- Facebook's error payloads become typed exceptions (facebook_connect.exceptions), and
  answers are validated before anyone uses them.
"""

import hashlib
import hmac
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from facebook_connect.exceptions import (
    FacebookError,
    FacebookNotConfigured,
    FacebookPermissionMissing,
    FacebookRateLimited,
    FacebookTokenInvalid,
    FacebookUnavailable,
)

ID_RE = re.compile(r"^[0-9]{1,64}$")
# Graph error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
TOKEN_CODES = {102, 190}
RATE_LIMIT_CODES = {4, 17, 32, 341, 368, 613, 80001, 80004}
TRANSIENT_CODES = {1, 2}
PROFILE_FIELDS = "id,name,email,picture.type(large)"
PAGE_SIZE = 100


@dataclass(frozen=True)
class TokenInfo:
    """What debug_token says about a user token, once it passed our checks."""

    facebook_id: str
    expires_at: datetime | None  # None: never expires
    scopes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Profile:
    facebook_id: str
    name: str
    email: str  # "" when Facebook sends none (or an invalid one)
    picture_url: str  # "" for the default silhouette or none
    raw: dict


def appsecret_proof(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def _expiry(seconds: Any) -> datetime | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return None
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _id(value: Any, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not ID_RE.match(value):
        raise FacebookError(f"Facebook sent an invalid {what}.")
    return value


def raise_for_error(response: requests.Response) -> Any:
    """The decoded JSON body of a successful answer; a typed exception otherwise."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if response.status_code < 400 and body is not None and error is None:
        return body
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    if response.status_code == 429 or code in RATE_LIMIT_CODES:
        raise FacebookRateLimited(graph_code=code)
    if code in TOKEN_CODES:
        raise FacebookTokenInvalid(graph_code=code)
    if code == 10 or (code is not None and 200 <= code <= 299):
        raise FacebookPermissionMissing(graph_code=code)
    if response.status_code >= 500 or code in TRANSIENT_CODES or error.get("is_transient"):
        raise FacebookUnavailable(graph_code=code)
    raise FacebookError(graph_code=code)


class GraphClient:
    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        graph_url: str,
        version: str,
        timeout: float,
        retries: int = 2,
        backoff: float = 0.5,
        max_pages: int = 50,
    ) -> None:
        if not app_id or not app_secret:
            raise FacebookNotConfigured()
        self.app_id = app_id
        self.app_secret = app_secret
        self.base = f"{graph_url.rstrip('/')}/{version.strip('/')}"
        self.timeout = timeout
        self.max_pages = max_pages
        # Idempotent calls: connection errors, read errors and 5xx are retried, any verb
        # (the token exchange is a POST so the app secret stays out of URLs and logs).
        self._idempotent = self._session(
            Retry(
                total=retries,
                backoff_factor=backoff,
                status_forcelist=(500, 502, 503, 504),
                allowed_methods=None,
                raise_on_status=False,
                respect_retry_after_header=False,
            )
        )
        # Publishing: only a refused connection (nothing was sent) is retried.
        self._once = self._session(
            Retry(total=retries, connect=retries, read=0, status=0, other=0, backoff_factor=backoff)
        )

    @classmethod
    def from_settings(cls) -> "GraphClient":
        config = (
            settings.FACEBOOK_APP_ID,
            settings.FACEBOOK_APP_SECRET,
            settings.FACEBOOK_GRAPH_URL,
            settings.FACEBOOK_API_VERSION,
            settings.FACEBOOK_TIMEOUT,
            settings.FACEBOOK_RETRIES,
            settings.FACEBOOK_RETRY_BACKOFF,
            settings.FACEBOOK_MAX_PAGES,
        )
        # One client (and its connection pools) per thread and configuration.
        cached = getattr(_local, "client", None)
        if cached is None or cached[0] != config:
            client = cls(
                app_id=config[0],
                app_secret=config[1],
                graph_url=config[2],
                version=config[3],
                timeout=config[4],
                retries=config[5],
                backoff=config[6],
                max_pages=config[7],
            )
            _local.client = cached = (config, client)
        return cached[1]

    @staticmethod
    def _session(retry: Retry) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # no proxies or .netrc credentials from the environment
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=10)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = "Chirp-Graph-Client/1"
        return session

    # --- transport ------------------------------------------------------------------------

    @property
    def app_token(self) -> str:
        return f"{self.app_id}|{self.app_secret}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        params: dict | None = None,
        data: dict | None = None,
        idempotent: bool = True,
    ) -> Any:
        params = dict(params or {})
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
            params["appsecret_proof"] = appsecret_proof(token, self.app_secret)
        session = self._idempotent if idempotent else self._once
        try:
            response = session.request(
                method,
                f"{self.base}/{path.lstrip('/')}",
                params=params,
                data=data,
                headers=headers,
                timeout=(self.timeout, self.timeout),
                allow_redirects=False,
            )
        except requests.RequestException as exc:  # connection errors, timeouts, retries spent
            raise FacebookUnavailable() from exc
        return raise_for_error(response)

    def _get(self, path: str, *, token: str, params: dict | None = None) -> dict:
        body = self._call("GET", path, token=token, params=params)
        if not isinstance(body, dict):
            raise FacebookError("Facebook sent an unexpected answer.")
        return body

    def iter_edge(self, path: str, *, token: str, fields: str) -> Iterator[dict]:
        """Every item of a list edge, page after page (at most `max_pages` pages)."""
        after: str | None = None
        seen: set[str] = set()
        for _ in range(self.max_pages):
            params = {"fields": fields, "limit": PAGE_SIZE}
            if after:
                params["after"] = after
            body = self._get(path, token=token, params=params)
            items = body.get("data")
            if not isinstance(items, list):
                raise FacebookError("Facebook sent an unexpected list.")
            yield from (item for item in items if isinstance(item, dict))
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
            after = cursors.get("after") if isinstance(cursors.get("after"), str) else None
            if not paging.get("next") or not after or after in seen:
                return
            seen.add(after)

    # --- tokens ---------------------------------------------------------------------------

    def debug_token(self, input_token: str) -> TokenInfo:
        """Check a user token: valid, issued to our app, a USER token, not expired.

        Raises FacebookTokenInvalid otherwise (also for a token of another app).
        """
        body = self._get("debug_token", token=self.app_token, params={"input_token": input_token})
        data = body.get("data")
        if not isinstance(data, dict):
            raise FacebookError("Facebook sent an unexpected token description.")
        if data.get("is_valid") is not True:
            raise FacebookTokenInvalid()
        if str(data.get("app_id", "")) != str(self.app_id):
            raise FacebookTokenInvalid("This access token was issued to another app.")
        if data.get("type") != "USER":
            raise FacebookTokenInvalid("This is not a Facebook user access token.")
        expires = data.get("expires_at")
        if isinstance(expires, bool) or not isinstance(expires, int):
            raise FacebookError("Facebook sent an unexpected token description.")
        expires_at = datetime.fromtimestamp(expires, UTC) if expires else None
        if expires_at is not None and expires_at <= datetime.now(UTC):
            raise FacebookTokenInvalid("This access token has expired.")
        scopes = data.get("scopes") if isinstance(data.get("scopes"), list) else []
        return TokenInfo(
            facebook_id=_id(data.get("user_id"), "user id"),
            expires_at=expires_at,
            scopes=[scope for scope in scopes if isinstance(scope, str)],
        )

    def exchange_token(self, token: str) -> IssuedToken:
        """A long-lived token (about 60 days) for a short-lived one."""
        return self._issued(
            {
                "grant_type": "fb_exchange_token",
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "fb_exchange_token": token,
                "appsecret_proof": appsecret_proof(token, self.app_secret),
            }
        )

    def exchange_code(self, code: str, *, redirect_uri: str) -> IssuedToken:
        """The user token for an OAuth `code` from the login dialog."""
        return self._issued(
            {
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            }
        )

    def _issued(self, form: dict) -> IssuedToken:
        body = self._call("POST", "oauth/access_token", token=None, data=form)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or len(token) > 4096:
            raise FacebookError("Facebook sent no access token.")
        return IssuedToken(access_token=token, expires_at=_expiry(body.get("expires_in")))

    # --- reads ----------------------------------------------------------------------------

    def me(self, token: str) -> Profile:
        body = self._get("me", token=token, params={"fields": PROFILE_FIELDS})
        email = _text(body.get("email"), 254).lower()
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        picture = body.get("picture")
        data = picture.get("data") if isinstance(picture, dict) else None
        url = ""
        if isinstance(data, dict) and not data.get("is_silhouette"):
            url = _text(data.get("url"), 2048)
        return Profile(
            facebook_id=_id(body.get("id"), "user id"),
            name=_text(body.get("name"), 200),
            email=email,
            picture_url=url,
            raw={key: body[key] for key in ("id", "name", "email", "picture") if key in body},
        )

    def friends(self, token: str) -> list[dict]:
        """Friends who also use the app: [{"facebook_id", "name"}]."""
        return [
            {"facebook_id": _id(item.get("id"), "friend id"), "name": _text(item.get("name"), 200)}
            for item in self.iter_edge("me/friends", token=token, fields="id,name")
        ]

    def likes(self, token: str) -> list[dict]:
        """Pages the user likes: [{"page_id", "name", "category", "liked_at"}]."""
        likes = []
        for item in self.iter_edge("me/likes", token=token, fields="id,name,category,created_time"):
            liked_at = None
            raw = item.get("created_time")
            if isinstance(raw, str):
                try:
                    liked_at = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z")
                except ValueError:
                    liked_at = None
            likes.append(
                {
                    "page_id": _id(item.get("id"), "page id"),
                    "name": _text(item.get("name"), 200),
                    "category": _text(item.get("category"), 100),
                    "liked_at": liked_at,
                }
            )
        return likes

    def managed_pages(self, token: str) -> list[dict]:
        """Pages the user manages: [{"page_id", "name", "access_token", "tasks"}]."""
        pages = []
        for item in self.iter_edge("me/accounts", token=token, fields="id,name,access_token,tasks"):
            page_token = item.get("access_token")
            tasks = item.get("tasks") if isinstance(item.get("tasks"), list) else []
            pages.append(
                {
                    "page_id": _id(item.get("id"), "page id"),
                    "name": _text(item.get("name"), 200),
                    "access_token": page_token if isinstance(page_token, str) else "",
                    "tasks": [task for task in tasks if isinstance(task, str)],
                }
            )
        return pages

    # --- writes ---------------------------------------------------------------------------

    def publish_to_page(self, *, page_id: str, page_token: str, message: str, link: str) -> str:
        """Post on the Page's feed (with a link, unless empty); the new post's id. Not
        retried (see the module doc)."""
        body = self._call(
            "POST",
            f"{_id(page_id, 'page id')}/feed",
            token=page_token,
            data={"message": message, **({"link": link} if link else {})},
            idempotent=False,
        )
        post_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(post_id, str) or not post_id or len(post_id) > 128:
            raise FacebookError("Facebook sent no post id.")
        return post_id


_local = threading.local()


def client() -> GraphClient:
    return GraphClient.from_settings()
