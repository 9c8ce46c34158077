"""citystd: city indicator standards made executable.

The package is laid out as a pure core with IO at the edges:

- :mod:`citystd.spec`   — the YAML format: models, loader with positions, formulas, validation rules;
- :mod:`citystd.engine` — scoring stages, each a pure function DataFrame → DataFrame;
- :mod:`citystd.io`     — readers for city data files;
- :mod:`citystd.cli`    — the thin Typer command line.
"""

__version__ = "0.1.0"
