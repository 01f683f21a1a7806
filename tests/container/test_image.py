"""Build the real Dockerfile, run the image's own command, and use the app in Chromium.

Public registries' images can't be pulled here, so the base is a debootstrapped Debian
bookworm with Debian's python3 (make_base.sh), passed as BASE_IMAGE; the Dockerfile's default
is the official python:3.11-slim. `podman run` fails on this kind of machine (rlimits), so the
container is started with buildah (`buildah from` + `buildah run --isolation chroot`), running
exactly the Entrypoint/Cmd, Env, User and WorkingDir configured in the image.

Needs root, podman, buildah, debootstrap, Chromium and Playwright. Without them the tests skip,
except under CI=true, where a missing prerequisite fails them.

Environment:
  SEQVIZ_BASE_IMAGE  use this base instead of building one (e.g. python:3.11-slim where pullable)
  SEQVIZ_ARTIFACTS   directory that receives container_metrics.json (build time, start-up time,
                     image size); without it the file goes to pytest's tmp dir. The numbers are
                     also written to the terminal and recorded as junit properties.

Images are tagged stably (localhost/seqviz-base:bookworm, localhost/seqviz-test:latest) and
kept, so a rerun reuses the base and podman's layer cache (TensorFlow is not reinstalled unless
requirements.txt changes; the app layers are rebuilt when the code changes).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.container, pytest.mark.slow, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
MAKE_BASE = Path(__file__).resolve().parent / "make_base.sh"
BASE_IMAGE = "localhost/seqviz-base:bookworm"
IMAGE = "localhost/seqviz-test:latest"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CHROMIUM = "/usr/bin/chromium"
MAX_IMAGE_BYTES = 2.5e9
BUILD_TIMEOUT_S = 900
HEALTHY_TIMEOUT_S = 180
# Test-only knob: skips Streamlit's start-up banner, whose headless "External URL" makes an
# HTTP request to a public IP-echo service. The machine running the test reaches no such host.
TEST_ENV = {"STREAMLIT_LOGGER_HIDE_WELCOME_MESSAGE": "true"}


def _missing_prerequisites() -> list[str]:
    missing = [tool for tool in ("podman", "buildah", "debootstrap") if shutil.which(tool) is None]
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        missing.append("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip)")
    if os.geteuid() != 0:
        missing.append("root (debootstrap, podman and buildah run as root here)")
    return missing


def _require_prerequisites() -> None:
    missing = _missing_prerequisites()
    if not missing:
        return
    hint = "apt-get install podman buildah debootstrap chromium"
    reason = f"container test needs: {', '.join(missing)} ({hint})"
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true and " + reason, pytrace=False)
    pytest.skip(reason)


def _run(cmd: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL, **kwargs
    )


def _checked(cmd: list[str], timeout: float = 120, **kwargs) -> str:
    proc = _run(cmd, timeout, **kwargs)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no log>"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _say(request: pytest.FixtureRequest, line: str) -> None:
    """Write to the terminal whether or not output is captured (-s or not)."""
    plugins = request.config.pluginmanager
    reporter, capture = plugins.getplugin("terminalreporter"), plugins.getplugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(line)


@pytest.fixture(scope="module")
def metrics(request, tmp_path_factory):
    """Numbers the run measures; written to JSON and the terminal when the module ends."""
    numbers: dict[str, object] = {}
    yield numbers
    out_dir = os.environ.get("SEQVIZ_ARTIFACTS")
    target = Path(out_dir) if out_dir else tmp_path_factory.mktemp("container")
    target.mkdir(parents=True, exist_ok=True)
    path = target / "container_metrics.json"
    path.write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n")
    _say(request, f"container metrics ({path}): {json.dumps(numbers, sort_keys=True)}")


@pytest.fixture(scope="module")
def image(request, metrics, tmp_path_factory) -> dict:
    """Build the real Dockerfile on the local base; returns the image's inspected JSON."""
    _require_prerequisites()
    logs = tmp_path_factory.mktemp("container-logs")

    base = os.environ.get("SEQVIZ_BASE_IMAGE")
    if not base:
        base = BASE_IMAGE
        started = time.monotonic()
        proc = _run(["sh", str(MAKE_BASE), base], timeout=900)
        (logs / "make_base.log").write_text(proc.stdout + proc.stderr)
        assert proc.returncode == 0, f"make_base.sh failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        metrics["base_seconds"] = round(time.monotonic() - started, 1)
    metrics["base_image"] = base

    build = [
        "podman", "build",
        "--format", "docker",  # keeps HEALTHCHECK (the OCI format drops it)
        "--isolation", "chroot",
        "--network", "host",
        "--build-arg", f"BASE_IMAGE={base}",
        "-t", IMAGE,
        "-f", str(ROOT / "Dockerfile"),
    ]  # fmt: skip
    if os.path.exists(CA_BUNDLE):  # pip inside the build trusts what the host trusts
        build += ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    build.append(str(ROOT))

    log = logs / "build.log"
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.run(
            build, stdout=out, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S, check=False
        )
    metrics["build_seconds"] = round(time.monotonic() - started, 1)
    assert proc.returncode == 0, f"podman build exited {proc.returncode}:\n{_tail(log)}"
    _say(request, f"built {IMAGE} in {metrics['build_seconds']} s on {base}")

    inspected = json.loads(_checked(["podman", "image", "inspect", IMAGE]))[0]
    size = int(_checked(["podman", "image", "inspect", "--format", "{{.Size}}", IMAGE]).strip())
    metrics["image_bytes"] = size
    metrics["image_gb"] = round(size / 1e9, 3)
    return inspected


def _config(inspected: dict) -> dict:
    return inspected.get("Config") or {}


def _healthcheck(inspected: dict) -> dict | None:
    return inspected.get("Healthcheck") or _config(inspected).get("Healthcheck")


def _healthcheck_argv(check: dict) -> list[str]:
    test = list(check.get("Test") or [])
    assert test and test[0] in ("CMD", "CMD-SHELL"), f"unexpected HEALTHCHECK test: {test}"
    return ["/bin/sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]


@pytest.fixture(scope="module")
def server(request, image, metrics, tmp_path_factory):
    """Start the image's own command in a buildah container; yields once /_stcore/health is OK."""
    config = _config(image)
    command = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    assert command, "the image has neither Entrypoint nor Cmd"
    user = config.get("User") or "0"
    workdir = config.get("WorkingDir") or "/"
    port = _free_port()
    env = list(config.get("Env") or []) + [f"{k}={v}" for k, v in TEST_ENV.items()] + [f"PORT={port}"]

    name = f"seqviz-test-{os.getpid()}"
    _run(["buildah", "rm", name], timeout=60)  # a leftover from an interrupted run
    container = _checked(["buildah", "from", "--pull-never", "--name", name, IMAGE]).strip()

    def run_argv(argv: list[str], as_user: str = user) -> list[str]:
        flags = ["--isolation", "chroot", "--network", "host", "--user", as_user, "--workingdir", workdir]
        for item in env:
            flags += ["-e", item]
        return ["buildah", "run", *flags, container, "--", *argv]

    log = tmp_path_factory.mktemp("container-server") / "server.log"
    proc = None
    try:
        with log.open("w") as out:
            started = time.monotonic()
            proc = subprocess.Popen(
                run_argv(command), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        base_url = f"http://127.0.0.1:{port}"
        deadline = started + HEALTHY_TIMEOUT_S
        while not _healthy(base_url + "/_stcore/health"):
            assert proc.poll() is None, f"the container's command exited {proc.returncode}:\n{_tail(log)}"
            assert time.monotonic() < deadline, f"not healthy after {HEALTHY_TIMEOUT_S} s:\n{_tail(log)}"
            time.sleep(0.25)
        metrics["start_to_healthy_seconds"] = round(time.monotonic() - started, 2)
        _say(request, f"healthy on {base_url} {metrics['start_to_healthy_seconds']} s after start")
        yield {"base_url": base_url, "run_argv": run_argv, "log": log, "user": user, "process": proc}
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
        _run(["buildah", "rm", container], timeout=120)


def test_image_config(image, metrics, record_property):
    config = _config(image)
    for key, value in metrics.items():
        record_property(key, value)
    assert metrics["image_bytes"] < MAX_IMAGE_BYTES, f"image is {metrics['image_gb']} GB (limit 2.5 GB)"
    assert _healthcheck(image), "no HEALTHCHECK in the image config (was it built with --format docker?)"
    assert "8501/tcp" in (config.get("ExposedPorts") or {})
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    assert env.get("STREAMLIT_SERVER_HEADLESS") == "true"
    assert env.get("STREAMLIT_BROWSER_GATHER_USAGE_STATS") == "false"
    assert config.get("User", "").split(":")[0] not in ("", "0", "root")


def _uid(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:")))


def test_runs_as_uid_1000(server):
    # Judged by the exit status: `buildah run --isolation chroot` now and then loses a quick
    # command's stdout.
    check = 'u="$(id -u)"; echo "uid $u"; [ "$u" = 1000 ]'
    proc = _run(server["run_argv"](["sh", "-c", check]), timeout=60)
    assert proc.returncode == 0, f"the image's user {server['user']!r}: {proc.stdout} {proc.stderr}"

    # And the server itself (the image's command, seen from the host) runs as uid 1000.
    pgid = server["process"].pid
    uids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) != pgid:
                    continue
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"streamlit" in cmdline and not cmdline.startswith(b"buildah"):
                uids.add(_uid(int(entry.name)))
    assert uids == {1000}, f"streamlit processes run as uids {uids}"


def test_healthcheck_passes_inside_container(image, server):
    argv = _healthcheck_argv(_healthcheck(image))
    proc = _run(server["run_argv"](argv), timeout=60)
    assert proc.returncode == 0, f"HEALTHCHECK {argv} failed:\n{proc.stdout}\n{proc.stderr}"


def test_page_loads_in_chromium(server, metrics):
    from tests.e2e import launch_browser, open_app

    with launch_browser() as browser:
        page = browser.new_page()
        started = time.monotonic()
        # The first visit runs the script to the end once (training the default) and draws its charts.
        open_app(page, server["base_url"])
        metrics["page_ready_seconds"] = round(time.monotonic() - started, 2)
        assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]


def test_training_in_container_predicts(server):
    from tests.e2e import launch_browser, train_in_page

    with launch_browser() as browser:
        page = browser.new_page()
        try:
            predicted = train_in_page(page, server["base_url"], "0 1 0 2", "sequence")
        finally:
            page.close()
    assert predicted == ["1", "2"], f"server log:\n{_tail(server['log'])}"
