# netstack: DHCP, DNS and SNTP state machines driven by hand-built packets and fake time.
file(GLOB netstack_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/netstack_*.cpp)
picohub_unit_test(netstack_tests ${netstack_test_sources})
target_link_libraries(netstack_tests PRIVATE picohub_netstack)
