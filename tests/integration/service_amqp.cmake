# The AMQP service endpoint end to end: azure-iothub and @azure/event-hubs against the endpoint inside
# picohub-gateway, started by `picohub hub start --amqp-port <free port> --service-port 0` over a local hub
# (tests/e2e/service_amqp.test.mjs; it skips inside hub_cli_node_sdk_fidelity, which runs every file of tests/e2e).
# Free ports only, so it needs no port lock.
if(TARGET picohub AND TARGET picohub_hub_plugin AND TARGET picohub-gateway)
  find_program(PICOHUB_NODE node)
  if(PICOHUB_NODE)
    add_test(NAME service_amqp_e2e
             COMMAND ${PICOHUB_NODE} --test ${CMAKE_SOURCE_DIR}/tests/e2e/service_amqp.test.mjs
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/e2e)
    set_tests_properties(service_amqp_e2e PROPERTIES TIMEOUT 120 RUN_SERIAL ON LABELS integration
                         ENVIRONMENT "PICOHUB_BIN=$<TARGET_FILE:picohub>;PICOHUB_PLUGIN=$<TARGET_FILE:picohub_hub_plugin>;PICOHUB_GATEWAY=$<TARGET_FILE:picohub-gateway>;PICOHUB_SERVICE_AMQP=1")
  endif()
endif()
