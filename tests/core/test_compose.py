"""docker-compose.yml, the Dockerfile and deploy/nginx.conf follow the serving arrangement of
docs/scaling.md. The variables they pass are checked with the others in test_configuration.py."""

import itertools
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "ws", "worker", "beat")
PROXY_IMAGES = ("nginx", "caddy", "traefik")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def service_env(compose: dict, name: str) -> dict[str, str]:
    environment = compose["services"][name].get("environment") or {}
    if isinstance(environment, list):  # the `- NAME=value` form
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def test_compose_has_every_service(compose):
    assert set(compose["services"]) == {
        "postgres", "redis", "migrate", "web", "ws", "proxy", "worker", "beat"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("service", "probe"),
    [("postgres", "pg_isready"), ("redis", "redis-cli"), ("web", "/healthz"), ("ws", "/healthz")],
)
def test_compose_healthchecks(compose, service, probe):
    healthcheck = compose["services"][service]["healthcheck"]
    test = healthcheck["test"]
    assert probe in (test if isinstance(test, str) else " ".join(test))


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(compose, service):
    depends_on = compose["services"][service]["depends_on"]
    for dependency in ("postgres", "redis"):
        assert depends_on[dependency] == {"condition": "service_healthy"}


def test_app_services_share_database_and_redis(compose):
    for variable in ("DATABASE_URL", "REDIS_URL"):
        values = {service_env(compose, service).get(variable) for service in APP_SERVICES}
        assert len(values) == 1, f"{variable} differs between {APP_SERVICES}: {values}"
        assert values.pop(), f"{variable} is not set"
    for service in APP_SERVICES:
        env = service_env(compose, service)
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert env["DJANGO_DEBUG"] == "false"


@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "JWT_SIGNING_KEY"])
def test_compose_secrets_come_from_the_environment(compose, variable):
    for service in APP_SERVICES:
        value = service_env(compose, service)[variable]
        # Required interpolation: `docker compose up` fails without it; no literal secret.
        assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]*\}}", value), value


def test_dockerignore_keeps_secrets_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored
    assert ".git" in ignored


# --- the serving arrangement (docs/scaling.md) ------------------------------------------


def proxy_services(compose: dict) -> list[str]:
    return [
        name
        for name, service in compose["services"].items()
        if service.get("image", "").split(":")[0].split("/")[-1] in PROXY_IMAGES
    ]


def nginx_conf() -> str:
    return (ROOT / "deploy" / "nginx.conf").read_text()


def nginx_upstreams() -> dict[str, list[str]]:
    """upstream name -> its `server host:port` entries."""
    return {
        name: re.findall(r"^\s*server\s+([^\s;]+)", body, re.MULTILINE)
        for name, body in re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", nginx_conf())
    }


def nginx_location(prefix: str) -> str:
    match = re.search(rf"location\s+{re.escape(prefix)}\s*\{{([^}}]*)\}}", nginx_conf())
    assert match, f"deploy/nginx.conf has no `location {prefix}`"
    return match.group(1)


def routed_to(prefix: str) -> list[str]:
    """The host:port entries behind `location prefix`'s proxy_pass."""
    upstream = re.search(r"proxy_pass\s+http://(\w+)\s*;", nginx_location(prefix)).group(1)
    return nginx_upstreams()[upstream]


def listen_port(command: list[str]) -> int:
    """The port a server command line listens on (gunicorn --bind h:p, daphne --port p)."""
    for option, value in itertools.pairwise(command):
        if option == "--port":
            return int(value)
        if option == "--bind" and ":" in value:
            return int(value.rsplit(":", 1)[1])
    raise AssertionError(f"no listen port in {command}")


def test_num_proxies_equals_the_proxies_compose_runs(compose):
    proxies = proxy_services(compose)
    assert proxies == ["proxy"]
    for service in APP_SERVICES:
        # Literal, not interpolated: a .env value must not make clients pick their own IP.
        assert service_env(compose, service)["DJANGO_NUM_PROXIES"] == str(len(proxies))


def test_only_the_proxy_is_published(compose):
    published = [name for name, service in compose["services"].items() if service.get("ports")]
    assert published == ["proxy"]
    assert compose["services"]["proxy"]["ports"] == ["8000:80"]


def test_proxy_runs_deploy_nginx_conf_and_waits_for_both_servers(compose):
    proxy = compose["services"]["proxy"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert set(proxy["depends_on"]) == {"web", "ws"}


def test_websockets_are_routed_to_the_asgi_service_and_the_rest_to_http(compose):
    services = compose["services"]
    ws_command, web_command = services["ws"]["command"], services["web"]["command"]
    assert ws_command[0] == "daphne" and ws_command[-1] == "config.asgi:application"
    assert web_command[0] == "gunicorn" and web_command[-1] == "config.wsgi"
    assert routed_to("/ws/") == [f"ws:{listen_port(ws_command)}"]
    assert routed_to("/") == [f"web:{listen_port(web_command)}"]
    ws_location = nginx_location("/ws/")
    assert "proxy_set_header Upgrade $http_upgrade;" in ws_location
    assert "proxy_set_header Connection $connection_upgrade;" in ws_location


@pytest.mark.parametrize("prefix", ["/ws/", "/"])
def test_proxy_sets_the_forwarded_headers(prefix):
    location = nginx_location(prefix)
    # Appended, so the last entry (the one DJANGO_NUM_PROXIES=1 trusts) is the real peer.
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in location
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in location
    assert "proxy_set_header Host $host;" in location


def test_proxy_serves_media_from_the_shared_volume_and_the_app_does_not(compose):
    assert "alias /data/media/;" in nginx_location("/media/")
    assert "media:/data/media:ro" in compose["services"]["proxy"]["volumes"]
    for service in ("web", "ws"):
        assert service_env(compose, service)["SERVE_MEDIA"] == "false"
        assert "media:/data/media" in compose["services"][service]["volumes"]


def test_proxy_accepts_the_largest_request_the_app_accepts():
    from django.conf import settings

    size = re.search(r"client_max_body_size\s+(\d+)m;", nginx_conf()).group(1)
    assert int(size) * 1024 * 1024 >= settings.MAX_REQUEST_BYTES


def test_dockerfile_runs_the_web_service_command(compose):
    cmd = re.search(r"^CMD\s+(\[.*\])\s*$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert json.loads(cmd.group(1)) == compose["services"]["web"]["command"]


def test_servers_wait_for_migrations(compose):
    assert compose["services"]["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    for service in ("web", "ws"):
        depends_on = compose["services"][service]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}


def test_asgi_service_has_a_bounded_pool(compose):
    pool = service_env(compose, "ws")["DATABASE_POOL_SIZE"]
    assert re.fullmatch(r"\$\{DATABASE_POOL_SIZE:-[1-9][0-9]*\}", pool), pool
