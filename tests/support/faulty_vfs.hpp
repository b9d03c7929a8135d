// A test-only SQLite VFS that wraps the default one and fails writes on
// demand: the disk fills up after N writes, a write is cut short, or the
// Nth write reports an I/O error. Registered by name (kFaultyVfs); stores
// opened with it (ImportOptions::test_vfs) see the faults, nothing else does.
#pragma once

#include <cstdint>

namespace tally::testing {

inline constexpr const char* kFaultyVfs = "tally_faulty";

enum class WriteFault {
  None,
  FullAfter,   // every write after the first `after` ones fails with SQLITE_FULL
  ShortWrite,  // write number `after` + 1 writes half its bytes, then SQLITE_FULL
  IoErrorAt,   // write number `after` + 1 fails with SQLITE_IOERR_WRITE (once)
};

// Registers the VFS (once; not as the default) and arms `fault`, counting
// writes from now on. WriteFault::None disarms it.
void arm_write_fault(WriteFault fault, int64_t after);
// Writes seen since the last arm_write_fault, and how many were failed.
int64_t writes_seen();
int64_t writes_failed();

}  // namespace tally::testing
