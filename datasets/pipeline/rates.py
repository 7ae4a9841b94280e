"""Reporting rates per 100,000 treated patients with their exact 95 % Poisson
interval (Garwood's: the bounds are quantiles of the gamma distribution, as
``chi2.ppf`` halves give them), computed without SciPy: the regularized
incomplete gamma function by its series and continued fraction, inverted by
bisection. A rate on fewer than 20 cases is marked unstable. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Below this many cases a rate is shown as unstable.
STABLE_FROM = 20
PER = 100_000


def _lower_regularized_gamma(a: float, x: float) -> float:
    """P(a, x): the regularized lower incomplete gamma function (a > 0)."""
    if x <= 0:
        return 0.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:  # series
        term = total = 1.0 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return min(1.0, total * math.exp(log_prefix))
    # Continued fraction for Q(a, x) (modified Lentz), then P = 1 - Q.
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return max(0.0, 1.0 - math.exp(log_prefix) * h)


def gamma_quantile(p: float, a: float) -> float:
    """The x with P(a, x) = p (bisection to a relative 1e-12)."""
    low, high = 0.0, max(1.0, a)
    while _lower_regularized_gamma(a, high) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if _lower_regularized_gamma(a, middle) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def poisson_interval(count: int, level: float = 0.95) -> tuple[float, float]:
    """The exact interval of a Poisson mean given ``count`` events."""
    alpha = 1 - level
    lower = 0.0 if count == 0 else gamma_quantile(alpha / 2, count)
    upper = gamma_quantile(1 - alpha / 2, count + 1)
    return lower, upper


@dataclass(frozen=True)
class Rate:
    """Cases per ``PER`` treated patients, its interval, and whether it is stable."""

    value: float
    low: float
    high: float
    stable: bool


def reporting_rate(cases: int, patients: int) -> Rate | None:
    """The reporting rate of ``cases`` among ``patients`` treated (None without
    patients)."""
    if patients <= 0:
        return None
    low, high = poisson_interval(cases)
    scale = PER / patients
    return Rate(cases * scale, low * scale, high * scale, cases >= STABLE_FROM)
