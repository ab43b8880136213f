# mqtt core under libFuzzer: decode() and Session::receive() on arbitrary bytes.
picohub_fuzz_target(fuzz_mqtt_decoder ${CMAKE_CURRENT_LIST_DIR}/fuzz_mqtt_decoder.cpp)
target_link_libraries(fuzz_mqtt_decoder PRIVATE picohub_mqtt)
