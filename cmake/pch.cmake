# One precompiled header for every C++ target of the build: the standard
# library, fmt, nlohmann/json and GoogleTest headers that most
# translation units include, parsed once per build instead of once per file
# (about half of a full build's compile time here is spent parsing them).
# Off by default (-DSLUICE_PCH=ON to try it): measured, loading the 136 MB
# header costs each file more than parsing its own includes saves, and GCC 12
# then reports a false -Warray-bounds in lake_writer.cpp (README "Build times
# (CI)").
function(sluice_collect_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    sluice_collect_targets(${sub} sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# Two donors: GoogleTest's imported target adds compile definitions
# (GTEST_HAS_PTHREAD ...), and GCC refuses a header precompiled under other
# definitions, so the tests get their own.
function(sluice_enable_pch)
  set(headers
    <algorithm> <atomic> <chrono> <cstdint> <cstring> <deque> <filesystem> <fstream>
    <functional> <map> <memory> <mutex> <optional> <set> <sstream> <string>
    <string_view> <thread> <unordered_map> <vector>
    <fmt/format.h> <nlohmann/json.hpp>)
  file(WRITE ${CMAKE_BINARY_DIR}/sluice_pch.cpp "// precompiled header donor\n")
  add_library(sluice_pch STATIC ${CMAKE_BINARY_DIR}/sluice_pch.cpp)
  target_link_libraries(sluice_pch PRIVATE fmt::fmt nlohmann_json::nlohmann_json)
  target_precompile_headers(sluice_pch PRIVATE ${headers})
  if(SLUICE_TESTS)
    add_library(sluice_test_pch STATIC ${CMAKE_BINARY_DIR}/sluice_pch.cpp)
    target_link_libraries(sluice_test_pch PRIVATE fmt::fmt nlohmann_json::nlohmann_json GTest::gtest)
    target_precompile_headers(sluice_test_pch PRIVATE ${headers} <gtest/gtest.h>)
  endif()
  sluice_collect_targets(${CMAKE_SOURCE_DIR} targets)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(t MATCHES "^sluice(_test)?_pch$" OR NOT type MATCHES "^(STATIC_LIBRARY|EXECUTABLE)$")
      continue()
    endif()
    get_target_property(sources ${t} SOURCES)
    set(has_cxx OFF)
    foreach(s ${sources})
      if(s MATCHES "\\.(cpp|cc)$")
        set(has_cxx ON)
      endif()
    endforeach()
    if(NOT has_cxx)
      continue()
    endif()
    # A source with options of its own (the JSON parser's -mavx2 ...) would
    # not match the precompiled header's target flags: it parses its headers.
    get_target_property(dir ${t} SOURCE_DIR)
    foreach(s ${sources})
      cmake_path(ABSOLUTE_PATH s BASE_DIRECTORY ${dir})
      get_property(opts SOURCE ${s} TARGET_DIRECTORY ${t} PROPERTY COMPILE_OPTIONS)
      if(opts)
        set_property(SOURCE ${s} TARGET_DIRECTORY ${t} PROPERTY SKIP_PRECOMPILE_HEADERS ON)
      endif()
    endforeach()
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(SLUICE_TESTS AND "GTest::gtest" IN_LIST libs)
      target_precompile_headers(${t} REUSE_FROM sluice_test_pch)
    else()
      target_precompile_headers(${t} REUSE_FROM sluice_pch)
    endif()
  endforeach()
endfunction()
