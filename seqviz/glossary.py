"""The words the page uses, each with a short definition: the glossary expander and the
widgets' help tooltips read them from here, so a term is explained the same way everywhere."""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "position": (
        "One (input → target) pair of the sequence, counted from 0. p0 is position 0, p1 position 1; "
        "a chart's axis reads “p: input→target”."
    ),
    "K": "The number of positions (input → target pairs) in the sequence.",
    "framing": (
        "How the typed tokens become (input → target) pairs. With pairs the tokens read "
        "x1 y1 x2 y2 …; with next each token predicts the one after it."
    ),
    "one-hot": (
        "How a token enters the network: a vector as long as the vocabulary, 1 at the token's "
        "index and 0 elsewhere."
    ),
    "sample": "One row of the training array X: a run of timesteps that the state flows along.",
    "timestep": "One step of a sample: one input token goes in, the state is updated.",
    "batch": "The samples trained together in one gradient step; state never flows between them.",
    "stateful": (
        "Keras's stateful=True: sample i of one batch starts from the state sample i of the "
        "previous batch left, instead of from zeros."
    ),
    "window": "A sample holding the last w inputs, replayed from zero state at every position.",
    "h0/c0": (
        "The state entering a step (Keras's h_tm1, c_tm1): zeros at a sample's first step, "
        "otherwise what the step before left. h is the hidden state (the output), c an LSTM's cell memory."
    ),
    "≡": (
        "Marks positions that reach the network with the same visible input from the same starting "
        "state: their states are identical, so the model must give them the same output."
    ),
    "loss floor": (
        "The lowest loss any weights can reach on this data with this feed: above zero when "
        "positions that look alike need different targets."
    ),
    "verdict": (
        "cannot learn this: the loss floor is above zero; fits: every training position is right; "
        "learned the rule / memorised: whether a test sequence is predicted too."
    ),
    "tie": (
        "A position that looks alike to another with a different target: the model can only "
        "hedge between them, so it is never counted right."
    ),
    "snapshot": (
        "A copy of the weights kept at one epoch during training; the epoch slider redraws the "
        "predictions and states with it."
    ),
    "epoch": "One pass over all the training samples.",
    "gates": (
        "An LSTM's i (input), f (forget), o (output) gates and g (candidate); a GRU's z (update), "
        "r (reset) and hh (candidate): values that decide what the state keeps and lets in."
    ),
    "✂": (
        "A gradient cut: state flows in from the previous batch, but backpropagation stops there "
        "(truncated backpropagation through time)."
    ),
}


def glossary_text(*terms: str) -> str:
    """The definitions of ``terms``, one sentence group each, for a widget's tooltip."""
    return " ".join(f"{term}: {GLOSSARY[term]}" for term in terms)
