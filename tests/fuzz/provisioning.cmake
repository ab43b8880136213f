# The config block decoder under libFuzzer: arbitrary flash contents must be refused with a message or decode
# to views inside the input that re-encode to an equal config.
picohub_fuzz_target(fuzz_provisioning_config_block ${CMAKE_CURRENT_LIST_DIR}/fuzz_provisioning_config_block.cpp)
target_link_libraries(fuzz_provisioning_config_block PRIVATE picohub_provisioning picohub_iothub)
