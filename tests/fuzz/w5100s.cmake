# W5100S receive paths on garbage RX memory and received-size values: the driver library, and the unit tests'
# fake chip compiled in (it is test code, in no library).
picohub_fuzz_target(fuzz_w5100s_receive
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_w5100s_receive.cpp
  ${PROJECT_SOURCE_DIR}/tests/unit/w5100s_fake_chip.cpp)
target_include_directories(fuzz_w5100s_receive PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
target_link_libraries(fuzz_w5100s_receive PRIVATE picohub_w5100s)
