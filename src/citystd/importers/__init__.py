"""Importers: turn other tools' indicator systems into citystd libraries.

- :mod:`citystd.importers.coinr`: COINr / JRC COIN Tool tables (``iData``, ``iMeta``) → a library
  (domains, variables, indicators, framework) plus the data file for ``citystd score``.

Importers are pure where they can be: they take tables and return plain dicts; writing files is a
separate, atomic step. pandas is imported inside functions so that ``citystd --help`` stays fast.
"""
