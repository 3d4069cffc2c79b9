# reports/: writers fed with finished results (and the JSON reader).
target_sources(smtpsuite_core PRIVATE
  reports/atomic.c
  reports/console.c
  reports/json.c
  reports/versions.c
)
