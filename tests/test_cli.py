"""The command line as a person uses it: real processes, real exit codes."""

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqviz.cli import main

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def seqviz(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "seqviz", *args], capture_output=True, text=True, env=env or ENV, timeout=300
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sequence", ""], "empty"),
        (["--sequence", "   "], "empty"),
        (["--sequence", "0", "--framing", "next"], "one distinct token"),
        (["--sequence", "0 1 0"], "even number"),
        (["--sequence", "a a a a"], "one distinct token"),
        (["--sequence", " ".join(map(str, range(201))), "--framing", "next"], "limit is 200"),
        (["--sequence", " ".join(map(str, range(52)))], "distinct tokens; the limit is 50"),
        (["--sequence", "0 1 0 2", "--units", "0"], "units"),
        (["--sequence", "0 1 0 2", "--units", "257"], "units"),
        (["--sequence", "0 1 0 2", "--epochs", "0"], "epochs"),
        (["--sequence", "0 1 0 2", "--epochs", "5001"], "epochs"),
        (["--sequence", "0 1 0 2", "--window", "3"], "window"),
        (["--sequence", "0 1 0 2", "--snapshots", "0"], "snapshots"),
        (["--sequence", "0 1 0 2", "--snapshots", "201"], "snapshots"),
        (["--sequence", "0 1 0 2", "--learning-rate", "0"], "learning rate"),
        (["--sequence", "0 1 0 2", "--learning-rate", "-0.1"], "learning rate"),
        (["--sequence", "0 1 0 2 0 1", "--batch-size", "2"], "does not divide"),
        (["--sequence", "0 1 0 2", "--mode", "bogus"], "invalid choice"),
        (["--sequence", "0 1 0 2", "--framing", "bogus"], "invalid choice"),
        (["--sequence", "0 1 0 2", "--output", "relu"], "invalid choice"),
        (["--sequence", "0 1 0 2", "--units", "ten"], "invalid int"),
        ([], "required"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(args, message, capsys):
    assert main(["run", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("seqviz: ")
    assert "Traceback" not in captured.err


def test_bad_input_in_a_real_process_imports_no_tensorflow():
    done = seqviz("run", "--sequence", "0 1 0")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "even number" in done.stderr


def test_shared_server_limits_apply_to_the_cli():
    done = seqviz("run", "--sequence", "0 1 0 2", "--epochs", "2000", env={**ENV, "SEQVIZ_SHARED": "1"})
    assert done.returncode == 2 and "between 1 and 1000" in done.stderr


@settings(max_examples=200)
@given(argv=st.lists(st.text(max_size=20), max_size=6))
def test_arbitrary_arguments_never_raise(argv):
    args = ["run", "--epochs", "99999", *argv]  # an epochs value too large: nothing ever trains
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(args)
        except SystemExit as stop:  # --help prints usage and exits 0
            assert stop.code == 0 and "usage" in out.getvalue()
            return
    assert code == 2
    assert len(err.getvalue().strip().splitlines()) == 1 and "Traceback" not in err.getvalue()


def test_report_and_json_of_the_reference_question(tmp_path):
    out = tmp_path / "run.json"
    done = seqviz("run", "--sequence", "0 1 0 2", "--mode", "all", "--epochs", "300", "--json", str(out))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for mode in ("stateless", "stateful", "sequence", "window"):
        assert f"== {mode} ==" in text
    assert "floor 0.4621" in text and "tie" in text and "✓" in text  # stateless: ties, never right
    assert "Positions 0 and 1 both see only the input '0'" in text
    # The answer comes first: the asker's question (isn't state kept within the batch?) before any table.
    answer = text.split("== stateless ==")[0]
    assert answer.startswith(
        "Answer:\n  ✗ stateless: cannot learn this (0 of 2 positions right). Samples 0 and 1"
    )
    assert "Fix for stateless: Feed the sequence as one sample of its 2 steps, X (1, 2, 3)" in answer
    assert "return_sequences=True" in answer and "Why stateless" not in text
    data = json.loads(out.read_text())
    assert [r["mode"] for r in data["runs"]] == ["stateless", "stateful", "sequence", "window"]
    assert data["config"]["mode"] == "all" and data["config"]["batch_size"] is None


def test_json_to_stdout_is_pure_json():
    done = seqviz("run", "--sequence", "a b a c", "--mode", "sequence", "--epochs", "5", "--json", "-")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["runs"][0]["mode"] == "sequence" and len(data["runs"][0]["loss"]) == 5


def test_tokens_glued_to_a_bar_run_as_two_sequences(capsys):
    code = main(
        ["run", "--sequence", "a b|c d", "--test-sequence", "c d|a b", "--mode", "sequence", "--epochs", "2"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "test sequence: c d a b" in captured.out and "Traceback" not in captured.err


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "is empty: give a header row"),
        (b" \n\r\n\t\n", "is empty: give a header row"),
        (b"a,b\n", "0 rows of numbers; a time series needs at least two"),
        (b"a,b\n1,2\n", "1 row of numbers"),
        (b"a,b\n1,2\n3,4\x00\x00", "NUL bytes"),
        ("caf\xe9,b\n1,2\n3,4\n".encode("latin-1"), "not UTF-8 text"),
        (b"a;b\n1;2\n3;4\n", "semicolons; seqviz reads commas"),
        (b"a,b\n1,2\n,4\n5,6\n", "Row 3, column 'a' of the CSV is empty"),
        (b"a,a\n1,2\n3,4\n", "names column 'a' twice"),
        (b"a,b\n1,nan\n3,4\n", "'nan', which is not a number"),
        (b"a,b\n1,-inf\n3,4\n", "'-inf', which is not a number"),
        (b"a,b\n1,1e300\n3,4\n", "'1e300', outside the numbers seqviz accepts, -1e15 to 1e15"),
    ],
)
def test_a_degenerate_csv_is_refused_in_one_line(tmp_path, capsys, data, message):
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    assert main(["run", "--csv", str(path), "--epochs", "1"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1 and lines[0].startswith("seqviz: ")
    assert message in lines[0]


def test_carry_on_a_big_stateful_model_is_refused_before_training(capsys):
    argv = ["run", "--mode", "stateful", "--units", "65", "--sequence", "0 1 0 2"]
    argv += ["--test-sequence", "0 1 0 2 0 1", "--predict-state", "carry"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("seqviz: Predict from 'carry' needs a model of at most 64 units")


@pytest.mark.parametrize("size", ["0", ""])
def test_an_empty_or_zero_batch_size_is_the_mode_s_own_as_the_help_says(size, capsys):
    assert (
        main(["run", "--sequence", "0 1 0 2", "--mode", "stateless", "--epochs", "1", "--batch-size", size])
        == 0
    )
    assert "batch_size=2" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--mode", "stateless", "--window", "1"], "--window does not apply here: mode 'stateless'"),
        (["--predict-state", "carry"], "--predict-state does not apply here: there is nothing to predict"),
        (["--reset-at", "0"], "--reset-at does not apply here"),
        (["--predict-batch-size", "2"], "--predict-batch-size does not apply here"),
        (["--target", "x"], "--target does not apply here: it reads a CSV"),
        (["--test-rows", "1"], "--test-rows does not apply here"),
        (["--scaling", "standardise"], "--scaling does not apply here: it scales numbers"),
    ],
)
def test_a_flag_the_run_would_not_read_is_refused(args, message, capsys):
    assert main(["run", "--sequence", "0 1 0 2", "--epochs", "1", *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqviz: " + message)


def test_a_csv_refuses_a_framing_and_a_test_sequence(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6\n")
    assert main(["run", "--csv", str(path), "--framing", "next", "--epochs", "1"]) == 2
    assert "--framing does not apply here: a CSV is framed by its rows" in capsys.readouterr().err
    assert main(["run", "--csv", str(path), "--test-sequence", "1 2", "--epochs", "1"]) == 2
    assert "A test sequence does not apply to a CSV" in capsys.readouterr().err
    # A typed sequence beside the CSV was replaced without a word.
    assert main(["run", "--csv", str(path), "--sequence", "0 1", "--epochs", "1"]) == 2
    assert "--sequence does not apply here: the CSV replaces the typed sequence" in capsys.readouterr().err


def test_the_sequence_mode_reads_the_batch_size(capsys):
    argv = ["run", "--sequence", "a b|c d|a c", "--mode", "sequence", "--batch-size", "2", "--epochs", "1"]
    assert main(argv) == 0
    assert "batch_size=2" in capsys.readouterr().out


@pytest.mark.parametrize("scaling, label", [("none", "value"), ("standardise", "scaled value")])
def test_a_numeric_prediction_column_is_a_value_not_a_probability(scaling, label, capsys):
    argv = ["run", "--sequence", "1 2 3 4", "--output", "linear", "--scaling", scaling, "--epochs", "1"]
    assert main([*argv, "--mode", "sequence", "--test-sequence", "1 2"]) == 0
    headers = [
        line.split() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("pos")
    ]
    assert len(headers) == 2 and all(h[:4] == ["pos", "input", "target", "predicted"] for h in headers)
    assert all(" ".join(h[4:]) == label for h in headers)


def test_a_token_prediction_column_is_a_probability(capsys):
    assert main(["run", "--sequence", "0 1 0 2", "--mode", "sequence", "--epochs", "1"]) == 0
    assert "pos  input  target  predicted  prob" in capsys.readouterr().out
