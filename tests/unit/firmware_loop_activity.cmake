# The main loop's activity record (kept in WATCHDOG SCRATCH2 across a watchdog reset): its encoding and the
# mapping from the application's network stage and hub phase.
picohub_unit_test(firmware_loop_activity_tests ${CMAKE_CURRENT_LIST_DIR}/firmware_loop_activity_test.cpp)
target_link_libraries(firmware_loop_activity_tests PRIVATE picohub_firmware_app)
