"""Scoring a data file end to end: library → read → check → derive → pipeline → results document.

This is the one place that wires IO (the reader) to the pure core (derive, pipeline, results);
the CLI and future APIs call :func:`score_file`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from citystd.assessment.peers import score_with_peers
from citystd.assessment.prepare import prepare
from citystd.assessment.results import Outcome, Results
from citystd.library.load import Library
from citystd.library.models import Framework


def score_file(data: Path | Sequence[Path], lib: Library, fw: Framework, *, sets: list[str] | None = None,
               sheet: str | None = None, layout: str = "auto", id_column: str | None = None,
               year: int | None = None, choose: Mapping[str, str] | None = None, prefer: Sequence[Path] = (),
               keep_going: bool = False, lang: str = "en", progress: Callable[[str], None] | None = None,
               compare_with: Path | None = None) -> Outcome:
    """Read, check and score ``data`` (a file, a folder, or several merged on city and year: see
    :mod:`citystd.io.inputs`). Returns the results document, or None when data errors stop it.

    ``progress`` is called with the name of each stage as it starts (for a progress display).
    ``compare_with`` is a peer data set or saved peer results (:mod:`citystd.assessment.peers`): the results
    then carry ``peers``, and their ``gaps`` cover the cities of ``data`` only.
    """
    from citystd.engine.pipeline import build_spec, run

    step = progress or (lambda _stage: None)

    spec = build_spec(lib, fw, sets)
    read = {"sheet": sheet, "layout": layout, "id_column": id_column, "year": year, "choose": choose, "prefer": prefer}
    if compare_with is not None:
        return score_with_peers(data, compare_with, lib, fw, spec, keep_going=keep_going, lang=lang, progress=step,
                                **read)  # type: ignore[arg-type]
    prep = prepare(data, lib, fw, spec, keep_going=keep_going, progress=step, **read)  # type: ignore[arg-type]
    diags = prep.diagnostics
    if prep.stop:
        return Outcome(None, diags)
    step("score")
    scores = run(spec, prep.values, prep.city.attributes)
    diags += scores.diagnostics
    return Outcome(Results(spec, scores, lib, input_info=prep.input_info, issues=diags, lang=lang, codes=prep.codes),
                   diags)
