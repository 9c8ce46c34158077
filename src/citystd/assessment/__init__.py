"""Assessment services built on the engine: score a data file (:mod:`.scoring`, :mod:`.prepare`),
check its quality and completeness (:mod:`.checking`, :mod:`.datachecks`), gaps to targets and
priorities (:mod:`.gaps`), peers (:mod:`.peers`), the self-assessment template (:mod:`.template`),
the results document every renderer reads (:mod:`.results`), and the statistical audit —
coherence, uncertainty and sensitivity analysis (:mod:`.audit`)."""
