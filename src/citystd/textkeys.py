"""Comparison keys of names and column headers (pure, no pandas): what makes ``PM2.5``,
``pm２.５`` and ``Pm 2.5`` the same header, and ``常住人口 (万人)`` the same as ``常住人口``.

- :func:`header_key`: Unicode NFKC (full-width forms → half-width), case-folded, every whitespace
  (spaces, line breaks, ideographic spaces) and underscore removed.
"""

from __future__ import annotations

import re
import unicodedata

_HEADER_SPACE = re.compile(r"[\s_]+")


def header_key(text: object) -> str:
    """The comparison key of a header: NFKC, casefolded, without whitespace or underscores.

    ``"PM2.5"``, ``" pm２.５ "`` and ``"Pm 2.5"`` share a key; so do ``pop_density`` and
    ``Pop Density``, and ``城 市`` and ``城市``.
    """
    return _HEADER_SPACE.sub("", unicodedata.normalize("NFKC", str(text)).casefold())
