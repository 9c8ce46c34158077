# Writes opt_weights_oracle.json: COINr's get_opt_weights() on its ASEM example coin (citystd's
# own script; run once by hand, CI never needs R). Needs R and COINr 1.1.14 (github.com/bluefoxr/COINr,
# commit b9682034635df03279896b6cb025cd3534f82cbb, installed with `R CMD INSTALL`).
#
#   Rscript tests/data/coinr/opt_weights_oracle.R > tests/data/coinr/opt_weights_oracle.json
#
# The example coin is COINr's default ASEM build (impute, screen, winsorise, min-max 0-100,
# arithmetic means); Level 3 holds the two sub-indices Conn and Sust, the children of the Index.
# get_opt_weights() with optype "balance" minimises log(mean((itarg - r/sum(r))^2)) over the Level-3
# weights by Nelder-Mead (stats::optim, reltol 0.1), r = Pearson correlations of Conn and Sust with
# the Index. We record its inputs (the Level-3 scores), its weights and the normalised correlations
# it reports ("Obtained").
suppressMessages(library(COINr))

num <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
str <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")

coin <- build_example_coin(quietly = TRUE)
agg <- get_dset(coin, dset = "Aggregated")
cases <- list(equal = "equal", conn2 = c(2, 1))
out <- character(0)
for (name in names(cases)) {
  res <- suppressMessages(get_opt_weights(coin, itarg = cases[[name]], dset = "Aggregated", Level = 3,
                                          out2 = "list"))
  cr <- res$CorrResultsNorm
  # "Obtained" is kept from the objective's last evaluation, which need not be at the weights returned;
  # the correlations at the returned weights, by COINr's own re-aggregation:
  at <- suppressMessages(COINr:::weights2corr(coin, w = res$WeightsOpt, dset = "Aggregated", Levels = c(3, 4)))
  out <- c(out, sprintf(paste0('  "%s": {"itarg": %s, "desired": %s, "obtained": %s, "weights": %s, ',
                               '"correlations_at_weights": %s, "convergence": %d}'),
                        name, num(if (is.character(cases[[name]])) c(1, 1) else cases[[name]]),
                        num(cr$Desired), num(cr$Obtained), num(cr$OptWeight), num(at$cr$Correlation),
                        res$OptResults$convergence))
}
cat("{\n")
cat('  "source": "COINr 1.1.14 get_opt_weights(build_example_coin(), dset = \\"Aggregated\\", Level = 3, out2 = \\"list\\"); tests/data/coinr/opt_weights_oracle.R",\n')
cat(sprintf('  "units": %s,\n', str(agg$uCode)))
cat(sprintf('  "Conn": %s,\n', num(agg$Conn)))
cat(sprintf('  "Sust": %s,\n', num(agg$Sust)))
cat(sprintf('  "Index": %s,\n', num(agg$Index)))
cat(paste(out, collapse = ",\n"))
cat("\n}\n")
