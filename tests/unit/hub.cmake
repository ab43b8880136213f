# hub core (src/hub): auth decisions with the reference SAS vectors, twin merge and limits, C2D queue and TTL,
# method bookkeeping, telemetry log bound, control ops, all against an in-memory or temp-file SQLite.
file(GLOB hub_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/hub_*.cpp)
picohub_unit_test(hub_tests ${hub_test_sources})
target_link_libraries(hub_tests PRIVATE picohub_hub_core)
# state.db fixtures (a data dir written by an older hub) for the schema upgrade test.
target_compile_definitions(hub_tests PRIVATE PICOHUB_HUB_FIXTURES="${CMAKE_CURRENT_LIST_DIR}/fixtures")
