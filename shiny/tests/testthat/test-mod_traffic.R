test_that("traffic shows the sessions, visitors, page views, bounce rate and bots of the events", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  e <- expected$traffic
  shiny::testServer(mod_traffic_server, args = module_args(test_filters()), {
    session$setInputs(show_bots = TRUE, page_order = "page_views")
    k <- kpis()
    expect_equal(k$sessions, e$sessions)
    expect_equal(k$visitors, e$visitors)
    expect_equal(k$page_views, e$page_views)
    expect_equal(k$bounce_rate, e$bounce_rate)
    expect_equal(k$pages_per_session, e$pages_per_session)
    expect_equal(k$bot_sessions, expected$bot_sessions)
    expect_gt(k$bot_sessions, 0)
    # what the cards print
    shown <- output_text(output$kpis)
    expect_match(shown, fmt_count(e$sessions), fixed = TRUE)
    expect_match(shown, fmt_count(e$visitors), fixed = TRUE)
    expect_match(shown, fmt_percent(e$bounce_rate), fixed = TRUE)
    expect_match(shown, fmt_decimal(e$pages_per_session), fixed = TRUE)
    expect_match(shown, fmt_count(expected$bot_sessions), fixed = TRUE)
    # by day adds up; the chart is a plotly figure with its title and units
    expect_equal(sum(daily()$sessions), e$sessions)
    chart <- output$daily_chart
    expect_match(chart, "Sessions and visitors per day (count)", fixed = TRUE)
    expect_match(chart, "Bot sessions (excluded)", fixed = TRUE)
    expect_match(output$hourly_chart, "by hour of day", fixed = TRUE)
    # top pages and where visitors go next from the top page
    pages <- page_table()
    expect_equal(pages$Page[1], expected$top_page$path)
    expect_equal(pages$`Page views`[1], expected$top_page$page_views)
    expect_equal(sum(pages$`Page views`), e$page_views)
    session$setInputs(page_order = "entrances")
    expect_equal(sum(page_table()$`Landing (entrances)`), e$sessions)
    session$setInputs(from_path = expected$top_page$path)
    nxt <- next_pages()
    want <- unlist(expected$next_pages)
    want <- want[order(-want, names(want))]
    # the 20 most common next pages, most common first, with their exact counts
    expect_equal(nrow(nxt), min(20L, length(want)))
    expect_equal(nxt$Transitions, unname(want[seq_len(nrow(nxt))]))
    expect_equal(unname(want[nxt$`Next page`]), nxt$Transitions)
    expect_equal(sum(nxt$`Share of listed`), 1)
    expect_match(output$next_chart, "Most common next pages after", fixed = TRUE)
  })
})

test_that("a device filter narrows the traffic figures to that device", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  e <- expected$traffic_device
  shiny::testServer(mod_traffic_server, args = module_args(test_filters(device = expected$filter_device)), {
    expect_equal(kpis()$sessions, e$sessions)
    expect_equal(kpis()$visitors, e$visitors)
    expect_lt(kpis()$sessions, expected$traffic$sessions)
  })
})

test_that("compare-to-previous shows the previous period beside the current one", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  shiny::testServer(mod_traffic_server, args = module_args(test_filters(compare = TRUE)), {
    # the generated events start on the first day: the period before is empty
    expect_equal(kpis_prev()$sessions, 0)
    expect_equal(kpis()$sessions, expected$traffic$sessions)
  })
  f <- normalize_filters(as.Date(expected$date_to), as.Date(expected$date_to), compare = TRUE)
  shiny::testServer(mod_traffic_server, args = module_args(f), {
    session$setInputs(show_bots = FALSE)
    expect_gt(kpis_prev()$sessions, 0)
    expect_match(output_text(output$kpis), "vs previous period", fixed = TRUE)
    expect_match(output$daily_chart, "previous period", fixed = TRUE)
  })
})

test_that("a fresh warehouse shows 'no data yet', not errors", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_TEST_EMPTY_URL"))
  shiny::testServer(mod_traffic_server, args = module_args(test_filters()), {
    session$setInputs(show_bots = FALSE, page_order = "page_views")
    expect_match(output_text(output$kpis), "No data yet", fixed = TRUE)
    expect_error(output$daily_chart, "No data yet", class = "shiny.silent.error")
    expect_error(output$pages_table, "No data yet", class = "shiny.silent.error")
  })
})
