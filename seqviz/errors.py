"""The one error type seqviz raises for anything a user typed or passed."""


class SeqvizError(ValueError):
    """A bad sequence, option or configuration, with a message meant for a person."""
