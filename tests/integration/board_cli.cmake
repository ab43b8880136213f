# `picohub board uf2` end to end: a fake firmware image made by the test, the UF2 read back, the config block
# decoded back, and every refusal with its exit code. Tests are named "board_cli.*".
set(PICOHUB_TEST_PREFIX "board_cli.")
picohub_unit_test(board_cli_tests board_cli_uf2_test.cpp)
target_link_libraries(board_cli_tests PRIVATE picohub_board_image picohub_provisioning)
target_compile_definitions(board_cli_tests PRIVATE PICOHUB_CLI="$<TARGET_FILE:picohub>")
add_dependencies(board_cli_tests picohub)
unset(PICOHUB_TEST_PREFIX)
