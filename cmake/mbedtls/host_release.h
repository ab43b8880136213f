/* picohub's changes to mbedTLS 3.6's default configuration for the host build (scripts/mbedtls.sh).
 * Included after the default mbedtls_config.h (MBEDTLS_USER_CONFIG_FILE) and appended to the installed copy of
 * it, so the library and every user of .deps/mbedtls/host see the same settings. Editing this file changes the
 * stamp in scripts/mbedtls.sh, so `./run setup` rebuilds the host library.
 *
 * A release build carries no facility nobody calls:
 * - MBEDTLS_DEBUG_C: nothing in picohub installs a debug callback (mbedtls_ssl_conf_dbg); with it compiled in,
 *   every record still pays for mbedtls_debug_print_msg's argument checks (~0.45 k instructions per message in
 *   bench 1). Host tools report failures through tls::FailureInfo and mbedtls_strerror (MBEDTLS_ERROR_C stays).
 * - MBEDTLS_SELF_TEST: the library's built-in known-answer tests; picohub never runs them (its own tests do).
 */
#undef MBEDTLS_DEBUG_C
#undef MBEDTLS_SELF_TEST
