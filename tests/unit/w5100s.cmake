# W5100S driver against an in-test fake chip (register file, socket state machine, rings, UDP framing).
# picohub_unit_test() plus a "w5100s." test-name prefix, so `ctest -R w5100s` selects exactly these tests.
file(GLOB w5100s_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/w5100s_*.cpp)
add_executable(w5100s_tests ${w5100s_test_sources})
target_link_libraries(w5100s_tests PRIVATE picohub_w5100s GTest::gtest_main GTest::gmock)
picohub_strict(w5100s_tests)
gtest_discover_tests(w5100s_tests TEST_PREFIX "w5100s." DISCOVERY_TIMEOUT 30)
