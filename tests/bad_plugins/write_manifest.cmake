# Writes a bad plugin's manifest: NAME KIND SDK SHA(auto|bogus) LIBRARY_FILE LIBRARY_NAME OUT
if(SHA STREQUAL "auto")
  file(SHA256 "${LIBRARY_FILE}" digest)
else()
  set(digest "0000000000000000000000000000000000000000000000000000000000000000")
endif()
if(PARAMS_MODE)
  set(params "params:\n  mode: {type: string, default: row, doc: \"row or query: which mistake to make\"}\n")
else()
  set(params "params: {}\n")
endif()
file(WRITE "${OUT}" "name: ${NAME}
kind: ${KIND}
version: 0.0.1
sdk: \"${SDK}\"
library: ${LIBRARY_NAME}
sha256: ${digest}
summary: A deliberately broken plugin for the loader tests
${params}")
