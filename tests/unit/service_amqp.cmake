# The AMQP endpoint's pure pieces (src/service/amqp): addresses, selector filters, message conversions.
if(TARGET picohub_service_amqp)
  picohub_unit_test(service_amqp_tests ${CMAKE_CURRENT_LIST_DIR}/service_amqp_addresses_test.cpp
                    ${CMAKE_CURRENT_LIST_DIR}/service_amqp_messages_test.cpp)
  target_link_libraries(service_amqp_tests PRIVATE picohub_service_amqp)
endif()
