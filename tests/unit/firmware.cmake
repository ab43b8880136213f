# The board application (FirmwareApp) on the host against the fake W5100S: stages, retries and console lines.
picohub_unit_test(firmware_app_tests
  ${CMAKE_CURRENT_LIST_DIR}/firmware_app_test.cpp ${CMAKE_CURRENT_LIST_DIR}/w5100s_fake_chip.cpp
  ${CMAKE_CURRENT_LIST_DIR}/firmware_led_pattern_test.cpp)
target_include_directories(firmware_app_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(firmware_app_tests PRIVATE picohub_firmware_app picohub_net)
