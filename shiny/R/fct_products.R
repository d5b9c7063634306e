# Product performance: rates and display tables (no Shiny here).

#' Products (or segments) with CTR = clicks / impressions and add-to-cart rate = carts / views.
product_table <- function(df, label = "Product") {
  n <- function(col) as.numeric(df[[col]])
  out <- data.frame(
    Name = if ("product_name" %in% names(df)) df$product_name else df$segment,
    Impressions = n("impressions"),
    Clicks = n("list_clicks"),
    CTR = safe_ratio(n("list_clicks"), n("impressions")),
    Views = n("views"),
    `Add-to-cart rate` = safe_ratio(n("add_to_carts"), n("views")),
    Purchases = n("purchases"),
    Units = n("units_sold"),
    Revenue = n("revenue"),
    check.names = FALSE, stringsAsFactors = FALSE
  )
  names(out)[1] <- label
  if ("product_id" %in% names(df)) {
    out <- cbind(`Product id` = df$product_id, out[1], Category = df$category, out[-1], stringsAsFactors = FALSE)
  }
  out
}

product_kpis <- function(df) {
  list(
    impressions = col_sum(df, "impressions"),
    ctr = safe_ratio(col_sum(df, "list_clicks"), col_sum(df, "impressions")),
    views = col_sum(df, "views"),
    cart_rate = safe_ratio(col_sum(df, "add_to_carts"), col_sum(df, "views")),
    units = col_sum(df, "units_sold"),
    revenue = col_sum(df, "revenue")
  )
}

search_table <- function(df) {
  data.frame(
    `Search term` = df$search_term,
    Searches = as.numeric(df$searches),
    `Zero-result searches` = as.numeric(df$zero_result_searches),
    `Zero-result share` = safe_ratio(as.numeric(df$zero_result_searches), as.numeric(df$searches)),
    Sessions = as.numeric(df$sessions),
    check.names = FALSE, stringsAsFactors = FALSE
  )
}
