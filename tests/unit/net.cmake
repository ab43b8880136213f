# src/net unit tests: trust store, CA loading, error mapping, TLS over an in-memory Transport.
picohub_unit_test(net_unit_tests net_trust_store_test.cpp net_tls_memory_test.cpp net_posix_tcp_test.cpp)
target_link_libraries(net_unit_tests PRIVATE picohub_net)

# The configure step must stop with an actionable message when ca-certificates is missing: run the trust-store
# generator in script mode against an empty directory and check what it says.
set(net_trust_store_driver ${CMAKE_CURRENT_BINARY_DIR}/net_trust_store_missing.cmake)
file(WRITE ${net_trust_store_driver}
  "include(${CMAKE_SOURCE_DIR}/src/net/trust_store.cmake)\n"
  "picohub_generate_trust_store(${CMAKE_CURRENT_BINARY_DIR}/net_trust_store_missing.cpp)\n")
add_test(NAME NetTrustStore.MissingCaCertificatesFailsTheConfigureWithAHint
         COMMAND ${CMAKE_COMMAND} -DPICOHUB_TRUST_STORE_DIR=${CMAKE_CURRENT_BINARY_DIR}/no-such-dir -P ${net_trust_store_driver})
set_tests_properties(NetTrustStore.MissingCaCertificatesFailsTheConfigureWithAHint PROPERTIES
  PASS_REGULAR_EXPRESSION "which is missing"
  TIMEOUT 30)

# TlsContext's client certificate checks (X.509 devices), with certificates made by the hub's mbedTLS maker.
picohub_unit_test(net_client_cert_tests net_tls_client_cert_test.cpp)
target_link_libraries(net_client_cert_tests PRIVATE picohub_net picohub_hub_core)
