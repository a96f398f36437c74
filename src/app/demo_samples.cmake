# Embeds the sample artifacts of ../shared/samples (fictional PoCs, rules, descriptions) into the
# demo, so `forewarn demo` needs no files at run time. Without them the demo advisory has no
# artifacts.
set(forewarn_samples_dir "${CMAKE_SOURCE_DIR}/../shared/samples")
set(forewarn_demo_samples "")
foreach(sample fabrikam_description.md fabrikam_webshell.yar fabrikam_exploit.sigma.yml
               fabrikam_exploit.rules fabrikam_iocs.json fabrikam_mitigation.md
               fabrikam_portal_poc.py)
  set(text "")
  if(EXISTS "${forewarn_samples_dir}/${sample}")
    file(READ "${forewarn_samples_dir}/${sample}" text)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                 "${forewarn_samples_dir}/${sample}")
  endif()
  string(APPEND forewarn_demo_samples
         "    {\"${sample}\", R\"fw_sample(${text})fw_sample\"},\n")
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/demo_samples.h.in
               ${CMAKE_CURRENT_BINARY_DIR}/generated/app/demo_samples.h @ONLY)
target_include_directories(forewarn_app_lib PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/generated)
