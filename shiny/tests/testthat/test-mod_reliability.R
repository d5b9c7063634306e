test_that("the freshness verdict follows the objective", {
  expect_equal(freshness_verdict(30, 120), "met")
  expect_equal(freshness_verdict(121, 120), "missed")
  expect_equal(freshness_verdict(NA, 120), "unknown")
})

test_that("reliability shows the ETL run that loaded the events and the status figures", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  run_rows <- db_get_query("select status, rows_inserted, started_at::date::text as day from etl_runs")
  f <- normalize_filters(min(as.Date(run_rows$day)), max(as.Date(run_rows$day)))
  shiny::testServer(mod_reliability_server, args = module_args(f), {
    t <- table()
    expect_equal(nrow(t), nrow(run_rows))
    expect_true("succeeded" %in% t$Status)
    expect_equal(sum(t$`Rows inserted`), expected$events_loaded)
    k <- kpis()
    expect_false(is.na(k$freshness_minutes))
    expect_equal(k$verdict, freshness_verdict(k$freshness_minutes, k$objective_minutes))
    shown <- output_text(output$kpis)
    expect_match(shown, "Data freshness", fixed = TRUE)
    expect_match(shown, if (k$verdict == "met") "objective met" else "OBJECTIVE MISSED", fixed = TRUE)
    expect_match(output$runs_chart, "ETL run duration (seconds)", fixed = TRUE)
  })
})

test_that("a fresh warehouse says no run happened yet", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_TEST_EMPTY_URL"))
  shiny::testServer(mod_reliability_server, args = module_args(test_filters()), {
    expect_equal(kpis()$verdict, "unknown")
    expect_match(output_text(output$kpis), "no successful run yet", fixed = TRUE)
    expect_error(output$runs_table, "No data yet", class = "shiny.silent.error")
  })
})
