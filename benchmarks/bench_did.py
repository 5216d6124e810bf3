"""Wall-clock cost of impactlib's DiD wrappers over the packages they delegate to.

Times, on a simulated balanced staggered panel (default 20 000 units x 5 periods = 100 000
rows):

- ``impactlib.did.callaway_santanna(...).aggregate("simple")`` against moderndid called
  directly (``att_gt`` + ``aggte(type="simple")``, same options: doubly robust, analytical
  standard errors, never-treated controls), on moderndid's native polars frame and on the
  pandas frame; other Python implementations of Callaway & Sant'Anna (``csdid``,
  ``differences``) are timed only if importable;
- ``impactlib.did.twfe`` against ``pyfixest.feols("y ~ d | id + t", vcov={"CRV1": "id"})``.

Runs are interleaved (impactlib, then each peer, in every repeat) after one warm-up run each
(imports, numba compilation); the table gives the best time of each, their ratio
impactlib / peer (impactlib's overhead over what it wraps) and the median of the paired
ratios, which is steadier when other processes load the machine.

Run: ``python benchmarks/bench_did.py [--units 20000] [--periods 5] [--repeats 7]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd


def simulate_panel(n_units: int, periods: int, seed: int = 2024) -> pd.DataFrame:
    """Balanced staggered panel: cohorts 0 (never), 3, 4, 5 with effects growing in exposure."""
    rng = np.random.default_rng(seed)
    cohorts = np.array([0] + [g for g in (3, 4, 5) if g <= periods])
    g = rng.choice(cohorts, size=n_units)
    unit = np.repeat(np.arange(1, n_units + 1), periods)
    t = np.tile(np.arange(1, periods + 1), n_units)
    cohort = g[unit - 1]
    treated = (cohort > 0) & (t >= cohort)
    effect = np.where(treated, 1.0 + (t - cohort), 0.0)
    y = rng.normal(size=n_units)[unit - 1] + 0.5 * t + effect + rng.normal(size=len(t))
    return pd.DataFrame({"y": y, "id": unit, "t": t, "g": cohort, "d": treated.astype(int)})


def interleaved(runs: dict[str, Callable[[], object]], repeats: int):
    """Time each run ``repeats`` times, interleaved so that a change of machine load hits
    all of them alike; one warm-up run each first. Return times (seconds) and results."""
    results = {name: run() for name, run in runs.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
    return {name: np.array(t) for name, t in times.items()}, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--periods", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    import moderndid
    import polars as pl
    import pyfixest as pf

    from impactlib.did import callaway_santanna, twfe

    warnings.simplefilter("ignore")  # third-party deprecation notices would swamp the table
    panel = simulate_panel(args.units, args.periods)
    panel_polars = pl.from_pandas(panel)

    def ours_cs():
        res = callaway_santanna(panel, outcome="y", unit="id", time="t", cohort="g")
        return res.aggregate("simple").value

    def moderndid_cs(frame):
        def run():
            mp = moderndid.att_gt(
                data=frame,
                yname="y",
                tname="t",
                idname="id",
                gname="g",
                est_method="dr",
                control_group="nevertreated",
                boot=False,
                cband=False,
            )
            return moderndid.aggte(mp, type="simple", cband=False).overall_att

        return run

    def ours_twfe():
        return twfe(panel, outcome="y", unit="id", time="t", treatment="d").value

    def pyfixest_twfe():
        fit = pf.feols("y ~ d | id + t", data=panel, vcov={"CRV1": "id"})
        return float(fit.coef()["d"])

    runs = {
        "ours_cs": ours_cs,
        "moderndid (polars)": moderndid_cs(panel_polars),
        "moderndid (pandas)": moderndid_cs(panel),
        "ours_twfe": ours_twfe,
        "pyfixest feols": pyfixest_twfe,
    }
    times, values = interleaved(runs, args.repeats)
    for peer in ("moderndid (polars)", "moderndid (pandas)"):
        assert abs(values["ours_cs"] - values[peer]) < 1e-10, (values["ours_cs"], values[peer])
    assert abs(values["ours_twfe"] - values["pyfixest feols"]) < 1e-10

    rows = []
    pairs = [("callaway_santanna simple", "ours_cs", p) for p in runs if "moderndid" in p]
    pairs.append(("twfe", "ours_twfe", "pyfixest feols"))
    for task, ours, peer in pairs:
        best, peer_best = times[ours].min(), times[peer].min()
        paired = np.median(times[ours] / times[peer])  # same load within a repeat
        rows.append((task, peer, best, peer_best, best / peer_best, paired))
    for name in ("csdid", "differences"):
        if importlib.util.find_spec(name) is None:
            rows.append(("callaway_santanna simple", f"{name}: not installed", *[np.nan] * 4))
    columns = ["task", "peer", "impactlib_s", "peer_s", "ratio_best", "ratio_paired_median"]
    table = pd.DataFrame(rows, columns=columns)
    versions = ", ".join(
        f"{m.__name__} {m.__version__}" for m in (moderndid, pf, pl, np, pd) if m is not None
    )
    print(
        f"Panel: {args.units} units x {args.periods} periods = {len(panel)} rows; times: best "
        f"of {args.repeats} interleaved runs after a warm-up; ratios impactlib/peer: of the "
        "best times, and median of the paired runs"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPU(s), load average "
        f"{load:.1f} at start; {versions}"
    )
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}", na_rep="-"))


if __name__ == "__main__":
    main()
