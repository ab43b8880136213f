# The firmware's own strchr (apps/firmware/small_strchr.cpp, linked in place of newlib's with --wrap), checked
# against the C library's on the host.
picohub_unit_test(firmware_small_strchr_tests ${CMAKE_CURRENT_LIST_DIR}/firmware_small_strchr_test.cpp
  ${CMAKE_SOURCE_DIR}/apps/firmware/small_strchr.cpp)
