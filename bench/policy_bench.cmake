# Included by bench/CMakeLists.txt (FOREWARN_BENCH=ON): policy decisions with the rule index vs a
# linear scan of every rule, for generated policies of 10, 100 and 1,000 rules (results in
# bench/RESULTS.md, "Policy decisions").
add_executable(policy_bench ${CMAKE_CURRENT_LIST_DIR}/policy_bench.cc)
target_link_libraries(policy_bench PRIVATE forewarn::policy benchmark::benchmark fmt::fmt)
