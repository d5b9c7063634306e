test_that("acquisition shows sessions, conversion and revenue per referrer and UTM dimension", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  shiny::testServer(mod_acquisition_server, args = module_args(test_filters()), {
    session$setInputs(dimension = "referrer")
    t <- table()
    expect_equal(sort(setNames(t$Sessions, t$`Referrer domain`)), sort(unlist(expected$referrer_sessions)))
    expect_equal(t$`Revenue per session`, safe_ratio(t$Revenue, t$Sessions))
    k <- kpis()
    expect_equal(k$sessions, expected$funnel$sessions)
    expect_equal(k$conversion, expected$funnel$purchased / expected$funnel$sessions)
    expect_equal(k$revenue, expected$funnel$revenue, tolerance = 1e-9)
    expect_match(output_text(output$kpis), fmt_money(expected$funnel$revenue), fixed = TRUE)
    for (dimension in c("source", "medium", "campaign", "device", "country")) {
      session$setInputs(dimension = dimension)
      expect_equal(sum(table()$Sessions), expected$funnel$sessions, info = dimension)
    }
    expect_match(output$sessions_chart, "conversion rate (%) by country", fixed = TRUE)
  })
})

test_that("a fresh warehouse shows 'no data yet' for acquisition", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_TEST_EMPTY_URL"))
  shiny::testServer(mod_acquisition_server, args = module_args(test_filters()), {
    session$setInputs(dimension = "referrer")
    expect_error(output$table, "No data yet", class = "shiny.silent.error")
  })
})

test_that("a category filter is said not to apply to acquisition figures", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  f <- normalize_filters(expected$date_from, expected$date_to, category = "laptops")
  shiny::testServer(mod_acquisition_server, args = module_args(f), {
    session$setInputs(dimension = "referrer")
    expect_match(output_text(output$kpis), "does not apply to acquisition figures", fixed = TRUE)
    expect_equal(kpis()$sessions, expected$funnel$sessions)
  })
})
