# src/tls without a network: board gmtime, EntropyDrbg with a failing source, config refusals, trust anchors,
# device ClientHello.
file(GLOB tls_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/tls_*.cpp)
picohub_unit_test(tls_unit_tests ${tls_test_sources})
target_link_libraries(tls_unit_tests PRIVATE picohub_tls picohub_net)  # net: the generated built-in roots

# The board gate (board-checks/check_no_heap.cmake) must refuse a core archive that allocates through mbedTLS:
# run it with the host's nm (it reads the ARM archives too) against the BOARD mbedTLS build on a probe archive
# that calls mbedtls_md_setup and mbedtls_gcm_setkey; the second is only caught by deriving, from the mbedTLS
# archives, which entries reach mbedtls_calloc. (The host mbedTLS is no use here: its self-tests put calloc in
# nearly every object.) The heap-free SAS code must pass the same rule.
set(picohub_board_mbedtls_lib ${CMAKE_SOURCE_DIR}/.deps/mbedtls/board/lib)
if(EXISTS ${picohub_board_mbedtls_lib}/libmbedcrypto.a)
  add_library(board_gate_probe STATIC ${CMAKE_CURRENT_LIST_DIR}/board_gate_probe.cpp)
  target_link_libraries(board_gate_probe PRIVATE MbedTLS::mbedcrypto)
  find_program(PICOHUB_HOST_NM nm REQUIRED)
  set(picohub_gate_args -DNM=${PICOHUB_HOST_NM}
      "-DMBEDTLS_ARCHIVES=${picohub_board_mbedtls_lib}/libmbedcrypto.a|${picohub_board_mbedtls_lib}/libmbedx509.a|${picohub_board_mbedtls_lib}/libmbedtls.a")
  add_test(NAME BoardGate.CoreArchiveThatAllocatesThroughMbedtlsIsRefused
           COMMAND ${CMAKE_COMMAND} ${picohub_gate_args} -DARCHIVES=$<TARGET_FILE:board_gate_probe>
                   -P ${CMAKE_SOURCE_DIR}/board-checks/check_no_heap.cmake)
  set_tests_properties(BoardGate.CoreArchiveThatAllocatesThroughMbedtlsIsRefused PROPERTIES
    PASS_REGULAR_EXPRESSION "mbedtls_gcm_setkey \\(in board_gate_probe.*mbedtls_md_setup \\(in board_gate_probe"
    TIMEOUT 60)
  add_test(NAME BoardGate.HeapFreeSasSigningPassesTheCoreRule
           COMMAND ${CMAKE_COMMAND} ${picohub_gate_args} -DARCHIVES=$<TARGET_FILE:picohub_iothub>
                   -P ${CMAKE_SOURCE_DIR}/board-checks/check_no_heap.cmake)
  set_tests_properties(BoardGate.HeapFreeSasSigningPassesTheCoreRule PROPERTIES
    PASS_REGULAR_EXPRESSION "libpicohub_iothub.a uses only allocation-free mbedTLS entries: [^\n]*mbedtls_sha256_update"
    FAIL_REGULAR_EXPRESSION "references mbedTLS entries that allocate" TIMEOUT 60)
endif()
