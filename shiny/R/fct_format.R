# Number formatting for KPI cards and tables (plain functions, tested without Shiny).

fmt_count <- function(x) {
  ifelse(is.na(x), "\u2014", formatC(round(x), format = "d", big.mark = ","))
}

fmt_percent <- function(x, digits = 1) {
  ifelse(is.na(x), "\u2014", paste0(formatC(100 * x, format = "f", digits = digits), " %"))
}

fmt_money <- function(x, currency = "USD") {
  ifelse(is.na(x), "\u2014", paste(formatC(x, format = "f", digits = 2, big.mark = ","), currency))
}

fmt_decimal <- function(x, digits = 2) {
  ifelse(is.na(x), "\u2014", formatC(x, format = "f", digits = digits, big.mark = ","))
}

#' Milliseconds as "1 min 05 s" / "42 s".
fmt_duration_ms <- function(ms) {
  vapply(ms, function(v) {
    if (is.na(v)) return("\u2014")
    if (v < 59500) return(paste0(formatC(v / 1000, format = "f", digits = 1), " s"))
    s <- round(v / 1000)
    sprintf("%d min %02d s", s %/% 60, s %% 60)
  }, character(1))
}

#' "+12.5 % vs previous period", or "" when not comparing or nothing to compare to.
fmt_change <- function(change) {
  if (length(change) != 1L || is.na(change)) return("")
  arrow <- if (change > 0) "\u25b2" else if (change < 0) "\u25bc" else "\u25b6"
  sprintf("%s %+.1f %% vs previous period", arrow, 100 * change)
}
