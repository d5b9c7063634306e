# Runs every testthat file and writes a JSON summary (TESTTHAT_SUMMARY) for the Python
# test that drives it (tests/integration/test_dashboard_r.py); exits 1 on any failure.
results <- as.data.frame(testthat::test_dir(
  "tests/testthat",
  reporter = testthat::ProgressReporter$new(show_praise = FALSE),
  stop_on_failure = FALSE, load_package = "none"
))
summary <- list(
  files = length(unique(results$file)),
  tests = nrow(results),
  expectations = sum(results$nb),
  failed = sum(results$failed),
  errors = sum(results$error),
  skipped = sum(results$skipped)
)
print(summary)
out <- Sys.getenv("TESTTHAT_SUMMARY")
if (nzchar(out)) writeLines(jsonlite::toJSON(summary, auto_unbox = TRUE), out)
quit(status = if (summary$failed > 0 || summary$errors > 0) 1L else 0L)
