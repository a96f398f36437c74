# Included by bench/CMakeLists.txt (FOREWARN_BENCH=ON): the seeder of the partner feed and
# artifact fetch benchmark. bench/feed_bench.sh builds it with `forewarn`, seeds a data dir,
# serves it and drives it and nginx with wrk (bench/wrk/*.lua); results in bench/RESULTS.md.
add_executable(feed_seed ${CMAKE_CURRENT_LIST_DIR}/feed_seed.cc)
target_link_libraries(feed_seed PRIVATE forewarn_app_lib nlohmann_json::nlohmann_json fmt::fmt)
