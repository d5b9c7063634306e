# Building blocks every module uses: KPI cards, plotly charts on the vendored
# plotly.js 2.x, sortable tables with a CSV download, and the empty / unavailable states.

empty_message <- "No data yet for these filters. Panels fill once the ETL has loaded events for the chosen dates."

#' Debian 12's r-cran-plotly ships plotly.js 1.x under the name of the 2.x its R code
#' targets, which draws nothing; this is the npm-vendored 2.x (make shiny-deps).
plotly_js_dependency <- function(path = db_config()$plotly_js) {
  if (!file.exists(path)) {
    stop("plotly.js 2.x is missing at ", path, ": run `make shiny-deps`", call. = FALSE)
  }
  version <- sub(".*plotly\\.js v([0-9.]+).*", "\\1", readLines(path, n = 2L, warn = FALSE)[2])
  if (!grepl("^2\\.", version)) stop("expected plotly.js 2.x at ", path, ", found ", version, call. = FALSE)
  htmltools::htmlDependency(
    name = "plotly-main", version = version, src = c(file = dirname(path)),
    script = basename(path), all_files = FALSE
  )
}

#' Build a plotly figure and swap its plotly.js dependency for the vendored 2.x one.
#' The TypedArray polyfill goes too: Debian's copy references node's GLOBAL and throws
#' in a browser, and every browser plotly.js 2.x supports has typed arrays.
use_vendored_plotly <- function(p) {
  p <- plotly::plotly_build(p)
  deps <- p$dependencies
  names <- vapply(deps, function(d) d$name, character(1))
  deps[names %in% c("plotly-main", "typedarray")] <- NULL
  p$dependencies <- c(deps, list(plotly_js_dependency()))
  p
}

#' Debian's r-cran-shiny links bootstrap-datepicker to an old libjs build whose
#' document-ready hook calls $.fn.datepicker after Shiny's noConflict() removed it (a
#' page error on every load); this is the upstream 1.9.0 Shiny bundles, from npm.
datepicker_js_dependency <- function(dir = file.path(app_dir(), "node_modules", "bootstrap-datepicker", "dist")) {
  if (!file.exists(file.path(dir, "js", "bootstrap-datepicker.min.js"))) {
    stop("bootstrap-datepicker is missing in ", dir, ": run `make shiny-deps`", call. = FALSE)
  }
  htmltools::htmlDependency(
    name = "bootstrap-datepicker-js", version = "1.9.0", src = c(file = dir),
    script = "js/bootstrap-datepicker.min.js",
    head = "<script>(function() { var datepicker = $.fn.datepicker.noConflict(); $.fn.bsDatepicker = datepicker; })();</script>"
  )
}

#' shiny::dateRangeInput on the vendored datepicker.
date_range_input <- function(...) {
  input <- shiny::dateRangeInput(...)
  deps <- htmltools::htmlDependencies(input)
  is_js <- vapply(deps, function(d) is.list(d) && identical(d[["name"]], "bootstrap-datepicker-js"), logical(1))
  deps[is_js] <- list(datepicker_js_dependency())
  htmltools::htmlDependencies(input) <- deps
  input
}

#' The house look of a chart: plain-language title with units, no plotly logo.
style_chart <- function(p, title, x_title = NULL, y_title = NULL, yaxis = list()) {
  p <- plotly::layout(p,
    title = list(text = title, x = 0, xanchor = "left", font = list(size = 15)),
    xaxis = list(title = x_title %||% ""),
    yaxis = utils::modifyList(list(title = y_title %||% "", rangemode = "tozero"), yaxis),
    legend = list(orientation = "h", x = 0, y = -0.3, yanchor = "top"),
    margin = list(t = 50, b = 90),
    hovermode = "x unified"
  )
  p <- plotly::config(p, displaylogo = FALSE)
  use_vendored_plotly(p)
}

#' A KPI card: title, value, and the change against the previous period when comparing.
kpi_card <- function(title, value, change = NA, help = NULL) {
  bslib::value_box(
    title = htmltools::span(class = "kpi-title", title),
    value = htmltools::span(class = "kpi-value", value),
    htmltools::tags$p(class = "kpi-change small mb-0", fmt_change(change)),
    if (!is.null(help)) htmltools::tags$p(class = "small text-muted mb-0", help),
    theme_color = "light",
    class = "kpi-card"
  )
}

#' A row of KPI cards from a list of lists(title, value, change, help).
kpi_row <- function(cards) {
  do.call(bslib::layout_column_wrap, c(
    list(width = 1 / min(length(cards), 4), fill = FALSE, class = "mb-3"),
    lapply(cards, function(card) kpi_card(card$title, card$value, card$change %||% NA, card$help))
  ))
}

#' A card holding one output, with an optional CSV download button in its header.
panel_card <- function(title, body, download_id = NULL) {
  header <- if (is.null(download_id)) {
    bslib::card_header(title)
  } else {
    bslib::card_header(
      class = "d-flex justify-content-between align-items-center",
      htmltools::span(title),
      shiny::downloadButton(download_id, "CSV", class = "btn-sm btn-outline-secondary")
    )
  }
  bslib::card(header, bslib::card_body(body), full_screen = TRUE)
}

#' A sortable table (display names as column titles) that is the same data the CSV holds.
panel_table <- function(df, page_length = 10, money = character(0), percent = character(0)) {
  table <- DT::datatable(
    df,
    rownames = FALSE, selection = "none",
    # Debian's DT lacks dataTables.bootstrap4.extra.css (a 404 with the Bootstrap styles).
    style = "default",
    class = "compact stripe hover",
    options = list(pageLength = page_length, lengthChange = FALSE, searching = TRUE, scrollX = TRUE)
  )
  if (length(money)) table <- DT::formatRound(table, money, digits = 2)
  if (length(percent)) table <- DT::formatPercentage(table, percent, digits = 1)
  table
}

#' A download handler writing df() as CSV (UTF-8, no row names).
csv_download <- function(name, df) {
  shiny::downloadHandler(
    filename = function() paste0(name, "-", format(Sys.Date()), ".csv"),
    content = function(file) utils::write.csv(df(), file, row.names = FALSE, fileEncoding = "UTF-8", na = ""),
    contentType = "text/csv"
  )
}

#' Run a panel query inside a reactive: an unreachable database and an empty result
#' become the grey messages Shiny shows in place of the output, never an R error.
panel_data <- function(name, params, allow_empty = FALSE) {
  df <- tryCatch(
    panel_query(name, params),
    dashboard_db_unavailable = function(e) {
      shiny::validate(shiny::need(FALSE, "The warehouse database is unavailable; retrying."))
    }
  )
  if (!allow_empty) shiny::validate(shiny::need(nrow(df) > 0, empty_message))
  df
}

#' Sum of a column, 0 for an empty frame (and NA-free).
col_sum <- function(df, col) if (is.null(df) || !nrow(df)) 0 else sum(as.numeric(df[[col]]), na.rm = TRUE)

#' A note that the category filter does not narrow some of a module's figures.
category_note <- function(filters, what) {
  if (!length(filters$category)) return(NULL)
  htmltools::div(
    class = "alert alert-info py-2 small category-note",
    paste0("The product category filter does not apply to ", what, ": a session has no single category.")
  )
}
