# Toolchain for the RP2040 (Cortex-M0+) with Debian's arm-none-eabi-gcc 12 + newlib.
# Used by the `board` preset and by scripts/mbedtls-board.sh, so mbedTLS and our code share the same flags.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m0plus)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-gcc-ar CACHE FILEPATH "")
set(CMAKE_RANLIB arm-none-eabi-gcc-ranlib CACHE FILEPATH "")
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "")
set(CMAKE_NM arm-none-eabi-nm CACHE FILEPATH "")

# No OS to run test executables on: CMake's compiler checks build a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(picohub_cpu_flags "-mcpu=cortex-m0plus -mthumb -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${picohub_cpu_flags}")
set(CMAKE_ASM_FLAGS_INIT "${picohub_cpu_flags}")
# The board has no unwinder budget and no RTTI; static locals need no guard (one cooperative loop).
set(CMAKE_CXX_FLAGS_INIT "${picohub_cpu_flags} -fno-exceptions -fno-rtti -fno-threadsafe-statics -flto -ffat-lto-objects")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections -flto -Os")

# Headers and libraries come from the cross toolchain only; programs (nm, size) from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

set(PICOHUB_BOARD ON CACHE BOOL "Cross-compile for the RP2040 board" FORCE)

# tl::expected is header-only and lives in the host's /usr/include. Putting /usr/include itself on the cross
# compiler's path would shadow newlib with glibc headers, so stage just tl/ into the build tree.
if(NOT TL_EXPECTED_INCLUDE AND EXISTS /usr/include/tl/expected.hpp)
  set(picohub_board_include "${CMAKE_BINARY_DIR}/picohub-board-include")
  file(COPY /usr/include/tl DESTINATION "${picohub_board_include}")
  set(TL_EXPECTED_INCLUDE "${picohub_board_include}" CACHE PATH "tl/expected.hpp staged for the board" FORCE)
endif()
