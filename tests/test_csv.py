"""CSV in and out: every malformed file gets one clear message (hypothesis over raw bytes),
the CLI reads ``--csv PATH``, the shipped example trains, every CSV seqviz writes is safe to
open in a spreadsheet, and a regression run's exported ``train.py`` reproduces its numbers
under plain Keras."""

import csv
import io
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqviz.cli import main
from seqviz.config import RunConfig
from seqviz.csvdata import csv_datasets, decode, parse
from seqviz.csvout import FORMULA_STARTS
from seqviz.engine import run
from seqviz.errors import SeqvizError
from seqviz.export import export, predictions_csv, states_csv
from seqviz.limits import Limits
from seqviz.numeric import as_number
from tests.cases import LINE, printed, run_script, run_untrained, same_data, same_model

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "seqviz" / "data" / "demand.csv"
GOOD = "t,a,b\n1,2,3\n2,3.5,1\n3,1,0\n4,2,2\n"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
        (b"a,b\n1,\x002\n", "NUL bytes"),
        (b"a,b\n1,2\n3,x\n", r"Row 3, column 'b' of the CSV holds 'x', which is not a number"),
        (b"a,b\n1,2\n3,\n", r"Row 3, column 'b' of the CSV is empty: fill in missing values"),
        (b"a,b\n1,2\n", "1 row of numbers; a time series needs at least two"),
        (b"a,b\n1,2\n3\n", "Row 3 of the CSV has 1 cells; the header has 2"),
        (b"1,2\n3,4\n", "must name the columns"),
        (b"a,a\n1,2\n3,4\n", "names column 'a' twice"),
        (b"", "The CSV is empty"),
        (b'a,b\n1,"2\n', "not a valid CSV"),
        ("a;b\n1;2\n3;4\n".encode("utf-16"), "not UTF-8 text"),
        (b"a,b\n1,nan\n3,4\n", "'nan', which is not a number"),
        (b"a,b\n1,inf\n3,4\n", "'inf', which is not a number"),
        (
            b"a,b\n1,2\n3,3e38\n",
            "Row 3, column 'b' of the CSV holds '3e38', outside the numbers seqviz accepts, -1e15",
        ),
        (b"a,b\n-1e300,2\n3,4\n", "'-1e300', outside the numbers seqviz accepts, -1e15 to 1e15"),
        (b"a,b\n1,1e999\n3,4\n", "'1e999', outside the numbers"),
    ],
)
def test_bad_files_get_one_clear_message(data, message):
    with pytest.raises(SeqvizError, match=message):
        parse(decode(data))


def test_limits_refuse_huge_files_rows_and_columns_before_reading_them():
    limits = Limits(max_csv_bytes=100, max_csv_rows=3, max_csv_columns=2)
    with pytest.raises(SeqvizError, match="101 bytes; the limit is 100 bytes"):
        decode(b"x" * 101, limits)
    with pytest.raises(SeqvizError, match="more than 3 rows"):
        parse("a\n1\n2\n3\n4\n5\n", limits)
    with pytest.raises(SeqvizError, match="3 columns; the limit is 2"):
        parse("a,b,c\n1,2,3\n4,5,6\n", limits)


def test_columns_are_chosen_by_name_and_unknown_ones_are_named():
    train, test = csv_datasets(GOOD, target="b", features="a")
    assert test is None and train.numeric.columns == ("a",) and train.numeric.target == "b"
    # next: row r's a predicts row r+1's b.
    assert train.numeric.raw_inputs == ((2.0,), (3.5,), (1.0,)) and train.numeric.raw_targets == (
        1.0,
        0.0,
        2.0,
    )
    same, _ = csv_datasets(GOOD, target="b", target_row="same")
    assert same.numeric.columns == ("t", "a") and same.numeric.raw_targets == (3.0, 1.0, 0.0, 2.0)
    with pytest.raises(SeqvizError, match=r"Unknown target column 'z'; the CSV's columns are: t, a, b"):
        csv_datasets(GOOD, target="z")
    with pytest.raises(SeqvizError, match=r"Unknown feature column 'q'"):
        csv_datasets(GOOD, target="b", features="a,q")
    with pytest.raises(SeqvizError, match="would read the answer"):
        csv_datasets(GOOD, target="b", features="a,b", target_row="same")
    with pytest.raises(SeqvizError, match="test rows must leave"):
        csv_datasets(GOOD, target="b", test_rows=3)


# Bytes that look like CSV often: a header, commas, numbers, and anything else.
cells = st.one_of(
    st.from_regex(r"-?\d{1,3}(\.\d{1,2})?", fullmatch=True),
    st.sampled_from(["", " ", "x", "nan", "1e999", '"', '"1,2"', "\x00", "é", "=1+1"]),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=4), min_size=0, max_size=6)


def _as_bytes(header: list[str], body: list[list[str]], sep: str, encoding: str) -> bytes:
    text = "\n".join(sep.join(row) for row in [header, *body])
    return text.encode(encoding, "replace")


csv_bytes = st.one_of(
    st.binary(max_size=200),
    st.builds(
        _as_bytes,
        st.lists(st.sampled_from(["a", "b", "", "1", "a"]), min_size=0, max_size=4),
        rows,
        st.sampled_from([",", ";", "\t", ",,"]),
        st.sampled_from(["utf-8", "utf-16", "latin-1"]),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=csv_bytes, target=st.sampled_from(["", "a", "b", "zz"]), features=st.sampled_from(["", "a", "b,a"])
)
def test_any_bytes_give_a_dataset_or_one_message_never_a_traceback(data, target, features):
    try:
        text = decode(data, Limits(max_csv_bytes=150))
        train, _ = csv_datasets(text, target=target, features=features, scaling="standardise")
    except SeqvizError as error:
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message
        return
    assert len(train.pairs) >= 1 and np.isfinite(train.numeric.x_array).all()


def test_the_cli_reads_a_csv_path_and_names_a_missing_file(tmp_path, capsys):
    path = tmp_path / "series.csv"
    path.write_text(GOOD + "5,1,4\n6,0.5,3\n")
    code = main(
        [
            "run",
            "--csv",
            str(path),
            "--target",
            "b",
            "--features",
            "a,t",
            "--mode",
            "sequence",
            "--epochs",
            "3",
            "--units",
            "3",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "== sequence ==" in out and "X (1, 5, 2)" in out
    assert main(["run", "--csv", str(tmp_path / "missing.csv"), "--target", "b"]) == 2
    assert "Cannot read the CSV file" in capsys.readouterr().err
    assert main(["run", "--csv", str(path), "--target", "nope"]) == 2
    assert "Unknown target column 'nope'" in capsys.readouterr().err


def test_the_server_refuses_uploads_above_the_byte_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == Limits().max_csv_bytes  # Streamlit: MB


def test_the_example_csv_is_valid_and_within_the_shared_server_s_limits():
    from seqviz.limits import SHARED_SERVER

    text = decode(EXAMPLE.read_bytes(), SHARED_SERVER)
    assert parse(text, SHARED_SERVER).columns == ("hour", "temperature", "demand")


# --- CSV out ---------------------------------------------------------------------------------


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_csvs_seqviz_writes_hold_no_formula():
    config = RunConfig(
        sequence="=1+1 +x @SUM(A1) -2 =1+1 \t+x",
        framing="next",
        epochs=2,
        mode="window",
        test_sequence="=1+1 +x",
    )
    result = run(config).run
    for text in (states_csv(result), predictions_csv(result)):
        cells = _cells(text)
        assert "'=1+1" in cells and "'+x" in cells and "'@SUM(A1)" in cells
        for cell in cells:
            assert not cell.startswith(FORMULA_STARTS) or as_number(cell) is not None, cell
        assert "-2" in cells  # a token that is a number stays a number


def test_numbers_stay_numbers_in_a_regression_run_s_csvs():
    result = run(RunConfig(sequence="1 -2 3 -4 1 -2", framing="next", output="linear", epochs=2)).run
    rows = list(csv.DictReader(io.StringIO(predictions_csv(result))))
    assert [float(r["target"]) for r in rows if r["mode"] == "stateless"] == [-2, 3, -4, 1, -2]
    assert all(as_number(r["predicted"]) is not None for r in rows)


# --- export ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_csv_run_s_train_py_reproduces_its_numbers_under_plain_keras(tmp_path):
    pytest.importorskip("keras")
    config = RunConfig(
        csv=EXAMPLE.read_text(),
        target="demand",
        features="temperature,demand",
        output="linear",
        scaling="standardise",
        mode="chunks",
        window=12,
        units=6,
        epochs=20,
        learning_rate=0.01,
        test_rows=24,
    )
    result = run(config)
    export(result, tmp_path)
    script = tmp_path / "chunks" / "train.py"
    source = script.read_text()
    assert re.search(r"^\s*(import|from) seqviz", source, re.M) is None and "standardise" in source
    stdout = run_script(script, cwd=tmp_path)
    found = [(test, t, p) for test, _, t, p in LINE.findall(stdout)]
    mode = result.run.runs[0]
    train = [(float(t), float(p)) for test, t, p in found if not test]
    test = [(float(t), float(p)) for test, t, p in found if test]
    assert [t for t, _ in train] == pytest.approx([p.target for p in mode.predictions])
    assert [t for t, _ in test] == pytest.approx([p.target for p in mode.test.predictions])
    # The same weights, data and steps: Keras's predictions are seqviz's, in the target's units.
    np.testing.assert_allclose([p for _, p in train], [p.predicted for p in mode.predictions], atol=2e-3)
    np.testing.assert_allclose([p for _, p in test], [p.predicted for p in mode.test.predictions], atol=2e-3)


# A regression script is run in full once (the CSV chunks above); these two are of the same
# output kind and layout family, so their data, model and printing run without the fit.


def test_a_typed_numbers_run_s_train_py_builds_its_data_and_model(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    import keras

    config = RunConfig(
        sequence="1 2 3 1 2 4 1 2 3", framing="next", output="linear", mode="stateful", epochs=15, units=4
    )
    result = run(config)
    export(result, tmp_path)
    namespace, stdout = run_untrained(tmp_path / "stateful" / "train.py", monkeypatch)
    same_data(namespace, result.feeds["stateful"])
    same_model(namespace["model"], keras.saving.load_model(tmp_path / "stateful" / "model.keras"))
    targets = [float(y) for _, y, _ in printed(stdout)]
    assert targets == pytest.approx([p.target for p in result.run.runs[0].predictions])


def test_an_exported_csv_run_plants_no_formula_and_its_script_still_finds_the_columns(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    text = "=cmd,@sum,-t\n" + "\n".join(f"{k % 3},{k % 5},{k}" for k in range(12))
    config = RunConfig(csv=text, target="@sum", output="linear", mode="sequence", epochs=2, units=3)
    result = run(config)
    export(result, tmp_path)
    written = (tmp_path / "sequence" / "data.csv").read_text()
    for cell in _cells(written):
        assert not cell.startswith(FORMULA_STARTS) or as_number(cell) is not None, cell
    assert written.splitlines()[0] == "'=cmd,'@sum,'-t"
    namespace, stdout = run_untrained(tmp_path / "sequence" / "train.py", monkeypatch)
    assert namespace["FEATURES"] == ["=cmd", "@sum", "-t"] and namespace["TARGET"] == "@sum"
    same_data(namespace, result.feeds["sequence"])
    targets = [float(y) for _, y, _ in printed(stdout)]
    assert targets == pytest.approx([p.target for p in result.run.runs[0].predictions])
