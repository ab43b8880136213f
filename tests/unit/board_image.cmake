# Board images (host): the boot2 CRC the bootrom checks and the UF2 writer/reader. Tests are named "board_image.*".
set(PICOHUB_TEST_PREFIX "board_image.")
picohub_unit_test(board_image_tests board_image_boot2_crc_test.cpp board_image_uf2_test.cpp)
target_link_libraries(board_image_tests PRIVATE picohub_board_image)
unset(PICOHUB_TEST_PREFIX)
