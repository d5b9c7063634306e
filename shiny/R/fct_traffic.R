# Traffic & engagement: shaping the query results into KPIs (no Shiny here).

#' KPI values from a traffic_summary row (and active users), as numbers.
traffic_kpis <- function(summary, active = NULL) {
  s <- lapply(summary, function(x) as.numeric(x[1]))
  list(
    visitors = s$visitors,
    sessions = s$sessions,
    page_views = s$page_views,
    pages_per_session = safe_ratio(s$page_views, s$sessions),
    avg_engaged_ms = safe_ratio(s$total_engaged_ms, s$sessions),
    bounce_rate = safe_ratio(s$bounces, s$sessions),
    signed_in_share = safe_ratio(s$signed_in_sessions, s$sessions),
    bot_sessions = s$bot_sessions,
    dau = if (is.null(active)) NA_real_ else as.numeric(active$dau[1]),
    wau = if (is.null(active)) NA_real_ else as.numeric(active$wau[1]),
    mau = if (is.null(active)) NA_real_ else as.numeric(active$mau[1])
  )
}

#' The pages table in display form, sorted by the chosen measure.
traffic_page_table <- function(pages, order_by = c("page_views", "entrances", "exits")) {
  order_by <- match.arg(order_by)
  pages <- pages[order(-as.numeric(pages[[order_by]]), pages$page_path), , drop = FALSE]
  data.frame(
    Page = pages$page_path,
    `Page views` = as.numeric(pages$page_views),
    Sessions = as.numeric(pages$sessions),
    `Landing (entrances)` = as.numeric(pages$entrances),
    Exits = as.numeric(pages$exits),
    `Bounce rate` = safe_ratio(as.numeric(pages$bounces), as.numeric(pages$entrances)),
    `Avg engaged s` = round(safe_ratio(as.numeric(pages$total_engaged_ms), as.numeric(pages$page_views)) / 1000, 1),
    check.names = FALSE, stringsAsFactors = FALSE
  )
}

#' Next pages after one page (the query lists the 20 most common), with each one's
#' share of the moves listed.
next_page_table <- function(next_pages) {
  total <- sum(as.numeric(next_pages$transitions))
  data.frame(
    `Next page` = next_pages$to_path,
    Transitions = as.numeric(next_pages$transitions),
    `Share of listed` = safe_ratio(as.numeric(next_pages$transitions), total),
    check.names = FALSE, stringsAsFactors = FALSE
  )
}
