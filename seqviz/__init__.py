"""seqviz: see what an LSTM remembers, step by step, in every way Keras can feed it."""

__version__ = "0.1.0"
