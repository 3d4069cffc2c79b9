# harness/: wire protocol, engine, result model. The only home of
# libevent and OpenSSL.
target_sources(smtpsuite_core PRIVATE
  harness/buf.c
  harness/bytes.c
  harness/clock.c
  harness/digest.c
  harness/duration.c
  harness/reply.c
  harness/result.c
  harness/sink.c
  harness/sink_fault.c
  harness/sink_log.c
  harness/sink_profile.c
  harness/sink_proto.c
  harness/verdict.c
  harness/version.c
  harness/xalloc.c
)
