# Included by bench/CMakeLists.txt (FOREWARN_BENCH=ON): push-delivery fan-out, one ~200 KB
# advisory package personalized, signed and sealed for 10,000 partners on one thread, against
# memcpy + SHA-512 of the same bytes (results in bench/RESULTS.md, "Push fan-out"). The
# artifact text is read from ../shared/samples at run time (generated text if it is missing).
# BM_FanOut and its baseline always run exactly 10,000 iterations (one per partner), whatever
# --benchmark_min_time says: about 2.5 minutes on the 2-core machine, plus ~10 s of setup.
add_executable(fanout_bench ${CMAKE_CURRENT_LIST_DIR}/fanout_bench.cc)
target_compile_definitions(fanout_bench
                           PRIVATE FOREWARN_SAMPLES_DIR="${CMAKE_SOURCE_DIR}/../shared/samples")
target_link_libraries(fanout_bench PRIVATE forewarn_harness benchmark::benchmark fmt::fmt
                      nlohmann_json::nlohmann_json)
