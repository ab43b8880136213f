# The config block decoder under libFuzzer: arbitrary flash contents must be refused with a message or decode
# to views inside the input that re-encode to an equal config.
picohub_fuzz_target(fuzz_provisioning_config_block
  ${CMAKE_CURRENT_LIST_DIR}/fuzz_provisioning_config_block.cpp
  ${PROJECT_SOURCE_DIR}/src/provisioning/config_block.cpp
  ${PROJECT_SOURCE_DIR}/src/provisioning/config_problem.cpp
  ${PROJECT_SOURCE_DIR}/src/provisioning/crc32.cpp
  ${PROJECT_SOURCE_DIR}/src/iothub/connection_string.cpp
  ${PROJECT_SOURCE_DIR}/src/iothub/dtmi.cpp
  ${PROJECT_SOURCE_DIR}/src/iothub/base64.cpp
  ${PROJECT_SOURCE_DIR}/src/iothub/sas_token.cpp
  ${PROJECT_SOURCE_DIR}/src/iothub/hmac_sha256.cpp
  ${PROJECT_SOURCE_DIR}/src/iothub/url_encoding.cpp)
target_include_directories(fuzz_provisioning_config_block PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(fuzz_provisioning_config_block PRIVATE picohub_common MbedTLS::mbedcrypto)
