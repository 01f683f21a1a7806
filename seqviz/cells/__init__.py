"""The recurrent cells seqviz knows, one file each; a new cell is one file plus one line here."""

from __future__ import annotations

from seqviz.cells.base import Cell, Internal
from seqviz.cells.gru import GRU
from seqviz.cells.gru_v1 import GRUv1
from seqviz.cells.lstm import LSTM
from seqviz.cells.simple_rnn import SimpleRNN

CELLS: dict[str, type[Cell]] = {cell.name: cell for cell in (LSTM, GRU, SimpleRNN, GRUv1)}

__all__ = ["CELLS", "Cell", "Internal"]
