# The built-in trust store: the two roots Azure IoT Hub chains to, copied from Debian's ca-certificates at
# configure time into a generated .cpp (PEM text), so the board and the host trust exactly the same roots.
#   picohub_generate_trust_store(<out_cpp>)  writes <out_cpp>; fails the configure if a root is missing.
set(PICOHUB_TRUST_STORE_DIR /usr/share/ca-certificates/mozilla CACHE PATH "Where Debian's ca-certificates keeps the Mozilla roots")
set(picohub_trust_store_template "${CMAKE_CURRENT_LIST_DIR}/trust_store.cpp.in")

function(picohub_generate_trust_store out_cpp)
  set(names DigiCert_Global_Root_G2 Microsoft_RSA_Root_Certificate_Authority_2017)
  set(PICOHUB_TRUSTED_ROOTS "")
  foreach(name ${names})
    set(file "${PICOHUB_TRUST_STORE_DIR}/${name}.crt")
    if(NOT EXISTS "${file}")
      message(FATAL_ERROR "picohub: the built-in TLS trust store needs ${file}, which is missing.\n"
                          "Install Debian's ca-certificates package (apt-get install ca-certificates, or ./run setup), "
                          "or point -DPICOHUB_TRUST_STORE_DIR=<dir> at a directory holding ${name}.crt.")
    endif()
    file(READ "${file}" pem)
    if(NOT pem MATCHES "-----BEGIN CERTIFICATE-----")
      message(FATAL_ERROR "picohub: ${file} is not a PEM certificate; reinstall ca-certificates.")
    endif()
    string(STRIP "${pem}" pem)
    string(APPEND PICOHUB_TRUSTED_ROOTS "    {\"${name}\", R\"pem(${pem}\n)pem\"},\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${file}")
  endforeach()
  configure_file("${picohub_trust_store_template}" "${out_cpp}" @ONLY)
endfunction()
