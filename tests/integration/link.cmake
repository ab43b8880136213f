# link: picohub sim (DeviceLink) when the hub goes away and comes back, never comes back, and on SAS renewal.
foreach(link_case hub_restart hub_gone sas_renewal)
  add_test(NAME link_${link_case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/link_${link_case}.sh $<TARGET_FILE:picohub>)
  set_tests_properties(link_${link_case} PROPERTIES TIMEOUT 180 LABELS integration)
endforeach()
