# Database access: one connection per R process (a pool of one: R serves its sessions
# one request at a time, so more connections would sit idle), opened lazily through the
# read-only clickstream_reader role, re-opened after the database restarts, and never
# hammered while the database is down (one attempt per retry interval).

.db <- new.env(parent = emptyenv())

#' Signal that the warehouse cannot be reached (a classed condition the UI turns
#' into the "database unavailable" banner instead of an R error).
db_unavailable <- function(reason) {
  reason <- sub("^(warehouse unavailable: )+", "", reason)
  structure(
    class = c("dashboard_db_unavailable", "error", "condition"),
    list(message = paste("warehouse unavailable:", reason), call = NULL)
  )
}

#' Set the settings every later call uses; resets the connection and the cache.
db_init <- function(config = dashboard_config()) {
  db_close()
  .db$config <- config
  .db$down_until <- 0
  .db$last_error <- NULL
  .db$cache <- cachem::cache_mem(max_age = config$cache_seconds)
  .db$cached_query <- memoise::memoise(run_query_uncached, cache = .db$cache)
  invisible(config)
}

db_config <- function() {
  if (is.null(.db$config)) db_init()
  .db$config
}

db_close <- function() {
  if (!is.null(.db$con)) {
    try(DBI::dbDisconnect(.db$con), silent = TRUE)
  }
  .db$con <- NULL
  invisible(NULL)
}

db_open <- function() {
  config <- db_config()
  if (Sys.time() < .db$down_until) {
    stop(db_unavailable(.db$last_error %||% "retrying shortly"))
  }
  args <- config$db
  # libpq reads these from the environment; RPostgreSQL has no arguments for them.
  old <- Sys.getenv(c("PGSSLMODE", "PGCONNECT_TIMEOUT", "PGAPPNAME"), unset = NA)
  on.exit(for (name in names(old)) {
    if (is.na(old[[name]])) Sys.unsetenv(name) else do.call(Sys.setenv, as.list(old[name]))
  })
  Sys.setenv(
    PGCONNECT_TIMEOUT = args$connect_timeout %||% "5",
    PGAPPNAME = args$application_name %||% "clickstream-dashboard"
  )
  if (!is.null(args$sslmode)) Sys.setenv(PGSSLMODE = args$sslmode)
  args$sslmode <- NULL
  args$connect_timeout <- NULL
  args$application_name <- NULL
  con <- tryCatch(
    do.call(DBI::dbConnect, c(list(RPostgreSQL::PostgreSQL()), args)),
    error = function(e) {
      .db$last_error <- conditionMessage(e)
      .db$down_until <- Sys.time() + config$retry_seconds
      stop(db_unavailable(conditionMessage(e)))
    }
  )
  # UTC like the warehouse's dates; a runaway query must not hold the only connection.
  db_run(con, "set time zone 'UTC'; set standard_conforming_strings = on; set statement_timeout = '30s'")
  .db$con <- con
  .db$last_error <- NULL
  .db$down_until <- 0
  con
}

db_connection <- function() {
  if (is.null(.db$con)) db_open() else .db$con
}

#' TRUE when the connection answers; re-opens it when it does not (after a restart).
db_ping <- function() {
  tryCatch(
    {
      if (db_alive(db_connection())) return(TRUE)
      db_close()
      db_alive(db_connection())
    },
    error = function(e) FALSE
  )
}

#' Whether the last attempt failed, and why (for the banner).
db_status <- function() {
  list(up = is.null(.db$last_error), reason = .db$last_error)
}

#' Run one statement; a broken connection (database restarted) is re-opened and the
#' statement retried once; a database that stays unreachable raises
#' dashboard_db_unavailable; an SQL error is raised as it is.
db_get_query <- function(sql) {
  attempt <- function() {
    # Open first: a condition raised while S4 dispatch evaluates an argument loses its class.
    con <- db_connection()
    db_run(con, sql)
  }
  tryCatch(attempt(), dashboard_db_unavailable = function(e) stop(e), error = function(e) {
    # Tell a dead connection from a bad statement by asking the connection itself.
    if (db_alive(.db$con)) stop(e)
    db_close()
    tryCatch(attempt(), dashboard_db_unavailable = function(e2) stop(e2), error = function(e2) {
      if (db_alive(.db$con)) stop(e2)
      db_close()
      .db$last_error <- conditionMessage(e2)
      .db$down_until <- Sys.time() + db_config()$retry_seconds
      stop(db_unavailable(conditionMessage(e2)))
    })
  })
}

`%||%` <- function(a, b) if (is.null(a)) b else a

#' One statement on one connection, errors raised as errors. RPostgreSQL's dbGetQuery
#' turns a failed statement into a warning and a NULL result, which would read as
#' "no rows"; dbSendQuery raises.
db_run <- function(con, sql) {
  for (pending in DBI::dbListResults(con)) DBI::dbClearResult(pending)
  rs <- DBI::dbSendQuery(con, sql)
  on.exit(DBI::dbClearResult(rs))
  if (DBI::dbHasCompleted(rs) && DBI::dbGetInfo(rs)$isSelect != 1L) return(data.frame())
  DBI::dbFetch(rs, n = -1)
}

#' TRUE when con answers a trivial query.
db_alive <- function(con) {
  !is.null(con) && isTRUE(tryCatch(db_run(con, "select 1 as ok")$ok == 1L, error = function(e) FALSE))
}
