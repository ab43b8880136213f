# iothub core: SAS vectors (reference §2.3), url encoding, property bags, connection strings, topics, usernames,
# and DeviceClient scenarios driven by canned broker bytes.
file(GLOB iothub_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/iothub_*.cpp)
picohub_unit_test(iothub_tests ${iothub_test_sources})
target_link_libraries(iothub_tests PRIVATE picohub_iothub)
