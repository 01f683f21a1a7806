"""The Keras code blocks both exported scripts share (``seqviz.export`` for tokens,
``seqviz.export_regression`` for numbers): the model, and the training loop that does what
``fit`` alone does not (a reset, a known shuffle order, resets between sequences)."""

from __future__ import annotations

from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.keras_model import LOSSES, layer_names
from seqviz.modes import Feed


def model_code(
    feed: Feed,
    config: RunConfig,
    vocab: int,
    name: str = "model",
    batch_size: int | None = None,
    stepper: bool = False,
) -> str:
    """The Keras model; ``name`` and ``batch_size`` build a second one for prediction;
    ``stepper``: a stateful copy that reads one timestep per call and returns every output."""
    stateful = feed.stateful or stepper
    steps = 1 if stepper else feed.timesteps
    shape = (
        f"batch_shape=({batch_size or feed.batch_size}, {steps}, {vocab})"
        if stateful
        else (f"shape=({steps}, {vocab})")
    )
    names = layer_names(config.cell, config.layers)
    # The cell's own arguments (a GRU's reset_after=False), as keras_model.build_keras_model passes them.
    cell_options = "".join(f", {key}={value!r}" for key, value in CELLS[config.cell].keras_options().items())
    lines = []
    for k, layer_name in enumerate(names):
        options = cell_options + (", stateful=True" if stateful else "")
        if feed.return_sequences or stepper or k < len(names) - 1:
            options += ", return_sequences=True"
        layer = CELLS[config.cell].keras_layer
        lines.append(f'        keras.layers.{layer}({config.units}{options}, name="{layer_name}"),\n')
    stack = "".join(lines)
    masking = (
        "        keras.layers.Masking(mask_value=0.0),  # all-zero steps are padding\n" if feed.masked else ""
    )
    built = f"""\
{name} = keras.Sequential(
    [
        keras.Input({shape}),
{masking}{stack}        keras.layers.Dense({vocab}, activation="{config.output}"),
    ]
)
"""
    if name != "model":
        return built
    return (
        built
        + f"""\
model.compile(
    loss="{LOSSES[config.output]}",
    optimizer=keras.optimizers.Adam(learning_rate={config.learning_rate!r}),
)
"""
    )


_RESET_HELPER = """

def reset_states(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()

"""


def _fit_loop(feed: Feed, config: RunConfig) -> str:
    """The training: one fit call where Keras does it all, else a loop over epochs that does
    what fit alone does not (a reset, a known shuffle order, resets between sequences)."""
    b, epochs = feed.batch_size, config.epochs
    fit_args = f"batch_size={b}, shuffle=False, verbose=0"
    reset_epoch = feed.stateful and feed.reset in ("epoch", "sequence")
    if not feed.shuffle and not reset_epoch:
        note = ""
        if feed.stateful:
            note = (
                "# fit never resets a stateful layer's state: each epoch starts where the last one ended.\n"
            )
        return f"{note}model.fit(X, Y, epochs={epochs}, {fit_args})\n"
    lines = []
    if feed.reset_rows:
        starts = sorted(r // b for r in feed.reset_rows)
        lines += [
            f"starts = {starts!r}  # the batches where a new sequence starts: its state begins at zeros",
            "between_sequences = keras.callbacks.LambdaCallback(",
            "    on_train_batch_begin=lambda batch, logs=None: batch in starts and reset_states(model)",
            ")",
        ]
    lines.append(f"for epoch in range({epochs}):")
    data = "X, Y"
    if feed.shuffle:
        lines += [
            "    # A new seeded order every epoch, as seqviz trains. fit(shuffle=True) draws a new order",
            "    # every epoch only without a global seed: after keras.utils.set_random_seed (above),",
            "    # one fit(epochs=N) call repeats a single order in every epoch.",
            f"    order = np.random.default_rng([{feed.shuffle_seed}, epoch]).permutation(len(X))",
        ]
        data = "X[order], Y[order]"
    callbacks = ", callbacks=[between_sequences]" if feed.reset_rows else ""
    if reset_epoch:  # before each epoch, so the state training ends in is still there afterwards
        lines.append(
            "    reset_states(model)  # fit keeps a stateful layer's state: each epoch starts at zeros"
        )
    lines.append(f"    model.fit({data}, epochs=1, {fit_args}{callbacks})")
    return "\n".join(lines) + "\n"


def _predict_code(feed: Feed) -> str:
    b = feed.batch_size
    reset = "reset_states(model)\n" if feed.stateful else ""
    if not feed.reset_rows:
        return f"{reset}probabilities = model.predict(X, batch_size={b}, verbose=0)\n"
    return f"""{reset}outputs = []
for batch in range(len(X) // {b}):
    if batch in starts:
        reset_states(model)
    outputs.append(model.predict_on_batch(X[batch * {b} : (batch + 1) * {b}]))
probabilities = np.concatenate(outputs)
"""


def train_code(feed: Feed, config: RunConfig, test: str = "") -> str:
    helper = _RESET_HELPER if feed.stateful else ""
    return helper + "\n" + _fit_loop(feed, config) + "\n" + test + _predict_code(feed)
