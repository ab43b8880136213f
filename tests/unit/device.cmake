# device core: connection supervisor (fake time), pump step (in-memory transport + canned broker bytes), tutorial
# application (console lines, JSON body, over-size C2D) and the fixed-point formatter.
file(GLOB device_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/device_*.cpp)
picohub_unit_test(device_tests ${device_test_sources})
target_link_libraries(device_tests PRIVATE picohub_device)
