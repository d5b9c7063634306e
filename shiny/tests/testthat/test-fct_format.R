test_that("numbers are formatted for people", {
  expect_equal(fmt_count(c(1234567, NA)), c("1,234,567", "\u2014"))
  expect_equal(fmt_percent(0.1234), "12.3 %")
  expect_equal(fmt_money(1234.5), "1,234.50 USD")
  expect_equal(fmt_duration_ms(c(4200, 65000, NA)), c("4.2 s", "1 min 05 s", "\u2014"))
  expect_equal(fmt_change(0.125), "\u25b2 +12.5 % vs previous period")
  expect_equal(fmt_change(NA), "")
})
