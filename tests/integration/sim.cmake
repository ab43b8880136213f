# picohub sim against a real mosquitto over TLS.
add_test(NAME sim_against_mosquitto_tls
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_mosquitto.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_against_mosquitto_tls PROPERTIES TIMEOUT 240 LABELS integration)

# picohub sim against the local hub (mosquitto + picohub plugin), driven by the service CLI.
add_test(NAME sim_against_local_hub
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_hub.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_against_local_hub PROPERTIES TIMEOUT 300 LABELS integration)

# Device resilience against the local hub (issue 11): SAS renewal without loss or duplicates; the network cut for
# 30 s (connections reset by a loopback proxy) and the hub killed and restarted, without loss.
foreach(fault_case token_renewal outages)
  add_test(NAME sim_hub_${fault_case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_hub_${fault_case}.sh $<TARGET_FILE:picohub>)
  set_tests_properties(sim_hub_${fault_case} PROPERTIES TIMEOUT 240 LABELS integration)
endforeach()

# The offline telemetry queue (issue 11 §4): readings held during a network cut, the oldest dropped and reported
# when full, everything else delivered in order.
add_test(NAME sim_offline_queue COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_offline_queue.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_offline_queue PROPERTIES TIMEOUT 120 LABELS integration)

# picohub sim's twin and direct methods against the local hub (issue 11).
add_test(NAME sim_twin_methods_local_hub
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_twin_methods.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_twin_methods_local_hub PROPERTIES TIMEOUT 120 LABELS integration)

# picohub sim --dps against the local hub's Device Provisioning Service (issue 11 §3): individual and group
# enrollments, a wrong key refused, the device switching to the assigned hub port.
add_test(NAME sim_dps_local_hub
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_dps.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_dps_local_hub PROPERTIES TIMEOUT 120 LABELS integration)

# picohub sim --dps re-registers when the assigned hub keeps refusing it (issue 11 §3/§4): the device is deleted at
# the hub mid-run, refused twice, registered again (DPS creates it again), and every reading is acknowledged.
add_test(NAME sim_dps_reprovision
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_dps_reprovision.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_dps_reprovision PROPERTIES TIMEOUT 120 LABELS integration)

# X.509 devices against the local hub (issue 11 §7): self-signed by thumbprint, CA-signed, wrong certificate
# refused, SAS on the same port.
add_test(NAME sim_x509_local_hub
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_x509.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_x509_local_hub PROPERTIES TIMEOUT 120 LABELS integration)

# picohub sim --websocket against the local hub (issue 11 §5): MQTT over WebSockets through picohub-gateway on a
# free service port: telemetry, C2D, and a wrong port explained.
add_test(NAME sim_websocket_local_hub
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_websocket.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_websocket_local_hub PROPERTIES TIMEOUT 120 LABELS integration)

# picohub sim --dps --websocket (issue 11 §3 + §5): registration and hub connection both through the gateway's HTTPS
# port; the broker's connections of the device all come from the gateway's bridge.
add_test(NAME sim_dps_websocket
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/sim_dps_websocket.sh $<TARGET_FILE:picohub>)
set_tests_properties(sim_dps_websocket PROPERTIES TIMEOUT 120 LABELS integration)
