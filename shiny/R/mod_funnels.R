# Funnels: view -> add to cart -> checkout -> purchase; step conversion and drop-off,
# overall and split by device, country, source or category; per product; cart abandonment.

funnel_splits <- c("Device type" = "device", "Country" = "country", "Source" = "source", "Product category" = "category")

mod_funnels_ui <- function(id) {
  ns <- shiny::NS(id)
  htmltools::tagList(
    shiny::uiOutput(ns("kpis")),
    bslib::layout_column_wrap(
      width = 1 / 2, fill = FALSE,
      panel_card("Purchase funnel", htmltools::tagList(
        plotly::plotlyOutput(ns("funnel_chart"), height = "320px"),
        DT::DTOutput(ns("steps_table"))
      ), download_id = ns("steps_csv")),
      panel_card("Funnel by segment", htmltools::tagList(
        shiny::radioButtons(ns("split"), NULL, choices = funnel_splits, inline = TRUE),
        plotly::plotlyOutput(ns("split_chart"), height = "300px"),
        DT::DTOutput(ns("split_table"))
      ), download_id = ns("split_csv"))
    ),
    panel_card("Per-product funnel", DT::DTOutput(ns("product_table")), download_id = ns("product_csv"))
  )
}

mod_funnels_server <- function(id, filters, epoch) {
  shiny::moduleServer(id, function(input, output, session) {
    params <- shiny::reactive(filter_params(filters()))
    overall <- shiny::reactive({
      epoch()
      panel_data("funnel_breakdown", c(params(), list(split = "all")))
    })
    overall_prev <- shiny::reactive({
      epoch()
      if (!filters()$compare) return(NULL)
      panel_data("funnel_breakdown", c(filter_params(filters(), "previous"), list(split = "all")), allow_empty = TRUE)
    })
    kpis <- shiny::reactive(funnel_kpis(overall()))
    steps <- shiny::reactive(funnel_steps(overall()))

    output$kpis <- shiny::renderUI({
      k <- kpis()
      prev <- overall_prev()
      p <- if (is.null(prev) || !nrow(prev)) NULL else funnel_kpis(prev)
      change <- function(name) if (is.null(p)) NA else relative_change(k[[name]], p[[name]])
      note <- category_note(filters(), "the overall funnel and its device, country and source splits")
      htmltools::tagList(note, kpi_row(list(
        list(title = "Sessions", value = fmt_count(k$sessions), change = change("sessions")),
        list(
          title = "Conversion rate (sessions that purchased)", value = fmt_percent(k$conversion),
          change = change("conversion")
        ),
        list(title = "Cart abandonment", value = fmt_percent(k$cart_abandonment), change = change("cart_abandonment"),
          help = "sessions that added to cart and did not buy"),
        list(title = "Revenue", value = fmt_money(k$revenue), change = change("revenue"))
      )))
    })

    output$funnel_chart <- plotly::renderPlotly({
      s <- steps()
      p <- plotly::plot_ly(type = "funnel", y = s$Step, x = s$Sessions,
        textinfo = "value+percent initial", name = "Sessions")
      # First step on top, as a funnel reads.
      style_chart(p, "Sessions reaching each step (count, % of product viewers)", "Sessions", NULL,
        yaxis = list(categoryorder = "array", categoryarray = rev(s$Step), rangemode = NULL)
      )
    })
    output$steps_table <- DT::renderDT(panel_table(steps(), percent = c("Step conversion", "Overall conversion")))
    output$steps_csv <- csv_download("funnel-steps", steps)

    split_table <- shiny::reactive({
      epoch()
      split <- input$split %||% "device"
      label <- names(funnel_splits)[funnel_splits == split]
      df <- if (split == "category") {
        panel_data("funnel_by_category", params())
      } else {
        panel_data("funnel_breakdown", c(params(), list(split = split)))
      }
      funnel_segment_table(df, label)
    })
    output$split_chart <- plotly::renderPlotly({
      t <- utils::head(split_table(), 12)
      label <- names(t)[1]
      p <- plotly::plot_ly(x = t[[1]], y = t[["View to purchase"]] * 100, type = "bar", name = "View to purchase")
      p <- plotly::add_bars(p, y = t[["View to cart"]] * 100, name = "View to cart")
      style_chart(p, paste("Conversion by", tolower(label), "(% of product viewers)"), label, "%")
    })
    output$split_table <- DT::renderDT(panel_table(split_table(),
      money = "Revenue", percent = c("View to cart", "Cart to checkout", "Checkout to purchase", "View to purchase")))
    output$split_csv <- csv_download("funnel-by-segment", split_table)

    product_table <- shiny::reactive({
      epoch()
      df <- panel_data("funnel_by_product", params())
      df$segment <- df$product_name
      out <- funnel_segment_table(df, "Product")
      cbind(`Product id` = df$product_id, Category = df$category, out, stringsAsFactors = FALSE)
    })
    output$product_table <- DT::renderDT(panel_table(product_table(),
      money = "Revenue", percent = c("View to cart", "Cart to checkout", "Checkout to purchase", "View to purchase")))
    output$product_csv <- csv_download("funnel-by-product", product_table)

    list(kpis = kpis, steps = steps, split_table = split_table, product_table = product_table)
  })
}
