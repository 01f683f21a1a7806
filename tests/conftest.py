"""Shared test setup: quiet TensorFlow, a hypothesis profile, and the reference run."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "seqviz", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("seqviz")


@pytest.fixture(scope="session")
def reference_result():
    """The reference question (0 1 0 2, pairs) in all four modes, default options."""
    from seqviz.config import RunConfig
    from seqviz.engine import run

    return run(RunConfig())


def pytest_terminal_summary(terminalreporter):
    """The fact checker's tally (tests/test_facts_checked.py): what it ran and checked."""
    from tests.checker import TALLY

    if TALLY:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(TALLY.items()))
        terminalreporter.write_line(f"fact checker: {kinds} (a contradiction or a crash fails its test)")


def pytest_sessionfinish(session, exitstatus):
    """Under CI=true every system tool is installed first, so a skipped test is a failure."""
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"CI=true: {len(skipped)} test(s) skipped; under CI a skip is a failure.", red=True
        )
        session.exitstatus = 1
