"""What ships in deploy/: the compose file (parsed by podman-compose), the Kubernetes manifests
(schema-checked by kubernetes-validate), haproxy.cfg (checked by haproxy itself with the compose
file's environment), and the drain that serve.py runs on SIGTERM.

Base images cannot be pulled everywhere, so the compose file is parsed here, not run; the
cluster itself runs in tests/test_cluster.py.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from deploy.cluster import find_haproxy, haproxy_env
from seqviz.shutdown import Drain, drain_seconds
from tests.e2e import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SHARED = {"SEQVIZ_SHARED": "1"}
HEALTH = "/_stcore/health"


def require_module(module: str, package: str) -> None:
    if importlib.util.find_spec(module) is None:
        skip_or_fail(f"needs the {package} package (pip install -r requirements-dev.txt)")


# --- compose ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    """deploy/compose.yaml as podman-compose resolves it (anchors merged, paths made absolute)."""
    require_module("podman_compose", "podman-compose")
    done = subprocess.run(
        [sys.executable, "-m", "podman_compose", "-f", str(DEPLOY / "compose.yaml"), "config"],
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_runs_three_replicas_of_the_image_behind_haproxy_with_the_repos_config(compose):
    services = compose["services"]
    replicas = sorted(name for name in services if name.startswith("seqviz"))
    assert replicas == ["seqviz1", "seqviz2", "seqviz3"]
    for name in replicas:
        replica = services[name]
        assert Path(replica["build"]["context"]).resolve() == ROOT  # the project's own Dockerfile
        assert replica["environment"]["SEQVIZ_SHARED"] == "1"
        # docker stop waits for the drain: one run's time budget plus its slack.
        grace = int(replica["stop_grace_period"].removesuffix("s"))
        assert replica.get("stop_signal", "SIGTERM") == "SIGTERM"
        assert grace > drain_seconds(SHARED)
    haproxy = services["haproxy"]
    assert haproxy["image"].split(":")[0].split("/")[-1] == "haproxy"
    mounted = {v.split(":")[0]: v.split(":")[1] for v in haproxy["volumes"]}
    config = [host for host, inside in mounted.items() if inside == "/usr/local/etc/haproxy/haproxy.cfg"]
    assert [Path(DEPLOY, c).resolve() for c in config] == [DEPLOY / "haproxy.cfg"]
    env = haproxy["environment"]
    assert {env[f"SEQVIZ_SERVER_{k}"] for k in (1, 2, 3)} == {f"{n}:8501" for n in replicas}
    assert set(haproxy["depends_on"]) == set(replicas)


def test_haproxy_accepts_its_config_with_the_compose_files_environment(compose):
    haproxy = find_haproxy()
    if haproxy is None:
        skip_or_fail("needs haproxy (apt-get install haproxy)")
    env = {**os.environ, **compose["services"]["haproxy"]["environment"]}
    done = subprocess.run(
        [haproxy, "-c", "-f", str(DEPLOY / "haproxy.cfg")], env=env, capture_output=True, text=True
    )
    # The replicas' names resolve only inside compose's network; haproxy starts without them.
    assert done.returncode == 0, done.stdout + done.stderr
    local = haproxy_env("127.0.0.1:8500", ["127.0.0.1:8501", "127.0.0.1:8502"])
    done = subprocess.run(
        [haproxy, "-c", "-f", str(DEPLOY / "haproxy.cfg")],
        env={**os.environ, **local},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "Warnings" not in done.stdout + done.stderr, done.stdout + done.stderr


def test_haproxy_cfg_keeps_browsers_by_cookie_checks_health_and_lets_websockets_live():
    lines = [line.split("#")[0].split() for line in (DEPLOY / "haproxy.cfg").read_text().splitlines()]
    directives = [" ".join(words) for words in lines if words]
    assert "cookie SEQVIZ_REPLICA insert indirect nocache httponly" in directives
    assert not any(d.startswith("balance source") for d in directives)  # never by client IP
    assert f"http-check send meth GET uri {HEALTH}" in directives
    assert "http-check disable-on-404" in directives  # a draining replica keeps its own browsers
    assert "timeout tunnel 2h" in directives
    servers = [d for d in directives if d.startswith("server ")]
    assert servers == [f'server seqviz{k} "${{SEQVIZ_SERVER_{k}}}" cookie seqviz{k}' for k in range(1, 9)]


# --- Kubernetes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    return [
        doc
        for path in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def test_kubernetes_manifests_pass_the_schema_check(manifests):
    require_module("kubernetes_validate", "kubernetes-validate")
    import kubernetes_validate

    version = kubernetes_validate.latest_version()
    for doc in manifests:
        kubernetes_validate.validate(doc, version, strict=True)  # raises on any error
    assert sorted(d["kind"] for d in manifests) == ["Deployment", "Ingress", "Service"]
    broken = {**manifests[0], "spec": {**manifests[0]["spec"], "replicas": "three"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, version, strict=True)


def test_the_deployment_probes_health_bounds_resources_and_outlasts_the_drain(manifests):
    by_kind = {d["kind"]: d for d in manifests}
    pod = by_kind["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == HEALTH, probe
    assert set(container["resources"]) == {"requests", "limits"}
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert pod["terminationGracePeriodSeconds"] > drain_seconds(env)
    # Liveness must not kill a pod that answers 404 because it drains.
    liveness = container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] > pod["terminationGracePeriodSeconds"]
    service, ingress = by_kind["Service"], by_kind["Ingress"]
    assert service["spec"]["selector"] == by_kind["Deployment"]["spec"]["selector"]["matchLabels"]
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]


# --- the drain -------------------------------------------------------------------------------


def test_drain_waits_for_page_runs_then_settles():
    drain = Drain()
    assert not drain.draining and drain.begin() and not drain.begin() and drain.draining
    release = threading.Event()

    def page() -> None:
        with drain.page_run():
            release.wait()

    worker = threading.Thread(target=page)
    worker.start()
    while not drain.busy:
        time.sleep(0.01)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    assert drain.wait_idle(bound=10, settle=0.2)
    assert 0.5 <= time.monotonic() - started < 2.0  # 0.3 s of run, then 0.2 s idle
    worker.join()


def test_drain_gives_up_at_the_bound():
    drain = Drain()
    drain.begin()
    with drain.page_run():
        started = time.monotonic()
        assert not drain.wait_idle(bound=0.3, settle=0.1)
        assert 0.3 <= time.monotonic() - started < 1.0


def test_drain_seconds_default_to_the_time_budget_and_ignore_nonsense():
    assert drain_seconds({}) == 65.0  # 60 s budget + 5
    assert drain_seconds(SHARED) == 35.0
    assert drain_seconds({"SEQVIZ_TIME_BUDGET": "10"}) == 15.0
    assert drain_seconds({"SEQVIZ_DRAIN_SECONDS": "12.5"}) == 12.5
    assert drain_seconds({"SEQVIZ_DRAIN_SECONDS": "0"}) == 0.0
    for bad in ("soon", "-1", "nan", ""):
        assert drain_seconds({"SEQVIZ_DRAIN_SECONDS": bad}) == 65.0, bad


def test_the_engine_still_never_imports_streamlit_with_shutdown():
    code = "import sys, seqviz.shutdown; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
