# iothub parsers under libFuzzer: connection string, SAS token parse + verify, property-bag reader + decode,
# url decode/encode round trip, C2D topic parser, username parser, classifiers, and DeviceClient::receive().
picohub_fuzz_target(fuzz_iothub_parsers ${CMAKE_CURRENT_LIST_DIR}/fuzz_iothub_parsers.cpp)
target_link_libraries(fuzz_iothub_parsers PRIVATE picohub_iothub picohub_mqtt)
# DPS answers under libFuzzer: the body parser, topic parsers, and DpsClient::receive() after a normal start.
picohub_fuzz_target(fuzz_iothub_dps ${CMAKE_CURRENT_LIST_DIR}/fuzz_iothub_dps.cpp)
target_link_libraries(fuzz_iothub_dps PRIVATE picohub_iothub picohub_mqtt)
