# src/websocket unit tests: RFC 6455 handshake, framing and the WebSocket transport over an in-memory Transport.
picohub_unit_test(websocket_unit_tests websocket_handshake_test.cpp websocket_framing_test.cpp websocket_sha1_test.cpp
  websocket_transport_test.cpp)
target_link_libraries(websocket_unit_tests PRIVATE picohub_websocket)
