# Included by bench/CMakeLists.txt (FOREWARN_BENCH=ON). Benchmarks of trace/tardos.h:
# parameter choice, code generation, accusation, and a simulation of the code length needed.
add_executable(tardos_bench ${CMAKE_CURRENT_LIST_DIR}/tardos_bench.cc)
target_link_libraries(tardos_bench PRIVATE forewarn::trace forewarn_testing benchmark::benchmark
                      fmt::fmt)
