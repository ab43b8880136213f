# src/tls driven directly (caller storage, device profile, EntropyDrbg) against a real mosquitto over TLS on
# loopback; certificates come from the openssl command at test time (skips when openssl or mosquitto is absent).
add_executable(tls_session_tests ${CMAKE_CURRENT_LIST_DIR}/tls_session_mosquitto_test.cpp)
target_link_libraries(tls_session_tests PRIVATE picohub_tls picohub_net picohub_mqtt picohub_device GTest::gtest_main)
picohub_strict(tls_session_tests)
gtest_discover_tests(tls_session_tests DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120 LABELS integration)
