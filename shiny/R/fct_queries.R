# Panel queries: SQL files with named parameters (psycopg2's %(name)s, so
# bench/dashboard.py runs the very same text), bound as SQL literals here and cached
# per (query, parameters) for config$cache_seconds.

#' Mark a vector as an SQL array parameter (ARRAY[...]), even with one element.
sql_array <- function(x) structure(as.character(x), class = "sql_array")

#' One R value as an SQL literal, the way psycopg2 adapts Python values.
sql_literal <- function(value) {
  quote_string <- function(x) {
    if (any(grepl("\u0001", x, fixed = TRUE)) || any(is.na(x))) {
      stop("a query parameter holds NA or a control character", call. = FALSE)
    }
    paste0("'", gsub("'", "''", x, fixed = TRUE), "'")
  }
  if (inherits(value, "sql_array")) {
    if (length(value) == 0L) return("'{}'::text[]")
    return(paste0("array[", paste(quote_string(unclass(value)), collapse = ", "), "]::text[]"))
  }
  if (is.null(value) || length(value) == 0L) return("null")
  if (length(value) != 1L) stop("a query parameter must be one value or sql_array()", call. = FALSE)
  if (is.na(value)) return("null")
  if (inherits(value, "Date")) return(paste0("'", format(value, "%Y-%m-%d"), "'::date"))
  if (inherits(value, "POSIXt")) {
    return(paste0("'", format(value, "%Y-%m-%dT%H:%M:%OS6Z", tz = "UTC"), "'::timestamptz"))
  }
  if (is.logical(value)) return(if (value) "true" else "false")
  if (is.numeric(value)) {
    if (!is.finite(value)) stop("a numeric query parameter must be finite", call. = FALSE)
    return(format(value, scientific = FALSE, digits = 15))
  }
  quote_string(as.character(value))
}

#' Replace every %(name)s in sql by the literal of params[[name]]; a name without a
#' value is an error (a typo must not silently become NULL). "%%" is a literal "%".
bind_named <- function(sql, params = list()) {
  pattern <- "%\\(([A-Za-z_][A-Za-z0-9_]*)\\)s"
  names_used <- unique(regmatches(sql, gregexpr(pattern, sql))[[1]])
  names_used <- sub(pattern, "\\1", names_used)
  missing <- setdiff(names_used, names(params))
  if (length(missing)) {
    stop("query parameter(s) without a value: ", paste(missing, collapse = ", "), call. = FALSE)
  }
  out <- sql
  for (name in names_used) {
    out <- gsub(paste0("%(", name, ")s"), sql_literal(params[[name]]), out, fixed = TRUE)
  }
  gsub("%%", "%", out, fixed = TRUE)
}

#' The text of one query, read once per process: the shared panel queries in
#' sql/queries/<name>.sql first, then the app's own (filter choices) in shiny/sql/.
query_sql <- function(name, dirs = c(db_config()$queries_dir, file.path(app_dir(), "sql"))) {
  if (!grepl("^[a-z0-9_]+$", name)) stop("bad query name: ", name, call. = FALSE)
  key <- paste0("sql:", name)
  if (is.null(.db[[key]])) {
    paths <- file.path(dirs, paste0(name, ".sql"))
    path <- paths[file.exists(paths)][1]
    if (is.na(path)) stop("no query file ", name, ".sql in ", paste(dirs, collapse = " or "), call. = FALSE)
    .db[[key]] <- paste(readLines(path, warn = FALSE), collapse = "\n")
  }
  .db[[key]]
}

run_query_uncached <- function(name, params) {
  sql <- bind_named(query_sql(name), params)
  df <- db_get_query(sql)
  # RPostgreSQL returns dates as text; the panels want Date.
  for (col in intersect(c("date_day"), names(df))) df[[col]] <- as.Date(df[[col]])
  df
}

#' Run a panel query with caching per (name, params).
panel_query <- function(name, params = list()) {
  if (is.null(.db$cached_query)) db_init()
  if (length(params)) params <- params[order(names(params))]
  .db$cached_query(name, params)
}

#' Forget every cached result (tests; after a filter-independent change).
panel_cache_reset <- function() {
  if (!is.null(.db$cache)) .db$cache$reset()
  invisible(NULL)
}
