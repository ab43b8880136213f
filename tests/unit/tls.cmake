# src/tls without a network: board gmtime, EntropyDrbg with a failing source, config refusals, device ClientHello.
file(GLOB tls_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/tls_*.cpp)
picohub_unit_test(tls_unit_tests ${tls_test_sources})
target_link_libraries(tls_unit_tests PRIVATE picohub_tls)
