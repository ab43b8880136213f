# picohub sim --interval 0 (throughput mode) against a real mosquitto over TLS: bursts larger than the window.
add_test(NAME sim_throughput_mode
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_throughput.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_throughput_mode PROPERTIES TIMEOUT 180 LABELS integration)
