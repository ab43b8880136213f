# The real mosquitto 2.0.11 with picohub_hub.so, driven by mosquitto_pub/sub/rr as devices and service.
picohub_sanitized_program(hub_plugin_broker ${CMAKE_SOURCE_DIR}/.deps/mosquitto/sbin/mosquitto)
add_test(NAME hub_plugin_against_real_mosquitto
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/hub_plugin.sh $<TARGET_FILE:picohub_hub_plugin> ${hub_plugin_broker})
set_tests_properties(hub_plugin_against_real_mosquitto PROPERTIES TIMEOUT 240 LABELS integration)
