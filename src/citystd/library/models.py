"""The YAML format as pydantic models: domains, variables, indicators and frameworks.

These models define shape only (keys, types, allowed values). Rules that span several objects
(references, orders of bounds, cycles) live in :mod:`citystd.library.rules`, so that each finding can
carry its own stable code. The models never import pandas.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag

from citystd.library.pipeline import PipelineStep

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
FRAMEWORK_ID_PATTERN = r"^[a-z][a-z0-9_-]*$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
FrameworkId = Annotated[str, StringConstraints(pattern=FRAMEWORK_ID_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Direction = Literal["higher", "lower", "target"]
Verified = Literal["yes", "partial", "unverified"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Spec):
    """A text in both languages."""

    zh: NonEmpty
    en: NonEmpty

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class UnitText(Spec):
    """A unit in both languages, with an optional machine-readable ``code`` (see docs/format.md, units).

    Without ``code`` the machine-readable unit is the Chinese text parsed (``万元``, ``微克/立方米``),
    else the English one; ``code`` is for units whose words do not parse (``是/否（1/0）`` → ``1``).
    """

    zh: NonEmpty
    en: NonEmpty
    code: NonEmpty | None = None

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


Unit = Union[str, UnitText]
Range = tuple[float | None, float | None]

#: The area a statistic is measured over (全市 / 市辖区 / 城区 / 建成区), or not an area at all.
Scope = Literal["whole_city", "districts", "urban_area", "built_up_area", "not_spatial"]
SCOPES: tuple[str, ...] = ("whole_city", "districts", "urban_area", "built_up_area", "not_spatial")
#: The scopes in both languages, as statistical yearbooks print them.
SCOPE_NAMES: dict[str, tuple[str, str]] = {
    "whole_city": ("全市", "whole city"),
    "districts": ("市辖区", "districts under the city"),
    "urban_area": ("城区", "urban area"),
    "built_up_area": ("建成区", "built-up area"),
    "not_spatial": ("不涉及空间范围", "not spatial"),
}


def unit_text(unit: Unit | None, lang: str) -> str:
    if unit is None:
        return ""
    return unit if isinstance(unit, str) else unit.get(lang)


def unit_candidates(unit: Unit | None) -> list[str]:
    """The texts that may give a unit's machine-readable form, in order: ``code``, zh, en."""
    if unit is None:
        return []
    if isinstance(unit, str):
        return [unit]
    return [t for t in (unit.code, unit.zh, unit.en) if t]


class Domain(Spec):
    id: Id
    name: Text
    description: Text | None = None


class Publication(Spec):
    """Where a variable is published: a yearbook table and its printed column, a census, a bulletin."""

    publication: NonEmpty
    table: str | None = None
    column: str | None = None
    note: str | None = None


class Variable(Spec):
    """A raw statistic a city reports (population, GDP, number of hospital beds …).

    ``scope`` is the area it is measured over; ``aliases`` are the column headers it is published
    under (yearbook headers in both languages, common research-panel names); ``published_in``
    says where (docs/format.md).
    """

    id: Id
    name: Text
    unit: Unit
    scope: Scope | None = None
    aliases: list[NonEmpty] = Field(default_factory=list)
    range: Range = (None, None)
    description: Text | None = None
    published_in: list[Publication] = Field(default_factory=list)


class Goalposts(Spec):
    """Fixed normalisation bounds in indicator units: ``worst`` scores 0, ``best`` scores 100."""

    worst: float
    best: float


class Target(Spec):
    value: float
    year: int | None = None
    source: str | None = None


class Thresholds(Spec):
    """Rating cut-offs in indicator units, read in the indicator's direction.

    At least as good as ``green`` is green; as good as ``yellow`` yellow; as good as ``orange``
    orange; worse than ``orange`` red.
    """

    green: float
    yellow: float
    orange: float


class Source(Spec):
    standard: NonEmpty
    clause: str | None = None
    verified: Verified | None = None
    note: str | None = None


class Indicator(Spec):
    id: Id
    name: Text
    definition: Text
    domain: Id
    unit: Unit
    direction: Direction
    formula: str | None = None
    scope: Scope | None = None
    aliases: list[NonEmpty] = Field(default_factory=list)
    mixed_scopes: Text | None = None
    published_in: list[Publication] = Field(default_factory=list)
    range: Range = (None, None)
    goalposts: Goalposts | None = None
    target: Target | None = None
    thresholds: Thresholds | None = None
    sources: list[Source] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    provenance: str | None = None
    notes: str | None = None
    #: A context indicator describes the city (its size, a count a standard asks for, a profile item)
    #: and is shown in profiles and reports, but never scored: a framework leaf that holds it weighs 0
    #: whatever its written weight, it is not normalised, and it needs no goalposts.
    context: bool = False


class Override(Spec):
    """Per-indicator settings a framework uses instead of the library's."""

    direction: Direction | None = None
    goalposts: Goalposts | None = None
    thresholds: Thresholds | None = None
    target: Target | None = None


class Leaf(Spec):
    indicator: str
    weight: float = 1.0


class Node(Spec):
    id: Id
    name: Text
    weight: float = 1.0
    children: list[TreeItem] = Field(default_factory=list)


def _tree_tag(value: Any) -> str:
    if isinstance(value, dict):
        return "leaf" if "indicator" in value else "node"
    return "leaf" if isinstance(value, Leaf) else "node"


TreeItem = Annotated[
    Annotated[Node, Tag("node")] | Annotated[Leaf, Tag("leaf")],
    Discriminator(_tree_tag),
]
Node.model_rebuild()


class Edition(Spec):
    """The standard and edition a framework follows, and how far its structure was checked against it."""

    standard: NonEmpty
    published: str | None = None
    verified: Verified | None = None
    note: str | None = None


class Framework(Spec):
    id: FrameworkId
    version: str
    name: Text
    description: Text | None = None
    edition: Edition | None = None
    pipeline: list[PipelineStep] = Field(default_factory=list)
    tree: list[TreeItem]
    overrides: dict[str, Override] = Field(default_factory=dict)
    #: what an audit varies (:mod:`citystd.library.uncertainty`; checked by rules A001–A014)
    uncertainty: list[Any] | None = None


class LibraryFile(Spec):
    """One YAML file of a library. Used for the JSON Schema; loading validates item by item."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="citystd library file",
        json_schema_extra={
            "description": "A citystd indicator library file: domains, variables, indicators "
            "and/or one framework. Format reference: docs/format.md."
        },
    )

    citystd: Literal[1]
    domains: list[Domain] = Field(default_factory=list)
    variables: list[Variable] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    framework: Framework | None = None


#: Top-level keys of a file and the item model of each.
FILE_SECTIONS: dict[str, type[Spec]] = {
    "domains": Domain,
    "variables": Variable,
    "indicators": Indicator,
}
