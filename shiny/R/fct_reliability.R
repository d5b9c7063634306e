# Reliability: pipeline health figures (no Shiny here).

#' The freshness objective verdict: "met", "missed" or "unknown" (no successful run yet).
freshness_verdict <- function(freshness_minutes, objective_minutes) {
  if (length(freshness_minutes) != 1L || is.na(freshness_minutes)) return("unknown")
  if (freshness_minutes <= objective_minutes) "met" else "missed"
}

runs_table <- function(runs) {
  n <- function(col) as.numeric(runs[[col]])
  data.frame(
    Started = format(as.POSIXct(runs$started_at, tz = "UTC"), "%Y-%m-%d %H:%M:%S"),
    Trigger = runs$trigger,
    Status = runs$status,
    `Duration s` = round(n("duration_seconds"), 1),
    `Objects loaded` = n("objects_loaded"),
    `Objects pending` = n("objects_pending"),
    Quarantined = n("objects_quarantined"),
    `Rows inserted` = n("rows_inserted"),
    Duplicates = n("rows_duplicate"),
    Rejected = n("rows_rejected"),
    `Lag s` = round(n("lag_seconds")),
    `DLQ depth` = n("dlq_depth"),
    Error = ifelse(is.na(runs$error), "", runs$error),
    check.names = FALSE, stringsAsFactors = FALSE
  )
}

#' Hourly ingest metric rows pivoted: one row per hour with accepted, rejected, errors.
ingest_hourly_wide <- function(df, metrics = c("EventsAccepted", "EventsRejected", "Errors", "Invocations")) {
  if (!nrow(df)) return(data.frame(hour_at = as.POSIXct(character(0), tz = "UTC")))
  hours <- sort(unique(df$hour_at))
  out <- data.frame(hour_at = hours)
  for (m in metrics) {
    part <- df[df$metric == m, , drop = FALSE]
    sums <- tapply(as.numeric(part$value), as.character(part$hour_at), sum)
    out[[m]] <- as.numeric(ifelse(is.na(sums[as.character(hours)]), 0, sums[as.character(hours)]))
  }
  out
}

rejected_by_reason <- function(df) {
  part <- df[df$metric == "EventsRejected" & nzchar(df$reason), , drop = FALSE]
  if (!nrow(part)) return(data.frame(Reason = character(0), Events = numeric(0)))
  sums <- tapply(as.numeric(part$value), part$reason, sum)
  out <- data.frame(Reason = names(sums), Events = as.numeric(sums), stringsAsFactors = FALSE)
  out[order(-out$Events, out$Reason), , drop = FALSE]
}

#' Alarms and alerts for display: CloudWatch alarms of the newest snapshot and the
#' business alerts firing now, ALARM first (the query orders them).
alarms_table <- function(df) {
  if (!nrow(df)) {
    return(data.frame(Kind = character(0), Name = character(0), State = character(0),
      Since = character(0), Reason = character(0), stringsAsFactors = FALSE))
  }
  since <- as.POSIXct(df$since, tz = "UTC")
  data.frame(
    Kind = df$kind,
    Name = df$name,
    State = df$state,
    Since = ifelse(is.na(since), "", format(since, "%Y-%m-%d %H:%M:%S")),
    Reason = ifelse(is.na(df$reason), "", df$reason),
    check.names = FALSE, stringsAsFactors = FALSE
  )
}
