# The WebSocket client's parsers under libFuzzer: the upgrade response check and the streaming frame reader.
picohub_fuzz_target(fuzz_websocket_frames ${CMAKE_CURRENT_LIST_DIR}/fuzz_websocket_frames.cpp)
target_link_libraries(fuzz_websocket_frames PRIVATE picohub_websocket)
