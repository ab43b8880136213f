# W5100S receive paths on garbage RX memory and received-size values. The driver and the unit tests' fake chip
# are compiled in, so both carry the fuzzer's coverage and sanitizers.
picohub_fuzz_target(fuzz_w5100s_receive
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_w5100s_receive.cpp
  ${PROJECT_SOURCE_DIR}/tests/unit/w5100s_fake_chip.cpp
  ${PROJECT_SOURCE_DIR}/src/drivers/w5100s/chip.cpp
  ${PROJECT_SOURCE_DIR}/src/drivers/w5100s/socket_buffer.cpp
  ${PROJECT_SOURCE_DIR}/src/drivers/w5100s/tcp_socket.cpp
  ${PROJECT_SOURCE_DIR}/src/drivers/w5100s/udp_socket.cpp)
target_include_directories(fuzz_w5100s_receive PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
target_link_libraries(fuzz_w5100s_receive PRIVATE picohub_common)
