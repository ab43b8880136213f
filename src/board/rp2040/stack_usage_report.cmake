# Rough stack report for the board image: the largest single stack frames that -fstack-usage recorded for
# our board objects, against the stack the linker script reserved. A frame list, not a call-chain analysis:
# the worst chain is at least the largest frame and at most the sum of the frames on it; the painted-stack
# watermark (Board::stack_high_water_bytes, printed by the firmware) is the measured figure. mbedTLS comes
# prebuilt from .deps without .su files, so its frames are not in this list.
#
#   cmake -DNM=arm-none-eabi-nm -DELF=picohub-firmware.elf -DMAP=picohub-firmware.map \
#         "-DSU_ROOT=build/board/src|build/board/apps" [-DTOP=10] -P stack_usage_report.cmake
cmake_minimum_required(VERSION 3.25)
if(NOT DEFINED TOP)
  set(TOP 10)
endif()

execute_process(COMMAND ${NM} ${ELF} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "stack report: ${NM} ${ELF} failed")
endif()
if(symbols MATCHES "([0-9a-fA-F]+) [Aa] __stack_size__")
  math(EXPR stack_size "0x${CMAKE_MATCH_1}")
else()
  message(FATAL_ERROR "stack report: __stack_size__ not found in ${ELF}")
endif()
math(EXPR usable "${stack_size} - 256")

# SU_ROOT: one or more "|"-separated build directories holding the firmware's objects.
string(REPLACE "|" ";" roots "${SU_ROOT}")
set(su_files "")
foreach(root IN LISTS roots)
  file(GLOB_RECURSE found "${root}/*.su")
  list(APPEND su_files ${found})
endforeach()

# Keep only objects that contributed to the image. The whole map is searched: with link-time optimisation the
# memory map names the LTO partitions, and only the archive-member list names the objects that were pulled in.
file(READ "${MAP}" map)
set(linked "")
foreach(file IN LISTS su_files)
  get_filename_component(name "${file}" NAME)
  string(REGEX REPLACE "\\.su$" ".obj" object "${name}")
  string(FIND "${map}" "${object}" found)
  if(NOT found EQUAL -1)
    list(APPEND linked "${file}")
  endif()
endforeach()
# With link-time optimisation the frames that reached the image are in the link's own .su files beside the ELF.
file(GLOB lto_su "${ELF}.ltrans*.su")
set(su_files ${linked} ${lto_su})
set(entries "")
foreach(file IN LISTS su_files)
  file(STRINGS "${file}" lines)
  foreach(line IN LISTS lines)
    # "<file>:<line>:<col>:<function>\t<bytes>\t<static|dynamic|dynamic,bounded>"
    if(line MATCHES "^(.*)\t([0-9]+)\t([a-z,]+)$")
      set(where "${CMAKE_MATCH_1}")
      set(bytes "${CMAKE_MATCH_2}")
      set(kind "${CMAKE_MATCH_3}")
      string(REGEX REPLACE "^.*/" "" where "${where}")
      # Zero-pad so a plain string sort orders by size.
      string(LENGTH "${bytes}" n)
      math(EXPR pad "8 - ${n}")
      string(REPEAT "0" ${pad} zeros)
      list(APPEND entries "${zeros}${bytes}|${kind}|${where}")
    endif()
  endforeach()
endforeach()
list(LENGTH su_files file_count)
list(SORT entries ORDER DESCENDING)
list(LENGTH entries count)

message("stack report (rough: largest single frames from -fstack-usage in the ${file_count} objects linked into the"
        " image; not call chains; mbedTLS not included):")
message("  stack reserved ${stack_size} bytes, ${usable} usable above the 256-byte MPU guard")
set(shown 0)
set(sum 0)
foreach(entry IN LISTS entries)
  if(shown EQUAL TOP)
    break()
  endif()
  string(REPLACE "|" ";" fields "${entry}")
  list(GET fields 0 bytes)
  list(GET fields 1 kind)
  list(GET fields 2 where)
  math(EXPR bytes "${bytes}")  # drop the zero padding
  math(EXPR sum "${sum} + ${bytes}")
  message("  ${bytes}\t${kind}\t${where}")
  math(EXPR shown "${shown} + 1")
endforeach()
math(EXPR percent "100 * ${sum} / ${usable}")
message("  the ${shown} largest frames together: ${sum} bytes = ${percent}% of the usable stack (an upper bound only"
        " if the worst chain is made of them)")
if(entries MATCHES "dynamic")
  message("  note: frames marked dynamic grow at run time (alloca/VLA); their size above is the static part")
endif()
