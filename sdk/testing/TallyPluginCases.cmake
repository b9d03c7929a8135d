# tally_add_plugin_cases([DIR <plugin folder>] [PLUGIN_DIR <built plugins>]
#                        [PREFIX <test name prefix>] [TALLY <tally executable>])
#
# Registers a plugin's golden cases with ctest, one test per case folder
# DIR/tests/cases/<case>/, each run by `tally test-plugin DIR --case <case>`
# against the plugin built into PLUGIN_DIR. What a case holds follows the
# plugin's kind (docs/plugin-guide.md): a metric's seed.sql or seed.yaml,
# config.yaml and expected.json; a report's seed, config.yaml and expected.<ext>,
# expected/<file> or expected_fragments.txt; a source's mapping.yaml, input/
# and expected.json. Needs enable_testing() (or include(CTest)) first.
set(_TALLY_CASES_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(tally_add_plugin_cases)
  cmake_parse_arguments(ARG "" "DIR;PLUGIN_DIR;PREFIX;TALLY" "" ${ARGN})
  if(NOT ARG_DIR)
    set(ARG_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  if(NOT ARG_PLUGIN_DIR)
    if(DEFINED TALLY_PLUGIN_OUTPUT_DIR)
      set(ARG_PLUGIN_DIR "${TALLY_PLUGIN_OUTPUT_DIR}")
    else()
      set(ARG_PLUGIN_DIR "${CMAKE_BINARY_DIR}/plugins")
    endif()
  endif()
  if(NOT ARG_PREFIX)
    get_filename_component(ARG_PREFIX "${ARG_DIR}" NAME)
  endif()
  if(NOT ARG_TALLY)
    if(TARGET tally)
      set(ARG_TALLY $<TARGET_FILE:tally>)
    else()
      # The tally installed with this SDK: <prefix>/lib/cmake/TallySDK -> <prefix>/bin.
      get_filename_component(prefix "${_TALLY_CASES_CMAKE_DIR}/../../.." ABSOLUTE)
      find_program(TALLY_EXECUTABLE tally HINTS "${prefix}/bin")
      if(NOT TALLY_EXECUTABLE)
        message(WARNING "tally_add_plugin_cases: no `tally` executable found (in ${prefix}/bin or on PATH), so "
                        "the golden cases are not registered; install Tally or pass TALLY <path>")
        return()
      endif()
      set(ARG_TALLY "${TALLY_EXECUTABLE}")
    endif()
  endif()
  file(GLOB cases LIST_DIRECTORIES true CONFIGURE_DEPENDS "${ARG_DIR}/tests/cases/*")
  list(SORT cases)
  set(found FALSE)
  foreach(case_dir IN LISTS cases)
    if(IS_DIRECTORY "${case_dir}")
      get_filename_component(case "${case_dir}" NAME)
      add_test(NAME plugin_case.${ARG_PREFIX}.${case}
        COMMAND "${ARG_TALLY}" test-plugin "${ARG_DIR}" --case "${case}" --plugin-path "${ARG_PLUGIN_DIR}")
      set_tests_properties(plugin_case.${ARG_PREFIX}.${case} PROPERTIES ENVIRONMENT "NO_COLOR=1" TIMEOUT 120)
      set(found TRUE)
    endif()
  endforeach()
  if(NOT found)
    message(WARNING "tally_add_plugin_cases: no cases in ${ARG_DIR}/tests/cases/")
  endif()
endfunction()
