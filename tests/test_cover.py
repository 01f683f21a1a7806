"""What the Keras oracle covers: the (cell, layout, output) triples of every test that holds
seqviz's training to ``model.fit`` (tests/cases.py's ORACLE), in the full tier and in the fast
tier's pairwise share; a registered cell, layout (mode) or output missing from either fails."""

import itertools

import pytest

from seqviz.cells import CELLS
from seqviz.losses import OUTPUTS
from seqviz.modes import MODES
from tests.cases import LAYOUTS, ORACLE, ORACLE_FAST, oracle_params


def _triples(fits) -> set[tuple[str, str, str]]:
    return {(f.cell, f.mode, f.output) for f in fits}


def test_the_oracle_lists_its_triples():
    full, fast = _triples(ORACLE), _triples(ORACLE_FAST)
    lines = [f"{'fast' if t in fast else 'full'}  {' × '.join(t)}" for t in sorted(full)]
    print("\n".join(lines))  # shown with pytest -s: the table tests/README.md describes
    assert fast <= full and len(ORACLE_FAST) == len(fast)  # each fast triple runs once


@pytest.mark.parametrize("tier", ["full", "fast"])
def test_every_registered_cell_layout_and_output_is_held_to_keras(tier):
    triples = _triples(ORACLE if tier == "full" else ORACLE_FAST)
    assert set(CELLS) <= {c for c, _, _ in triples}, set(CELLS) - {c for c, _, _ in triples}
    assert set(MODES) <= {m for _, m, _ in triples}, set(MODES) - {m for _, m, _ in triples}
    assert set(OUTPUTS) <= {o for _, _, o in triples}, set(OUTPUTS) - {o for _, _, o in triples}


def test_the_fast_tier_covers_every_pair():
    """Pairwise: every cell with every mode, every mode with every output and every cell with
    every output appear together in some fast fit."""
    fast = _triples(ORACLE_FAST)
    for (i, a), (j, b) in itertools.combinations(enumerate((CELLS, MODES, OUTPUTS)), 2):
        for x, y in itertools.product(a, b):
            assert any(t[i] == x and t[j] == y for t in fast), (x, y)


def test_the_case_table_holds_every_mode():
    assert set(MODES) <= {c.mode for c in LAYOUTS.values()}


@pytest.mark.parametrize("test", ["oracle", "layouts", "regression"])
def test_each_listed_fit_is_a_test_that_runs(test, request):
    """ORACLE is what the oracle modules parametrise over: each listed fit is a collected test,
    and only the fast share is left unmarked."""
    listed = [f for f in ORACLE if f.test == test]
    params = oracle_params(test)
    assert len(params) == len(listed) > 0
    for fit, param in zip(listed, params):
        assert param.values == (fit.case, fit.cell, fit.output, fit.layers)
        assert bool(param.marks) == (fit not in ORACLE_FAST)
