"""What the property tests of every family share, whichever strategies draw their data.

``strategies.py`` (experiment, weighting, meta, disclosure) and ``strategies_panel.py``
(did, synth, rd) draw different data and check results in their own way; both use from here:

- :func:`property_settings`: derandomized (the same examples on every machine and in CI),
  no deadline, the health checks a slow estimator trips turned off;
- :func:`seeded_rng`: numpy's generator from a drawn seed, so that an example is cheap to
  build and hypothesis shrinks the seed rather than the data;
- :func:`run_property`: run a call, accept a refusal (``InputError``) only when it names a
  parameter or column it must name, and count how each call ended in :data:`TALLY`.

Not shared, because the contracts differ: the check of a result (``strategies.check_result``
takes an estimate without a p-value and no inf anywhere; ``strategies_panel.check_estimate``
wants a p-value and a positive standard error, and its ``check_table`` lets a column of
``allow_nan`` hold inf, as the ratio of a placebo fitted exactly does), and the wrong values
of parameters (``strategies`` has one list per kind of parameter, ``strategies_panel`` one
list for all).
"""

from __future__ import annotations

import atexit
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from impactlib.core.validation import InputError


def property_settings(max_examples: int) -> settings:
    """Settings of a property test drawing ``max_examples`` examples (derandomize=True, which
    implies no example database)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


def seeded_rng(draw: st.DrawFn) -> np.random.Generator:
    """A numpy generator seeded by a drawn integer in [0, 2**16]."""
    return np.random.default_rng(draw(st.integers(0, 2**16)))


@dataclass
class Tally:
    """Counts of the calls :func:`run_property` checked and how each ended: a result, or a
    refusal (by the first words of its message). Written as JSON at exit to the file named
    by IMPACT_HYPOTHESIS_TALLY, when set, for a report of what the properties exercised."""

    runs: int = 0
    results: int = 0
    refusals: int = 0
    messages: dict[str, int] = field(default_factory=dict)

    def record(self, outcome: str, message: str = "") -> None:
        self.runs += 1
        if outcome == "result":
            self.results += 1
        else:
            self.refusals += 1
            key = message.split(":")[0][:60]
            self.messages[key] = self.messages.get(key, 0) + 1


TALLY = Tally()


def _write_tally() -> None:
    path = os.environ.get("IMPACT_HYPOTHESIS_TALLY")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(asdict(TALLY), handle, indent=1, sort_keys=True)


atexit.register(_write_tally)


def run_property(
    call: Callable[[], Any],
    check: Callable[[Any], None],
    *,
    names: Iterable[str] = (),
    must_refuse: bool = False,
    tally: Tally = TALLY,
) -> tuple[str, Any]:
    """Run ``call``: ``("refused", None)`` on an ``InputError`` with a message that names one
    of ``names`` (any message when none is given), or ``("result", result)`` once ``check``
    passed on the result, which must not come when ``must_refuse``. Any other exception
    propagates: the property test fails on it."""
    names = tuple(names)
    try:
        result = call()
    except InputError as error:
        message = str(error)
        assert message.strip(), "empty InputError"
        if names:
            assert any(n in message for n in names), (
                f"InputError names none of {list(names)}: {message}"
            )
        tally.record("refusal", message)
        return "refused", None
    assert not must_refuse, f"expected a refusal naming {list(names)}, got {result!r}"
    check(result)
    tally.record("result")
    return "result", result
