# The app object. app.R is the one line `dashboard_app()`; shiny::runApp() sources
# every file of R/ before it, so the same functions serve tests and the server.

#' The one theme of the dashboards.
dashboard_theme <- function() {
  bslib::bs_theme(
    version = 5, bootswatch = NULL,
    primary = "#1f6f8b", secondary = "#6c757d", success = "#2e7d32", danger = "#c62828",
    base_font = bslib::font_collection("Liberation Sans", "Helvetica", "Arial", "sans-serif"),
    "font-size-base" = "0.92rem"
  )
}

dashboard_app <- function(config = dashboard_config()) {
  db_init(config)
  # Fail at start, not in a blank chart, when plotly.js 2.x was not vendored.
  plotly_js_dependency(config$plotly_js)
  # Compile the Bootstrap theme now (sass, seconds on a busy machine) rather than on the
  # first page request, so "listening" means "answers".
  bslib::bs_theme_dependencies(dashboard_theme())
  shiny::shinyApp(ui = app_ui, server = app_server, options = list(launch.browser = FALSE))
}
