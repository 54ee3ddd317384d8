"""A fake Facebook Graph API on a real HTTP server (loopback, a free port), so the tests and
local demos exercise our real client over real sockets; nothing of ours is mocked.

Users are keyed by token name: the access token *is* the name ("alice", "noemail", ...).
Exchanging a token for a long-lived one appends ".long"; a login-dialog code is
"code-<token>"; a Page token is "page-<page id>-<user token>". Every request is recorded
(`server.requests`), and every request carrying a token must carry the right
`appsecret_proof`, as a Facebook app with "Require App Secret" does.

Edge-case profiles: `noemail` (Facebook sends no email), `unicode` (a non-ASCII name),
`cjk` (a name with no ASCII letters), `expired` (expired token), `otherapp` (a token issued
to another app), `pagetoken` (not a USER token), `ratelimited` (code 17 on every call),
`broken` (500s), `slow` (answers after `slow_seconds`). Tests add their own with
`server.add_user(...)`, script failures with `server.fail(...)`, or take all of Facebook
down with `server.down = True`.

Run it alone for demos: `python manage.py facebook_fake_server` (with DJANGO_DEBUG on), or
`python -m fakegraph.server` without Django (docs/facebook.md).
"""

import base64
import hashlib
import hmac
import io
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

APP_ID = "424242424242"
APP_SECRET = "fake-app-secret-for-tests-0123456789abcdef"
OTHER_APP_ID = "777777777777"
LONG_LIVED_SECONDS = 60 * 24 * 3600
SHORT_LIVED_SECONDS = 2 * 3600


def appsecret_proof(token: str, secret: str = APP_SECRET) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def signed_request(payload: dict, secret: str = APP_SECRET) -> str:
    """A `signed_request` as Facebook builds it (for the deauthorize/deletion callbacks)."""
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(signature).decode().rstrip("=") + "." + body


def png_bytes(size: int = 64, color: tuple[int, int, int] = (29, 161, 242)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class FakeUser:
    token: str
    id: str
    name: str
    email: str | None = None
    friends: list[str] = field(default_factory=list)  # tokens of friends who use the app
    likes: list[dict] = field(default_factory=list)
    pages: list[dict] = field(default_factory=list)  # {"id", "name", "tasks"}
    picture: str | None = "avatar.png"  # under /pictures/; None: the default silhouette
    app_id: str = APP_ID
    type: str = "USER"
    expired: bool = False
    behaviour: str = "ok"  # ok | ratelimited | broken | slow
    scopes: list[str] = field(
        default_factory=lambda: ["public_profile", "email", "user_friends", "user_likes"]
    )


@dataclass
class Recorded:
    method: str
    path: str  # without the version prefix
    query: dict[str, str]
    form: dict[str, str]
    token: str | None  # from the Authorization header


def default_users() -> dict[str, FakeUser]:
    users = [
        FakeUser(
            "alice",
            "10001",
            "Alice Liddell",
            "alice@example.com",
            friends=["bob", "unicode"],
            likes=[
                {"id": "501", "name": "Django", "category": "Software"},
                {"id": "502", "name": "PostgreSQL", "category": "Software"},
                {"id": "503", "name": "Celery", "category": "Software"},
            ],
            pages=[
                {"id": "9001", "name": "Alice's Bakery", "tasks": ["MANAGE", "CREATE_CONTENT"]},
                {"id": "9002", "name": "Read-only Page", "tasks": ["ANALYZE"]},
            ],
        ),
        FakeUser("bob", "10002", "Bob Builder", "bob@example.com", friends=["alice"]),
        FakeUser("carol", "10003", "Carol Danvers", "carol@example.com"),
        FakeUser("noemail", "10004", "No Email", None),
        FakeUser("unicode", "10005", "José Ñúñez-Åberg", "jose@example.com", friends=["alice"]),
        FakeUser("cjk", "10006", "李小龍", None, picture=None),
        FakeUser("expired", "10007", "Expired Token", "expired@example.com", expired=True),
        FakeUser("otherapp", "10008", "Other App", "other@example.com", app_id=OTHER_APP_ID),
        FakeUser("pagetoken", "10009", "Page Token", None, type="PAGE"),
        FakeUser("ratelimited", "10010", "Rate Limited", None, behaviour="ratelimited"),
        FakeUser("broken", "10011", "Broken Graph", None, behaviour="broken"),
        FakeUser("slow", "10012", "Slow Graph", None, behaviour="slow"),
    ]
    return {user.token: user for user in users}


class GraphError(Exception):
    def __init__(self, status: int, code: int, message: str, subcode: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.subcode = status, code, message, subcode

    def body(self) -> dict:
        error = {"message": self.message, "type": "OAuthException", "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.code in (1, 2):
            error["is_transient"] = True
        error["fbtrace_id"] = "FakeTrace"
        return {"error": error}


class FakeGraphServer:
    """The server and its state. `start()` binds 127.0.0.1 on a free port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, page_size: int = 2) -> None:
        self.lock = threading.Lock()
        self.page_size = page_size
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None
        self.reset()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeGraphServer":
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        with self.lock:
            self.users = default_users()
            self.requests: list[Recorded] = []
            self.posts: list[dict] = []
            self.failures: dict[tuple[str, str], list[int]] = {}
            self.down = False
            self.slow_seconds = 1.5
            self.posts_made = 0

    # --- test helpers ---------------------------------------------------------------------

    def add_user(self, token: str, **fields: Any) -> FakeUser:
        fields.setdefault("id", str(20000 + len(self.users)))
        fields.setdefault("name", token.title())
        user = FakeUser(token=token, **fields)
        with self.lock:
            self.users[token] = user
        return user

    def fail(self, method: str, path: str, statuses: list[int]) -> None:
        """The next len(statuses) `method path` requests answer these statuses: 5xx a
        transient error (code 1), 429 rate limited (code 17), 401 token rejected (code
        190), 403 permission missing (code 10)."""
        with self.lock:
            self.failures[(method.upper(), path)] = list(statuses)

    def calls(self, path: str, method: str | None = None) -> list[Recorded]:
        return [
            r for r in self.requests if r.path == path and (method is None or r.method == method)
        ]

    # --- token resolution -----------------------------------------------------------------

    def user_for(self, token: str | None) -> FakeUser | None:
        if not token:
            return None
        base = token
        while base.endswith(".long"):
            base = base[: -len(".long")]
        return self.users.get(base)

    def page_for(self, token: str | None) -> tuple[FakeUser, dict] | None:
        if not token or not token.startswith("page-"):
            return None
        _, page_id, user_token = token.split("-", 2)
        user = self.user_for(user_token)
        if user is None:
            return None
        page = next((p for p in user.pages if p["id"] == page_id), None)
        return (user, page) if page else None


def _handler_for(server: FakeGraphServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            return

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_DELETE(self):
            self._handle("DELETE")

        # --- plumbing ---------------------------------------------------------------------

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            segments = path.split("/")
            if len(segments) > 1 and segments[1].startswith("v") and "." in segments[1]:
                path = "/" + "/".join(segments[2:])  # /v21.0/me -> /me
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            form: dict[str, str] = {}
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                raw = self.rfile.read(length).decode()
                form = dict(parse_qsl(raw, keep_blank_values=True))
            token = None
            authorization = self.headers.get("Authorization", "")
            if authorization[:7].lower() == "bearer " or authorization[:6].lower() == "oauth ":
                token = authorization.split(" ", 1)[1].strip()
            token = token or query.get("access_token") or form.get("access_token")
            with server.lock:
                server.requests.append(Recorded(method, path, query, form, token))
                scripted = server.failures.get((method, path))
                status = scripted.pop(0) if scripted else None
            try:
                if path.startswith("/pictures/"):
                    return self._picture(path.rsplit("/", 1)[-1])
                if path == "/dialog/oauth":
                    return self._dialog(query)
                if server.down:
                    raise GraphError(503, 2, "Service temporarily unavailable")
                if status is not None:
                    self._scripted(status)
                if token is not None:
                    proof = query.get("appsecret_proof") or form.get("appsecret_proof")
                    if not proof or not hmac.compare_digest(proof, appsecret_proof(token)):
                        raise GraphError(
                            400, 100, "Invalid appsecret_proof provided in the API argument"
                        )
                body = self._route(method, path, query, form, token)
                self._json(200, body)
            except GraphError as exc:
                self._json(exc.status, exc.body())
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _scripted(self, status: int) -> None:
            if status == 429:
                raise GraphError(400, 17, "User request limit reached")
            if status == 403:
                raise GraphError(400, 10, "Application does not have permission for this action")
            if status == 401:
                raise GraphError(400, 190, "Error validating access token", 460)
            raise GraphError(status, 1, "An unknown error has occurred.")

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _behave(self, user: FakeUser) -> None:
            if user.behaviour == "ratelimited":
                raise GraphError(400, 17, "User request limit reached")
            if user.behaviour == "broken":
                raise GraphError(500, 1, "An unknown error has occurred.")
            if user.behaviour == "slow":
                time.sleep(server.slow_seconds)

        def _user(self, token: str | None) -> FakeUser:
            user = server.user_for(token)
            if user is None:
                raise GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")
            self._behave(user)
            if user.app_id != APP_ID:
                raise GraphError(400, 190, "Invalid OAuth access token for this app", 460)
            if user.expired:
                raise GraphError(
                    400, 190, "Error validating access token: Session has expired", 463
                )
            return user

        # --- endpoints ----------------------------------------------------------------------

        def _route(self, method, path, query, form, token) -> Any:
            if path == "/debug_token" and method == "GET":
                return self._debug_token(query, token)
            if path == "/oauth/access_token":
                return self._access_token({**query, **form})
            if path == "/me" and method == "GET":
                return self._me(self._user(token), query)
            if path == "/me/friends" and method == "GET":
                user = self._user(token)
                friends = [server.user_for(t) for t in user.friends]
                items = [{"id": f.id, "name": f.name} for f in friends if f is not None]
                return self._paged(items, query, path)
            if path == "/me/likes" and method == "GET":
                user = self._user(token)
                items = [
                    {**like, "created_time": "2024-05-01T12:00:00+0000"} for like in user.likes
                ]
                return self._paged(items, query, path)
            if path == "/me/accounts" and method == "GET":
                user = self._user(token)
                base = token.removesuffix(".long") if token else ""
                items = [
                    {**page, "access_token": f"page-{page['id']}-{base}"} for page in user.pages
                ]
                return self._paged(items, query, path)
            if path.endswith("/feed") and method == "POST":
                return self._publish(path.split("/")[1], form, token)
            raise GraphError(400, 100, f"Unknown path components: {path}")

        def _debug_token(self, query, token) -> dict:
            if token != f"{APP_ID}|{APP_SECRET}":
                raise GraphError(400, 190, "Invalid app access token")
            user = server.user_for(query.get("input_token"))
            if user is None:
                return {
                    "data": {
                        "is_valid": False,
                        "error": {"code": 190, "message": "Invalid OAuth access token."},
                    }
                }
            self._behave(user)
            long_lived = query.get("input_token", "").endswith(".long")
            now = int(time.time())
            expires_at = now + (LONG_LIVED_SECONDS if long_lived else SHORT_LIVED_SECONDS)
            if user.expired:
                expires_at = now - 3600
            return {
                "data": {
                    "app_id": user.app_id,
                    "type": user.type,
                    "application": "Chirp" if user.app_id == APP_ID else "Another App",
                    "expires_at": expires_at,
                    "data_access_expires_at": now + 90 * 24 * 3600,
                    # Facebook reports an expired token as invalid, yet some tokens slip
                    # through as valid with a past expiry: we check both.
                    "is_valid": not user.expired or user.token == "expired",
                    "scopes": user.scopes,
                    "user_id": user.id,
                }
            }

        def _me(self, user: FakeUser, query) -> dict:
            body: dict[str, Any] = {"id": user.id, "name": user.name}
            fields = query.get("fields", "id,name")
            if "email" in fields and user.email:
                body["email"] = user.email
            if "picture" in fields:
                if user.picture:
                    url = f"{server.url}/pictures/{user.picture}"
                    body["picture"] = {
                        "data": {"height": 200, "width": 200, "is_silhouette": False, "url": url}
                    }
                else:
                    url = f"{server.url}/pictures/silhouette.png"
                    body["picture"] = {"data": {"is_silhouette": True, "url": url}}
            return body

        def _paged(self, items: list, query: dict, path: str) -> dict:
            start = int(query.get("after") or 0)
            size = min(int(query.get("limit") or 25), server.page_size)
            page = items[start : start + size]
            body: dict[str, Any] = {"data": page, "summary": {"total_count": len(items)}}
            if start + size < len(items):
                after = str(start + size)
                next_query = urlencode({**query, "after": after})
                body["paging"] = {
                    "cursors": {"before": str(start), "after": after},
                    "next": f"{server.url}/v21.0{path}?{next_query}",
                }
            else:
                body["paging"] = {"cursors": {"before": str(start), "after": str(start + size)}}
            return body

        def _publish(self, page_id: str, form: dict, token: str | None) -> dict:
            found = server.page_for(token)
            if found is None or found[1]["id"] != page_id:
                raise GraphError(
                    400, 200, "The user hasn't authorized the application to perform this action"
                )
            with server.lock:
                server.posts_made += 1
                post_id = f"{page_id}_{server.posts_made}"
                server.posts.append({"id": post_id, "page_id": page_id, **form})
            return {"id": post_id}

        def _access_token(self, params: dict) -> dict:
            if params.get("client_id") != APP_ID or params.get("client_secret") != APP_SECRET:
                raise GraphError(400, 101, "Error validating client secret.")
            if params.get("grant_type") == "fb_exchange_token":
                user = self._user(params.get("fb_exchange_token"))
                token = params["fb_exchange_token"]
                return {
                    "access_token": token if token.endswith(".long") else f"{token}.long",
                    "token_type": "bearer",
                    "expires_in": LONG_LIVED_SECONDS,
                }
            code = params.get("code", "")
            user = server.user_for(code.removeprefix("code-")) if code.startswith("code-") else None
            if user is None or not params.get("redirect_uri"):
                raise GraphError(400, 100, "Invalid verification code format.")
            self._behave(user)
            return {
                "access_token": user.token,
                "token_type": "bearer",
                "expires_in": SHORT_LIVED_SECONDS,
            }

        def _dialog(self, query: dict) -> None:
            """The login dialog, for demos: logs in as `?as=<token>` (default alice) at once
            and sends the browser back with a code, as Facebook does after consent."""
            target = query.get("redirect_uri", "")
            token = query.get("as", "alice")
            location = (
                f"{target}?{urlencode({'code': f'code-{token}', 'state': query.get('state', '')})}"
            )
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _picture(self, name: str) -> None:
            if name == "redirect.png":
                self.send_response(302)
                self.send_header("Location", f"{server.url}/pictures/avatar.png")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if name == "huge.png":
                body = png_bytes() + b"\0" * (3 * 1024 * 1024)
                self._raw(body, "image/png", length=True)
                return
            if name == "huge-unannounced.png":  # no Content-Length: the cap must hold anyway
                self._raw(png_bytes() + b"\0" * (3 * 1024 * 1024), "image/png", length=False)
                return
            if name == "notimage.png":
                self._raw(b"<html>not an image</html>", "image/png", length=True)
                return
            self._raw(png_bytes(), "image/png", length=True)

        def _raw(self, body: bytes, content_type: str, *, length: bool) -> None:
            try:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                if length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for start in range(0, len(body), 65536):
                    self.wfile.write(body[start : start + 65536])
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def serve(host: str = "127.0.0.1", port: int = 8765, out=sys.stdout) -> None:
    """Serve until interrupted, after printing how to point Chirp at it (for demos: 25 items
    a page, like Facebook's small pages, rather than the tests' 2)."""
    server = FakeGraphServer(host, port, page_size=25)
    out.write(describe(server) + "\n")
    out.flush()
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="A fake Facebook Graph API for demos.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    serve(args.host, args.port)


def describe(server: FakeGraphServer) -> str:
    host = server.httpd.server_address[0]
    tokens = ", ".join(sorted(server.users))
    return (
        f"Fake Graph API on {server.url}\n"
        "Run Chirp against it with:\n"
        f"  FACEBOOK_APP_ID={APP_ID} FACEBOOK_APP_SECRET={APP_SECRET} \\\n"
        f"  FACEBOOK_GRAPH_URL={server.url} FACEBOOK_DIALOG_URL={server.url} \\\n"
        f"  FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS={host} make run\n"
        f"Tokens (POST /api/v1/auth/facebook/ with access_token=<token>): {tokens}\n"
        "Browser: /api/v1/auth/facebook/authorize/ logs in as alice (the fake dialog takes ?as=)."
    )


if __name__ == "__main__":
    main()
