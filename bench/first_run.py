"""A newcomer's first `make run`, timed: fresh clone to the first authenticated request.

    python3 bench/first_run.py                    # clones this repository's main branch
    python3 bench/first_run.py --repo /path/to/chirp --branch main --port 18650

Standard library only (it runs before any virtualenv exists). Steps:

1. `git clone` the repository into a temporary folder (not timed);
2. start `make run PORT=<port>` there, with no DATABASE_URL/REDIS_URL (the embedded mode a
   newcomer gets) and, unless --pip-cache is given, PIP_NO_CACHE_DIR=1 and an empty
   PIP_CACHE_DIR, so every package is downloaded as on a new machine;
3. poll GET /healthz until it answers 200, then log in as the demo user alice
   (POST /api/v1/auth/login/) and call GET /api/v1/me/ with the access token;
4. print the seconds from step 2 to the 200 of /me/, and the time `make run` spent
   installing (from pip's start to its stamp), then stop `make run` and delete the clone.

The figure depends on the network (PyPI downloads) and the machine's load: run it on a
quiet machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_USER = "alice"
DEMO_PASSWORD = "chirp-demo-pass"
# Variables that would take the clone out of the embedded mode or point it elsewhere.
UNSET = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CHANNEL_LAYER_URL", "VIRTUAL_ENV")


def request(url: str, data: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Accept": "application/json"}
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_for_health(base: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"make run exited with {process.returncode} before serving")
        with contextlib.suppress(OSError):
            if request(f"{base}/healthz")[0] == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"/healthz did not answer within {timeout:.0f}s")


def stop(process: subprocess.Popen) -> None:
    """SIGINT to the process group we started (make and daphne), as Ctrl-C would."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", default=str(ROOT), help="repository to clone (default: this one)")
    parser.add_argument("--branch", default="main", help="branch to clone (default: main)")
    parser.add_argument("--port", type=int, default=18650)
    parser.add_argument("--timeout", type=float, default=900, help="seconds before giving up")
    parser.add_argument(
        "--pip-cache", action="store_true", help="let pip use its cache (a warm second clone)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the clone and print its path")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="chirp-first-run-"))
    clone = workdir / "chirp"
    subprocess.run(
        ["git", "clone", "--quiet", "--branch", args.branch, args.repo, str(clone)], check=True
    )
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    if not args.pip_cache:
        env["PIP_NO_CACHE_DIR"] = "1"
        env["PIP_CACHE_DIR"] = str(workdir / "pip-cache")  # empty, in case a config enables it
    log_path = workdir / "make-run.log"
    base = f"http://127.0.0.1:{args.port}"
    print(f"make run PORT={args.port} in {clone} (log: {log_path})", flush=True)

    with log_path.open("wb") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            ["make", "run", f"PORT={args.port}", "HOST=127.0.0.1"],
            cwd=clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_health(base, process, args.timeout)
            healthy = time.monotonic() - started
            status, tokens = request(
                f"{base}/api/v1/auth/login/", {"username": DEMO_USER, "password": DEMO_PASSWORD}
            )
            if status != 200:
                raise SystemExit(f"login answered {status}: {tokens}")
            status, me = request(f"{base}/api/v1/me/", token=tokens["access"])
            if status != 200 or me.get("username") != DEMO_USER:
                raise SystemExit(f"/api/v1/me/ answered {status}: {me}")
            total = time.monotonic() - started
        finally:
            stop(process)

    venv = clone / ".venv"
    serve_stamp, created = venv / ".requirements-serve", venv / "pyvenv.cfg"
    install = None
    if serve_stamp.exists() and created.exists():
        install = serve_stamp.stat().st_mtime - created.stat().st_mtime
    dev_tools = (venv / ".requirements-dev").exists()
    print(f"/healthz answered after {healthy:.1f} s")
    print(f"first authenticated request (GET /api/v1/me/ as {DEMO_USER}): {total:.1f} s")
    if install is not None:
        print(f"  of which installing requirements.txt: {install:.1f} s")
    print(f"  dev tools installed: {'yes' if dev_tools else 'no'}")
    print(f"  pip cache: {'used' if args.pip_cache else 'off (PIP_NO_CACHE_DIR=1)'}")
    if args.keep:
        print(f"clone kept: {clone}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
