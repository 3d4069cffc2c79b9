# reports/: writers fed with finished results (and the JSON reader).
target_sources(smtpsuite_core PRIVATE
  reports/atomic.c
  reports/console.c
  reports/diff.c
  reports/html.c
  reports/json.c
  reports/junit.c
  reports/report.c
  reports/svg.c
  reports/text.c
  reports/versions.c
)
