"""Shared test setup: quiet TensorFlow, a hypothesis profile, the tiers, and the runs several
test modules read (built once per session, not once per test)."""

import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "seqviz", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("seqviz")

# Tests that drive a real Chromium or build the image run in the full tier only, each module on
# one xdist worker (its server and browser are module fixtures, started once).
OUTSIDE = ("browser", "container")


def pytest_collection_modifyitems(config, items):
    """The full tier (`make test`) runs everything; the fast tier (`make check`) deselects
    ``slow``, which every browser and container test is too."""
    for item in items:
        if any(item.get_closest_marker(m) for m in OUTSIDE):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture(scope="session")
def reference_result():
    """The reference question (0 1 0 2, pairs) in all four modes, default options."""
    from seqviz.config import RunConfig
    from seqviz.engine import run

    return run(RunConfig())


@pytest.fixture(scope="session")
def short_reference():
    """The reference question in all four modes, 20 epochs and three snapshots (an LSTM, one
    layer): what the figure and player tests draw."""
    from seqviz.config import RunConfig
    from seqviz.engine import run

    return run(RunConfig(mode="all", epochs=20, snapshots=3))


@pytest.fixture(scope="session")
def layout_run():
    """``layout_run(name)``: the run of tests/cases.py's layout ``name`` for one epoch, built the
    first time a test asks and shared by every test that reads it."""
    from seqviz.engine import run
    from tests.cases import LAYOUTS, with_options

    @functools.cache
    def built(name: str):
        return run(with_options(LAYOUTS[name], epochs=1))

    return built


def pytest_sessionfinish(session, exitstatus):
    """A worker hands its fact checker tally to the controller; under CI=true every system tool
    is installed first, so a skipped test is a failure."""
    from tests.checker import TALLY

    if hasattr(session.config, "workeroutput"):  # an xdist worker
        session.config.workeroutput["checker_tally"] = dict(TALLY)
        return
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"CI=true: {len(skipped)} test(s) skipped; under CI a skip is a failure.", red=True
        )
        session.exitstatus = 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller adds up the workers' fact checker tallies."""
    from tests.checker import TALLY

    for kind, n in getattr(node, "workeroutput", {}).get("checker_tally", {}).items():
        TALLY[kind] += n


def pytest_terminal_summary(terminalreporter):
    """The fact checker's tally (tests/test_facts_checked.py): what it ran and checked."""
    from tests.checker import TALLY

    if TALLY:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(TALLY.items()))
        terminalreporter.write_line(f"fact checker: {kinds} (a contradiction or a crash fails its test)")
