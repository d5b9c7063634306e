# `make lint` for the R code: lintr with shiny/.lintr when r-cran-lintr is installed,
# else at least every file must parse. Exits 1 on any finding.
files <- c(
  list.files("shiny", pattern = "\\.R$", recursive = TRUE, full.names = TRUE)
)
files <- files[!grepl("node_modules", files, fixed = TRUE)]
problems <- 0L
for (file in files) {
  parsed <- tryCatch({
    parse(file)
    TRUE
  }, error = function(e) {
    message(file, ": ", conditionMessage(e))
    FALSE
  })
  if (!parsed) problems <- problems + 1L
}
if (requireNamespace("lintr", quietly = TRUE)) {
  old <- setwd("shiny")
  found <- lintr::lint_dir(".", exclusions = list("node_modules"))
  setwd(old)
  if (length(found)) {
    print(found)
    problems <- problems + length(found)
  }
  cat("lintr:", length(found), "finding(s) in", length(files), "R files\n")
} else {
  cat("!!! r-cran-lintr is not installed: R files only parsed (", length(files), ")\n")
}
quit(status = if (problems > 0L) 1L else 0L)
