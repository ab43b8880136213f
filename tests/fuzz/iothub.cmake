# iothub parsers under libFuzzer: connection string, SAS token parse + verify, property-bag reader + decode,
# url decode/encode round trip, C2D topic parser, username parser, classifiers, and DeviceClient::receive().
# Sources are compiled into the target so they carry the fuzzer's coverage and sanitizer instrumentation.
file(GLOB fuzz_iothub_core_sources ${PROJECT_SOURCE_DIR}/src/iothub/*.cpp)
picohub_fuzz_target(fuzz_iothub_parsers
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_iothub_parsers.cpp
  ${fuzz_iothub_core_sources}
  ${PROJECT_SOURCE_DIR}/src/mqtt/packet.cpp
  ${PROJECT_SOURCE_DIR}/src/mqtt/codec.cpp
  ${PROJECT_SOURCE_DIR}/src/mqtt/session.cpp)
target_include_directories(fuzz_iothub_parsers PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(fuzz_iothub_parsers PRIVATE picohub_common MbedTLS::mbedcrypto)
picohub_strict(fuzz_iothub_parsers)
