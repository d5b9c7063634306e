test_that("products show impressions, clicks, CTR, views, units and revenue of the events", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  e <- expected$products
  shiny::testServer(mod_products_server, args = module_args(test_filters()), {
    session$setInputs(split = "category")
    k <- kpis()
    expect_equal(k$impressions, e$impressions)
    expect_equal(k$views, e$views)
    expect_equal(k$ctr, e$list_clicks / e$impressions)
    expect_equal(k$cart_rate, e$add_to_carts / e$views)
    expect_equal(k$units, e$units_sold)
    expect_equal(k$revenue, e$revenue, tolerance = 1e-9)
    shown <- output_text(output$kpis)
    expect_match(shown, fmt_count(e$impressions), fixed = TRUE)
    expect_match(shown, fmt_percent(e$list_clicks / e$impressions), fixed = TRUE)
    t <- table()
    expect_equal(nrow(t), e$count)
    expect_equal(sum(t$Views), e$views)
    expect_equal(t$CTR, safe_ratio(t$Clicks, t$Impressions))
    # segments add up to the same totals, by category and by device
    expect_equal(sum(segments()$Revenue), e$revenue, tolerance = 1e-9)
    session$setInputs(split = "device")
    expect_equal(sum(segments()$Views), e$views)
    expect_match(output$segment_chart, "by device type", fixed = TRUE)
    # least viewed: fewest views first
    least <- least()
    expect_equal(least$Views, sort(least$Views))
    # search terms and zero-result searches
    s <- searches()
    expect_equal(sum(s$Searches), expected$searches$total)
    expect_equal(sum(s$`Zero-result searches`), expected$searches$zero_results)
    expect_gt(expected$searches$zero_results, 0)
  })
})

test_that("a fresh warehouse shows 'no data yet' for products", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_TEST_EMPTY_URL"))
  shiny::testServer(mod_products_server, args = module_args(test_filters()), {
    session$setInputs(split = "category")
    expect_error(output$product_table, "No data yet", class = "shiny.silent.error")
    expect_error(output$search_table, "No data yet", class = "shiny.silent.error")
  })
})
