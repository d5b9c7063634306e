# Loads the app's functions (as shiny::runApp would) and the expectations the Python
# driver computed from the generated events.
app_root <- normalizePath(file.path("..", ".."))
options(dashboard.app_dir = app_root)
for (file in list.files(file.path(app_root, "R"), pattern = "\\.R$", full.names = TRUE)) {
  source(file, local = FALSE)
}

expected <- if (nzchar(Sys.getenv("DASHBOARD_EXPECTED"))) {
  jsonlite::fromJSON(Sys.getenv("DASHBOARD_EXPECTED"), simplifyVector = FALSE)
} else {
  NULL
}

#' Skip (visibly: the Python driver fails on skips) when no test warehouse was handed over.
need_warehouse <- function() {
  if (is.null(expected)) testthat::skip("no test warehouse: run through tests/integration/test_dashboard_r.py")
}

#' Point the app at one database (fresh connection and cache).
use_database <- function(url) {
  config <- dashboard_config(list(DASHBOARD_DATABASE_URL = url, DASHBOARD_RETRY_SECONDS = "1"))
  config$queries_dir <- file.path(dirname(app_root), "sql", "queries")
  db_init(config)
}

test_filters <- function(device = character(0), compare = FALSE) {
  normalize_filters(
    from = expected$date_from, to = expected$date_to, compare = compare, device = device
  )
}

#' Run a module server with fixed filters; returns what the module returned.
module_args <- function(filters) {
  list(filters = shiny::reactive(filters), epoch = shiny::reactiveVal(0L))
}

#' The HTML text of a rendered output (renderUI gives a list with $html).
output_text <- function(x) {
  html <- if (is.list(x) && !is.null(x$html)) as.character(x$html) else paste(as.character(x), collapse = " ")
  gsub("\\s+", " ", gsub("<[^>]+>", " ", html))
}
