# Configuration from the environment, read once per process. Pure functions: they
# take the variables as a named list so tests can pass their own.

#' Parse a libpq URL (postgresql://user:password@host:port/dbname?sslmode=...)
#' into the arguments RPostgreSQL::dbConnect takes. Percent-escapes are decoded.
parse_database_url <- function(url) {
  pattern <- "^postgres(ql)?://(([^:@/]*)(:([^@/]*))?@)?([^:/?]*)(:([0-9]+))?(/([^?]*))?(\\?(.*))?$"
  if (!is.character(url) || length(url) != 1L || !grepl(pattern, url)) {
    stop("DASHBOARD_DATABASE_URL must look like postgresql://user:password@host:5432/database",
      call. = FALSE
    )
  }
  groups <- regmatches(url, regexec(pattern, url))[[1]]
  part <- function(i) {
    value <- groups[i + 1L]
    if (is.na(value) || identical(value, "")) NULL else utils::URLdecode(value)
  }
  args <- list(
    user = part(3), password = part(5), host = part(6),
    port = if (is.null(part(8))) NULL else as.integer(part(8)),
    dbname = part(10)
  )
  query <- part(12)
  if (!is.null(query)) {
    for (pair in strsplit(query, "&", fixed = TRUE)[[1]]) {
      kv <- strsplit(pair, "=", fixed = TRUE)[[1]]
      if (length(kv) == 2L && kv[1] %in% c("sslmode", "connect_timeout", "application_name")) {
        args[[kv[1]]] <- kv[2]
      }
    }
  }
  Filter(Negate(is.null), args)
}

#' The dashboard's settings from environment variables (a named list, default Sys.getenv()).
dashboard_config <- function(env = as.list(Sys.getenv())) {
  get <- function(name, default = NULL) {
    value <- env[[name]]
    if (is.null(value) || identical(value, "")) default else value
  }
  url <- get("DASHBOARD_DATABASE_URL")
  db <- if (!is.null(url)) {
    parse_database_url(url)
  } else {
    # libpq's own variables, for a host where the URL is not set.
    Filter(Negate(is.null), list(
      host = get("PGHOST", "localhost"),
      port = as.integer(get("PGPORT", "5432")),
      user = get("PGUSER"),
      password = get("PGPASSWORD"),
      dbname = get("PGDATABASE", "clickstream")
    ))
  }
  list(
    db = db,
    # How long a panel query's result is reused for the same filters.
    cache_seconds = as.numeric(get("DASHBOARD_CACHE_SECONDS", "60")),
    # Where the panel SQL lives: the same files bench/dashboard.py times.
    queries_dir = get("DASHBOARD_QUERIES_DIR", default_queries_dir()),
    plotly_js = get("DASHBOARD_PLOTLY_JS", default_plotly_js()),
    freshness_objective_minutes = as.numeric(get("FRESHNESS_OBJECTIVE_MINUTES", "120")),
    # Seconds between reconnection attempts while the database is down.
    retry_seconds = as.numeric(get("DASHBOARD_RETRY_SECONDS", "5"))
  )
}

#' The app's own directory: shiny/ (where app.R is), whatever the working directory.
app_dir <- function() {
  candidates <- c(getOption("dashboard.app_dir"), getwd(), file.path(getwd(), "shiny"))
  for (dir in candidates) {
    if (file.exists(file.path(dir, "app.R")) && dir.exists(file.path(dir, "R"))) {
      return(normalizePath(dir))
    }
  }
  normalizePath(getwd())
}

default_queries_dir <- function() file.path(dirname(app_dir()), "sql", "queries")

default_plotly_js <- function() {
  file.path(app_dir(), "node_modules", "plotly.js-dist-min", "plotly.min.js")
}
