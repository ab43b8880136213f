# Provisioning: the config block's round trip, its refusal of every corruption, erased flash, the messages the
# firmware prints, and the device-id MAC. Tests are named "provisioning.*".
set(PICOHUB_TEST_PREFIX "provisioning.")
picohub_unit_test(provisioning_tests provisioning_config_block_test.cpp provisioning_device_mac_test.cpp)
target_link_libraries(provisioning_tests PRIVATE picohub_provisioning)
unset(PICOHUB_TEST_PREFIX)
