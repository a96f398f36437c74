# CVSS v3.1 / v4.0 vector parsing and scoring (standards/cvss.h).
add_library(forewarn_standards_cvss
  ${CMAKE_CURRENT_LIST_DIR}/cvss.cc
  ${CMAKE_CURRENT_LIST_DIR}/cvss.h
  ${CMAKE_CURRENT_LIST_DIR}/cvss40_tables.h)
add_library(forewarn::cvss ALIAS forewarn_standards_cvss)
target_link_libraries(forewarn_standards_cvss PUBLIC forewarn::core PRIVATE fmt::fmt)
# The 3.1 formulas must round like FIRST's JavaScript calculator: no fused multiply-add.
target_compile_options(forewarn_standards_cvss PRIVATE -ffp-contract=off)

forewarn_test(cvss_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cvss_test.cc LIBS forewarn::cvss)
target_compile_definitions(cvss_test PRIVATE FOREWARN_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared")
