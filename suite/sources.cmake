# suite/: what to run: case language, targets, selection, the CLI.
target_sources(smtpsuite_core PRIVATE
  suite/case_expr.c
  suite/case_lex.c
  suite/case_parse.c
  suite/case_regex.c
  suite/case_stmt.c
  suite/cli.c
  suite/cli_check.c
  suite/cli_compare.c
  suite/cli_load.c
  suite/cli_merge.c
  suite/cli_run.c
  suite/cli_sink.c
  suite/cli_target.c
  suite/diag.c
  suite/load.c
  suite/load_judge.c
  suite/load_opts.c
  suite/load_print.c
  suite/manifest.c
  suite/merge.c
  suite/select.c
  suite/shard.c
  suite/target_file.c
  suite/threshold.c
  suite/verbs.c
)
