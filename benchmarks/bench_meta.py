"""Benchmark: impactlib.meta.pool (REML) on 10 000 simulated studies vs statsmodels.

statsmodels' ``combine_effects`` has no REML; it is timed with its Paule-Mandel estimator
(``method_re="pm"``, the same iterated estimator as its default ``"iterated"``) on the same
data, next to ``pool(..., method="PM")`` for a like-for-like comparison. Each timing is the
best of ``REPEATS`` runs. Run with ``python benchmarks/bench_meta.py``; it prints only.
"""

from __future__ import annotations

import time

import numpy as np
from statsmodels.stats.meta_analysis import combine_effects

from impactlib.meta import pool

K = 10_000
REPEATS = 7
SEED = 20240610


def best_time(func, repeats: int = REPEATS) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    rng = np.random.default_rng(SEED)
    v = 4.0 / rng.integers(20, 500, size=K)
    y = 0.3 + rng.normal(0.0, np.sqrt(0.05), K) + rng.normal(0.0, np.sqrt(v))

    t_reml, reml = best_time(lambda: pool(y, v, tau2_estimator="REML"))
    t_pm, pm = best_time(lambda: pool(y, v, method="PM"))
    t_sm, sm_res = best_time(lambda: combine_effects(y, v, method_re="pm"))

    print(f"k = {K} simulated studies (mu = 0.3, tau^2 = 0.05), best of {REPEATS} runs")
    print(f"impactlib pool REML           : {1e3 * t_reml:8.2f} ms  tau2 = {reml.tau2:.6f}")
    print(f"impactlib pool PM             : {1e3 * t_pm:8.2f} ms  tau2 = {pm.tau2:.6f}")
    print(f"statsmodels combine_effects PM: {1e3 * t_sm:8.2f} ms  tau2 = {sm_res.tau2:.6f}")
    print(f"ratio REML (impactlib) / PM (statsmodels): {t_reml / t_sm:.2f}")
    print(f"ratio PM (impactlib) / PM (statsmodels)  : {t_pm / t_sm:.2f}")


if __name__ == "__main__":
    main()
