"""The index's pillars, written once: every other list of them (config validation, dbt vars and column
docs, the report, the method document) is taken from here or tested against it.

Methodology version 2 (docs/index-methodology.md, steps 1 and 4): `investment` (the disbursement rate) was
merged into `progress`, of which it was a copy (Pearson r = 0.999 every month of the sample); the
disbursement rate is still computed and correlated every month as a monitored indicator, so the decision is
re-audited on every build.
"""

from __future__ import annotations

from types import MappingProxyType

# In display order. All are 0-100 and "higher is better".
PILLARS: tuple[str, ...] = ("progress", "schedule", "plan_quality", "reporting", "coverage")

# Pillars that describe delivery: a city with no active budget has nothing to deliver, is not ranked and is
# never given an imputed value for them.
DELIVERY_PILLARS: tuple[str, ...] = ("progress", "schedule")

# Pillars that can be missing for a ranked city (and are then imputed, and flagged): `schedule` before any
# project was planned to start, `plan_quality` before the city's first dated assessment.
IMPUTABLE_PILLARS: tuple[str, ...] = ("schedule", "plan_quality")

# Indicators computed beside the pillars, not aggregated, and kept in the correlation audit.
MONITORED_INDICATORS: tuple[str, ...] = ("disbursement",)

# What each pillar should count for in the ranking (the programme's intent; step 6): 60 % delivery of the
# plan, 20 % the plan's quality, 20 % the behaviour the programme asks for (monthly reporting, breadth
# across the 7 dimensions). Version 1's weights with investment's 0.10 folded into progress.
INTENDED_IMPORTANCE = MappingProxyType(
    {"progress": 0.40, "schedule": 0.20, "plan_quality": 0.20, "reporting": 0.10, "coverage": 0.10}
)

# The default weights: the coefficients of the weighted mean, calibrated on the shipped sample so that each
# pillar's effective weight (its share of the score's variance) comes close to its intended importance
# (docs/index-methodology.md, step 6; recomputed by tests/e2e/test_index_methodology_doc.py).
DEFAULT_WEIGHTS = MappingProxyType(
    {"progress": 0.25, "schedule": 0.05, "plan_quality": 0.37, "reporting": 0.14, "coverage": 0.19}
)
