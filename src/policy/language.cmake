# Included by src/policy/CMakeLists.txt: the policy language (lexer, parser, checker, indexed
# evaluator behind policy.h) and its tests. Grammar and semantics: docs/policy.md.
set(forewarn_policy_language_sources
  ${CMAKE_CURRENT_LIST_DIR}/policy.cc
  ${CMAKE_CURRENT_LIST_DIR}/language_lexer.cc
  ${CMAKE_CURRENT_LIST_DIR}/language_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/language_expr.cc
  ${CMAKE_CURRENT_LIST_DIR}/language_checker.cc
  ${CMAKE_CURRENT_LIST_DIR}/language_eval.cc)

# Unit tests (every construct, type rule and message) and property tests (random policies
# against a reference evaluator written in the test, with the index on and off).
macro(forewarn_policy_language_tests)
  forewarn_test(policy_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/policy_test.cc
    LIBS forewarn::policy rapidcheck rapidcheck_gtest fmt::fmt)
  forewarn_test(policy_property_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/policy_property_test.cc
    LIBS forewarn::policy rapidcheck rapidcheck_gtest fmt::fmt)
endmacro()
