# The dashboard's routes in picohub-gateway (apps/gateway): which file a path names (and the traversals refused),
# the web directory search, and the live feed's server-sent-event framing and request parsing.
if(TARGET picohub_gateway_web)
  picohub_unit_test(gateway_web_tests gateway_web_files_test.cpp gateway_telemetry_feed_test.cpp)
  target_link_libraries(gateway_web_tests PRIVATE picohub_gateway_web)
endif()
