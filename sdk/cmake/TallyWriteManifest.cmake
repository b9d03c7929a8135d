# cmake -P helper of tally_add_plugin(): seals the library (its content hash
# into its Tally note) and copies the plugin manifest with library, sha256
# (that content hash) and sdk filled in.
# Inputs: MANIFEST_IN MANIFEST_OUT LIBRARY SDK_HEADER SEAL
set(image "${LIBRARY}.sealing")
execute_process(COMMAND "${SEAL}" image "${LIBRARY}" "${image}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot seal ${LIBRARY}")
endif()
file(SHA256 "${image}" digest)
file(REMOVE "${image}")
execute_process(COMMAND "${SEAL}" patch "${LIBRARY}" "${digest}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot seal ${LIBRARY}")
endif()

file(READ "${MANIFEST_IN}" text)
get_filename_component(libname "${LIBRARY}" NAME)
file(STRINGS "${SDK_HEADER}" major_line REGEX "^#define TALLY_SDK_VERSION_MAJOR ")
file(STRINGS "${SDK_HEADER}" minor_line REGEX "^#define TALLY_SDK_VERSION_MINOR ")
string(REGEX REPLACE ".* ([0-9]+).*" "\\1" major "${major_line}")
string(REGEX REPLACE ".* ([0-9]+).*" "\\1" minor "${minor_line}")
# Drop any lines the author wrote for the generated keys.
string(REGEX REPLACE "(^|\n)(library|sha256|sdk):[^\n]*" "" text "${text}")
string(STRIP "${text}" text)
set(text "${text}\nsdk: \"${major}.${minor}\"\nlibrary: ${libname}\nsha256: ${digest}\n")
file(WRITE "${MANIFEST_OUT}" "${text}")
