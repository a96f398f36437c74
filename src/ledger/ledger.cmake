# Included by src/ledger/CMakeLists.txt. The pure RFC 9162 Merkle tree of the audit ledger.
add_library(forewarn_ledger_merkle ${CMAKE_CURRENT_LIST_DIR}/merkle.cc)
add_library(forewarn::ledger_merkle ALIAS forewarn_ledger_merkle)
target_link_libraries(forewarn_ledger_merkle PUBLIC forewarn::core forewarn::crypto)

forewarn_test(merkle_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/merkle_test.cc
  LIBS forewarn::ledger_merkle rapidcheck rapidcheck_gtest)

# The audit ledger: Merkle log over the store, signed tree heads, export and verification.
add_library(forewarn_ledger ${CMAKE_CURRENT_LIST_DIR}/ledger.cc ${CMAKE_CURRENT_LIST_DIR}/recorder.cc)
add_library(forewarn::ledger ALIAS forewarn_ledger)
target_link_libraries(forewarn_ledger
  PUBLIC forewarn::core forewarn::crypto forewarn::store forewarn::ledger_merkle
         nlohmann_json::nlohmann_json
  PRIVATE fmt::fmt)

forewarn_test(ledger_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/ledger_test.cc ${CMAKE_CURRENT_LIST_DIR}/ledger_crash_test.cc
  LIBS forewarn::ledger forewarn::ledger_merkle rapidcheck rapidcheck_gtest SQLite::SQLite3
       fmt::fmt)

forewarn_test(recorder_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/recorder_test.cc
  LIBS forewarn::ledger fmt::fmt)
