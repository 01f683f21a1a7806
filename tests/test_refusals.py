"""Every configuration either runs or is refused before training with one line: the CLI,
called in-process over generated options (hostile sequences and CSV files included), exits 0,
or exits 2 with exactly one stderr line starting ``seqviz:``, and never shows a traceback."""

import contextlib
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqviz.cli import main
from seqviz.errors import SeqvizError
from tests.strategies import argvs, csv_files, run_configs

SETTINGS = settings(
    derandomize=True,
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("refusals") / "data.csv")


def _strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON")

    return json.loads(text, parse_constant=refuse)


@SETTINGS
@given(data=st.data())
def test_the_cli_runs_or_refuses_in_one_line(data, csv_path):
    argv = data.draw(argvs(csv_path))
    if "--csv" in argv:
        with open(csv_path, "wb") as fh:
            fh.write(data.draw(csv_files()))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    said = err.getvalue()
    assert "Traceback" not in said
    if code == 2:
        lines = said.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("seqviz: ") and out.getvalue() == "", said
    else:
        assert code == 0, said
        if "--json" in argv:
            _strict(out.getvalue())


@settings(SETTINGS, max_examples=400)
@given(config=run_configs())
def test_a_config_that_validates_runs_to_the_end(config):
    from seqviz.engine import run

    try:
        config.validate()
    except SeqvizError as error:
        assert str(error) and "\n" not in str(error)
        return
    result = run(config)
    json.dumps(result.run.to_json(), allow_nan=False)
