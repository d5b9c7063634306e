# Funnels: step counts into conversion and drop-off (no Shiny here).

funnel_step_names <- c(
  product_viewed = "Viewed a product", added_to_cart = "Added to cart",
  checked_out = "Checked out", purchased = "Purchased"
)

#' One funnel (a row with the four step columns) as a table of steps: sessions,
#' conversion from the previous step, drop-off, and conversion from the first step.
funnel_steps <- function(row) {
  counts <- vapply(names(funnel_step_names), function(step) as.numeric(row[[step]][1]), numeric(1))
  previous <- c(NA, counts[-length(counts)])
  data.frame(
    Step = unname(funnel_step_names),
    Sessions = unname(counts),
    `Step conversion` = unname(c(NA, safe_ratio(counts[-1], counts[-length(counts)]))),
    `Drop-off` = unname(ifelse(is.na(previous), NA, previous - counts)),
    `Overall conversion` = unname(safe_ratio(counts, counts[1])),
    check.names = FALSE, stringsAsFactors = FALSE
  )
}

#' A breakdown (one row per segment) with the step conversions as columns.
funnel_segment_table <- function(df, label = "Segment") {
  num <- function(col) if (col %in% names(df)) as.numeric(df[[col]]) else rep(NA_real_, nrow(df))
  out <- data.frame(
    Segment = df$segment,
    Sessions = num("sessions"),
    `Viewed a product` = num("product_viewed"),
    `Added to cart` = num("added_to_cart"),
    `Checked out` = num("checked_out"),
    Purchased = num("purchased"),
    `View to cart` = safe_ratio(num("added_to_cart"), num("product_viewed")),
    `Cart to checkout` = safe_ratio(num("checked_out"), num("added_to_cart")),
    `Checkout to purchase` = safe_ratio(num("purchased"), num("checked_out")),
    `View to purchase` = safe_ratio(num("purchased"), num("product_viewed")),
    Revenue = num("revenue"),
    check.names = FALSE, stringsAsFactors = FALSE
  )
  names(out)[1] <- label
  if (all(is.na(out$Sessions))) out$Sessions <- NULL
  out
}

#' Funnel KPIs of one overall row.
funnel_kpis <- function(row) {
  n <- function(col) as.numeric(row[[col]][1])
  list(
    sessions = n("sessions"),
    conversion = safe_ratio(n("purchased"), n("sessions")),
    view_to_purchase = safe_ratio(n("purchased"), n("product_viewed")),
    cart_abandonment = safe_ratio(n("abandoned_carts"), n("added_to_cart")),
    orders = n("orders"),
    revenue = n("revenue")
  )
}
