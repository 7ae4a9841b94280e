"""Exact Poisson intervals: each bound checked against the Poisson distribution
summed term by term (an independent computation), and against rounded values
of the usual tables; and rates."""

from __future__ import annotations

import math

import pytest

from datasets.pipeline.rates import poisson_interval, reporting_rate


@pytest.mark.parametrize(
    ("count", "low", "high"),
    [
        (0, 0.0, 3.6889),
        (1, 0.0253, 5.5716),
        (2, 0.2422, 7.2247),
        (10, 4.7954, 18.3904),
        (20, 12.2165, 30.8884),
        (100, 81.3639, 121.6268),
    ],
)
def test_the_exact_interval_matches_the_tables(
    count: int, low: float, high: float
) -> None:
    lower, upper = poisson_interval(count)
    assert lower == pytest.approx(low, abs=5e-4)
    assert upper == pytest.approx(high, abs=5e-4)
    # The definition: P(X ≥ count | lower) = P(X ≤ count | upper) = 2.5 %.
    assert _cdf(count, upper) == pytest.approx(0.025, abs=1e-9)
    if count:
        assert 1 - _cdf(count - 1, lower) == pytest.approx(0.025, abs=1e-9)


def _cdf(count: int, mean: float) -> float:
    return sum(
        math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1))
        for i in range(count + 1)
    )


def test_a_large_count_stays_exact_and_fast() -> None:
    lower, upper = poisson_interval(100_000)
    # Normal approximation is excellent at this size: 100000 ± 1.96 × 316.2.
    assert lower == pytest.approx(100_000 - 1.96 * 316.228, abs=2)
    assert upper == pytest.approx(100_000 + 1.96 * 316.228, abs=3)


def test_a_reporting_rate_per_100000_patients() -> None:
    rate = reporting_rate(10, 200_000)
    assert rate is not None
    assert rate.value == pytest.approx(5.0)
    assert rate.low == pytest.approx(4.7954 / 2, abs=1e-3)
    assert rate.high == pytest.approx(18.3904 / 2, abs=1e-3)
    assert rate.stable is False  # fewer than 20 cases
    assert reporting_rate(20, 1_000) is not None and reporting_rate(20, 1_000).stable
    assert reporting_rate(3, 0) is None
