# cmake -P helper: copies a plugin manifest and fills in library, sha256, sdk.
file(READ "${MANIFEST_IN}" text)
file(SHA256 "${LIBRARY}" digest)
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
