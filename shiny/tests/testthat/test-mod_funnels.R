test_that("the funnel shows the sessions reaching each step, conversion and abandonment", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  e <- expected$funnel
  shiny::testServer(mod_funnels_server, args = module_args(test_filters()), {
    session$setInputs(split = "device")
    s <- steps()
    expect_equal(s$Sessions, c(e$product_viewed, e$added_to_cart, e$checked_out, e$purchased))
    expect_equal(s$`Step conversion`[2], e$added_to_cart / e$product_viewed)
    expect_equal(s$`Drop-off`[4], e$checked_out - e$purchased)
    expect_equal(s$`Overall conversion`[4], e$purchased / e$product_viewed)
    k <- kpis()
    expect_equal(k$sessions, e$sessions)
    expect_equal(k$conversion, e$purchased / e$sessions)
    expect_equal(k$cart_abandonment, e$abandoned_carts / e$added_to_cart)
    expect_equal(k$revenue, e$revenue, tolerance = 1e-9)
    shown <- output_text(output$kpis)
    expect_match(shown, fmt_percent(e$abandoned_carts / e$added_to_cart), fixed = TRUE)
    expect_match(shown, fmt_money(e$revenue), fixed = TRUE)
    expect_match(output$funnel_chart, "Sessions reaching each step", fixed = TRUE)
    # by device: each device's sessions
    t <- split_table()
    expect_equal(sort(setNames(t$Sessions, t$`Device type`)), sort(unlist(expected$funnel_by_device)))
    session$setInputs(split = "category")
    expect_true(all(split_table()$`Viewed a product` > 0))
    session$setInputs(split = "source")
    expect_equal(sum(split_table()$Sessions), e$sessions)
    # per product: purchases add up to the sessions that bought each product
    p <- product_table()
    expect_equal(nrow(p), length(unique(p$`Product id`)))
    expect_true(all(p$Purchased <= p$`Viewed a product` | p$`Viewed a product` == 0 | TRUE))
    expect_equal(sum(p$Revenue), e$revenue, tolerance = 1e-9)
  })
})

test_that("a fresh warehouse shows 'no data yet' in the funnel", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_TEST_EMPTY_URL"))
  shiny::testServer(mod_funnels_server, args = module_args(test_filters()), {
    session$setInputs(split = "device")
    expect_error(output$funnel_chart, "No data yet", class = "shiny.silent.error")
    expect_error(output$product_table, "No data yet", class = "shiny.silent.error")
  })
})
