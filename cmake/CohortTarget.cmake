# Compile options for the project's own code: warnings are errors here, and only here
# (third-party headers are found as system includes).
function(cohort_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
  if(COHORT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# cohort_library(NAME folder SOURCES ... ) — one static library per src/ folder.
#
# Each library sees only its own folder and, through target_link_libraries, the folders of
# the libraries it links (the dependency rule of DESIGN.md): its include directory is a tree
# under the build dir holding one symbolic link, <folder> -> src/<folder>, instead of all of
# src/. So `#include "pbx/calls.hpp"` from src/sip does not compile.
function(cohort_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  file(RELATIVE_PATH layer ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  set(tree ${CMAKE_BINARY_DIR}/layers/${name})
  get_filename_component(parent ${tree}/${layer} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  file(REMOVE ${tree}/${layer})
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${tree}/${layer} SYMBOLIC)
  target_include_directories(${name} PUBLIC ${tree})
  cohort_options(${name})
  if(COHORT_SANITIZE)
    target_link_options(${name} INTERFACE -fsanitize=address,undefined)
  endif()
endfunction()
