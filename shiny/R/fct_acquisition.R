# Acquisition: per-segment conversion and revenue (no Shiny here).

acquisition_dimensions <- c(
  "Referrer domain" = "referrer", "UTM source" = "source", "UTM medium" = "medium",
  "UTM campaign" = "campaign", "Device type" = "device", "Country" = "country"
)

acquisition_table <- function(df, label = "Segment") {
  n <- function(col) as.numeric(df[[col]])
  out <- data.frame(
    Segment = df$segment,
    Sessions = n("sessions"),
    Visitors = n("visitors"),
    `Bounce rate` = safe_ratio(n("bounces"), n("sessions")),
    `Conversion rate` = safe_ratio(n("purchasing_sessions"), n("sessions")),
    Orders = n("orders"),
    Revenue = n("revenue"),
    `Revenue per session` = safe_ratio(n("revenue"), n("sessions")),
    check.names = FALSE, stringsAsFactors = FALSE
  )
  names(out)[1] <- label
  out
}

acquisition_kpis <- function(df) {
  list(
    sessions = col_sum(df, "sessions"),
    conversion = safe_ratio(col_sum(df, "purchasing_sessions"), col_sum(df, "sessions")),
    revenue = col_sum(df, "revenue"),
    revenue_per_session = safe_ratio(col_sum(df, "revenue"), col_sum(df, "sessions"))
  )
}
