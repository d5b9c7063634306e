# Reliability: Lambda error rate, DLQ depth, ETL lag, data freshness against its
# objective (red when missed), ETL runs, events accepted per hour, rejected per reason,
# objects pending: the numbers `clickstream status` prints; the CloudWatch alarm states
# the newest ETL run read and the business alerts firing now.

run_status_colours <- c(
  succeeded = "#2e7d32", partial = "#f9a825", failed = "#c62828", skipped = "#6c757d",
  abandoned = "#8d6e63", running = "#1f6f8b"
)

mod_reliability_ui <- function(id) {
  ns <- shiny::NS(id)
  htmltools::tagList(
    htmltools::p(
      class = "text-muted small",
      "Pipeline figures cover the chosen dates; device, country and category filters do not apply here."
    ),
    shiny::uiOutput(ns("kpis")),
    panel_card("Alarms and alerts", DT::DTOutput(ns("alarms_table")), download_id = ns("alarms_csv")),
    bslib::layout_column_wrap(
      width = 1 / 2, fill = FALSE,
      panel_card("Events per hour", plotly::plotlyOutput(ns("ingest_chart"), height = "320px")),
      panel_card("Rejected events by reason", htmltools::tagList(
        plotly::plotlyOutput(ns("reason_chart"), height = "220px"),
        DT::DTOutput(ns("reason_table"))
      ), download_id = ns("reason_csv"))
    ),
    panel_card("ETL runs", htmltools::tagList(
      plotly::plotlyOutput(ns("runs_chart"), height = "260px"),
      DT::DTOutput(ns("runs_table"))
    ), download_id = ns("runs_csv"))
  )
}

mod_reliability_server <- function(id, filters, epoch) {
  shiny::moduleServer(id, function(input, output, session) {
    params <- shiny::reactive(filter_params(filters()))
    # Pipeline health changes minute by minute: refresh it while the page is open.
    tick <- shiny::reactiveTimer(30000)
    status <- shiny::reactive({
      epoch()
      tick()
      panel_data("reliability_status", list(), allow_empty = TRUE)
    })
    runs <- shiny::reactive({
      epoch()
      tick()
      panel_data("reliability_runs", params())
    })
    hourly <- shiny::reactive({
      epoch()
      tick()
      panel_data("reliability_ingest_hourly", params(), allow_empty = TRUE)
    })

    alarm_rows <- shiny::reactive({
      epoch()
      tick()
      panel_data("reliability_alarms", list(), allow_empty = TRUE)
    })
    alarms <- shiny::reactive(alarms_table(alarm_rows()))
    output$alarms_table <- DT::renderDT({
      a <- alarms()
      shiny::validate(shiny::need(nrow(a) > 0,
        "No alarm states yet and no business alert firing: each ETL run reads the alarms from CloudWatch."))
      panel_table(a)
    })
    output$alarms_csv <- csv_download("alarms-and-alerts", alarms)

    kpis <- shiny::reactive({
      s <- status()
      n <- function(col) if (nrow(s) && col %in% names(s)) as.numeric(s[[col]][1]) else NA_real_
      objective <- n("freshness_objective_minutes")
      list(
        freshness_minutes = n("freshness_minutes"),
        objective_minutes = if (is.na(objective)) 120 else objective,
        verdict = freshness_verdict(n("freshness_minutes"), if (is.na(objective)) 120 else objective),
        lag_seconds = n("lag_seconds"),
        backlog = n("latest_backlog"),
        dlq_depth = n("dlq_depth"),
        error_rate = n("ingest_error_rate"),
        quarantined = n("quarantined_objects"),
        rejected_rows = n("rejected_rows"),
        latest_status = if (nrow(s)) s$latest_status[1] else NA
      )
    })

    output$kpis <- shiny::renderUI({
      k <- kpis()
      fresh_class <- switch(k$verdict, met = "text-success", missed = "text-danger fw-bold", "text-muted")
      fresh_value <- if (is.na(k$freshness_minutes)) {
        "no successful run yet"
      } else {
        paste(fmt_decimal(k$freshness_minutes, 1), "min")
      }
      htmltools::tagList(
        htmltools::div(
          id = "freshness-verdict",
          class = paste("alert", switch(k$verdict, met = "alert-success", missed = "alert-danger", "alert-secondary")),
          paste0("Data freshness: ", fresh_value, " (objective: under ", k$objective_minutes, " min) \u2014 ",
            switch(k$verdict, met = "objective met", missed = "OBJECTIVE MISSED", "unknown"))
        ),
        kpi_row(list(
          list(title = "Data freshness", value = htmltools::span(class = fresh_class, fresh_value),
            help = paste("minutes since the last successful ETL run; objective", k$objective_minutes, "min")),
          list(title = "ETL lag", value = if (is.na(k$lag_seconds)) "\u2014" else paste(fmt_count(k$lag_seconds), "s"),
            help = "now minus the newest loaded event's receive time"),
          list(
            title = "Lambda error rate", value = fmt_percent(k$error_rate, 2),
            help = "ingest errors / invocations, last ETL snapshot"
          ),
          list(title = "Dead-letter queue depth", value = fmt_count(k$dlq_depth), help = "messages waiting, last ETL snapshot"),
          list(title = "Objects pending", value = fmt_count(k$backlog), help = paste("latest run:", k$latest_status %||% "none")),
          list(title = "Quarantined objects", value = fmt_count(k$quarantined)),
          list(title = "Rejected lines (ETL)", value = fmt_count(k$rejected_rows))
        ))
      )
    })

    table <- shiny::reactive(runs_table(runs()))
    output$runs_table <- DT::renderDT(panel_table(table()))
    output$runs_csv <- csv_download("etl-runs", table)
    output$runs_chart <- plotly::renderPlotly({
      r <- runs()
      r$started_at <- as.POSIXct(r$started_at, tz = "UTC")
      p <- plotly::plot_ly(r, x = ~started_at, y = ~ as.numeric(duration_seconds), color = ~status,
        colors = run_status_colours, type = "scatter", mode = "markers", text = ~ paste(rows_inserted, "rows"))
      style_chart(p, "ETL run duration (seconds) by start time and status", "Run start (UTC)", "Seconds")
    })

    output$ingest_chart <- plotly::renderPlotly({
      h <- hourly()
      shiny::validate(shiny::need(nrow(h) > 0, "No ingest metrics yet: the ETL records them from CloudWatch each run."))
      w <- ingest_hourly_wide(h)
      w$hour_at <- as.POSIXct(w$hour_at, tz = "UTC")
      p <- plotly::plot_ly(w, x = ~hour_at)
      p <- plotly::add_bars(p, y = ~EventsAccepted, name = "Accepted")
      p <- plotly::add_bars(p, y = ~EventsRejected, name = "Rejected")
      p <- plotly::add_lines(p, y = ~Errors, name = "Lambda errors")
      p <- plotly::layout(p, barmode = "stack")
      style_chart(p, "Events accepted and rejected per hour (count)", "Hour (UTC)", "Events")
    })
    reasons <- shiny::reactive(rejected_by_reason(hourly()))
    output$reason_chart <- plotly::renderPlotly({
      r <- reasons()
      shiny::validate(shiny::need(nrow(r) > 0, "No rejected events in this range."))
      p <- plotly::plot_ly(y = r$Reason, x = r$Events, type = "bar", orientation = "h", name = "Rejected")
      style_chart(p, "Rejected events by reason (count)", "Events", NULL)
    })
    output$reason_table <- DT::renderDT(panel_table(reasons()))
    output$reason_csv <- csv_download("rejected-by-reason", reasons)

    list(kpis = kpis, table = table, reasons = reasons, alarms = alarms)
  })
}
