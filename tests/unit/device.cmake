# device core: connection supervisor (fake time), pump step (in-memory transport + canned broker bytes), tutorial
# application (console lines, JSON body, over-size C2D) and the fixed-point formatter.
file(GLOB device_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/device_*.cpp)
picohub_unit_test(device_tests ${device_test_sources})
target_link_libraries(device_tests PRIVATE picohub_device)
# The tutorial's Plug and Play model (models/*.json) is read by a test: the id and fields must match the app.
find_package(nlohmann_json REQUIRED)
target_link_libraries(device_tests PRIVATE nlohmann_json::nlohmann_json)
target_compile_definitions(device_tests PRIVATE PICOHUB_MODELS_DIR="${PROJECT_SOURCE_DIR}/models")
