# The page: a navbar with one tab per module, the global filters above every tab,
# and the database banner. The URL's query string sets the initial state (bookmarks).

module_titles <- c(
  traffic = "Traffic & engagement", funnels = "Funnels", products = "Product performance",
  acquisition = "Acquisition", reliability = "Reliability"
)

app_ui <- function(request) {
  state <- filters_from_query(request$QUERY_STRING %||% "")
  bslib::page_navbar(
    title = "Clickstream dashboards",
    id = "tab",
    selected = state$tab,
    theme = dashboard_theme(),
    header = htmltools::tagList(
      htmltools::tags$head(
        plotly_js_dependency(),
        htmltools::tags$style(htmltools::HTML(paste(
          ".kpi-card .kpi-value{font-size:1.5rem;font-weight:600}",
          ".kpi-change{color:#555}",
          ".shiny-output-error-validation{color:#6c757d;font-style:italic;padding:1rem;",
          "border:1px dashed #ced4da;border-radius:.5rem;background:#f8f9fa}",
          ".filters .form-group{margin-bottom:0}",
          "#db_banner .alert{margin:0 0 1rem 0}"
        )))
      ),
      htmltools::div(class = "container-fluid pt-3",
        shiny::uiOutput("db_banner"),
        mod_filters_ui("filters", state)
      )
    ),
    bslib::nav(module_titles[["traffic"]], value = "traffic", mod_traffic_ui("traffic")),
    bslib::nav(module_titles[["funnels"]], value = "funnels", mod_funnels_ui("funnels")),
    bslib::nav(module_titles[["products"]], value = "products", mod_products_ui("products")),
    bslib::nav(module_titles[["acquisition"]], value = "acquisition", mod_acquisition_ui("acquisition")),
    bslib::nav(module_titles[["reliability"]], value = "reliability", mod_reliability_ui("reliability"))
  )
}
