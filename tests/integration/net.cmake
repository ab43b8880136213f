# src/net against a real, independent TLS peer (openssl s_server) on loopback. Certificates are generated with
# the openssl command at test time; the tests skip (GTEST_SKIP) only when openssl is absent.
add_executable(net_tests ${CMAKE_CURRENT_LIST_DIR}/net_tls_loopback_test.cpp)
target_link_libraries(net_tests PRIVATE picohub_net GTest::gtest_main)
picohub_strict(net_tests)
gtest_discover_tests(net_tests DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120 LABELS integration)
