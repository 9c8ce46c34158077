"""Which library and framework a command scores with: the built-in one, a user's library, or a
framework file of the user's on top of the built-in library. Library errors stop here (exit 1)."""

from __future__ import annotations

from pathlib import Path

from citystd.diagnostics import Msg, Severity, error, suggestion
from citystd.library.load import Library
from citystd.library.models import Framework

DEFAULT_FRAMEWORK = "action-plan"
#: values of --format in any command: given to -f (--framework), they are named as such
OUTPUT_FORMATS = ("table", "json", "csv", "xlsx", "html", "markdown", "md", "parquet", "human", "grouped", "github",
                  "sarif")


def load_framework(framework: str | None, libraries: list[Path] | None = None) -> tuple[Library, Framework]:
    """The library and framework to score with.

    ``framework`` is a built-in framework id, or a path to a YAML file or directory that defines
    one framework (and possibly its own indicators and variables, loaded on top of the built-in
    library). ``libraries`` replaces the built-in library. Library errors stop here (exit 1).
    """
    from citystd.library.load import builtin_path
    from citystd.library.validate import validate

    base = list(libraries) if libraries else [builtin_path()]
    fw_path = Path(framework) if framework and (framework.endswith((".yaml", ".yml")) or Path(framework).is_dir()) \
        else None
    if fw_path is not None and not fw_path.exists():
        raise error("U901", f"framework file not found: {framework}", f"找不到框架文件：{framework}", exit_code=2)
    roots = [*base, fw_path] if fw_path is not None else base
    lib, diags = validate(roots)
    errors = [d for d in diags if d.level is Severity.ERROR]
    if errors:
        first = errors[0]
        raise error("R201" if first.code == "R201" else first.code,
                    f"the indicator library has {len(errors)} error(s), first: {first.location}: {first.message.en}",
                    f"指标库有 {len(errors)} 个错误，第一个：{first.location}：{first.message.zh}",
                    hint=Msg("run `citystd validate` on the library for all of them",
                             "请对指标库运行 `citystd validate` 查看全部错误"))
    if fw_path is not None:
        own = [fid for (kind, fid), origin in lib.origins.items()
               if kind == "framework" and inside(origin.positions.file, fw_path)]
        if len(own) != 1:
            raise error("U901", f"{framework} must define exactly one framework, found {len(own)}",
                        f"{framework} 必须且只能定义一个框架，实际为 {len(own)} 个", exit_code=2)
        return lib, lib.frameworks[own[0]]
    fid = framework or DEFAULT_FRAMEWORK
    if fid not in lib.frameworks:
        known = ", ".join(sorted(lib.frameworks)) or "—"
        hint = suggestion(fid, lib.frameworks)
        if fid.lower() in OUTPUT_FORMATS:  # -f used to be --format in `validate`
            hint = Msg(f"-f is --framework in every command; for the output format use --format {fid.lower()}",
                       f"-f 在所有命令中都表示 --framework；输出格式请用 --format {fid.lower()}")
        raise error("U901", f"unknown framework '{fid}' (known: {known})", f"未知框架 '{fid}'（可用：{known}）",
                    hint=hint, exit_code=2)
    return lib, lib.frameworks[fid]


def inside(file: str, root: Path) -> bool:
    """True when ``file`` is ``root`` or lies below it."""
    f = Path(file).resolve()
    r = root.resolve()
    return f == r or r in f.parents
