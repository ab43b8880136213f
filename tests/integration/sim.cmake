# picohub sim against a real mosquitto over TLS.
add_test(NAME sim_against_mosquitto_tls
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_mosquitto.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_against_mosquitto_tls PROPERTIES TIMEOUT 240 LABELS integration)

# picohub sim against the local hub (mosquitto + picohub plugin), driven by the service CLI.
add_test(NAME sim_against_local_hub
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_hub.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_against_local_hub PROPERTIES TIMEOUT 300 LABELS integration)

# picohub sim's twin and direct methods against the local hub (issue 11).
add_test(NAME sim_twin_methods_local_hub
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_twin_methods.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_twin_methods_local_hub PROPERTIES TIMEOUT 120 LABELS integration)
