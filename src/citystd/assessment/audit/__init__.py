"""The audit of a composite index (docs/audit.md, methods.md §14): statistical coherence,
uncertainty and sensitivity analysis.

Modules, one concept each:

- :mod:`~citystd.assessment.audit.coherence` — correlations, Cronbach's alpha, PCA, main effects, size (no sampling);
- :mod:`~citystd.assessment.audit.design` — the quasi-random Sobol design and what each replication varies;
- :mod:`~citystd.assessment.audit.evaluate` — batched evaluation: distinct upstream results once, many
  replications per numpy pass, batched ranks;
- :mod:`~citystd.assessment.audit.ranks` — sport ranks of many replications at once and streamed rank statistics;
- :mod:`~citystd.assessment.audit.sobol` — first-order and total Sobol estimators with bootstrap intervals;
- :mod:`~citystd.assessment.audit.executors` — serial, local process pool, Dask;
- :mod:`~citystd.assessment.audit.run` — the whole audit as one function; :mod:`~citystd.assessment.audit.document` its JSON.
"""
