"""Benchmark: Monte Carlo randomisation inference on a simulated 100 000-row experiment.

Times :func:`impactlib.experiment.randomization_inference` (10 000 random assignments of a
completely randomised experiment, difference in means, two-sided) against the peers
available without installing anything:

- ``scipy.stats.permutation_test`` with ``vectorized=True`` (independent samples);
- a plain numpy loop: one ``Generator.permutation`` of the assignment and two dot products
  per draw.

Usage::

    python benchmarks/bench_ri.py                # 10 000 draws for every method
    python benchmarks/bench_ri.py --peer-draws 1000   # peers on fewer draws, scaled up

With ``--peer-draws`` below ``--draws`` the peers' times are extrapolated linearly (their
cost is linear in the number of draws) and marked as such. The p-values are printed too.
impactlib and the numpy loop estimate the same quantity (share of draws with
``|T| >= |T_obs|``), so they agree within Monte Carlo error; scipy defines the two-sided
p-value as twice the smaller one-sided p-value, which differs a little when the null
distribution is skewed. CPU time exceeds wall time when BLAS uses several threads.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.experiment import randomization_inference


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.permutation(np.arange(n) < n // 2).astype(int)
    y = rng.lognormal(mean=9.0, sigma=1.0, size=n) + 150.0 * t
    return pd.DataFrame({"y": y, "t": t})


def with_impactlib(df: pd.DataFrame, draws: int) -> float:
    result = randomization_inference(
        df, outcome="y", treatment="t", n_resamples=draws, seed=1, max_exact=0
    )
    return result.p_value


def with_scipy(df: pd.DataFrame, draws: int) -> float:
    y, t = df["y"].to_numpy(), df["t"].to_numpy() == 1

    def statistic(a, b, axis):
        return a.mean(axis=axis) - b.mean(axis=axis)

    result = stats.permutation_test(
        (y[t], y[~t]),
        statistic,
        permutation_type="independent",
        vectorized=True,
        n_resamples=draws,
        batch=50,  # bounds memory: 50 x 100 000 at a time
        rng=np.random.default_rng(1),
    )
    return result.pvalue


def with_numpy_loop(df: pd.DataFrame, draws: int) -> float:
    y, t = df["y"].to_numpy(), df["t"].to_numpy().astype(float)
    n1, n0 = t.sum(), len(t) - t.sum()
    total = y.sum()
    observed = y @ t / n1 - (total - y @ t) / n0
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(draws):
        z = rng.permutation(t)
        s1 = y @ z
        hits += abs(s1 / n1 - (total - s1) / n0) >= abs(observed)
    return (1 + hits) / (1 + draws)


def timed(function, *args) -> tuple[float, float, float]:
    """Wall-clock seconds, CPU seconds of this process, and the function's value."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--peer-draws", type=int, default=None)
    args = parser.parse_args()
    peer_draws = args.peer_draws or args.draws
    df = simulate(args.rows, seed=20240612)
    with_impactlib(df.iloc[:1000], 10)  # warm-up (imports, first allocations)

    wall, cpu, p_ours = timed(with_impactlib, df, args.draws)
    print(f"{args.rows} rows, {args.draws} random assignments (wall / CPU seconds)")
    print(
        f"  {'impactlib.randomization_inference':34s}: {wall:8.2f} / {cpu:8.2f}   p = {p_ours:.4f}"
    )
    peers = {}
    for name, function in (("numpy loop", with_numpy_loop), ("scipy permutation_test", with_scipy)):
        peer_wall, peer_cpu, p = timed(function, df, peer_draws)
        scale = args.draws / peer_draws
        note = "" if peer_draws == args.draws else f" (measured on {peer_draws}, scaled)"
        print(
            f"  {name:34s}: {peer_wall * scale:8.2f} / {peer_cpu * scale:8.2f}   p = {p:.4f}{note}"
        )
        peers[name] = (peer_wall * scale, peer_cpu * scale)
    fastest = min(peers, key=lambda k: peers[k][0])
    print(
        f"fastest peer: {fastest}; ratio peer / impactlib = {peers[fastest][0] / wall:.1f}x "
        f"(wall), {peers[fastest][1] / cpu:.1f}x (CPU)"
    )


if __name__ == "__main__":
    main()
