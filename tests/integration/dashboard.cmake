# The web dashboard in headless Chromium (tests/browser/dashboard_browser.test.mjs): desktop and 390x844, against a
# local hub on free ports; screenshots in build/<preset>/test-artifacts/dashboard. (The dashboard's Node test,
# tests/e2e/dashboard.test.mjs, runs with the other e2e files in hub_cli_node_sdk_fidelity.)
if(TARGET picohub AND TARGET picohub_hub_plugin AND TARGET picohub-gateway)
  find_program(PICOHUB_NODE node)
  if(PICOHUB_NODE)
    add_test(NAME dashboard_browser
             COMMAND ${PICOHUB_NODE} --test ${CMAKE_SOURCE_DIR}/tests/browser/dashboard_browser.test.mjs
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/browser)
    set_tests_properties(dashboard_browser PROPERTIES TIMEOUT 120 RUN_SERIAL ON LABELS e2e
                         ENVIRONMENT "PICOHUB_BIN=$<TARGET_FILE:picohub>;PICOHUB_PLUGIN=$<TARGET_FILE:picohub_hub_plugin>;PICOHUB_ARTIFACTS=${CMAKE_BINARY_DIR}/test-artifacts/dashboard")
  endif()
endif()
