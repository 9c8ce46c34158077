"""The pipeline of a results document in sentences, for the Method section of the reports.

``describe(step, params, lang)`` says what one pipeline step did, in English or Chinese, with
the parameters that matter for its method — the methods and formulas are in docs/methods.md —
instead of listing every parameter with its default (``fill=—, by=—``) or the effective weights
as a count (``effective=[383]``). A parameter citystd does not describe here is still named,
after the sentences, so nothing set is hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from citystd.report import numbers as N

Params = Mapping[str, Any]


def _pct(x: Any) -> str:
    return f"{N.plain(float(x) * 100)}%"


def _num(x: Any) -> str:
    return N.plain(float(x)) if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def _range(p: Params) -> tuple[str, str]:
    lo, hi = p.get("range") or (0, 100)
    return _num(lo), _num(hi)


def _list(items: Any, lang: str, limit: int = 6) -> str:
    names = [str(x) for x in items]
    sep = "、" if lang == "zh" else ", "
    more = len(names) - limit
    shown = sep.join(names[:limit])
    if more > 0:
        shown += f" 等 {len(names)} 个" if lang == "zh" else f" and {more} more"
    return shown


# --- one function per step: (params, lang) -> (sentences, the parameters they describe) ------------


def _screen(p: Params, lang: str) -> tuple[str, set[str]]:
    cov, nz = p.get("min_coverage") or 0, p.get("min_nonzero")
    zh = lang == "zh"
    if not cov and nz is None:
        return ("不筛除城市。" if zh else "No city is screened out."), {"min_coverage", "min_nonzero"}
    parts = []
    if cov:
        parts.append(f"数据覆盖率低于 {_pct(cov)} 的城市（按年份）不参与评分" if zh else
                     f"A city-year with data for less than {_pct(cov)} of the indicators is left out")
    if nz is not None:
        parts.append(f"非零数值少于 {_pct(nz)} 的城市（按年份）不参与评分" if zh else
                     f"a city-year with less than {_pct(nz)} non-zero values is left out")
    text = ("；".join(parts) + "；列于“已筛除的城市”。") if zh else ("; ".join(parts) + " (listed under Screened out).")
    return text[0].upper() + text[1:], {"min_coverage", "min_nonzero"}


_IMPUTE = {
    "mean": ("the mean of the indicator over the cities with data in the same year", "同年有数据城市的均值"),
    "median": ("the median of the indicator over the cities with data in the same year", "同年有数据城市的中位数"),
    "group_mean": ("the mean over the cities of the same {by} in the same year", "同年同一{by}城市的均值"),
    "group_median": ("the median over the cities of the same {by} in the same year", "同年同一{by}城市的中位数"),
    "latest": ("the city's latest earlier value", "该城市此前最近一年的数值"),
    "linear": ("a linear interpolation between the city's years with data", "该城市有数据年份之间的线性插值"),
}


def _impute(p: Params, lang: str) -> tuple[str, set[str]]:
    zh = lang == "zh"
    method = str(p.get("method"))
    en, zh_text = _IMPUTE.get(method, (f"method {method}", f"方法 {method}"))
    what = (zh_text if zh else en).format(by=p.get("by") or "group")
    scope = "" if not p.get("indicators") else (f"（仅 {_list(p['indicators'], lang)}）" if zh else
                                                f" (only {_list(p['indicators'], lang)})")
    extra = []
    if p.get("both") and method == "latest":
        extra.append("首个数值也向前填补更早的年份" if zh else "the first value also fills earlier years")
    if p.get("max_gap"):
        extra.append(f"最多跨 {p['max_gap']} 年" if zh else f"at most {p['max_gap']} years away")
    if zh:
        text = f"缺失值{scope}用{what}填补；已有数值不变" + ("，" + "，".join(extra) if extra else "") + "。"
    else:
        text = (f"Missing values{scope} are filled with {what}" + ("; " + "; ".join(extra) if extra else "")
                + "; values present are never changed.")
    return text, {"method", "by", "both", "max_gap", "indicators"}


def _treat(p: Params, lang: str) -> tuple[str, set[str]]:
    zh = lang == "zh"
    scope = "" if not p.get("indicators") else (f"（仅 {_list(p['indicators'], lang)}）" if zh else
                                                f" (only {_list(p['indicators'], lang)})")
    if p.get("method") == "clip_percentile":
        lo, hi = p.get("percentiles") or (2.5, 97.5)
        text = (f"异常值处理{scope}：每年低于第 {_num(lo)} 百分位或高于第 {_num(hi)} 百分位的数值截至该百分位。" if zh else
                f"Outliers{scope}: each year, values below the {_num(lo)}th or above the {_num(hi)}th percentile are "
                f"set to it.")
        return text, {"method", "percentiles", "indicators"}
    fallback = p.get("fallback") or "log"
    fb_en = {"log": "the column is log-transformed instead", "boxcox":
             f"a Box-Cox transform (λ = {_num(p.get('boxcox_lambda'))}) is used instead", "none": "it is kept as it is"}
    fb_zh = {"log": "改为对该列取对数", "boxcox": f"改用 Box-Cox 变换（λ = {_num(p.get('boxcox_lambda'))}）",
             "none": "保持原样"}
    if zh:
        text = (f"异常值处理{scope}：每年每个指标，若偏度绝对值 ≥ {_num(p.get('skew', 2))} 且峰度 ≥ "
                f"{_num(p.get('kurtosis', 3.5))}，逐个缩尾最极端的数值（最多 {p.get('winmax', 5)} 个）；仍不满足时"
                f"{fb_zh.get(fallback, fallback)}。")
    else:
        text = (f"Outliers{scope}: each year, an indicator with |skewness| ≥ {_num(p.get('skew', 2))} and kurtosis ≥ "
                f"{_num(p.get('kurtosis', 3.5))} has its most extreme values winsorised, at most "
                f"{p.get('winmax', 5)}; if it still is, {fb_en.get(fallback, fallback)}.")
    return text, {"method", "winmax", "skew", "kurtosis", "fallback", "boxcox_lambda", "indicators"}


def _normalise_one(p: Params, lang: str) -> str:
    zh = lang == "zh"
    method = p.get("method") or "goalposts"
    lo, hi = _range(p)
    cap = p.get("cap", True)
    pooled = " over all years together" if p.get("pooled") else " of the same year"
    pooled_zh = "（所有年份合并计算）" if p.get("pooled") else "（按年份）"
    if method == "goalposts":
        return (f"按目标值区间计分：最差值得 {lo} 分、最佳值得 {hi} 分" + ("，超出区间的数值按区间端点计" if cap else "") + "。"
                if zh else f"Each indicator is scored between its goalposts: the worst value scores {lo}, the best "
                f"{hi}" + (", and values beyond them score as the goalpost." if cap else "."))
    if method == "minmax":
        return (f"按各城市的最小值与最大值{pooled_zh}线性缩放：最小 {lo} 分、最大 {hi} 分。" if zh else
                f"Each indicator is rescaled between the lowest and the highest value of the cities{pooled}: "
                f"lowest {lo}, highest {hi}.")
    if method == "zscore":
        m, sd = _num(p.get("mean", 0)), _num(p.get("sd", 1))
        return (f"转换为 Z 分数{pooled_zh}，再调整为均值 {m}、标准差 {sd}。" if zh else
                f"Each indicator becomes a z-score among the cities{pooled}, with mean {m} and standard deviation {sd}.")
    if method == "distance_to_target":
        return (f"按从最小值到目标值的距离计分{pooled_zh}：最小值 {lo} 分、达到目标 {hi} 分" + ("（封顶）" if cap else "") + "。"
                if zh else f"Each indicator is scored by the way from the lowest value{pooled} to its target: lowest "
                f"{lo}, the target {hi}" + (" (capped)." if cap else "."))
    if method in ("rank", "borda"):
        return (f"以各城市间的名次{pooled_zh}代替数值（最低为 {'1' if method == 'rank' else '0'}）。" if zh else
                f"Each indicator is replaced by its rank among the cities{pooled} (the lowest "
                f"{'1' if method == 'rank' else '0'}).")
    if method == "percentile_rank":
        return (f"以百分位名次{pooled_zh}计分：{lo}–{hi}。" if zh else
                f"Each indicator is scored by its percentile rank among the cities{pooled}, {lo} to {hi}.")
    if method == "fraction_of_max":
        return (f"以占最大值的比例{pooled_zh}计分：{lo}–{hi}。" if zh else
                f"Each indicator is scored as a fraction of the highest value{pooled}, {lo} to {hi}.")
    if method == "dist2max":
        return (f"按与最大值的距离{pooled_zh}计分：最大值 {hi} 分、最小值 {lo} 分。" if zh else
                f"Each indicator is scored by its distance to the highest value{pooled}: highest {hi}, lowest {lo}.")
    if method == "tiers":
        s = [_num(x) for x in (p.get("scores") or (100, 66.67, 33.33, 0))]
        return (f"按评级颜色计分：绿 {s[0]}、黄 {s[1]}、橙 {s[2]}、红 {s[3]}（再缩放到 {lo}–{hi}）。" if zh else
                f"Each indicator scores by its rating colour: green {s[0]}, yellow {s[1]}, orange {s[2]}, red {s[3]} "
                f"(on {lo}–{hi}).")
    if method == "dist2ref":
        ref, mode = p.get("ref") or "—", p.get("ref_mode") or "range"
        return (f"与参照城市 {ref} 同年的数值比较（{mode}），{lo}–{hi}。" if zh else
                f"Each indicator is compared with the reference city {ref} in the same year ({mode}), {lo} to {hi}.")
    if method == "scaled":
        a, b = (_num(x) for x in (p.get("bounds") or ("—", "—")))
        return (f"在给定区间 [{a}, {b}] 内线性缩放到 {lo}–{hi}（不截断）。" if zh else
                f"Each indicator is rescaled linearly from the interval [{a}, {b}] to {lo}–{hi} (not clipped).")
    return f"方法 {method}。" if zh else f"Method {method}."


def _normalise(p: Params, lang: str) -> tuple[str, set[str]]:
    zh = lang == "zh"
    text = _normalise_one(p, lang)
    own = p.get("indicators") or {}
    if own:
        items = [f"{ind}（{spec.get('method') or p.get('method') or 'goalposts'}）" if zh else
                 f"{ind} ({spec.get('method') or p.get('method') or 'goalposts'})" for ind, spec in own.items()]
        text += (f"有 {len(own)} 个指标使用自己的设置：{_list(items, lang)}。" if zh else
                 f" {len(own)} indicator{'s' if len(own) != 1 else ''} use their own settings: {_list(items, lang)}.")
    return text, {"method", "range", "mean", "sd", "pooled", "cap", "scores", "ref", "ref_mode", "bounds",
                  "indicators"}


_WEIGHTS = {
    "manual": ("the weights written in the framework's tree", "框架指标树中写定的权重"),
    "equal": ("equal weights for the children of every node", "每个节点的子项等权"),
    "ahp": ("weights from the pairwise comparison matrices (AHP)", "两两比较矩阵（层次分析法）得出的权重"),
    "entropy": ("entropy weights computed from the scores of all years", "由所有年份得分计算的熵权"),
    "critic": ("CRITIC weights computed from the scores of all years", "由所有年份得分计算的 CRITIC 权重"),
    "pca": ("weights from the first principal component of the scores of all years", "所有年份得分第一主成分得出的权重"),
    "optimised": ("weights optimised so that the children reach their target importances", "按目标重要性优化的权重"),
}


def _weights(p: Params, lang: str) -> tuple[str, set[str]]:
    zh = lang == "zh"
    en, zh_text = _WEIGHTS.get(str(p.get("method") or "manual"), (str(p.get("method")), str(p.get("method"))))
    nodes = p.get("nodes")
    where = "" if not nodes else (f"（用于 {_list(nodes, lang)}）" if zh else f" (for {_list(nodes, lang)})")
    n = len(p.get("effective") or {})
    if zh:
        text = f"权重：{zh_text}{where}。" + (f"每个指标在综合得分中的有效权重见下表（{n} 个指标）。" if n else "")
    else:
        text = f"Weights: {en}{where}." + (f" The effective weight of each indicator in the overall score is listed "
                                           f"below ({n} indicators)." if n else "")
    return text, {"method", "nodes", "effective", "matrices", "targets", "estimator", "optimised"}


_MEANS = {
    "arithmetic": ("the weighted arithmetic mean", "加权算术平均"),
    "geometric": ("the weighted geometric mean", "加权几何平均"),
    "harmonic": ("the weighted harmonic mean", "加权调和平均"),
    "power": ("the weighted power mean with exponent {p}", "指数为 {p} 的加权幂平均"),
    "median": ("the weighted median", "加权中位数"),
    "copeland": ("the Copeland count of pairwise comparisons with the other cities", "与其他城市两两比较的 Copeland 计数"),
    "outranking": ("the outranking sum of pairwise comparisons with the other cities", "与其他城市两两比较的优序得分之和"),
    "topsis": ("the TOPSIS closeness to the best city", "TOPSIS 与理想解的贴近度"),
}


def _mean(rule: Any, p: Params, lang: str) -> str:
    method = rule if isinstance(rule, str) else (rule or {}).get("method") or p.get("method") or "arithmetic"
    exp = p.get("p") if isinstance(rule, str) or not (rule or {}).get("p") else rule.get("p")
    en, zh = _MEANS.get(str(method), (str(method), str(method)))
    return (zh if lang == "zh" else en).format(p=_num(exp) if exp is not None else "—")


def _aggregate(p: Params, lang: str) -> tuple[str, set[str]]:
    zh = lang == "zh"
    mean = _mean(p.get("method") or "arithmetic", p, lang)
    cov = p.get("min_coverage") or 0
    fill = p.get("fill")
    if zh:
        text = f"每个节点取其子项得分的{mean}；缺少得分的子项不计，其余子项的权重按比例放大"
        if cov:
            text += f"，子项有得分的比例低于 {_pct(cov)} 时该节点无得分"
        if fill:
            text += "；缺少的子项先以" + ("同年其他城市的均值" if fill == "mean" else f"同一{p.get('by') or '组'}城市的均值") + "填补"
        text += "。"
    else:
        text = (f"Each node is {mean} of its children's scores; a child without a score is left out and the others' "
                f"weights are scaled up")
        if cov:
            text += f", and a node with scores for less than {_pct(cov)} of its children has no score"
        if fill:
            text += ("; missing children are first filled with the mean of the other cities in the same year"
                     if fill == "mean" else f"; missing children are first filled with the mean of the cities of the "
                     f"same {p.get('by') or 'group'}")
        text += "."
    for key, label_en, label_zh in (("levels", "level", "第 {k} 层"), ("nodes", "node", "节点 {k}")):
        rules = p.get(key) or {}
        for k, rule in rules.items():
            what = _mean(rule, p, lang)
            extra = []
            if isinstance(rule, dict) and rule.get("min_coverage") is not None:
                extra.append(f"min_coverage {_pct(rule['min_coverage'])}")
            if isinstance(rule, dict) and rule.get("fill"):
                extra.append(f"fill {rule['fill']}")
            more = f"（{'，'.join(extra)}）" if zh and extra else (f" ({', '.join(extra)})" if extra else "")
            text += (f"{label_zh.format(k=k)}改用{what}{more}。" if zh else
                     f" At {label_en} {k}: {what}{more}.")
    return text, {"method", "p", "min_coverage", "fill", "by", "levels", "nodes"}


def _rate(p: Params, lang: str) -> tuple[str, set[str]]:
    zh = lang == "zh"
    how = p.get("nodes") or "mean_colour"
    cov = _pct(p.get("min_coverage", 0.5))
    if how == "two_worst":
        rule = "其最差两个指标颜色的平均" if zh else "the mean colour of its two worst indicators"
    elif how == "sdsn":
        rule = "SDSN 城市指数的规则（两个最低水平）" if zh else "the SDSN city-index rule (its two lowest levels)"
    else:
        share = _pct(p.get("red_share", 1 / 3))
        rule = (f"其指标颜色的平均（向下取整；红色超过 {share} 时为红）" if zh else
                f"the mean colour of its indicators, rounded down (red when more than {share} are red)")
    return ((f"评级：节点的颜色取{rule}；有数据的指标少于 {cov} 时为灰色。" if zh else
             f"Ratings: a node's colour is {rule}; gray when less than {cov} of its indicators have data."),
            {"nodes", "red_share", "min_coverage"})


STEPS: dict[str, Callable[[Params, str], tuple[str, set[str]]]] = {
    "screen": _screen, "impute": _impute, "treat": _treat, "normalise": _normalise, "weights": _weights,
    "aggregate": _aggregate, "rate": _rate,
}


def _value(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return "—" if v is None else str(v).lower() if isinstance(v, bool) else str(v)


def describe(step: str, params: Any, lang: str) -> str:
    """What the pipeline step ``step`` with ``params`` does, in sentences (module docs)."""
    p: Params = params if isinstance(params, Mapping) else {}
    fn = STEPS.get(step)
    if fn is None:
        text, known = "", set()
    else:
        try:
            text, known = fn(p, lang)
        except (TypeError, ValueError, KeyError, AttributeError):  # a document citystd did not write
            text, known = "", set()
    rest = [f"{k} = {_value(v)}" for k, v in p.items() if k not in known and v is not None]
    if rest:
        text += (" 其他参数：" if lang == "zh" else " Other parameters: ") + "; ".join(rest) + \
            ("。" if lang == "zh" else ".")
    return text.strip()
