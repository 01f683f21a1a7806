"""A run's plan: everything decided before training, built once per Train by
``RunConfig.plan`` and read by the trainer, the replay, the prediction pass, the facts and the
export, none of which derives it again.

Per mode it holds the feed (``seqviz.modes.Feed``: X, Y, the batches, and the state-carry rule,
``Feed.source`` for the replay's row order and ``Feed.training_source`` for training) and, with a
test part, the prediction feed (``seqviz.predict.PredictionFeed``: the test laid out as that mode
predicts it, and which of its positions the mode saw in training).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from seqviz.modes import Feed
from seqviz.predict import PredictionFeed
from seqviz.sequence import Dataset


@dataclass(frozen=True)
class Plan:
    dataset: Dataset  # the training data, parsed once
    feeds: Mapping[str, Feed]  # per mode, in the order the run trains them
    tests: Mapping[str, PredictionFeed]  # per mode, when there is a test part; else empty

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(self.feeds)
