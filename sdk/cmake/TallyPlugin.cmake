# tally_add_plugin(NAME <name> MANIFEST <file.plugin.yaml> SOURCES <src>...
#                  [OUTPUT_DIR <dir>] [LINK <targets>...])
#
# Builds a Tally plugin as a shared module with hidden visibility, seals it
# (writes its content hash into the library's Tally note, <tally/note.h>) and
# writes its installable manifest next to it: the author's manifest with
# `library:`, `sha256:` (the content hash, which stripping keeps) and `sdk:`
# (of the headers it was built with) filled in. The same function builds
# in-tree and out-of-tree plugins.
set(_TALLY_PLUGIN_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

# The sealing tool, built once per project from the SDK's source.
function(_tally_seal_tool out_var)
  if(NOT TARGET tally_sdk_seal)
    add_executable(tally_sdk_seal "${_TALLY_PLUGIN_CMAKE_DIR}/tools/tally_seal.cpp")
    target_link_libraries(tally_sdk_seal PRIVATE Tally::sdk)
    set_target_properties(tally_sdk_seal PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON
      RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tally_sdk")
  endif()
  set(${out_var} tally_sdk_seal PARENT_SCOPE)
endfunction()

function(tally_add_plugin)
  cmake_parse_arguments(ARG "" "NAME;MANIFEST;OUTPUT_DIR" "SOURCES;LINK" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_MANIFEST OR NOT ARG_SOURCES)
    message(FATAL_ERROR "tally_add_plugin needs NAME, MANIFEST and SOURCES")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    if(DEFINED TALLY_PLUGIN_OUTPUT_DIR)
      set(ARG_OUTPUT_DIR "${TALLY_PLUGIN_OUTPUT_DIR}")
    else()
      set(ARG_OUTPUT_DIR "${CMAKE_BINARY_DIR}/plugins")
    endif()
  endif()
  set(target tally_plugin_${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE Tally::sdk ${ARG_LINK})
  # The name the library's note carries; the host checks it against the manifest.
  target_compile_definitions(${target} PRIVATE "TALLY_PLUGIN_NAME=\"${ARG_NAME}\"")
  _tally_seal_tool(seal_tool)
  add_dependencies(${target} ${seal_tool})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME tally_${ARG_NAME}
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    # Identical bytes in the build tree and once installed (stripping aside,
    # which the content hash ignores).
    BUILD_WITH_INSTALL_RPATH ON
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}")
  if(NOT APPLE)
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
  get_filename_component(manifest_src "${ARG_MANIFEST}" ABSOLUTE)
  get_target_property(sdk_include Tally::sdk INTERFACE_INCLUDE_DIRECTORIES)
  if(TARGET tally_sdk)
    set(sdk_header "${PROJECT_SOURCE_DIR}/sdk/include/tally/plugin.h")
    if(NOT EXISTS "${sdk_header}")
      set(sdk_header "${_TALLY_PLUGIN_CMAKE_DIR}/../include/tally/plugin.h")
    endif()
  else()
    set(sdk_header "${_TALLY_PLUGIN_CMAKE_DIR}/../../../include/tally/plugin.h")
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND}
      -DMANIFEST_IN=${manifest_src}
      -DMANIFEST_OUT=${ARG_OUTPUT_DIR}/${ARG_NAME}.plugin.yaml
      -DLIBRARY=$<TARGET_FILE:${target}>
      -DSDK_HEADER=${sdk_header}
      -DSEAL=$<TARGET_FILE:${seal_tool}>
      -P ${_TALLY_PLUGIN_CMAKE_DIR}/TallyWriteManifest.cmake
    COMMENT "Sealing Tally plugin ${ARG_NAME} and writing its manifest"
    VERBATIM)
  set_property(GLOBAL APPEND PROPERTY TALLY_ALL_PLUGIN_TARGETS ${target})
  set_property(TARGET ${target} APPEND PROPERTY TALLY_MANIFEST "${ARG_OUTPUT_DIR}/${ARG_NAME}.plugin.yaml")
  if(DEFINED TALLY_INSTALL_PLUGIN_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION "${TALLY_INSTALL_PLUGIN_DIR}")
    install(FILES "${ARG_OUTPUT_DIR}/${ARG_NAME}.plugin.yaml" DESTINATION "${TALLY_INSTALL_PLUGIN_DIR}")
  endif()
endfunction()
