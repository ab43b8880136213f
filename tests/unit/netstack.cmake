# netstack: DHCP, DNS and SNTP state machines driven by hand-built packets and fake time.
file(GLOB netstack_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/netstack_*.cpp)
picohub_unit_test(netstack_tests ${netstack_test_sources})
target_link_libraries(netstack_tests PRIVATE picohub_netstack)
# The suites are named after what they test (DhcpClientTest, DnsMessage, ...); this one entry runs the whole binary
# so `ctest -R netstack` selects it. It takes milliseconds, so the duplicate under a plain `ctest` costs nothing.
add_test(NAME netstack_all_unit_tests COMMAND netstack_tests --gtest_brief=1)
