"""What each position can see, as positions: the inputs whose tokens reached the state that
predicts it, and of those the ones the loss's gradient reaches.

``Feed.keys`` says the same as tokens (what makes two positions indistinguishable); this says
it as positions, so a page can shade the very inputs a state has seen. It is found here by
following each step's state back to where it came from (``Feed.source``), independently of
``seqviz.layout.keys``, and the tests hold the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqviz.modes import PREVIOUS_BATCH, PREVIOUS_STEP, Feed


@dataclass(frozen=True)
class Reach:
    """Per position, the input positions that reach the state predicting it, oldest first."""

    seen: tuple[tuple[int, ...], ...]  # through the state, carried from earlier batches too
    reached: tuple[tuple[int, ...], ...]  # those the gradient reaches: the position's own sample


def reach_of(feed: Feed) -> Reach:
    """What each position of ``feed`` can see and what its gradient reaches, as positions.

    Rows run in order (as prediction runs them, and training without shuffle), so every
    step's source comes before it: each step's lists are its source's plus its own input.
    """
    inputs = feed.input_positions
    assert inputs is not None, "a Feed built by build_feed knows the input at every step"
    seen: dict[tuple[int, int], tuple[int, ...]] = {}
    reached: dict[tuple[int, int], tuple[int, ...]] = {}
    out: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    for s in range(feed.samples):
        for t in range(feed.timesteps):
            kind, source = feed.source(s, t)
            own = (int(inputs[s, t]),) if inputs[s, t] >= 0 else ()
            carried = source is not None and not (kind == PREVIOUS_BATCH and feed.shuffle)
            # Shuffled batches carry a state from no fixed row: nothing known is seen.
            seen[(s, t)] = (seen[source] if carried and source else ()) + own
            # Backpropagation stops at the sample's first step: the gradient reaches its own steps.
            reached[(s, t)] = (reached[source] if kind == PREVIOUS_STEP and source else ()) + own
            p = int(feed.positions[s, t])
            if p >= 0:
                out[p] = (seen[(s, t)], reached[(s, t)])
    return Reach(tuple(out[p][0] for p in range(len(out))), tuple(out[p][1] for p in range(len(out))))


def _suffix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _alike(pairs: list[tuple[str, str]], reaches: dict[str, Reach]) -> dict[tuple[int, int], int]:
    """Pairs of positions with different targets that see the same inputs, and in how many modes."""
    counts: dict[tuple[int, int], int] = {}
    for reach in reaches.values():
        groups: dict[tuple[str, ...], list[int]] = {}
        for p, positions in enumerate(reach.seen):
            groups.setdefault(tuple(pairs[q][0] for q in positions), []).append(p)
        for members in groups.values():
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    if pairs[a][1] != pairs[b][1]:
                        counts[(a, b)] = counts.get((a, b), 0) + 1
    return counts


def _closest(pairs: list[tuple[str, str]], reaches: dict[str, Reach]) -> tuple[int, int] | None:
    """The pair with different targets whose latest inputs seen agree longest in some mode."""
    best, found = 0, None
    seen = [[tuple(pairs[q][0] for q in r.seen[p]) for p in range(len(pairs))] for r in reaches.values()]
    for a in range(len(pairs)):
        for b in range(a + 1, len(pairs)):
            if pairs[a][1] == pairs[b][1] or pairs[a][0] != pairs[b][0]:
                continue
            closeness = max(_suffix(s[a], s[b]) for s in seen)
            if closeness > best:
                best, found = closeness, (a, b)
    return found


def telling_pair(pairs: list[tuple[str, str]], reaches: dict[str, Reach]) -> tuple[int, int]:
    """The two positions that teach most: ones that look alike (the same inputs seen) in some
    mode but need different targets, best when another mode tells them apart, then alike in
    the most modes; else the closest pair (the same input, and the longest run of the same
    inputs before it in some mode) with different targets; else positions 0 and 1.

    Args:
        pairs: (input, target) per position.
        reaches: per mode, what each position sees (``reach_of``).
    """
    if len(pairs) < 2:
        return 0, 0
    alike = _alike(pairs, reaches)
    if alike:
        told_apart = {ab: int(n < len(reaches)) for ab, n in alike.items()}
        # The earliest pair among the most telling: min over the negated scores.
        return min(alike, key=lambda ab: (-told_apart[ab], -alike[ab], ab))
    return _closest(pairs, reaches) or (0, 1)
