"""`citystd import …`: bring indicator systems from other tools into citystd.

`citystd import coinr iData.csv iMeta.csv -o OUTDIR` writes a library (domains, variables,
indicators, framework) and ``data.csv`` from COINr tables (:mod:`citystd.importers.coinr`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from citystd.cli.common import EXIT_OK, handles_errors, lang_option, resolve_lang

import_app = typer.Typer(
    help="Import indicator systems from other tools (COINr, JRC COIN Tool). / 从其他工具导入指标体系。",
    no_args_is_help=True,
)


@import_app.command("coinr")
@handles_errors
def coinr_command(
    idata: Path = typer.Argument(..., help="COINr iData table (.csv or .xlsx): one row per unit."),
    imeta: Path = typer.Argument(..., help="COINr iMeta table (.csv or .xlsx): one row per indicator and aggregate."),
    out: Path = typer.Option(..., "--output", "-o", help="Directory to write the library and data.csv into."),
    framework_id: str = typer.Option("coinr", "--framework-id", help="Id of the imported framework (e.g. asem)."),
    impute_by: str = typer.Option(None, "--impute-by",
                                  help="Group column for group-mean imputation (default: EurAsia_group if present, "
                                  "else column means)."),
    lang: str | None = lang_option(),
) -> None:
    """Import COINr iData/iMeta tables as a citystd library, framework and data file.

    Writes domains.yaml, variables.yaml, indicators.yaml, framework.yaml and data.csv into OUTDIR;
    then `citystd score OUTDIR/data.csv --library OUTDIR -f ID` (the library stands alone: its ids,
    such as gdp or population, may also be built-in ones). Exit codes: 0 written, 1 table
    problems, 2 usage.
    """
    from citystd.cli.common import stderr_console
    from citystd.importers.coinr import DATA_FILE, import_coinr, output_files, read_table, write_library
    from citystd.io.outpath import refuse_inputs

    lang = resolve_lang(lang)
    if out.exists() and not out.is_dir():
        from citystd.diagnostics import Location, error

        raise error("U908", f"cannot write into '{out}': it is not a directory", f"无法写入 '{out}'：它不是目录",
                    Location(str(out)), exit_code=2)
    for target in output_files(out):  # data.csv of an earlier import given as iData, …
        refuse_inputs(target, [idata, imeta])
    data = read_table(idata, str(idata))
    meta = read_table(imeta, str(imeta))
    lib = import_coinr(data, meta, framework_id, impute_by=impute_by, idata_name=str(idata), imeta_name=str(imeta))
    write_library(lib, out)
    n_nodes = _count_nodes(lib.framework["tree"])
    console = stderr_console()
    if lang == "zh":
        console.print(f"已写入 {out}：{len(lib.indicators)} 个指标、{len(lib.variables)} 个变量、"
                      f"{len(lib.domains)} 个领域，框架 '{lib.framework_id}'（{n_nodes} 个节点）及 {DATA_FILE}"
                      f"（{len(lib.data)} 个单元）。中文名称为英文副本，已标记 needs-translation。")
        console.print(f"评分：citystd score {out / DATA_FILE} --library {out} -f {lib.framework_id}")
    else:
        console.print(f"wrote {out}: {len(lib.indicators)} indicators, {len(lib.variables)} variables, "
                      f"{len(lib.domains)} domains, framework '{lib.framework_id}' ({n_nodes} nodes) and {DATA_FILE} "
                      f"({len(lib.data)} units). The zh texts are copies of the English ones (tag needs-translation).")
        console.print(f"score it: citystd score {out / DATA_FILE} --library {out} -f {lib.framework_id}")
    raise typer.Exit(EXIT_OK)


def _count_nodes(items: list[dict]) -> int:
    return sum(1 + _count_nodes(i["children"]) for i in items if "children" in i)
