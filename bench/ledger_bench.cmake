# Included by bench/CMakeLists.txt (FOREWARN_BENCH=ON): benchmarks of the audit ledger. Run
# build/bench/ledger_bench; FOREWARN_BENCH_10M=1 adds the 10M-entry proof benchmark.
add_executable(ledger_bench ${CMAKE_CURRENT_LIST_DIR}/ledger_bench.cc)
target_link_libraries(ledger_bench PRIVATE forewarn::ledger forewarn::ledger_merkle
                      forewarn_testing benchmark::benchmark SQLite::SQLite3 fmt::fmt)
