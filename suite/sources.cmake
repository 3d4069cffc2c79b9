# suite/: what to run: case language, targets, selection, the CLI.
target_sources(smtpsuite_core PRIVATE
  suite/cli.c
  suite/cli_check.c
  suite/cli_compare.c
  suite/cli_load.c
  suite/cli_merge.c
  suite/cli_run.c
  suite/cli_sink.c
  suite/threshold.c
  suite/verbs.c
)
