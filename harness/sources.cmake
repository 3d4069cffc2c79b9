# harness/: wire protocol, engine, result model. The only home of
# libevent and OpenSSL. One file a line, sorted.
target_sources(smtpsuite_core PRIVATE
  harness/b64.c
  harness/buf.c
  harness/bytes.c
  harness/clock.c
  harness/conn.c
  harness/digest.c
  harness/duration.c
  harness/engine.c
  harness/hist.c
  harness/msggen.c
  harness/prog.c
  harness/reply.c
  harness/result.c
  harness/sasl_client.c
  harness/sasl_crypto.c
  harness/sasl_oauth.c
  harness/sasl_scram.c
  harness/sasl_server.c
  harness/sasl_server_oauth.c
  harness/sasl_server_scram.c
  harness/sasl_users.c
  harness/session.c
  harness/session_judge.c
  harness/sink.c
  harness/sink_fault.c
  harness/sink_log.c
  harness/sink_profile.c
  harness/sink_proto.c
  harness/target.c
  harness/tls.c
  harness/tls_server.c
  harness/verdict.c
  harness/version.c
  harness/xalloc.c
)
