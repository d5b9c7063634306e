test_that("the default range is the last 7 days, today included", {
  expect_equal(default_date_range(as.Date("2026-12-01")), as.Date(c("2026-11-25", "2026-12-01")))
})

test_that("the previous period has the same length and ends the day before", {
  expect_equal(previous_period("2026-11-25", "2026-12-01"), as.Date(c("2026-11-18", "2026-11-24")))
  expect_equal(previous_period("2026-12-01", "2026-12-01"), as.Date(c("2026-11-30", "2026-11-30")))
  expect_error(previous_period("2026-12-02", "2026-12-01"), "end on or after")
})

test_that("filters normalize: swapped dates, empty and duplicate selections", {
  f <- normalize_filters("2026-12-05", "2026-12-01", device = c("mobile", "", "mobile", NA))
  expect_equal(f$from, as.Date("2026-12-01"))
  expect_equal(f$to, as.Date("2026-12-05"))
  expect_equal(f$device, "mobile")
  expect_equal(f$country, character(0))
})

test_that("filters survive the URL round trip (bookmarks)", {
  f <- normalize_filters("2026-11-01", "2026-11-30", compare = TRUE,
    device = c("desktop", "mobile"), country = "DE", category = "laptops & notebooks")
  query <- filters_to_query(f, "funnels")
  expect_match(query, "^\\?tab=funnels&from=2026-11-01&to=2026-11-30&compare=1&device=desktop%2Cmobile")
  back <- filters_from_query(query)
  expect_equal(back$tab, "funnels")
  back$tab <- NULL
  expect_equal(back, f)
})

test_that("a malformed query string falls back to the defaults", {
  f <- filters_from_query("?from=yesterday&to=&tab=../etc&compare=yes", today = as.Date("2026-12-01"))
  expect_equal(c(f$from, f$to), default_date_range(as.Date("2026-12-01")))
  expect_equal(f$tab, "traffic")
  expect_false(f$compare)
})

test_that("filter parameters: empty selections are empty arrays (all)", {
  p <- filter_params(normalize_filters("2026-11-10", "2026-11-12", device = "mobile"), "previous")
  expect_equal(p$date_from, as.Date("2026-11-07"))
  expect_equal(p$date_to, as.Date("2026-11-09"))
  expect_equal(sql_literal(p$devices), "array['mobile']::text[]")
  expect_equal(sql_literal(p$countries), "'{}'::text[]")
})

test_that("ratios over nothing are unknown, not zero, and vectorize", {
  expect_equal(safe_ratio(c(1, 2, 3), 4), c(0.25, 0.5, 0.75))
  expect_equal(safe_ratio(c(1, 2), c(0, 4)), c(NA, 0.5))
  expect_equal(relative_change(120, 100), 0.2)
  expect_true(is.na(relative_change(5, 0)))
})
