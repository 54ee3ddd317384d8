"""Property-based fuzzing of every operation in the OpenAPI schema against the live
production arrangement (docs/reliability.md): nginx in front of gunicorn and daphne, on
PostgreSQL, where NUL bytes, deadlocks and connection limits live.

tests/core/test_fuzz_schema.py runs the same checks in-process; this one runs schemathesis'
own command line against the served schema, over real sockets, through the proxy, signed
in as a user who signed up over HTTP. Nothing may answer 5xx, and every response must match
the schema. On failure the output lists each failing operation with a curl command that
reproduces it.

Sized to run in about a minute (it took 3.5-4): the in-process run covers every operation in
depth; this one keeps what only the live stack shows. Every operation gets its schema
examples and 2 fuzzed cases. The coverage phase (boundary and invalid values of each
parameter, deterministic) runs on the reads, whose query strings and paths (searches,
cursors, usernames) reach PostgreSQL as they are; writes take their bodies through
serializers that the in-process run fuzzes. Unexpected methods (405s) are left to
tests/core.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.integration.servers import server_environment, start_production, start_proxy

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

SCHEMATHESIS = Path(sys.executable).parent / "st"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Kept small so that CI stays within its budget: the in-process run covers more examples.
MAX_EXAMPLES = 2
CONFIG = """
[phases.coverage]
unexpected-methods = []

[[operations]]
include-method = ["POST", "PUT", "PATCH", "DELETE"]
phases.coverage.enabled = false
"""


@pytest.fixture
def live_api(transactional_db, broker, settings, tmp_path):
    """The production servers behind nginx, on this test's database. Access tokens last an
    hour, so the token of a sign-up at the start outlives the run."""
    environment = {**server_environment(settings, broker), "JWT_ACCESS_MINUTES": "60"}
    servers = start_production(environment, tmp_path)
    try:
        start_proxy(servers, tmp_path)
        yield servers.http_url
    finally:
        servers.stop()
        print(servers.logs())


def test_no_operation_errors_on_generated_input_against_the_live_servers(live_api, tmp_path):
    signup = requests.post(
        f"{live_api}/api/v1/auth/signup/",
        json={"username": "fuzzer", "email": "fuzzer@example.com", "password": "fuzz-pass-8613"},
        timeout=30,
    )
    assert signup.status_code == 201, signup.text

    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{live_api}/api/schema/?format=json",
            "--header",
            f"Authorization: Bearer {signup.json()['access']}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(MAX_EXAMPLES),
            # One worker thread: CPython 3.11.7 tracks the AST constructor's recursion depth per
            # interpreter, not per thread, so two threads parsing at once (Hypothesis reads
            # lambdas' source) can fail with "AST constructor recursion depth mismatch".
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--generation-database",
            "none",
            # Facebook operations talk to the Graph API; tests/facebook_connect covers them
            # against a fake Graph server.
            "--exclude-path-regex",
            "facebook",
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
    )

    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
