# The HTTP transport: Boost.Beast/Asio stay inside server.cc and client.cc, so only these two
# translation units pay Beast's compile time.
add_library(forewarn_http_transport
  ${CMAKE_CURRENT_LIST_DIR}/server.cc
  ${CMAKE_CURRENT_LIST_DIR}/client.cc
  ${CMAKE_CURRENT_LIST_DIR}/transport.cc)
add_library(forewarn::http_transport ALIAS forewarn_http_transport)
target_link_libraries(forewarn_http_transport
  PUBLIC forewarn::core
  PRIVATE Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads fmt::fmt spdlog::spdlog)
# Asio/Beast features removed upstream are not used; keep it that way.
target_compile_definitions(forewarn_http_transport PRIVATE BOOST_ASIO_NO_DEPRECATED)

forewarn_test(transport_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/transport_test.cc
  LIBS forewarn::http_transport)
