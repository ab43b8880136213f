# hub core under libFuzzer: the control-request JSON parser driving every control op of Hub (in-memory SQLite),
# twin patch parse + merge + views, and the telemetry event view.
foreach(target fuzz_hub_control fuzz_hub_twin_patch fuzz_hub_telemetry_event)
  picohub_fuzz_target(${target} ${CMAKE_CURRENT_LIST_DIR}/${target}.cpp)
  target_link_libraries(${target} PRIVATE picohub_hub_core)
endforeach()
