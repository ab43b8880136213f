# The CLI's one duration grammar ("250ms", "1s", "2m", bare seconds). Tests are named "board_cli.Duration.*":
# `picohub board uf2 --interval` is its newest user.
set(PICOHUB_TEST_PREFIX "board_cli.")
picohub_unit_test(cli_duration_tests cli_duration_test.cpp ${PROJECT_SOURCE_DIR}/apps/cli/duration.cpp)
target_include_directories(cli_duration_tests PRIVATE ${PROJECT_SOURCE_DIR}/apps/cli)
unset(PICOHUB_TEST_PREFIX)
