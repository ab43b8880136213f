# The firmware's public-exponent exponentiation (apps/firmware/rsa_public_exp.cpp, linked in place of mbedTLS's
# mbedtls_mpi_exp_mod_unsafe with --wrap), checked against mbedTLS's own exponentiation on the host.
picohub_unit_test(firmware_rsa_public_exp_tests ${CMAKE_CURRENT_LIST_DIR}/firmware_rsa_public_exp_test.cpp
  ${CMAKE_SOURCE_DIR}/apps/firmware/rsa_public_exp.cpp)
target_link_libraries(firmware_rsa_public_exp_tests PRIVATE MbedTLS::mbedcrypto)
