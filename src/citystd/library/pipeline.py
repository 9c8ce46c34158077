"""Pipeline steps of a framework and their parameters (methods of reference/methods.md).

A pipeline is an ordered list of one-key mappings, e.g.::

    pipeline:
      - impute: {method: group_mean, by: region}
      - treat: {method: winsorise, winmax: 5}
      - normalise: {method: goalposts}
      - aggregate: {method: arithmetic, min_coverage: 0.5}

Each step's parameters are a pydantic model here; unknown steps, methods and parameters are
reported by :mod:`citystd.library.rules` with codes T505–T507. A pipeline is plain data, so it can be
serialised, varied (``--set normalise.method=minmax``) and re-run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

Fraction = Annotated[float, Field(ge=0, le=1)]
#: scores live on a human scale: a normalised range, mean, spread or tier score within ±10^9
#: (larger ones overflow charts and sums, and no report could show them)
Scale = Annotated[float, Field(ge=-1e9, le=1e9)]

ImputeMethod = Literal["mean", "median", "group_mean", "group_median", "latest", "linear"]
TreatMethod = Literal["winsorise", "clip_percentile"]
TreatFallback = Literal["log", "boxcox", "none"]
NormaliseMethod = Literal[
    "minmax",
    "zscore",
    "goalposts",
    "distance_to_target",
    "rank",
    "borda",
    "percentile_rank",
    "fraction_of_max",
    "tiers",
    "dist2max",
    "dist2ref",
    "scaled",
]
RefMode = Literal["range", "ratio", "difference"]
WeightsMethod = Literal["equal", "manual", "ahp", "entropy", "critic", "pca", "optimised"]
ImportanceEstimator = Literal["cubic", "linear", "pearson"]
AggregateMethod = Literal[
    "arithmetic", "geometric", "harmonic", "power", "median", "copeland", "outranking", "topsis"
]
FillMethod = Literal["mean", "group_mean"]


class Params(BaseModel):
    # .inf and .nan are no parameter value (T507)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ScreenParams(Params):
    """Drop units whose data availability over the framework's indicators is below a share."""

    min_coverage: Fraction = 0.0
    min_nonzero: Fraction | None = None


class ImputeParams(Params):
    method: ImputeMethod
    by: str | None = None
    both: bool = False
    max_gap: Annotated[int, Field(ge=1)] | None = None
    indicators: list[str] | None = None

    @model_validator(mode="after")
    def _needs_group(self) -> ImputeParams:
        if self.method in ("group_mean", "group_median") and not self.by:
            raise ValueError(f"method {self.method} needs `by: <attribute>` (e.g. region)")
        return self


class TreatParams(Params):
    method: TreatMethod = "winsorise"
    winmax: Annotated[int, Field(ge=0)] = 5
    skew: Annotated[float, Field(gt=0)] = 2.0
    kurtosis: Annotated[float, Field(gt=0)] = 3.5
    fallback: TreatFallback = "log"
    boxcox_lambda: float | None = None  # fallback boxcox: the transform's λ
    percentiles: tuple[Annotated[float, Field(ge=0, le=100)], Annotated[float, Field(ge=0, le=100)]] = (
        2.5,
        97.5,
    )
    indicators: list[str] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TreatParams:
        if self.percentiles[0] >= self.percentiles[1]:
            raise ValueError("percentiles must be [low, high] with low < high")
        if self.fallback == "boxcox" and self.boxcox_lambda is None:
            raise ValueError("fallback boxcox needs `boxcox_lambda: <λ>` (e.g. 0.5; 0 is the log)")
        return self


class _NormaliseFields(Params):
    """The parameters of one normalisation (shared by the step and its per-indicator specs)."""

    method: NormaliseMethod = "goalposts"
    range: tuple[Scale, Scale] = (0.0, 100.0)
    mean: Scale = 0.0
    sd: Annotated[float, Field(gt=0, le=1e9)] = 1.0
    pooled: bool = False
    cap: bool = True
    scores: list[Scale] | None = None  # tiers: score of green, yellow, orange, red
    ref: str | None = None  # dist2ref: the reference unit (city)
    ref_mode: RefMode = "range"  # dist2ref: COINr's range, a ratio or a difference to the reference
    bounds: tuple[float, float] | None = None  # scaled: [l, u] in indicator units

    @model_validator(mode="after")
    def _check(self) -> _NormaliseFields:
        if self.range[0] >= self.range[1]:
            raise ValueError("range must be [low, high] with low < high")
        if self.scores is not None and len(self.scores) != 4:
            raise ValueError("scores needs 4 values: green, yellow, orange, red")
        if self.method == "dist2ref" and not self.ref:
            raise ValueError("method dist2ref needs `ref: <unit>` (the reference city)")
        if self.method == "scaled" and self.bounds is None:
            raise ValueError("method scaled needs `bounds: [l, u]` in the indicator's units")
        if self.bounds is not None and self.bounds[0] >= self.bounds[1]:
            raise ValueError("bounds must be [l, u] with l < u")
        return self


class _Partial(Params):
    """A spec whose unset keys inherit: serialised with the keys it sets only."""

    @model_serializer(mode="wrap")
    def _set_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        return {k: v for k, v in handler(self).items() if v is not None}


class IndicatorNormalise(_Partial):
    """Per-indicator normalisation spec (COINr's ``indiv_specs``): what it names replaces the step's."""

    method: NormaliseMethod | None = None
    range: tuple[float, float] | None = None
    mean: float | None = None
    sd: Annotated[float, Field(gt=0)] | None = None
    pooled: bool | None = None
    cap: bool | None = None
    scores: list[float] | None = None
    ref: str | None = None
    ref_mode: RefMode | None = None
    bounds: tuple[float, float] | None = None


class NormaliseParams(_NormaliseFields):
    """The step: one normalisation for every indicator, and optional per-indicator specs."""

    indicators: dict[str, IndicatorNormalise] | None = None  # indicator id → its own parameters

    @model_validator(mode="after")
    def _each(self) -> NormaliseParams:
        for ind in self.indicators or {}:
            try:
                self.for_indicator(ind)
            except ValueError as exc:
                raise ValueError(f"indicator {ind}: {_first_message(exc)}") from None
        return self

    def for_indicator(self, indicator: str) -> _NormaliseFields:
        """The parameters that normalise ``indicator``: the step's, with its own spec applied."""
        base = self.model_dump(exclude={"indicators"})
        own = (self.indicators or {}).get(indicator)
        if own is None:
            return _NormaliseFields.model_validate(base)
        return _NormaliseFields.model_validate({**base, **own.model_dump(exclude_none=True)})


def _first_message(exc: ValueError) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        return str(first["msg"]).removeprefix("Value error, ")
    return str(exc)


AhpEntry = Union[float, str]  # "1/3" is accepted as a fraction


class WeightsParams(Params):
    method: WeightsMethod = "manual"
    matrices: dict[str, list[list[AhpEntry]]] | None = None  # ahp: node id → pairwise matrix
    nodes: list[str] | None = None  # nodes whose children get these weights (default: all)
    targets: dict[str, list[Annotated[float, Field(ge=0)]]] | None = None  # optimised: node id → importances
    estimator: ImportanceEstimator = "cubic"  # optimised: how a child's main effect is estimated

    @model_validator(mode="after")
    def _ahp(self) -> WeightsParams:
        if self.method == "ahp" and not self.matrices:
            raise ValueError("method ahp needs `matrices: {node_id: [[1, 3], [1/3, 1]]}`")
        for node, t in (self.targets or {}).items():
            if not t or sum(t) <= 0:
                raise ValueError(f"targets of node {node} must hold at least one importance > 0")
        return self


class AggregateRule(_Partial):
    """What one node (or one level) does differently from the step; unset keys inherit."""

    method: AggregateMethod | None = None
    p: float | None = None  # power: the exponent
    min_coverage: Fraction | None = None
    fill: Literal["mean", "group_mean", "none"] | None = None  # none: no fill at this node


@dataclass(frozen=True)
class NodeAggregation:
    """The rule a node is aggregated with, after ``nodes`` › ``levels`` › the step."""

    method: AggregateMethod
    p: float | None
    min_coverage: float
    fill: FillMethod | None


class AggregateParams(Params):
    method: AggregateMethod = "arithmetic"
    p: float | None = None  # power: the exponent (1 arithmetic, 0 geometric, −1 harmonic)
    min_coverage: Fraction = 0.0
    fill: FillMethod | None = None
    by: str | None = None
    levels: dict[int, AggregateMethod | AggregateRule] | None = None  # level (1 = above indicators) → rule
    nodes: dict[str, AggregateMethod | AggregateRule] | None = None  # node id (`root`) → rule

    @model_validator(mode="after")
    def _needs_group(self) -> AggregateParams:
        rules = [("", AggregateRule(method=self.method, p=self.p, fill=self.fill))]
        rules += [(f"level {k}: ", _as_rule(v)) for k, v in (self.levels or {}).items()]
        rules += [(f"node {k}: ", _as_rule(v)) for k, v in (self.nodes or {}).items()]
        for where, rule in rules:
            if rule.fill == "group_mean" and not self.by:
                raise ValueError(f"{where}fill: group_mean needs `by: <attribute>` on the aggregate step")
            if rule.method == "power" and rule.p is None and self.p is None:
                raise ValueError(f"{where}method power needs the exponent `p` (1 arithmetic, 0 geometric, "
                                 "-1 harmonic)")
            if rule.p is not None and not math.isfinite(rule.p):
                raise ValueError(f"{where}p must be a finite number")
        return self

    def fills(self) -> set[str]:
        """Every fill method some node may use (the step's, and those of ``levels`` and ``nodes``)."""
        rules = [*(self.levels or {}).values(), *(self.nodes or {}).values()]
        found = {self.fill, *(_as_rule(r).fill for r in rules)}
        return {f for f in found if f and f != "none"}

    def rule(self, node_id: str, level: int, label: str | None = None) -> NodeAggregation:
        """The aggregation of node ``node_id`` (``label``: how the YAML names it, e.g. ``root``).

        Each key is taken from the node's entry in ``nodes`` if it sets it, else from the entry
        of its level in ``levels``, else from the step.
        """
        nodes = self.nodes or {}
        own = nodes.get(label) if label is not None and label in nodes else nodes.get(node_id)
        lv = (self.levels or {}).get(level)
        chain = [_as_rule(r) for r in (own, lv) if r is not None]

        def pick(key: str, default: object) -> object:
            return next((getattr(r, key) for r in chain if getattr(r, key) is not None), default)

        fill = pick("fill", self.fill)
        return NodeAggregation(pick("method", self.method), pick("p", self.p),  # type: ignore[arg-type]
                               float(pick("min_coverage", self.min_coverage)),  # type: ignore[arg-type]
                               None if fill == "none" else fill)  # type: ignore[arg-type]


def _as_rule(value: str | AggregateRule) -> AggregateRule:
    return AggregateRule(method=value) if isinstance(value, str) else value  # type: ignore[arg-type]


class RateParams(Params):
    """How a node's rating follows from its indicators' ratings (methods.md §8)."""

    nodes: Literal["mean_colour", "two_worst", "sdsn"] = "mean_colour"
    red_share: Fraction = 1 / 3
    min_coverage: Fraction = 0.5


#: Step name → parameter model. The order here is the canonical order of stages.
STEPS: dict[str, type[Params]] = {
    "screen": ScreenParams,
    "impute": ImputeParams,
    "treat": TreatParams,
    "normalise": NormaliseParams,
    "weights": WeightsParams,
    "aggregate": AggregateParams,
    "rate": RateParams,
}


def _one_key(name: str, params: type[Params]) -> type[BaseModel]:
    model = type(
        f"{name.capitalize()}Step",
        (BaseModel,),
        {
            "__annotations__": {name: params},
            "model_config": ConfigDict(extra="forbid", frozen=True),
        },
    )
    return model


#: For the JSON Schema: a step is one of these one-key mappings.
STEP_MODELS: dict[str, type[BaseModel]] = {name: _one_key(name, p) for name, p in STEPS.items()}

PipelineStep = Union[tuple(STEP_MODELS.values())]  # type: ignore[valid-type]


def step_name(step: BaseModel) -> str:
    """The step's name (its single key)."""
    return next(iter(type(step).model_fields))


def step_params(step: BaseModel) -> Params:
    return getattr(step, step_name(step))
