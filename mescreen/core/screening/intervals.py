"""95% intervals for the screening's figures: a share gets Wilson's score interval, a count per
unit of time the exact (Garwood) Poisson interval. Both behave at 0 and at small counts, where the
normal approximation gives intervals below 0 (Brown, Cai & DasGupta, Statistical Science 16:101,
2001; Garwood, Biometrika 28:437, 1936)."""

from __future__ import annotations

import math

from scipy.special import gammaincinv, ndtri  # not scipy.stats: importing it costs about 1 s of start-up

Z95 = float(ndtri(0.975))


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """Interval of a proportion successes/trials; None without trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def poisson_rate(count: int, exposure: float, level: float = 0.95) -> tuple[float, float] | None:
    """Exact interval of a rate count/exposure (e.g. events per minute); None without exposure."""
    if exposure <= 0:
        return None
    alpha = 1.0 - level
    # Garwood: chi2.ppf(q, 2k) / 2, which is the inverse regularised lower incomplete gamma of k
    low = 0.0 if count == 0 else gammaincinv(count, alpha / 2)
    high = gammaincinv(count + 1, 1 - alpha / 2)
    return float(low) / exposure, float(high) / exposure
