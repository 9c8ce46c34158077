"""The scoring engine: pure numeric stages of a composite-indicator pipeline (methods.md §2–§9).

Every stage is a pure function on a ``pandas.DataFrame`` of indicator data whose index is a
``MultiIndex`` with levels ``["unit", "year"]`` (``year`` may be ``<NA>`` for cross-sectional
data), whose columns are indicator ids and whose values are float64 with NaN for missing.
Per-indicator metadata (direction, goalposts, targets, thresholds) and unit attributes are
passed as explicit arguments. Inputs are never mutated; results are new objects.

Modules:

- :mod:`~citystd.engine.stats` — Excel SKEW/KURT for all columns at once, shared helpers.
- :mod:`~citystd.engine.screen` — drop units with too little data (§2).
- :mod:`~citystd.engine.impute` — fill missing values (§3).
- :mod:`~citystd.engine.treat` — winsorise / log / clip outliers (§4).
- :mod:`~citystd.engine.normalise` — bring indicators to "higher is better" scales (§5).
- :mod:`~citystd.engine.weights` — tree weights, AHP, entropy, CRITIC, PCA (§6).
- :mod:`~citystd.engine.aggregate` — combine children into a node score (§7).
- :mod:`~citystd.engine.rank` and :mod:`~citystd.engine.rate` — ranks and traffic lights (§8).
- :mod:`~citystd.engine.trend` — CAGR, slopes, progress to target (§9).
"""
