/* fixtures: result models for the report tests and tests/tools/report_tool.
 * Every fixture is deterministic (fixed run id, times and version), so
 * what a writer makes of it can be compared byte for byte. */
#ifndef SMTPSUITE_FIXTURES_H
#define SMTPSUITE_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "harness/result.h"

/* Every verdict, three areas, TLS facts, markup in titles and reasons. */
struct result_run *fixture_mixed(void);
/* Hostile bytes: a server reply with every byte 0x00-0xff, overlong
 * UTF-8 (C0 80), a lone surrogate (ED A0 80), U+FFFE and a 1 MiB line;
 * the same bytes raw in titles, reasons, names and properties. */
struct result_run *fixture_hostile(void);
/* n cases shaped like a real conformance run (mostly PASS). */
struct result_run *fixture_big(size_t n);
/* A load run: histograms, errors.STEP.CODE counters, thresholds. */
struct result_run *fixture_load(void);
/* Two targets running the same cases. */
struct result_run *fixture_multi(void);
/* One case with verdict v (and category cat for ERROR). */
struct result_run *fixture_one(enum verdict v, enum errcat cat);
/* HdrHistogram's bucket index of value v (an oracle for reports/svg.c). */
uint32_t fixture_hdr_index(int64_t lowest, int sigfig, int64_t v);
/* By name: mixed, hostile, load, multi, big:N; NULL if unknown. */
struct result_run *fixture_by_name(const char *spec);

#endif
