# Traffic & engagement: visitors, sessions, DAU/WAU/MAU, pages per session, engaged
# time, bounce rate, signed-in share; by day and hour; top/landing/exit pages; the
# pages visited next after a chosen page; bots excluded, with a toggle to show them.

mod_traffic_ui <- function(id) {
  ns <- shiny::NS(id)
  htmltools::tagList(
    shiny::uiOutput(ns("kpis")),
    shiny::checkboxInput(ns("show_bots"), "Show the bot sessions that every figure excludes", FALSE),
    bslib::layout_column_wrap(
      width = 1 / 2, fill = FALSE,
      panel_card("Sessions per day", plotly::plotlyOutput(ns("daily_chart"), height = "320px")),
      panel_card("Activity by hour of day", plotly::plotlyOutput(ns("hourly_chart"), height = "320px"))
    ),
    bslib::layout_column_wrap(
      width = 1 / 2, fill = FALSE,
      panel_card(
        "Pages",
        htmltools::tagList(
          shiny::radioButtons(ns("page_order"), NULL, inline = TRUE,
            choices = c("Top pages" = "page_views", "Landing pages" = "entrances", "Exit pages" = "exits")
          ),
          DT::DTOutput(ns("pages_table"))
        ),
        download_id = ns("pages_csv")
      ),
      panel_card(
        "Navigation paths: where visitors go next",
        htmltools::tagList(
          shiny::selectizeInput(ns("from_path"), "After viewing", choices = NULL, width = "100%"),
          plotly::plotlyOutput(ns("next_chart"), height = "300px"),
          DT::DTOutput(ns("next_table"))
        ),
        download_id = ns("next_csv")
      )
    )
  )
}

mod_traffic_server <- function(id, filters, epoch) {
  shiny::moduleServer(id, function(input, output, session) {
    params <- shiny::reactive(filter_params(filters()))
    prev_params <- shiny::reactive(filter_params(filters(), "previous"))

    summary <- shiny::reactive({
      epoch()
      panel_data("traffic_summary", params(), allow_empty = TRUE)
    })
    summary_prev <- shiny::reactive({
      epoch()
      if (!filters()$compare) return(NULL)
      panel_data("traffic_summary", prev_params(), allow_empty = TRUE)
    })
    active <- shiny::reactive({
      epoch()
      panel_data("traffic_active_users", params(), allow_empty = TRUE)
    })
    daily <- shiny::reactive({
      epoch()
      panel_data("traffic_daily", params())
    })
    hourly <- shiny::reactive({
      epoch()
      panel_data("traffic_hour_of_day", params())
    })
    pages <- shiny::reactive({
      epoch()
      panel_data("traffic_pages", params())
    })
    kpis <- shiny::reactive(traffic_kpis(summary(), active()))
    kpis_prev <- shiny::reactive({
      prev <- summary_prev()
      if (is.null(prev)) NULL else traffic_kpis(prev)
    })

    output$kpis <- shiny::renderUI({
      k <- kpis()
      p <- kpis_prev()
      change <- function(name) if (is.null(p)) NA else relative_change(k[[name]], p[[name]])
      if (is.na(k$sessions) || k$sessions == 0) {
        return(htmltools::div(class = "alert alert-secondary", empty_message))
      }
      cards <- list(
        list(title = "Visitors", value = fmt_count(k$visitors), change = change("visitors")),
        list(title = "Sessions", value = fmt_count(k$sessions), change = change("sessions")),
        list(title = "Active users (DAU / WAU / MAU)",
          value = paste(fmt_count(k$dau), fmt_count(k$wau), fmt_count(k$mau), sep = " / "),
          help = paste("on", format(filters()$to), "and the 7 and 30 days ending then")
        ),
        list(title = "Pages per session", value = fmt_decimal(k$pages_per_session), change = change("pages_per_session")),
        list(title = "Average engaged time", value = fmt_duration_ms(k$avg_engaged_ms), change = change("avg_engaged_ms")),
        list(title = "Bounce rate", value = fmt_percent(k$bounce_rate), change = change("bounce_rate")),
        list(title = "Signed-in sessions", value = fmt_percent(k$signed_in_share), change = change("signed_in_share")),
        list(title = "Bot sessions excluded", value = fmt_count(k$bot_sessions),
          help = "flagged by the ingest User-Agent check")
      )
      htmltools::tagList(category_note(filters(), "traffic figures"), kpi_row(cards))
    })

    output$daily_chart <- plotly::renderPlotly({
      d <- daily()
      p <- plotly::plot_ly(d, x = ~date_day)
      p <- plotly::add_bars(p, y = ~sessions, name = "Sessions")
      p <- plotly::add_lines(p, y = ~visitors, name = "Visitors")
      if (isTRUE(input$show_bots)) {
        p <- plotly::add_lines(p, y = ~bot_sessions, name = "Bot sessions (excluded)", line = list(dash = "dot"))
      }
      if (filters()$compare) {
        prev <- tryCatch(panel_query("traffic_daily", prev_params()), error = function(e) NULL)
        if (!is.null(prev) && nrow(prev)) {
          offset <- as.integer(filters()$from - previous_period(filters()$from, filters()$to)[1])
          p <- plotly::add_lines(p, data = prev, x = ~ (date_day + offset), y = ~sessions,
            name = "Sessions, previous period", line = list(dash = "dash"), inherit = FALSE)
        }
      }
      style_chart(p, "Sessions and visitors per day (count)", "Day (UTC)", "Count")
    })

    output$hourly_chart <- plotly::renderPlotly({
      h <- hourly()
      p <- plotly::plot_ly(h, x = ~hour_of_day)
      p <- plotly::add_bars(p, y = ~page_views, name = "Page views")
      p <- plotly::add_lines(p, y = ~sessions, name = "Active sessions")
      p <- plotly::layout(p, xaxis = list(dtick = 2))
      style_chart(p, "Page views and active sessions by hour of day (count, summed over the range)", "Hour of day (UTC)", "Count")
    })

    page_table <- shiny::reactive(traffic_page_table(pages(), input$page_order %||% "page_views"))
    output$pages_table <- DT::renderDT(panel_table(page_table(), percent = "Bounce rate"))
    output$pages_csv <- csv_download("pages", page_table)

    shiny::observe({
      paths <- tryCatch(traffic_page_table(pages())$Page, error = function(e) character(0))
      current <- shiny::isolate(input$from_path)
      selected <- if (!is.null(current) && current %in% paths) current else if (length(paths)) paths[1] else NULL
      shiny::updateSelectizeInput(session, "from_path", choices = paths, selected = selected)
    })
    next_pages <- shiny::reactive({
      shiny::req(input$from_path)
      epoch()
      next_page_table(panel_data("traffic_next_pages", c(params(), list(from_path = input$from_path))))
    })
    output$next_chart <- plotly::renderPlotly({
      n <- utils::head(next_pages(), 10)
      p <- plotly::plot_ly(n, y = ~ stats::reorder(`Next page`, Transitions), x = ~Transitions,
        type = "bar", orientation = "h", name = "Transitions")
      style_chart(p, paste0("Most common next pages after ", input$from_path, " (page-to-page moves)"), "Moves (count)", NULL)
    })
    output$next_table <- DT::renderDT(panel_table(next_pages(), percent = "Share of listed"))
    output$next_csv <- csv_download("next-pages", next_pages)

    list(kpis = kpis, page_table = page_table, next_pages = next_pages, daily = daily)
  })
}
