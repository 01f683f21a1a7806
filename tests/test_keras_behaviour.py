"""What seqviz tells its users Keras does, shown by running Keras (3, TensorFlow backend).

Each test backs one claim: it imports the seqviz text that makes it where that text is a
constant or a rendered message (so a change of wording fails here and is checked again), or
quotes it with its file in the docstring. ``docs/keras-behaviour.md`` lists claim, place and test.
The models are tiny (a few units, one or two epochs); ``SGD(learning_rate=0.0)`` keeps the
weights fixed where only the state is on trial, so a stateless twin with the same weights,
called eagerly on the concatenated stream, is the second route to the states Keras reports.
"""

import inspect

import numpy as np
import pytest

from seqviz.cells import CELLS
from seqviz.config import OPTION_BY_NAME
from seqviz.errors import SeqvizError
from seqviz.glossary import GLOSSARY
from seqviz.keras_model import LOSSES, build_keras_model, reset_states
from seqviz.layout import KERAS_DEFAULT_BATCH, RESETS, Layout, check
from seqviz.modes import MODE_HELP, _check_maskable
from seqviz.predict import STATE_POLICIES, prediction_feed
from seqviz.sequence import make_dataset
from seqviz.weights import Weights
from tests.test_oracle import UNITS, _feed

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

F = 3  # features of the hand-made inputs
RNG = np.random.default_rng(7)


def _says(text: str, phrase: str) -> None:
    """The seqviz text still makes the claim the test backs."""
    assert phrase in text, f"seqviz no longer says {phrase!r}: {text!r}"


def _random(*shape: int) -> np.ndarray:
    """Inputs with no all-zero step (so nothing is mistaken for padding)."""
    return RNG.uniform(0.2, 1.0, shape).astype("float32")


def _frozen(model):
    """``model`` compiled with a zero learning rate: fit runs the forward pass, weights stay put."""
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.0))
    return model


def _states(layer) -> list[np.ndarray]:
    """A stateful layer's state, read back: one (batch, units) array per state."""
    return [np.array(v.numpy()) for v in layer.states]


def _twin(layer, x: np.ndarray, initial_state: list[np.ndarray] | None = None):
    """``layer``'s weights in a stateless copy called eagerly on ``x`` (B, T, F): the h of every
    step (B, T, units) and the final states, from zeros or ``initial_state``."""
    twin = type(layer)(layer.units, return_sequences=True, return_state=True)
    twin(x)
    twin.set_weights(layer.get_weights())
    sequence, *finals = twin(x, initial_state=initial_state)
    return np.asarray(sequence), [np.asarray(s) for s in finals]


def _stream(x: np.ndarray) -> np.ndarray:
    """Samples (N, T, F) read one after another: one sample (1, N*T, F)."""
    return x.reshape(1, -1, x.shape[-1])


def _dense(model, h: np.ndarray) -> np.ndarray:
    """seqviz's sigmoid Dense head on ``h``, in NumPy."""
    kernel, bias = model.get_layer("dense").get_weights()
    return 1.0 / (1.0 + np.exp(-(h @ kernel + bias)))


def _stateful_model(batch_size: int, timesteps: int = 1, return_sequences: bool = False):
    layer = keras.layers.LSTM(UNITS, stateful=True, return_sequences=return_sequences, name="lstm")
    inputs = keras.Input(batch_shape=(batch_size, timesteps, F))
    return _frozen(keras.Sequential([inputs, layer, keras.layers.Dense(2, name="dense")])), layer


class _Recorder(keras.Model):
    """A tiny model whose ``train_step`` records the sample ids (feature 0) of every batch, in
    the order ``fit`` hands them over (``run_eagerly`` so the ids can be read)."""

    def __init__(self, stateful: bool = False):
        super().__init__()
        self.rnn = keras.layers.LSTM(2, stateful=stateful, name="lstm") if stateful else None
        self.dense = keras.layers.Dense(1)
        self.seen: list[list[int]] = []

    def call(self, x):
        return self.dense(self.rnn(x) if self.rnn is not None else x)

    def train_step(self, data):
        x = data[0]
        ids = np.asarray(x).reshape(len(x), -1)[:, 0]
        self.seen.append(np.rint(ids * 10 if self.rnn is not None else ids).astype(int).tolist())
        return super().train_step(data)


def _recorded_fit(
    n: int, epochs: int, stateful: bool = False, seed: int | None = 1, **fit_args
) -> tuple[_Recorder, list]:
    """Fit a recorder on ``n`` identity-coded samples, after ``keras.utils.set_random_seed(seed)``
    (None: no global seed); returns it and the per-epoch losses."""
    if seed is None:
        tf.random.set_seed(None)  # undo any earlier test's global seed
    else:
        keras.utils.set_random_seed(seed)
    model = _Recorder(stateful)
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.0), run_eagerly=True)
    if stateful:  # ids / 10 as one feature of one step; batch size 1
        x = (np.arange(n, dtype="float32") / 10).reshape(n, 1, 1)
    else:
        x = np.arange(n, dtype="float32")[:, None]
    history = model.fit(x, np.ones((n, 1), "float32"), epochs=epochs, verbose=0, **fit_args)
    return model, history.history["loss"]


# --- 1. fit and the state ------------------------------------------------------------------


def test_fit_never_resets_a_stateful_layer_at_its_start_or_between_epochs():
    """fit(epochs=2) runs the stream twice from one state; two fit(epochs=1) calls do the same
    unless the script resets in between."""
    feed, _ = _feed("stateful")
    _says(RESETS["never"], "what fit(epochs=N) does by itself")
    _says(feed.description, "fit never resets it")
    model = _frozen(build_keras_model(feed, UNITS, "sigmoid"))
    layer, y = model.get_layer("lstm"), feed.y[:, -1]
    once = _twin(layer, _stream(feed.x))[1]
    twice = _twin(layer, _stream(np.concatenate([feed.x, feed.x])))[1]

    def fit(epochs: int) -> list[np.ndarray]:
        model.fit(feed.x, y, epochs=epochs, batch_size=1, shuffle=False, verbose=0)
        return _states(layer)

    reset_states(model)
    two_epochs = fit(2)
    reset_states(model)
    fit(1)
    two_calls = fit(1)  # the second call starts from the state the first left
    reset_states(model)
    fit(1)
    with_reset = _states(layer)
    for got, want in ((two_epochs, twice), (two_calls, twice), (with_reset, once)):
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, atol=1e-5)
    assert np.abs(two_epochs[1] - with_reset[1]).max() > 1e-3


def test_a_callback_at_on_train_batch_begin_resets_before_that_batch():
    """seqviz/export.py's train.py resets between sequences with ``LambdaCallback(
    on_train_batch_begin=lambda batch, logs=None: batch in starts and reset_states(model))``,
    "the batches where a new sequence starts: its state begins at zeros"."""
    feed, _ = _feed("stateful")
    model = _frozen(build_keras_model(feed, UNITS, "sigmoid"))
    starts = [3]
    callback = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs=None: batch in starts and reset_states(model)
    )
    reset_states(model)
    model.fit(feed.x, feed.y[:, -1], batch_size=1, shuffle=False, verbose=0, callbacks=[callback])
    layer = model.get_layer("lstm")
    for got, want in zip(_states(layer), _twin(layer, _stream(feed.x[3:]))[1]):
        np.testing.assert_allclose(got, want, atol=1e-5)


# --- 2. predict and the state --------------------------------------------------------------


def test_predict_does_not_reset_a_stateful_layer_but_a_stateless_one_starts_from_zeros():
    _says(STATE_POLICIES["zeros"], "reset_state() before predict")
    _says(GLOSSARY["h0/c0"], "zeros at a sample's first step")
    feed, _ = _feed("stateful")
    model = build_keras_model(feed, UNITS, "sigmoid")
    reset_states(model)
    first = model.predict(feed.x, batch_size=1, verbose=0)
    second = model.predict(feed.x, batch_size=1, verbose=0)  # goes on from where the first ended
    assert np.abs(first - second).max() > 1e-3
    reset_states(model)
    np.testing.assert_allclose(model.predict(feed.x, batch_size=1, verbose=0), first, atol=1e-6)
    reset_states(model)
    on_batch = [model.predict_on_batch(feed.x[:1]) for _ in range(2)]  # export's predict loop
    assert np.abs(on_batch[0] - on_batch[1]).max() > 1e-3

    plain, _ = _feed("stateless")
    stateless = build_keras_model(plain, UNITS, "sigmoid")
    calls = [stateless.predict(plain.x, batch_size=2, verbose=0) for _ in range(2)]
    np.testing.assert_array_equal(calls[0], calls[1])
    h = _twin(stateless.get_layer("lstm"), plain.x)[0][:, -1]  # from zeros
    np.testing.assert_allclose(calls[0], _dense(stateless, h), atol=1e-5)


def test_predict_after_fit_carries_on_from_the_state_fit_left():
    _says(STATE_POLICIES["carry"], "(no reset after fit)")
    feed, _ = _feed("stateful")
    model = _frozen(build_keras_model(feed, UNITS, "sigmoid"))
    layer = model.get_layer("lstm")
    reset_states(model)
    model.fit(feed.x, feed.y[:, -1], batch_size=1, shuffle=False, verbose=0)
    after_fit = _states(layer)
    assert np.abs(after_fit[0]).max() > 0.05
    carried = model.predict(feed.x, batch_size=1, verbose=0)
    h, _ = _twin(layer, _stream(feed.x), initial_state=after_fit)
    np.testing.assert_allclose(carried, _dense(model, h[0]), atol=1e-5)


# --- 3, 4. fit's order and batches ---------------------------------------------------------


def test_fit_shuffles_every_epoch_by_default_and_keeps_the_order_without():
    """With a global seed (``keras.utils.set_random_seed``, as seqviz's exported scripts call it),
    fit(shuffle=True) draws one order and repeats it every epoch: TensorFlow restarts the seeded
    ``tf.random.shuffle`` of Keras's array adapter with each epoch's new iterator."""
    _says(
        OPTION_BY_NAME["shuffle"].help,
        "new order of the samples every epoch, as fit(shuffle=True) draws without a global seed",
    )
    unseeded, _ = _recorded_fit(12, epochs=3, seed=None, batch_size=12)  # shuffle=True: the default
    orders = unseeded.seen
    assert all(sorted(order) == list(range(12)) for order in orders)  # each sample once per epoch
    assert len({tuple(order) for order in orders}) == 3 and list(range(12)) not in orders
    seeded, _ = _recorded_fit(6, epochs=3, seed=1, batch_size=6)
    assert seeded.seen[0] != list(range(6)) and seeded.seen == [seeded.seen[0]] * 3
    kept, _ = _recorded_fit(6, epochs=3, batch_size=6, shuffle=False)
    assert kept.seen == [list(range(6))] * 3


def test_with_shuffle_a_stateful_sample_starts_from_whichever_sample_preceded_it():
    """seqviz/modes.py ``_flow``: "shuffle=True reorders the samples every epoch, so the state a
    sample receives comes from whichever sample preceded it in that epoch's order"."""
    model, _ = _recorded_fit(5, epochs=1, stateful=True, batch_size=1)
    order = [i for batch in model.seen for i in batch]
    assert order != list(range(5))
    stream = (np.array(order, "float32") / 10).reshape(1, 5, 1)
    for got, want in zip(_states(model.rnn), _twin(model.rnn, stream)[1]):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_stateless_fit_takes_a_smaller_last_batch():
    """README.md: "only a stateful layer needs the batch size to divide the samples (a smaller
    last batch is normal otherwise)"; seqviz/trainer.py: "Keras's epoch loss: batch losses
    weighted by batch size"."""
    kept, losses = _recorded_fit(5, epochs=1, batch_size=2, shuffle=False)
    assert kept.seen == [[0, 1], [2, 3], [4]]
    shuffled, _ = _recorded_fit(5, epochs=2, batch_size=2)
    assert [len(b) for b in shuffled.seen] == [2, 2, 1] * 2
    for epoch in (shuffled.seen[:3], shuffled.seen[3:]):
        assert sorted(i for batch in epoch for i in batch) == list(range(5))
    x = np.arange(5, dtype="float32")[:, None]
    per_sample = (kept.predict(x, verbose=0)[:, 0] - 1.0) ** 2
    np.testing.assert_allclose(losses[0], per_sample.mean(), rtol=1e-5)


def test_fit_without_a_batch_size_takes_batches_of_32():
    """seqviz/layout.py ``KERAS_DEFAULT_BATCH`` (32): a custom stateless layout without a batch
    size gets fit's default (seqviz/modes.py ``custom_layout``)."""
    model, _ = _recorded_fit(KERAS_DEFAULT_BATCH + 8, epochs=1, shuffle=False)
    assert [len(b) for b in model.seen] == [KERAS_DEFAULT_BATCH, 8]


# --- 5, 6. a stateful layer's fixed batch size ---------------------------------------------


def _five_samples_batch_two() -> str:
    """seqviz's own message for 5 stateful samples in batches of 2."""
    dataset = make_dataset("a b c a b c", "next")
    layout = Layout(1, 1, True, 2, "rows", False, "epoch", False)
    with pytest.raises(SeqvizError) as refused:
        check(dataset, layout)
    return str(refused.value)


def test_a_stateful_layer_holds_one_state_row_per_sample_of_its_batch():
    _says(_five_samples_batch_two(), "its state has one row per sample of a batch")
    _, layer = _stateful_model(batch_size=3)
    assert [s.shape for s in _states(layer)] == [(3, UNITS), (3, UNITS)]


def test_keras_does_not_refuse_a_short_last_stateful_batch_in_fit():
    """seqviz/layout.py says "Rules that Keras enforces are checked here ...: a stateful layer's
    batches all have the same size"; seqviz/kernel.py, "a stateful feed whose last batch is short
    (Keras refuses it ...)". What Keras does with 5 samples (a short last batch):

    - batch size 2, graph fit (the default): no error, 3 steps; the last batch's one sample is
      broadcast against both rows of the state, and both rows end holding its continuation;
    - batch size 3: a shape error from inside TensorFlow, not a message about the batch size;
    - ``run_eagerly=True``: the layer's own check refuses it with a ValueError.
    """
    _says(_five_samples_batch_two(), "a stateful layer needs every batch to have the same size")
    x, y = _random(5, 1, F), np.zeros((5, 2), "float32")
    model, layer = _stateful_model(batch_size=2)
    steps = []
    count = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs=None: steps.append(batch))
    model.fit(x, y, batch_size=2, shuffle=False, verbose=0, callbacks=[count])
    assert steps == [0, 1, 2]
    rows = _states(layer)
    for row, lane in enumerate(([0, 2, 4], [1, 3, 4])):  # sample 4 continues both rows
        for got, want in zip(rows, _twin(layer, _stream(x[lane]))[1]):
            np.testing.assert_allclose(got[row], want[0], atol=1e-5)

    three, _ = _stateful_model(batch_size=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        three.fit(x, y, batch_size=3, shuffle=False, verbose=0)

    eager, _ = _stateful_model(batch_size=2)
    eager.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.0), run_eagerly=True)
    with pytest.raises(ValueError, match="must be the same as the batch size of the initial state"):
        eager.fit(x, y, batch_size=2, shuffle=False, verbose=0)


def test_predict_with_a_short_last_stateful_batch_returns_more_rows_than_samples():
    """The same broadcast in predict: 3 samples, batch size 2, give 4 output rows."""
    model, _ = _stateful_model(batch_size=2)
    assert model.predict(_random(3, 1, F), batch_size=2, verbose=0).shape == (4, 2)


def test_a_stateful_model_predicts_only_at_its_own_batch_size_and_a_rebuilt_copy_does_the_rest():
    """seqviz/predict.py: "a stateful model is rebuilt with the new batch size and the trained
    weights copied in, the standard Keras recipe"."""
    _says(MODE_HELP["stateful"], "sample i of batch k+1 continues sample i of batch k")
    feed, dataset = _feed("stateful-b2")
    model = build_keras_model(feed, UNITS, "sigmoid")
    for other in (1, 4):  # 4 samples: both sizes divide them, so the batch shape is static
        with pytest.raises(ValueError, match="Expected batch size: 2"):
            model.predict(feed.x, batch_size=other, verbose=0)

    test = prediction_feed("0 1 0 2 1 0 2 1", "pairs", dataset, feed, 1, "zeros", seed=0)
    predictor = build_keras_model(test.feed, UNITS, "sigmoid")
    predictor.set_weights(model.get_weights())
    reset_states(predictor)
    rebuilt = predictor.predict(test.feed.x, batch_size=1, verbose=0)
    h, _ = _twin(model.get_layer("lstm"), _stream(test.feed.x))  # one stream, sample after sample
    np.testing.assert_allclose(rebuilt, _dense(model, h[0]), atol=1e-5)

    reset_states(model)
    original = model.predict(feed.x, batch_size=2, verbose=0)
    np.testing.assert_allclose(original[0], rebuilt[0], atol=1e-6)  # both from zeros
    assert np.abs(original[1] - rebuilt[1]).max() > 1e-4  # batch 2: sample 1 starts from zeros too


# --- 7. where state flows ------------------------------------------------------------------


def test_state_flows_along_the_timesteps_of_a_sample_never_between_the_samples_of_a_batch():
    """README.md / seqviz/explain.py: "State flows across the timesteps of one sample, never across
    the samples of a batch"; app.py: "it never crosses from one sample to the next inside a batch"."""
    _says(GLOSSARY["batch"], "state never flows between them")
    layer = keras.layers.LSTM(UNITS, return_sequences=True)
    x = _random(3, 4, F)
    together = np.asarray(layer(x))
    for j in range(3):
        np.testing.assert_allclose(np.asarray(layer(x[j : j + 1]))[0], together[j], atol=1e-6)
    changed = x.copy()
    changed[0, 0] += 0.5
    moved = np.asarray(layer(changed))
    assert np.abs(moved[0, -1] - together[0, -1]).max() > 1e-4  # the first step reaches the last
    np.testing.assert_array_equal(moved[1:], together[1:])  # and no other sample


def test_stateful_sample_i_continues_sample_i_of_the_previous_batch():
    _says(GLOSSARY["stateful"], "sample i of one batch starts from the state sample i of the previous")
    model, layer = _stateful_model(batch_size=2, timesteps=2, return_sequences=True)
    x = _random(6, 2, F)
    h = keras.Model(model.inputs, layer.output).predict(x, batch_size=2, verbose=0)
    for lane in (0, 1):
        sequence, _ = _twin(layer, _stream(x[lane::2]))  # x[i], x[i+2], x[i+4] one after another
        np.testing.assert_allclose(h[lane::2].reshape(1, 6, UNITS), sequence, atol=1e-5)


def test_the_gradient_stops_at_a_stateful_samples_first_step():
    _says(GLOSSARY["✂"], "state flows in from the previous batch, but backpropagation stops there")
    model, _ = _stateful_model(batch_size=1, timesteps=2)
    first, later = tf.Variable(_random(1, 2, F)), _random(1, 2, F)
    with tf.GradientTape(persistent=True) as tape:
        own = model(first)
        second = model(later)
    assert tape.gradient(own, first) is not None
    assert tape.gradient(second, first) is None  # batch 1 reaches batch 2 only through the state
    reset_states(model)
    model(first + 0.5)
    assert np.abs(np.asarray(model(later)) - np.asarray(second)).max() > 1e-4  # and it does reach it
    stateless = keras.Sequential([keras.Input((4, F)), keras.layers.LSTM(UNITS), keras.layers.Dense(2)])
    both = tf.Variable(_random(1, 4, F))
    with tf.GradientTape() as tape:
        out = stateless(both)
    reach = np.abs(tape.gradient(out, both).numpy()[0, 0]).max()
    assert reach > 1e-6  # within one sample the gradient reaches the first step


def test_reset_state_zeros_every_row_at_once_and_a_keras_3_model_has_no_reset_states():
    """seqviz/layout.py: "Keras's reset_state() resets every sample of a batch"; README.md:
    "Keras resets a stateful layer only between calls and only all rows at once"; seqviz's
    ``reset_states(model)`` helper exists because Keras 3 models have no ``reset_states``."""
    model, layer = _stateful_model(batch_size=3)
    model.predict(_random(3, 1, F), batch_size=3, verbose=0)
    assert all(np.abs(s).min(axis=1).max() > 0 for s in _states(layer))
    assert list(inspect.signature(layer.reset_state).parameters) == []  # no rows to choose
    assert not hasattr(model, "reset_states") and not hasattr(model, "reset_state")
    reset_states(model)
    assert all(not s.any() for s in _states(layer))


# --- 8. return_sequences, the Dense head and the outputs Keras hands back ------------------


def test_dense_after_return_sequences_is_applied_at_every_step_as_time_distributed():
    """seqviz/modes.py ``_flow`` (sequence): "every step's output is trained"; app.py: "Keras reads
    X as (samples, timesteps, features)"."""
    _says(OPTION_BY_NAME["return_sequences"].help, "Train the output of every step")
    x = _random(2, 5, F)
    rnn = keras.layers.LSTM(UNITS, return_sequences=True)
    dense = keras.layers.Dense(3)
    out = np.asarray(dense(rnn(x)))
    assert out.shape == (2, 5, 3)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(out, np.asarray(rnn(x)) @ kernel + bias, atol=1e-5)
    distributed = keras.layers.TimeDistributed(keras.layers.Dense(3))
    distributed(rnn(x))
    distributed.set_weights(dense.get_weights())
    np.testing.assert_allclose(np.asarray(distributed(rnn(x))), out, atol=1e-6)


def test_keras_hands_back_every_steps_h_but_only_the_final_states():
    """seqviz/replay.py: "Keras returns each step's h (return_sequences) and only the final states
    (return_state)"."""
    x = _random(2, 5, F)
    sequence, h, c = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)(x)
    assert sequence.shape == (2, 5, UNITS) and h.shape == c.shape == (2, UNITS)
    np.testing.assert_allclose(np.asarray(sequence)[:, -1], np.asarray(h), atol=1e-6)
    assert len(keras.layers.GRU(UNITS, return_state=True)(x)) == 2  # GRU: output and h


# --- 9. masking ----------------------------------------------------------------------------


def test_masking_skips_an_all_zero_step_and_carries_the_state_through():
    """seqviz/modes.py ``_check_maskable``: "Keras's Masking(mask_value=0.0) skips every step whose
    features are all 0"; seqviz/network.py: "a masked (padded) step leaves the states as they were
    and returns the previous h"; seqviz/keras_model.py: "the layers carry their states through it"."""
    with pytest.raises(SeqvizError, match="Masking layer would skip that step"):
        _check_maskable(np.zeros((1, 2, 1), "float32"), np.array([[0, -1]]), "none")
    x = _random(1, 5, F)
    x[0, 2] = 0.0  # a step of zeros inside the sample
    x[0, 4] = 0.0  # and padding at its end
    x[0, 3, :2] = 0.0  # some features 0: a real step
    inputs = keras.Input((5, F))
    rnn = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)
    model = keras.Model(inputs, rnn(keras.layers.Masking(mask_value=0.0)(inputs)))
    sequence, h, c = (np.asarray(a) for a in model(x))
    np.testing.assert_array_equal(sequence[0, 2], sequence[0, 1])
    np.testing.assert_array_equal(sequence[0, 4], sequence[0, 3])
    real, finals = _twin(rnn, x[:, [0, 1, 3]])  # the same layer reading only the other steps
    np.testing.assert_allclose(sequence[0, [0, 1, 3]], real[0], atol=1e-6)
    np.testing.assert_allclose(h, finals[0], atol=1e-6)
    np.testing.assert_allclose(c, finals[1], atol=1e-6)


def _masked_loss(return_sequences: bool, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Keras's loss (mse) and predictions for Masking → LSTM → Dense(1) on ``x``."""
    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            keras.layers.Masking(mask_value=0.0),
            keras.layers.LSTM(UNITS, return_sequences=return_sequences),
            keras.layers.Dense(1),
        ]
    )
    model.compile(loss="mse")
    return model.evaluate(x, y, batch_size=len(x), verbose=0), np.asarray(model(x))


def test_the_loss_skips_masked_steps_only_when_every_step_is_returned():
    """seqviz/keras_model.py: "Padding (all-zero steps) is masked: ... the loss skips it";
    seqviz/losses.py: "Keras's batch loss (the mean over trained steps)"; seqviz/layout.py: "with
    return_sequences off Keras does not mask their loss" (a lane's padding rows)."""
    x = _random(2, 3, F)
    x[1, 2] = 0.0  # sample 1 is padded at its last step
    y = RNG.uniform(-1, 1, (2, 3, 1)).astype("float32")
    loss, out = _masked_loss(True, x, y)
    errors = ((out - y) ** 2)[..., 0]
    real = np.array([[1, 1, 1], [1, 1, 0]], bool)
    np.testing.assert_allclose(loss, errors[real].mean(), rtol=1e-5)
    assert abs(errors[real].mean() - errors.mean()) > 1e-4

    x[1] = 0.0  # sample 1 is all padding (a lane's empty row)
    loss, out = _masked_loss(False, x, y[:, -1])
    errors = ((out - y[:, -1]) ** 2)[:, 0]
    np.testing.assert_allclose(loss, errors.mean(), rtol=1e-5)
    assert abs(errors.mean() - errors[0]) > 1e-4


# --- 10. the cells as Keras builds them ----------------------------------------------------


def _zero_kernels(layer, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``layer``'s h at every step of ``x`` with zero kernels and ``bias``: the bias alone drives it."""
    layer(x)
    kernel, recurrent, _ = layer.get_weights()
    layer.set_weights([np.zeros_like(kernel), np.zeros_like(recurrent), bias])
    return np.asarray(layer(x))[0, :, 0]


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + np.exp(-v))


def test_lstm_gate_order_is_i_f_c_o_and_the_forget_bias_starts_at_one():
    """seqviz/cells/lstm.py: "as keras.layers.LSTM computes it (gate order i, f, c, o)" and "The
    forget gate's bias starts at 1 (Keras's unit_forget_bias=True)"."""
    fresh = keras.layers.LSTM(UNITS)
    fresh(_random(1, 1, F))
    np.testing.assert_array_equal(fresh.get_weights()[2], CELLS["lstm"].bias(UNITS))
    bi, bf, bc, bo = 0.3, -0.7, 0.9, -0.2
    got = _zero_kernels(
        keras.layers.LSTM(1, return_sequences=True), _random(1, 2, F), np.array([bi, bf, bc, bo])
    )
    c1 = _sigmoid(bi) * np.tanh(bc)
    c2 = _sigmoid(bf) * c1 + _sigmoid(bi) * np.tanh(bc)
    np.testing.assert_allclose(got, [_sigmoid(bo) * np.tanh(c1), _sigmoid(bo) * np.tanh(c2)], atol=1e-6)


def test_gru_resets_after_the_recurrent_product_with_a_bias_of_two_rows():
    """seqviz/cells/gru.py: "as keras.layers.GRU builds it by default (reset_after=True, gate order
    z, r, h; bias of shape (2, 3u)...)"; README.md: "gru.py with Keras 3's default reset_after=True"."""
    fresh = keras.layers.GRU(UNITS)
    fresh(_random(1, 1, F))
    assert fresh.reset_after and fresh.get_weights()[2].shape == CELLS["gru"].bias(UNITS).shape == (
        2,
        3 * UNITS,
    )
    bias = np.array([[0.4, -0.3, 0.2], [-0.1, 0.5, 0.8]])  # input row, recurrent row: z, r, h
    got = _zero_kernels(keras.layers.GRU(1, return_sequences=True), _random(1, 2, F), bias)
    z, r = _sigmoid(bias[0, 0] + bias[1, 0]), _sigmoid(bias[0, 1] + bias[1, 1])
    hh = np.tanh(bias[0, 2] + r * bias[1, 2])  # the reset gate scales the recurrent bias too
    h1 = (1 - z) * hh
    np.testing.assert_allclose(got, [h1, z * h1 + (1 - z) * hh], atol=1e-6)


# --- Adam across fit calls -----------------------------------------------------------------


def test_a_second_fit_call_continues_adams_moments_a_new_model_starts_them_afresh():
    """seqviz/engine.py (continue training): "Adam's moments start afresh, as a new model.fit on a
    model with those weights would"."""
    feed, dataset = _feed("stateless")
    y = feed.y[:, -1]

    def fitted(weights: list[np.ndarray] | None, calls: int, epochs: int = 1):
        keras.utils.set_random_seed(5)
        start = None if weights is None else Weights.from_list(weights)
        model = build_keras_model(feed, UNITS, "sigmoid", start)
        model.compile(loss=LOSSES["sigmoid"], optimizer=keras.optimizers.Adam(learning_rate=0.05))
        for _ in range(calls):
            model.fit(feed.x, y, epochs=epochs, batch_size=feed.batch_size, shuffle=False, verbose=0)
        return model

    start = fitted(None, 0).get_weights()
    one_run = fitted(start, 1, epochs=2).get_weights()
    two_calls = fitted(start, 2)
    assert int(two_calls.optimizer.iterations.numpy()) == 2 * -(-feed.samples // feed.batch_size)
    for a, b in zip(two_calls.get_weights(), one_run):
        np.testing.assert_allclose(a, b, atol=1e-6)  # the second call went on with the same moments
    afresh = fitted(fitted(start, 1).get_weights(), 1).get_weights()
    assert max(np.abs(a - b).max() for a, b in zip(afresh, one_run)) > 1e-4
