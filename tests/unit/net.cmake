# src/net unit tests: trust store, CA loading, error mapping, TLS over an in-memory Transport.
picohub_unit_test(net_unit_tests net_trust_store_test.cpp net_tls_memory_test.cpp net_posix_tcp_test.cpp)
target_link_libraries(net_unit_tests PRIVATE picohub_net)
