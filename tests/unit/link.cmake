# link: DeviceLink's reconnect schedule (back-off growth and cap; a schedule that survives short deadlines).
file(GLOB link_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/link_*.cpp)
picohub_unit_test(link_tests ${link_test_sources})
target_link_libraries(link_tests PRIVATE picohub_link)
