# mqtt core: byte-exact encodings, malformed input, and Session scenarios driven by injected bytes and time.
file(GLOB mqtt_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/mqtt_*.cpp)
picohub_unit_test(mqtt_tests ${mqtt_test_sources})
target_link_libraries(mqtt_tests PRIVATE picohub_mqtt)
