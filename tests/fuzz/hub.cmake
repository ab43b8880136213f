# hub core under libFuzzer: the control-request JSON parser driving every control op of Hub (in-memory SQLite),
# and twin patch parse + merge + views. Sources are compiled in for coverage and sanitizer instrumentation.
find_package(nlohmann_json REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(FUZZ_SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
find_package(ZLIB REQUIRED)
file(GLOB fuzz_hub_iothub_sources ${PROJECT_SOURCE_DIR}/src/iothub/*.cpp)
list(FILTER fuzz_hub_iothub_sources EXCLUDE REGEX "device_client\\.cpp$")
# Every hub source (globbed, so a new file cannot be forgotten here as message_limits.cpp once was).
file(GLOB fuzz_hub_own_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/hub/*.cpp)
set(fuzz_hub_core_sources ${fuzz_hub_own_sources} ${fuzz_hub_iothub_sources})
foreach(target fuzz_hub_control fuzz_hub_twin_patch fuzz_hub_telemetry_event)
  picohub_fuzz_target(${target} ${CMAKE_CURRENT_LIST_DIR}/${target}.cpp ${fuzz_hub_core_sources})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PRIVATE picohub_common MbedTLS::mbedcrypto nlohmann_json::nlohmann_json
    PkgConfig::FUZZ_SQLITE3 ZLIB::ZLIB)
  picohub_strict(${target})
endforeach()
