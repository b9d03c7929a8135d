# Seals a bad plugin's library and writes its manifest:
# NAME KIND SDK SHA(auto|bogus) LIBRARY_FILE LIBRARY_NAME OUT SEAL [UNSEALED] [STRIP STRIP_TOOL] [TAMPER]
set(digest "0000000000000000000000000000000000000000000000000000000000000000")
if(NOT UNSEALED)
  execute_process(COMMAND "${SEAL}" image "${LIBRARY_FILE}" "${LIBRARY_FILE}.image" COMMAND_ERROR_IS_FATAL ANY)
  file(SHA256 "${LIBRARY_FILE}.image" sealed)
  file(REMOVE "${LIBRARY_FILE}.image")
  execute_process(COMMAND "${SEAL}" patch "${LIBRARY_FILE}" "${sealed}" COMMAND_ERROR_IS_FATAL ANY)
  if(SHA STREQUAL "auto")
    set(digest "${sealed}")
  endif()
endif()
if(STRIP)
  execute_process(COMMAND "${STRIP_TOOL}" --strip-all "${LIBRARY_FILE}" COMMAND_ERROR_IS_FATAL ANY)
endif()
if(TAMPER)
  # Changes the first byte of the KPI label in read-only data (the first
  # occurrence: .rodata precedes the debug sections): bytes the seal covers.
  file(READ "${LIBRARY_FILE}" hex HEX)
  string(HEX "tampered-with" marker)
  string(FIND "${hex}" "${marker}" at)
  if(at LESS 0)
    message(FATAL_ERROR "no tamper marker in ${LIBRARY_FILE}")
  endif()
  math(EXPR byte "${at} / 2")
  # CMake cannot write one byte in place; the seal tool's patch would reseal,
  # so let dd do it.
  execute_process(COMMAND sh -c "printf X | dd of='${LIBRARY_FILE}' bs=1 seek=${byte} conv=notrunc status=none"
                  COMMAND_ERROR_IS_FATAL ANY)
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
