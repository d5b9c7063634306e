# The global filters: defaults, the previous period, the query parameters they become,
# and their round trip through the URL's query string (so a view can be bookmarked).

filter_dimensions <- c("device", "country", "category")
module_tabs <- c("traffic", "funnels", "products", "acquisition", "reliability")

#' Last 7 days, today included (UTC, like the warehouse's dates).
default_date_range <- function(today = Sys.Date()) {
  today <- as.Date(today)
  c(today - 6L, today)
}

#' The period of the same length just before [from, to].
previous_period <- function(from, to) {
  from <- as.Date(from)
  to <- as.Date(to)
  if (is.na(from) || is.na(to) || to < from) stop("the date range must end on or after its start")
  days <- as.integer(to - from) + 1L
  c(from - days, from - 1L)
}

#' A clean filter state: dates ordered and valid, empty selections = everything.
normalize_filters <- function(from = NULL, to = NULL, compare = FALSE, device = NULL,
                              country = NULL, category = NULL, today = Sys.Date()) {
  default <- default_date_range(today)
  from <- tryCatch(as.Date(from %||% NA), error = function(e) NA)
  to <- tryCatch(as.Date(to %||% NA), error = function(e) NA)
  if (length(from) != 1L || is.na(from)) from <- default[1]
  if (length(to) != 1L || is.na(to)) to <- default[2]
  if (to < from) {
    swap <- from
    from <- to
    to <- swap
  }
  clean <- function(x) {
    x <- as.character(unlist(x))
    sort(unique(x[!is.na(x) & nzchar(x)]))
  }
  list(
    from = from, to = to, compare = isTRUE(as.logical(compare)),
    device = clean(device), country = clean(country), category = clean(category)
  )
}

#' The named parameters every panel query takes. An empty list means "all".
filter_params <- function(filters, period = c("current", "previous")) {
  period <- match.arg(period)
  dates <- if (period == "current") c(filters$from, filters$to) else previous_period(filters$from, filters$to)
  list(
    date_from = dates[1],
    date_to = dates[2],
    devices = sql_array(filters$device),
    countries = sql_array(filters$country),
    categories = sql_array(filters$category)
  )
}

#' Filters (and the open tab) as a query string: ?tab=funnels&from=...&device=a,b
filters_to_query <- function(filters, tab = NULL) {
  parts <- c(
    if (!is.null(tab) && tab %in% module_tabs) paste0("tab=", tab),
    paste0("from=", format(filters$from)),
    paste0("to=", format(filters$to)),
    if (isTRUE(filters$compare)) "compare=1",
    unlist(lapply(filter_dimensions, function(dim) {
      values <- filters[[dim]]
      if (length(values)) paste0(dim, "=", utils::URLencode(paste(values, collapse = ","), reserved = TRUE))
    }))
  )
  paste0("?", paste(parts, collapse = "&"))
}

#' The inverse of filters_to_query; anything malformed falls back to the defaults.
filters_from_query <- function(query, today = Sys.Date()) {
  q <- if (is.list(query)) query else shiny::parseQueryString(query %||% "")
  split <- function(x) if (is.null(x)) NULL else strsplit(x, ",", fixed = TRUE)[[1]]
  filters <- normalize_filters(
    from = q$from, to = q$to, compare = identical(q$compare, "1"),
    device = split(q$device), country = split(q$country), category = split(q$category),
    today = today
  )
  filters$tab <- if (!is.null(q$tab) && q$tab %in% module_tabs) q$tab else "traffic"
  filters
}

#' Relative change from previous to current, NA when there is nothing to compare to.
relative_change <- function(current, previous) {
  safe_ratio(current - previous, previous)
}

#' a / b, NA when b is 0 (a rate over nothing is unknown, not zero).
safe_ratio <- function(a, b) {
  n <- if (length(a) && length(b)) max(length(a), length(b)) else 0L
  a <- rep_len(as.numeric(a), n)
  b <- rep_len(as.numeric(b), n)
  out <- a / b
  out[is.na(b) | b == 0] <- NA_real_
  out
}
