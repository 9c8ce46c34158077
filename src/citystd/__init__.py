"""citystd: city indicator standards made executable.

The package is laid out as a pure core with IO at the edges:

- :mod:`citystd.diagnostics` — one record type for every finding, and the catalogue of rule codes;
- :mod:`citystd.library`     — the YAML indicator library: models, loader with positions, formulas,
  validation rules, the framework a command scores with;
- :mod:`citystd.engine`      — scoring stages, each a pure function DataFrame → DataFrame, and the
  pipeline spec that runs them;
- :mod:`citystd.io`          — reading city data files, and writing outputs atomically;
- :mod:`citystd.assessment`  — services built on the engine: scoring a file, data checks, gaps,
  peers, templates, the results document;
- :mod:`citystd.report`      — renderers of a results document (Excel, HTML, Markdown);
- :mod:`citystd.cli`         — the thin Typer command line.
"""

__version__ = "0.1.0"
