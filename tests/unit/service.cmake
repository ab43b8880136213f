# service endpoints (src/service): shared access policy authorization of service SAS tokens.
file(GLOB service_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/service_*.cpp)
list(FILTER service_test_sources EXCLUDE REGEX "service_amqp_")  # service_amqp.cmake has those
picohub_unit_test(service_tests ${service_test_sources})
target_link_libraries(service_tests PRIVATE picohub_service_auth picohub_service picohub_hub_core)
