# Wires the global filters into every module, keeps the URL in step with them, and
# watches the database: a banner while it is unreachable, and a refresh of every
# panel once it answers again.

app_server <- function(input, output, session) {
  config <- db_config()
  # Bumped when the database comes back, so every panel query runs again.
  epoch <- shiny::reactiveVal(0L)
  db_up <- shiny::reactiveVal(TRUE)

  shiny::observe({
    shiny::invalidateLater(config$retry_seconds * 1000)
    up <- db_ping()
    was_up <- shiny::isolate(db_up())
    if (!identical(up, was_up)) {
      db_up(up)
      if (up) epoch(shiny::isolate(epoch()) + 1L)
    }
  })

  output$db_banner <- shiny::renderUI({
    if (db_up()) return(NULL)
    htmltools::div(
      class = "alert alert-danger", role = "alert", id = "db-down",
      htmltools::tags$strong("The warehouse database is unreachable. "),
      "The dashboards retry every ", config$retry_seconds,
      " seconds and refresh by themselves once it answers. ",
      htmltools::tags$small(class = "text-muted", db_status()$reason %||% "")
    )
  })

  filters <- mod_filters_server("filters", epoch = epoch)

  # The open tab and the filters, as a bookmarkable query string.
  shiny::observe({
    shiny::updateQueryString(filters_to_query(filters(), input$tab), mode = "replace")
  })

  mod_traffic_server("traffic", filters = filters, epoch = epoch)
  mod_funnels_server("funnels", filters = filters, epoch = epoch)
  mod_products_server("products", filters = filters, epoch = epoch)
  mod_acquisition_server("acquisition", filters = filters, epoch = epoch)
  mod_reliability_server("reliability", filters = filters, epoch = epoch)
}
