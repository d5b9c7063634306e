test_that("an unreachable database raises the 'unavailable' condition and is not hammered", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_TEST_DEAD_URL"))
  expect_error(db_get_query("select 1"), class = "dashboard_db_unavailable")
  expect_false(db_status()$up)
  expect_match(db_status()$reason, "could not connect|failed|refused", ignore.case = TRUE)
  # Within the retry interval no new attempt is made: the same condition comes at once.
  expect_error(db_get_query("select 1"), "warehouse unavailable", class = "dashboard_db_unavailable")
  expect_false(db_ping())
})

test_that("panels show a grey 'unavailable' message, never an R error", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_TEST_DEAD_URL"))
  shiny::testServer(mod_traffic_server, args = module_args(test_filters()), {
    expect_error(daily(), "warehouse database is unavailable", class = "shiny.silent.error")
  })
})

test_that("an SQL error is not mistaken for a dead database", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  err <- tryCatch(db_get_query("select * from no_such_table"), error = function(e) e)
  expect_false(inherits(err, "dashboard_db_unavailable"))
  expect_match(conditionMessage(err), "no_such_table")
  expect_true(db_ping())
})

test_that("the reader role cannot write", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  rights <- db_get_query(paste(
    "select has_table_privilege(current_user, 'agg_traffic_daily', 'INSERT') as can_insert,",
    "has_table_privilege(current_user, 'fact_events', 'DELETE') as can_delete,",
    "has_table_privilege(current_user, 'agg_traffic_daily', 'SELECT') as can_read"
  ))
  expect_false(rights$can_insert)
  expect_false(rights$can_delete)
  expect_true(rights$can_read)
})

test_that("the connection comes back by itself after the database restarts", {
  need_warehouse()
  use_database(Sys.getenv("DASHBOARD_DATABASE_URL"))
  before <- db_get_query("select pg_backend_pid() as pid")$pid
  status <- system(Sys.getenv("DASHBOARD_TEST_RESTART_CMD"), ignore.stdout = TRUE, ignore.stderr = TRUE)
  expect_equal(status, 0L)
  after <- db_get_query("select pg_backend_pid() as pid, 1 as ok")
  expect_equal(after$ok, 1L)
  expect_false(identical(after$pid, before))
  expect_true(db_status()$up)
})
