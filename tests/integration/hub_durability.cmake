# Nothing acknowledged is lost (issue 8 §2): pipelined QoS 1 telemetry from several devices, the broker killed
# with SIGKILL at random moments and restarted; every PUBACKed message must be in state.db. Bounded (< 1.5 s of
# load per kill). The `long` variant repeats it 60 times (./run test --long).
if(TARGET picohub AND TARGET picohub_hub_plugin)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  add_test(NAME hub_kill9_durability
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hub_kill9.py $<TARGET_FILE:picohub>
                   $<TARGET_FILE:picohub_hub_plugin> --kills 10)
  set_tests_properties(hub_kill9_durability PROPERTIES TIMEOUT 120 RUN_SERIAL ON LABELS integration)
  add_test(NAME hub_kill9_durability_long
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hub_kill9.py $<TARGET_FILE:picohub>
                   $<TARGET_FILE:picohub_hub_plugin> --kills 60)
  set_tests_properties(hub_kill9_durability_long PROPERTIES TIMEOUT 600 RUN_SERIAL ON LABELS long)
endif()
# The same with `hub start --fsync`: PUBACKs held until the iteration's fdatasync (a broker built from
# patches/mosquitto with the SYNC event), or an fdatasync per message (an older patched broker).
if(TARGET picohub AND TARGET picohub_hub_plugin)
  add_test(NAME hub_kill9_durability_fsync
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hub_kill9.py $<TARGET_FILE:picohub>
                   $<TARGET_FILE:picohub_hub_plugin> --kills 6 --fsync)
  set_tests_properties(hub_kill9_durability_fsync PROPERTIES TIMEOUT 120 RUN_SERIAL ON LABELS integration)
endif()
