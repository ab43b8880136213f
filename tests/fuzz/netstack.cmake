# netstack reply parsers and client state machines under libFuzzer: DHCP, DNS and SNTP, one target each. The
# sources are compiled in so they carry the fuzzer's coverage and sanitizer instrumentation.
set(fuzz_netstack_sources
  ${PROJECT_SOURCE_DIR}/src/netstack/ipv4.cpp ${PROJECT_SOURCE_DIR}/src/netstack/dhcp_message.cpp
  ${PROJECT_SOURCE_DIR}/src/netstack/dhcp_client.cpp ${PROJECT_SOURCE_DIR}/src/netstack/dns_message.cpp
  ${PROJECT_SOURCE_DIR}/src/netstack/dns_resolver.cpp ${PROJECT_SOURCE_DIR}/src/netstack/sntp_message.cpp
  ${PROJECT_SOURCE_DIR}/src/netstack/sntp_client.cpp)
foreach(target fuzz_netstack_dhcp fuzz_netstack_dns fuzz_netstack_sntp)
  picohub_fuzz_target(${target} ${CMAKE_CURRENT_LIST_DIR}/${target}.cpp ${fuzz_netstack_sources})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PRIVATE picohub_common)
  picohub_strict(${target})
endforeach()
