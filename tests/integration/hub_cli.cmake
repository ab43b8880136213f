# The local hub's CLI (picohub hub/device/monitor/c2d/method/twin) end to end: a shell test of the CLI's own
# behaviour (start/stop/status, file modes, failures), and Microsoft's Node device SDK as an independent client
# (tests/e2e; its npm packages are installed by scripts/e2e-setup.sh during ./run setup, never by the test).
# The CLI helpers (SAS, encodings, --since, data dir) without a broker.
if(TARGET picohub_iothub)
  picohub_unit_test(hub_cli_helpers_test ${CMAKE_CURRENT_SOURCE_DIR}/hub_cli_helpers_test.cpp
                    ${CMAKE_SOURCE_DIR}/apps/cli/service_time.cpp
                    ${CMAKE_SOURCE_DIR}/apps/cli/data_dir.cpp)
  target_include_directories(hub_cli_helpers_test PRIVATE ${CMAKE_SOURCE_DIR}/apps/cli)
  find_package(nlohmann_json REQUIRED)
  target_link_libraries(hub_cli_helpers_test PRIVATE picohub_iothub picohub_hub_core nlohmann_json::nlohmann_json)
endif()

if(TARGET picohub AND TARGET picohub_hub_plugin)
  add_test(NAME hub_cli_lifecycle
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/hub_cli_lifecycle.sh $<TARGET_FILE:picohub>)
  set_tests_properties(hub_cli_lifecycle PROPERTIES TIMEOUT 180 RUN_SERIAL ON LABELS integration
                       ENVIRONMENT "PICOHUB_PLUGIN=$<TARGET_FILE:picohub_hub_plugin>")
  # Starts for everyone (root and a normal user, default data dir under a 0700 home), stale pid files.
  add_test(NAME hub_cli_start_anyone
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/hub_cli_start_anyone.sh $<TARGET_FILE:picohub>)
  set_tests_properties(hub_cli_start_anyone PROPERTIES TIMEOUT 240 RUN_SERIAL ON LABELS integration
                       ENVIRONMENT "PICOHUB_PLUGIN=$<TARGET_FILE:picohub_hub_plugin>")

  # C2D at least once (PUBACK seen through the patched broker) and Wills, with a raw MQTT device.
  add_test(NAME hub_c2d_acks
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/hub_c2d_acks.sh $<TARGET_FILE:picohub>)
  set_tests_properties(hub_c2d_acks PROPERTIES TIMEOUT 120 RUN_SERIAL ON LABELS integration
                       ENVIRONMENT "PICOHUB_PLUGIN=$<TARGET_FILE:picohub_hub_plugin>")

  find_program(PICOHUB_NODE node)
  if(PICOHUB_NODE)
    add_test(NAME hub_cli_node_sdk_fidelity
             COMMAND ${PICOHUB_NODE} --test --test-concurrency=1 ${CMAKE_SOURCE_DIR}/tests/e2e/
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/e2e)
    # Includes service_api.test.mjs, which binds port 443 (picohub-gateway) when it can.
    set_tests_properties(hub_cli_node_sdk_fidelity PROPERTIES TIMEOUT 340 RUN_SERIAL ON RESOURCE_LOCK service_port
                         LABELS e2e
                         ENVIRONMENT "PICOHUB_BIN=$<TARGET_FILE:picohub>;PICOHUB_PLUGIN=$<TARGET_FILE:picohub_hub_plugin>")
  endif()
endif()

# MQTT over WebSockets with Microsoft's Node device SDK (tests/e2e/mqtt_ws.test.mjs): MqttWs through picohub-gateway
# on a free service port; it skips inside hub_cli_node_sdk_fidelity, which runs every file of tests/e2e.
if(TARGET picohub AND TARGET picohub_hub_plugin AND TARGET picohub-gateway AND PICOHUB_NODE)
  add_test(NAME mqtt_ws_e2e
           COMMAND ${PICOHUB_NODE} --test ${CMAKE_SOURCE_DIR}/tests/e2e/mqtt_ws.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/e2e)
  set_tests_properties(mqtt_ws_e2e PROPERTIES TIMEOUT 90 LABELS integration
                       ENVIRONMENT "PICOHUB_BIN=$<TARGET_FILE:picohub>;PICOHUB_PLUGIN=$<TARGET_FILE:picohub_hub_plugin>;PICOHUB_GATEWAY=$<TARGET_FILE:picohub-gateway>;PICOHUB_MQTT_WS=1")
  # DPS over WebSockets with Microsoft's Node provisioning client (tests/e2e/dps_ws.test.mjs), the same way.
  add_test(NAME dps_ws_e2e
           COMMAND ${PICOHUB_NODE} --test ${CMAKE_SOURCE_DIR}/tests/e2e/dps_ws.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/e2e)
  set_tests_properties(dps_ws_e2e PROPERTIES TIMEOUT 120 LABELS integration
                       ENVIRONMENT "PICOHUB_BIN=$<TARGET_FILE:picohub>;PICOHUB_PLUGIN=$<TARGET_FILE:picohub_hub_plugin>;PICOHUB_GATEWAY=$<TARGET_FILE:picohub-gateway>;PICOHUB_MQTT_WS=1")
endif()
