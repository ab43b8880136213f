# `picohub monitor --format az`: the hub's event record in az iot hub monitor-events' JSON shape.
find_package(nlohmann_json REQUIRED)
picohub_unit_test(cli_az_event_tests cli_az_event_test.cpp ${PROJECT_SOURCE_DIR}/apps/cli/az_event.cpp
                  ${PROJECT_SOURCE_DIR}/apps/cli/service_time.cpp)
target_include_directories(cli_az_event_tests PRIVATE ${PROJECT_SOURCE_DIR}/apps/cli)
target_link_libraries(cli_az_event_tests PRIVATE nlohmann_json::nlohmann_json)
