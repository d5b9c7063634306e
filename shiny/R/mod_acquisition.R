# Acquisition: referrer domains and UTM source / medium / campaign as separate
# dimensions, device, country; sessions, conversion rate, revenue, revenue per session.

mod_acquisition_ui <- function(id) {
  ns <- shiny::NS(id)
  htmltools::tagList(
    shiny::uiOutput(ns("kpis")),
    shiny::radioButtons(ns("dimension"), "Break down by", choices = acquisition_dimensions, inline = TRUE),
    bslib::layout_column_wrap(
      width = 1 / 2, fill = FALSE,
      panel_card("Sessions and conversion", plotly::plotlyOutput(ns("sessions_chart"), height = "340px")),
      panel_card("Revenue", plotly::plotlyOutput(ns("revenue_chart"), height = "340px"))
    ),
    panel_card("Acquisition", DT::DTOutput(ns("table")), download_id = ns("csv"))
  )
}

mod_acquisition_server <- function(id, filters, epoch) {
  shiny::moduleServer(id, function(input, output, session) {
    params <- shiny::reactive(filter_params(filters()))
    dimension <- shiny::reactive(input$dimension %||% "referrer")
    label <- shiny::reactive(names(acquisition_dimensions)[acquisition_dimensions == dimension()])
    raw <- shiny::reactive({
      epoch()
      panel_data("acquisition_breakdown", c(params(), list(dimension = dimension())))
    })
    raw_prev <- shiny::reactive({
      epoch()
      if (!filters()$compare) return(NULL)
      previous <- c(filter_params(filters(), "previous"), list(dimension = dimension()))
      panel_data("acquisition_breakdown", previous, allow_empty = TRUE)
    })
    table <- shiny::reactive(acquisition_table(raw(), label()))
    kpis <- shiny::reactive(acquisition_kpis(raw()))

    output$kpis <- shiny::renderUI({
      k <- kpis()
      prev <- raw_prev()
      p <- if (is.null(prev)) NULL else acquisition_kpis(prev)
      change <- function(name) if (is.null(p)) NA else relative_change(k[[name]], p[[name]])
      htmltools::tagList(category_note(filters(), "acquisition figures"), kpi_row(list(
        list(title = "Sessions", value = fmt_count(k$sessions), change = change("sessions")),
        list(title = "Conversion rate", value = fmt_percent(k$conversion), change = change("conversion")),
        list(title = "Revenue", value = fmt_money(k$revenue), change = change("revenue")),
        list(title = "Revenue per session", value = fmt_money(k$revenue_per_session), change = change("revenue_per_session"))
      )))
    })
    output$sessions_chart <- plotly::renderPlotly({
      t <- utils::head(table(), 12)
      p <- plotly::plot_ly(x = t[[1]], y = t$Sessions, type = "bar", name = "Sessions (count)")
      p <- plotly::add_trace(p, y = t[["Conversion rate"]] * 100, type = "scatter", mode = "markers",
        marker = list(size = 11), name = "Conversion rate (%)", yaxis = "y2")
      p <- plotly::layout(p, yaxis2 = list(overlaying = "y", side = "right", title = "%", rangemode = "tozero"))
      style_chart(p, paste("Sessions (count) and conversion rate (%) by", tolower(label())), label(), "Sessions")
    })
    output$revenue_chart <- plotly::renderPlotly({
      t <- utils::head(table()[order(-table()$Revenue), ], 12)
      p <- plotly::plot_ly(x = t[[1]], y = t$Revenue, type = "bar", name = "Revenue (USD)")
      p <- plotly::add_trace(p, y = t[["Revenue per session"]], type = "scatter", mode = "markers",
        marker = list(size = 11), name = "Revenue per session (USD)", yaxis = "y2")
      p <- plotly::layout(p, yaxis2 = list(overlaying = "y", side = "right", title = "USD per session", rangemode = "tozero"))
      style_chart(p, paste("Revenue and revenue per session (USD) by", tolower(label())), label(), "Revenue (USD)")
    })
    output$table <- DT::renderDT(panel_table(table(),
      money = c("Revenue", "Revenue per session"), percent = c("Bounce rate", "Conversion rate")))
    output$csv <- csv_download(paste0("acquisition-by-", dimension()), table)

    list(kpis = kpis, table = table)
  })
}
