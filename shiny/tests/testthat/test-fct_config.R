test_that("a libpq URL becomes dbConnect arguments, percent-escapes decoded", {
  args <- parse_database_url("postgresql://clickstream_reader:p%40ss%2Fw@db.internal:6543/click%20stream?sslmode=require&x=1")
  expect_equal(args$user, "clickstream_reader")
  expect_equal(args$password, "p@ss/w")
  expect_equal(args$host, "db.internal")
  expect_equal(args$port, 6543L)
  expect_equal(args$dbname, "click stream")
  expect_equal(args$sslmode, "require")
  expect_null(args$x)
})

test_that("a URL without password or port is accepted", {
  args <- parse_database_url("postgres://reader@localhost/clickstream")
  expect_equal(args$user, "reader")
  expect_null(args$password)
  expect_null(args$port)
})

test_that("a malformed URL is a clear error", {
  expect_error(parse_database_url("mysql://x@y/z"), "DASHBOARD_DATABASE_URL must look like")
  expect_error(parse_database_url(NA_character_), "DASHBOARD_DATABASE_URL")
})

test_that("without DASHBOARD_DATABASE_URL the PG* variables are used", {
  config <- dashboard_config(list(PGHOST = "10.0.0.5", PGPORT = "5433", PGUSER = "clickstream_reader",
    PGPASSWORD = "pw", PGDATABASE = "warehouse", DASHBOARD_CACHE_SECONDS = "30"))
  expect_equal(config$db, list(host = "10.0.0.5", port = 5433L, user = "clickstream_reader",
    password = "pw", dbname = "warehouse"))
  expect_equal(config$cache_seconds, 30)
  expect_equal(dashboard_config(list())$db$dbname, "clickstream")
})

test_that("the URL wins over PG* variables", {
  config <- dashboard_config(list(DASHBOARD_DATABASE_URL = "postgresql://a:b@h:1/d", PGHOST = "other"))
  expect_equal(config$db$host, "h")
})

test_that("the vendored plotly.js is 2.x and replaces Debian's 1.x in every chart", {
  dep <- plotly_js_dependency(default_plotly_js())
  expect_match(dep$version, "^2\\.")
  p <- style_chart(plotly::plot_ly(x = 1:3, y = 1:3, type = "scatter", mode = "lines"), "t (count)")
  names <- vapply(p$dependencies, function(d) d$name, "")
  expect_equal(sum(names == "plotly-main"), 1L)
  main <- p$dependencies[[which(names == "plotly-main")]]
  expect_equal(main$version, dep$version)
  expect_false("typedarray" %in% names)
})

test_that("the date picker is the vendored upstream one", {
  input <- date_range_input("d", "Dates")
  deps <- Filter(function(d) is.list(d) && identical(d$name, "bootstrap-datepicker-js"), htmltools::htmlDependencies(input))
  expect_length(deps, 1L)
  expect_match(deps[[1]]$src$file, "node_modules/bootstrap-datepicker")
})
