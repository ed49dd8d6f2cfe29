"""geo.breaks.fisher_jenks against mapclassify.FisherJenks: the same breaks, or (where
mapclassify's float32 sums pick a worse partition) a partition with a smaller squared error."""

from __future__ import annotations

import mapclassify
import numpy as np
import pytest

from geo.breaks import fisher_jenks


def _samples() -> list[np.ndarray]:
    """Skewed samples like the heat maps': counts, rates per 1,000 residents, log-normal."""
    rng = np.random.default_rng(19)
    found = []
    for i in range(90):
        n = int(rng.integers(20, 900))
        counts = rng.geometric(0.6, n)
        if i % 3 == 0:
            found.append(counts.astype(np.float64))
        elif i % 3 == 1:
            found.append(counts * 1000 / rng.integers(20, 3000, n))
        else:
            found.append(rng.lognormal(2.0, 1.2, n))
    return found


def _squared_error(values: np.ndarray, bounds: list[float]) -> float:
    classes = np.searchsorted(np.asarray(bounds), values)  # upper bounds, inclusive
    return sum(
        float(((c - c.mean()) ** 2).sum())
        for c in np.split(np.sort(values), np.cumsum(np.bincount(classes))[:-1])
    )


@pytest.mark.parametrize(("k", "kept", "better"), [(3, 90, 1), (5, 87, 0), (7, 69, 0)])
def test_breaks_equal_mapclassify_or_fit_better(k, kept, better):
    samples = [s for s in _samples() if np.unique(s).size > k]
    assert len(samples) == kept
    differ = 0
    for values in samples:
        ours, theirs = fisher_jenks(values, k), mapclassify.FisherJenks(values, k=k).bins.tolist()
        if ours != theirs:
            differ += 1
            assert _squared_error(values, ours) < _squared_error(values, theirs)
    assert differ == better


def test_breaks_of_many_values_equal_mapclassify():
    rng = np.random.default_rng(7)
    rates = rng.geometric(0.5, 2500) * 1000 / rng.integers(50, 2000, 2500)
    assert fisher_jenks(rates) == mapclassify.FisherJenks(rates, k=5).bins.tolist()


def test_skewed_counts_get_five_classes():
    counts = [1] * 780 + [2] * 120 + [3] * 50 + [4] * 20 + [5] * 12 + [7] * 9 + [9] * 6 + [13]
    assert fisher_jenks(counts) == [1.0, 2.0, 3.0, 5.0, 13.0]
    assert fisher_jenks(counts) == mapclassify.FisherJenks(np.array(counts), k=5).bins.tolist()


def test_few_distinct_values_are_their_own_breaks():
    assert fisher_jenks([3, 1, 3, 2]) == [1.0, 2.0, 3.0]
    assert fisher_jenks([4.5] * 10) == [4.5]
    assert fisher_jenks([]) == []
