# RP2040 port and firmware: host tests of the pure pieces, and the build-time boot2 checksum script.
picohub_unit_test(board_unit_tests board_rp2040_test.cpp ${CMAKE_SOURCE_DIR}/src/board/rp2040/temperature.cpp)
target_include_directories(board_unit_tests PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/apps/firmware)
target_link_libraries(board_unit_tests PRIVATE picohub_common)  # ConsoleLine formats through write_decimal

# boot2_checksum.cmake: the CRC-32/MPEG-2 check value, and a full 256-byte block from a known input
# ("123456789" padded with zeros to 252 bytes: CRC 0xE1364F00, computed independently with Python).
set(boot2_script ${CMAKE_SOURCE_DIR}/src/board/rp2040/boot2_checksum.cmake)
add_test(NAME Boot2Checksum.Crc32Mpeg2CheckValue COMMAND ${CMAKE_COMMAND} -DCHECK_TEXT=123456789 -P ${boot2_script})
set_tests_properties(Boot2Checksum.Crc32Mpeg2CheckValue PROPERTIES PASS_REGULAR_EXPRESSION "= 0x376e6e7" TIMEOUT 30)

set(boot2_test_dir ${CMAKE_CURRENT_BINARY_DIR}/boot2_checksum_test)
file(MAKE_DIRECTORY ${boot2_test_dir})
file(WRITE ${boot2_test_dir}/input.bin "123456789")
file(WRITE ${boot2_test_dir}/check.cmake [=[
execute_process(COMMAND ${CMAKE_COMMAND} -DIN=${DIR}/input.bin -DOUT=${DIR}/block.S -P ${SCRIPT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "boot2_checksum.cmake failed")
endif()
file(READ ${DIR}/block.S text)
string(REGEX REPLACE "^.*picohub_boot2_block:" "" data "${text}")  # the bytes, without the header comment
string(REGEX MATCHALL "0x[0-9a-f][0-9a-f]" bytes "${data}")
list(LENGTH bytes count)
if(NOT count EQUAL 256)
  message(FATAL_ERROR "expected 256 bytes, got ${count}")
endif()
list(SUBLIST bytes 0 9 head)
list(SUBLIST bytes 9 243 padding)
list(SUBLIST bytes 252 4 crc)
list(REMOVE_DUPLICATES padding)
if(NOT head STREQUAL "0x31;0x32;0x33;0x34;0x35;0x36;0x37;0x38;0x39" OR NOT padding STREQUAL "0x00"
   OR NOT crc STREQUAL "0x00;0x4f;0x36;0xe1")
  message(FATAL_ERROR "wrong block: head ${head} padding ${padding} crc ${crc}")
endif()
if(NOT text MATCHES "\\.section \\.boot2")
  message(FATAL_ERROR "block is not in section .boot2")
endif()
message("boot2 block OK")
]=])
add_test(NAME Boot2Checksum.PadsTo252BytesAndAppendsTheCrcLittleEndian
         COMMAND ${CMAKE_COMMAND} -DDIR=${boot2_test_dir} -DSCRIPT=${boot2_script} -P ${boot2_test_dir}/check.cmake)
set_tests_properties(Boot2Checksum.PadsTo252BytesAndAppendsTheCrcLittleEndian PROPERTIES
  PASS_REGULAR_EXPRESSION "boot2 block OK" TIMEOUT 30)

add_test(NAME Boot2Checksum.RefusesCodeLongerThan252Bytes
         COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_SOURCE_DIR}/src/board/rp2040/boot2_w25q16jv.S -DOUT=${boot2_test_dir}/too_long.S
                 -P ${boot2_script})
set_tests_properties(Boot2Checksum.RefusesCodeLongerThan252Bytes PROPERTIES
  PASS_REGULAR_EXPRESSION "at[ \n]+most[ \n]+252[ \n]+fit" TIMEOUT 30)
