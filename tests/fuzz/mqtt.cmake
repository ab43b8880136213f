# mqtt core under libFuzzer: decode() and Session::receive() on arbitrary bytes. The core's sources are compiled
# into the target (not linked from picohub_mqtt) so they carry the fuzzer's coverage and sanitizer instrumentation.
picohub_fuzz_target(fuzz_mqtt_decoder
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_mqtt_decoder.cpp
  ${PROJECT_SOURCE_DIR}/src/mqtt/packet.cpp
  ${PROJECT_SOURCE_DIR}/src/mqtt/codec.cpp
  ${PROJECT_SOURCE_DIR}/src/mqtt/session.cpp)
target_link_libraries(fuzz_mqtt_decoder PRIVATE picohub_common)
