# hub core (src/hub): auth decisions with the reference SAS vectors, twin merge and limits, C2D queue and TTL,
# method bookkeeping, telemetry log bound, control ops, all against an in-memory or temp-file SQLite.
file(GLOB hub_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/hub_*.cpp)
picohub_unit_test(hub_tests ${hub_test_sources})
target_link_libraries(hub_tests PRIVATE picohub_hub_core)
