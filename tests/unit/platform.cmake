# src/platform unit tests: entropy health tests and conditioning.
picohub_unit_test(platform_unit_tests platform_entropy_health_test.cpp)
target_link_libraries(platform_unit_tests PRIVATE picohub_platform)
