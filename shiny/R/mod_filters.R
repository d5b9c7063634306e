# The global filters shown above every module: date range (default last 7 days),
# compare to the previous period, device type, country, product category.

mod_filters_ui <- function(id, state = filters_from_query("")) {
  ns <- shiny::NS(id)
  choices <- function(dim) {
    options <- tryCatch(filter_choices()[[dim]], error = function(e) character(0))
    union(options, state[[dim]])
  }
  bslib::card(
    class = "filters mb-3",
    bslib::card_body(
      bslib::layout_column_wrap(
        width = 1 / 5, fill = FALSE,
        date_range_input(ns("dates"), "Dates (UTC)",
          start = state$from, end = state$to, weekstart = 1
        ),
        shiny::selectizeInput(ns("device"), "Device type", choices(filter_dimensions[1]),
          selected = state$device, multiple = TRUE, options = list(placeholder = "All devices")
        ),
        shiny::selectizeInput(ns("country"), "Country", choices("country"),
          selected = state$country, multiple = TRUE, options = list(placeholder = "All countries")
        ),
        shiny::selectizeInput(ns("category"), "Product category", choices("category"),
          selected = state$category, multiple = TRUE, options = list(placeholder = "All categories")
        ),
        htmltools::div(
          class = "pt-4",
          shiny::checkboxInput(ns("compare"), "Compare to the previous period", value = state$compare)
        )
      )
    )
  )
}

#' Seconds between refreshes of the filter boxes' values: the panel cache's lifetime
#' (the query is cached that long anyway), at least 5.
filter_refresh_seconds <- function() {
  max(5, as.numeric(Sys.getenv("DASHBOARD_CACHE_SECONDS", "60")), na.rm = TRUE)
}

#' The values the filter boxes offer, from the warehouse (cached like the panels).
filter_choices <- function() {
  df <- panel_query("filter_options", list())
  lapply(c(device = "device", country = "country", category = "category"), function(dim) {
    sort(unique(df$value[df$dimension == dim]))
  })
}

#' Returns a reactive holding the normalized filter state.
mod_filters_server <- function(id, epoch, refresh_seconds = filter_refresh_seconds()) {
  shiny::moduleServer(id, function(input, output, session) {
    # The page may have been built before the warehouse had values (the UI is built
    # once, the data arrives later), so the first pass always sends what is there now;
    # later passes only when the values changed.
    offered <- NULL
    # Refresh the choices when the database comes back (or was down at start), and
    # while the page is open, so values that arrive later (a new warehouse filling,
    # a new country) become choosable without a reload. Boxes change only when the
    # values did, so a person's open box is not reset.
    shiny::observe({
      epoch()
      shiny::invalidateLater(refresh_seconds * 1000)
      options <- tryCatch(filter_choices(), error = function(e) NULL)
      if (is.null(options) || identical(options, offered)) return()
      for (dim in filter_dimensions) {
        selected <- shiny::isolate(input[[dim]])
        shiny::updateSelectizeInput(session, dim,
          choices = union(options[[dim]], selected), selected = selected
        )
      }
      offered <<- options
    })
    shiny::reactive({
      dates <- input$dates
      shiny::req(length(dates) == 2L)
      normalize_filters(
        from = dates[1], to = dates[2], compare = input$compare,
        device = input$device, country = input$country, category = input$category
      )
    }) |> shiny::debounce(300)
  })
}
