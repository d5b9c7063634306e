# Product performance: impressions, clicks, CTR, views, add-to-cart rate, purchases,
# units, revenue by product, category, device and country; the least-viewed products
# (zero-view catalogue products included); search terms and zero-result searches.

product_splits <- c("Category" = "category", "Device type" = "device", "Country" = "country")

mod_products_ui <- function(id) {
  ns <- shiny::NS(id)
  htmltools::tagList(
    shiny::uiOutput(ns("kpis")),
    bslib::layout_column_wrap(
      width = 1 / 2, fill = FALSE,
      panel_card("Revenue and views by segment", htmltools::tagList(
        shiny::radioButtons(ns("split"), NULL, choices = product_splits, inline = TRUE),
        plotly::plotlyOutput(ns("segment_chart"), height = "300px"),
        DT::DTOutput(ns("segment_table"))
      ), download_id = ns("segment_csv")),
      panel_card("Products with the least attention (fewest views, none included)",
        DT::DTOutput(ns("least_table")), download_id = ns("least_csv"))
    ),
    panel_card("Products", DT::DTOutput(ns("product_table")), download_id = ns("product_csv")),
    bslib::layout_column_wrap(
      width = 1 / 2, fill = FALSE,
      panel_card("Top search terms", plotly::plotlyOutput(ns("search_chart"), height = "320px")),
      panel_card("Search terms", DT::DTOutput(ns("search_table")), download_id = ns("search_csv"))
    )
  )
}

mod_products_server <- function(id, filters, epoch) {
  shiny::moduleServer(id, function(input, output, session) {
    params <- shiny::reactive(filter_params(filters()))
    products <- shiny::reactive({
      epoch()
      panel_data("product_performance", params())
    })
    products_prev <- shiny::reactive({
      epoch()
      if (!filters()$compare) return(NULL)
      panel_data("product_performance", filter_params(filters(), "previous"), allow_empty = TRUE)
    })
    kpis <- shiny::reactive(product_kpis(products()))
    output$kpis <- shiny::renderUI({
      k <- kpis()
      prev <- products_prev()
      p <- if (is.null(prev)) NULL else product_kpis(prev)
      change <- function(name) if (is.null(p)) NA else relative_change(k[[name]], p[[name]])
      kpi_row(list(
        list(title = "List impressions", value = fmt_count(k$impressions), change = change("impressions")),
        list(title = "Click-through rate (clicks / impressions)", value = fmt_percent(k$ctr), change = change("ctr")),
        list(title = "Product views", value = fmt_count(k$views), change = change("views")),
        list(title = "Add-to-cart rate (carts / views)", value = fmt_percent(k$cart_rate), change = change("cart_rate")),
        list(title = "Units sold", value = fmt_count(k$units), change = change("units")),
        list(title = "Revenue", value = fmt_money(k$revenue), change = change("revenue"))
      ))
    })

    table <- shiny::reactive(product_table(products()))
    output$product_table <- DT::renderDT(panel_table(table(), money = "Revenue", percent = c("CTR", "Add-to-cart rate")))
    output$product_csv <- csv_download("products", table)

    segments <- shiny::reactive({
      epoch()
      split <- input$split %||% "category"
      label <- names(product_splits)[product_splits == split]
      product_table(panel_data("product_segments", c(params(), list(split = split))), label)
    })
    output$segment_chart <- plotly::renderPlotly({
      s <- segments()
      label <- names(s)[1]
      p <- plotly::plot_ly(x = s[[1]], y = s$Revenue, type = "bar", name = "Revenue (USD)")
      p <- plotly::add_trace(p,
        y = s$Views, type = "scatter", mode = "markers+lines",
        name = "Product views (count)", yaxis = "y2"
      )
      p <- plotly::layout(p, yaxis2 = list(overlaying = "y", side = "right", title = "Views", rangemode = "tozero"))
      style_chart(p, paste("Revenue (USD) and product views (count) by", tolower(label)), label, "Revenue (USD)")
    })
    output$segment_table <- DT::renderDT(panel_table(segments(), money = "Revenue", percent = c("CTR", "Add-to-cart rate")))
    output$segment_csv <- csv_download("products-by-segment", segments)

    least <- shiny::reactive({
      epoch()
      df <- panel_data("product_least_viewed", params())
      data.frame(`Product id` = df$product_id, Product = df$product_name, Category = df$category,
        Views = as.numeric(df$views), Impressions = as.numeric(df$impressions),
        `In catalogue` = as.logical(df$in_catalog), check.names = FALSE, stringsAsFactors = FALSE)
    })
    output$least_table <- DT::renderDT(panel_table(least()))
    output$least_csv <- csv_download("least-viewed-products", least)

    searches <- shiny::reactive({
      epoch()
      search_table(panel_data("product_search_terms", params()))
    })
    output$search_chart <- plotly::renderPlotly({
      s <- utils::head(searches(), 10)
      p <- plotly::plot_ly(y = stats::reorder(s[["Search term"]], s$Searches), x = s$Searches - s[["Zero-result searches"]],
        type = "bar", orientation = "h", name = "With results")
      p <- plotly::add_bars(p, x = s[["Zero-result searches"]], name = "No results")
      p <- plotly::layout(p, barmode = "stack")
      style_chart(p, "Top 10 search terms (searches, count)", "Searches", NULL)
    })
    output$search_table <- DT::renderDT(panel_table(searches(), percent = "Zero-result share"))
    output$search_csv <- csv_download("search-terms", searches)

    list(kpis = kpis, table = table, segments = segments, least = least, searches = searches)
  })
}
