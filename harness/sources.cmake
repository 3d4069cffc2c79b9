# harness/: wire protocol, engine, result model. The only home of
# libevent and OpenSSL.
target_sources(smtpsuite_core PRIVATE
  harness/b64.c
  harness/buf.c
  harness/bytes.c
  harness/clock.c
  harness/digest.c
  harness/duration.c
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
  harness/verdict.c
  harness/version.c
  harness/xalloc.c
)
