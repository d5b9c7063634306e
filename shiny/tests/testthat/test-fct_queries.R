test_that("parameters become SQL literals the way psycopg2 adapts them", {
  expect_equal(sql_literal("O'Brien"), "'O''Brien'")
  expect_equal(sql_literal("a\\b"), "'a\\b'")
  expect_equal(sql_literal(as.Date("2026-11-20")), "'2026-11-20'::date")
  expect_equal(sql_literal(NULL), "null")
  expect_equal(sql_literal(TRUE), "true")
  expect_equal(sql_literal(42), "42")
  expect_equal(sql_literal(sql_array(c("x", "y'z"))), "array['x', 'y''z']::text[]")
  expect_equal(sql_literal(sql_array(character(0))), "'{}'::text[]")
  expect_error(sql_literal(c("a", "b")), "one value or sql_array")
  expect_error(sql_literal(Inf), "finite")
})

test_that("named parameters are bound, %% stays a percent, a missing one is an error", {
  sql <- "select %(a)s, %(b)s, %(a)s where x like 'y%%'"
  expect_equal(bind_named(sql, list(a = 1, b = "t")), "select 1, 't', 1 where x like 'y%'")
  expect_error(bind_named(sql, list(a = 1)), "without a value: b")
})

test_that("an unknown or malformed query name is an error, not a path", {
  expect_error(query_sql("../../etc/passwd"), "bad query name")
  expect_error(query_sql("no_such_panel", dirs = tempdir()), "no query file")
})

test_that("every panel query of sql/queries runs as the reader role", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  params <- c(filter_params(test_filters()), list(split = "device", dimension = "referrer", from_path = "/"))
  files <- list.files(file.path(dirname(app_root), "sql", "queries"), pattern = "\\.sql$")
  expect_gte(length(files), 15L)
  for (name in sub("\\.sql$", "", files)) {
    df <- panel_query(name, params)
    expect_s3_class(df, "data.frame")
  }
})

test_that("results are cached per (query, filters) and a hostile value stays a value", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  params <- filter_params(test_filters())
  first <- panel_query("traffic_summary", params)
  expect_true(memoise::has_cache(.db$cached_query)("traffic_summary", params[order(names(params))]))
  other <- params
  other$devices <- sql_array("x'); drop table fact_events; --")
  expect_false(memoise::has_cache(.db$cached_query)("traffic_summary", other[order(names(other))]))
  expect_equal(panel_query("traffic_summary", other)$sessions, 0)
  expect_equal(panel_query("traffic_summary", params), first)
})
