# Injected into mbedTLS's own configure by scripts/mbedtls-board.sh (CMAKE_PROJECT_INCLUDE): the library is built
# for size (-Os) except the public-key arithmetic, where the handshake spends its time (ECDHE on P-256, RSA-2048/
# 4096 verification), which gets -O2. Deferred to the end of the top directory so the library's targets exist.
if(NOT COMMAND picohub_mbedtls_hot_o2)
  function(picohub_mbedtls_hot_o2)
    set(hot bignum.c bignum_core.c bignum_mod.c bignum_mod_raw.c ecp.c ecp_curves.c ecp_curves_new.c rsa.c)
    list(TRANSFORM hot PREPEND ${CMAKE_SOURCE_DIR}/library/)
    set_source_files_properties(${hot} DIRECTORY ${CMAKE_SOURCE_DIR}/library PROPERTIES COMPILE_OPTIONS "-O2")
  endfunction()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL picohub_mbedtls_hot_o2)
endif()
