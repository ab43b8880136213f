# netstack reply parsers and client state machines under libFuzzer: DHCP, DNS and SNTP, one target each.
foreach(target fuzz_netstack_dhcp fuzz_netstack_dns fuzz_netstack_sntp)
  picohub_fuzz_target(${target} ${CMAKE_CURRENT_LIST_DIR}/${target}.cpp)
  target_link_libraries(${target} PRIVATE picohub_netstack)
endforeach()
