"""citystd: city indicator standards made executable.

The public Python API is what ``__all__`` lists (docs/api.md)::

    import citystd
    results = citystd.score("examples/cities-2023.xlsx")      # or several paths, or a DataFrame
    results.scores                                          # tidy DataFrames
    results.to_html("report.html")
    lib = citystd.load_library()                            # the built-in library as DataFrames

Everything else is internal and may change. The package is laid out as a pure core with IO at
the edges:

- :mod:`citystd.diagnostics` — one record type for every finding, and the catalogue of rule codes;
- :mod:`citystd.library`     — the YAML indicator library: models, loader with positions, formulas,
  validation rules, the framework a command scores with;
- :mod:`citystd.engine`      — scoring stages, each a pure function DataFrame → DataFrame, and the
  pipeline spec that runs them;
- :mod:`citystd.io`          — reading city data files, and writing outputs atomically;
- :mod:`citystd.assessment`  — services built on the engine: scoring a file, data checks, gaps,
  peers, templates, the results document, and the audit (coherence, uncertainty, sensitivity);
- :mod:`citystd.report`      — renderers of a results document (Excel, HTML, Markdown, Parquet);
- :mod:`citystd.api`         — the functions and classes exported here;
- :mod:`citystd.cli`         — the thin Typer command line.

The exports are loaded on first use, so ``import citystd`` (and ``citystd --help``) stays light.
"""

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "CitystdError",
    "Diagnostic",
    "Library",
    "Results",
    "__version__",
    "audit",
    "load_library",
    "score",
]

_LAZY = {"score": "citystd.api", "load_library": "citystd.api", "Results": "citystd.api", "Library": "citystd.api",
         "audit": "citystd.api", "CitystdError": "citystd.diagnostics", "Diagnostic": "citystd.diagnostics"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'citystd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
