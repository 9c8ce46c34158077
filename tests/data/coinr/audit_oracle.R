# Oracle values for citystd's audit on COINr's ASEM example (tests/data/coinr/audit_oracle.json).
#
# Run with COINr 1.1.14 installed:  Rscript tests/data/coinr/audit_oracle.R > tests/data/coinr/audit_oracle.json
# CI never runs this script: the tests read the JSON it wrote.
#
# For every aggregate of the example coin (pillars, sub-indices, the Index) it records, on the
# "Aggregated" data set (normalised indicators plus the aggregates):
#   - get_cronbach() of the node's children,
#   - get_corr() (Pearson and Spearman, pval = 0 so that nothing is blanked) of each child with
#     the node, and among the children,
#   - get_PCA() of the children: variance share of every component and the first loadings,
# and remove_elements() at levels 1-3 (mean absolute rank change of the Index per removed element).
suppressPackageStartupMessages(library(COINr))
suppressPackageStartupMessages(library(jsonlite))

coin <- build_example_coin(quietly = TRUE)
meta <- coin$Meta$Ind
aggs <- meta[meta$Type == "Aggregate", ]

nodes <- list()
for (i in seq_len(nrow(aggs))) {
  code <- aggs$iCode[i]
  lev <- aggs$Level[i]
  children <- meta$iCode[!is.na(meta$Parent) & meta$Parent == code]
  entry <- list(level = lev, children = children)
  entry$cronbach <- get_cronbach(coin, dset = "Aggregated", iCodes = code, Level = lev - 1)
  for (ct in c("pearson", "spearman")) {
    cp <- get_corr(coin, dset = "Aggregated", iCodes = list(code, code), Levels = c(lev - 1, lev),
                   cortype = ct, pval = 0, make_long = FALSE)
    # wide: one row per child (row names), one column for the node
    with_parent <- setNames(as.list(cp[[code]]), rownames(cp))
    sib <- get_corr(coin, dset = "Aggregated", iCodes = code, Levels = lev - 1, cortype = ct, pval = 0,
                    make_long = FALSE)
    sib_m <- as.matrix(sib)
    entry[[paste0(ct, "_parent")]] <- with_parent
    entry[[paste0(ct, "_siblings")]] <- list(codes = rownames(sib_m), matrix = unname(sib_m[, rownames(sib_m)]))
  }
  pca <- get_PCA(coin, dset = "Aggregated", iCodes = code, Level = lev - 1, by_groups = TRUE, nowarnings = TRUE)
  res <- pca$PCAresults[[code]]$PCAres
  entry$pca <- list(variance_share = res$sdev^2 / sum(res$sdev^2), codes = rownames(res$rotation),
                    loadings = unname(res$rotation[, 1]))
  nodes[[code]] <- entry
}

drop <- list()
for (lev in 1:3) {
  r <- remove_elements(coin, Level = lev, dset = "Aggregated", iCode = "Index", quietly = TRUE)
  mad <- r$MeanAbsDiff[names(r$MeanAbsDiff) != "Nominal"]
  drop[[as.character(lev)]] <- as.list(mad)
}

ranks <- get_data(coin, dset = "Aggregated", iCodes = "Index")
out <- list(
  source = "COINr 1.1.14 (commit b9682034635df03279896b6cb025cd3534f82cbb), build_example_coin(); R",
  r_version = R.version.string,
  index = setNames(as.list(ranks$Index), ranks$uCode),
  nodes = nodes,
  remove_elements = drop
)
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE))
cat("\n")
