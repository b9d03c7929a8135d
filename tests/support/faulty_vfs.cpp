// The fault-injecting VFS: every call goes to the default VFS; xWrite
// counts and fails as armed. Files of every kind (database, journal, WAL,
// temp files) count, as on a real full disk.
#include "support/faulty_vfs.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace tally::testing {

namespace {

std::atomic<int> g_fault{0};
std::atomic<int64_t> g_after{0};
std::atomic<int64_t> g_writes{0};
std::atomic<int64_t> g_failed{0};

sqlite3_vfs g_vfs;
sqlite3_vfs* g_real = nullptr;

struct FaultyFile {
  sqlite3_file base;
  sqlite3_file* real;  // follows this struct in the same allocation
};

sqlite3_file* real(sqlite3_file* f) {
  return reinterpret_cast<FaultyFile*>(f)->real;
}

int x_close(sqlite3_file* f) {
  int rc = real(f)->pMethods ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK;
  return rc;
}
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return real(f)->pMethods->xRead(real(f), buf, n, off);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  const int64_t number = ++g_writes;  // 1-based
  const auto fault = static_cast<WriteFault>(g_fault.load());
  const int64_t after = g_after.load();
  if (fault == WriteFault::FullAfter && number > after) {
    ++g_failed;
    return SQLITE_FULL;
  }
  if (fault == WriteFault::ShortWrite && number == after + 1) {
    ++g_failed;
    real(f)->pMethods->xWrite(real(f), buf, n / 2, off);
    return SQLITE_FULL;
  }
  if (fault == WriteFault::IoErrorAt && number == after + 1) {
    ++g_failed;
    return SQLITE_IOERR_WRITE;
  }
  return real(f)->pMethods->xWrite(real(f), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int lock) {
  return real(f)->pMethods->xLock(real(f), lock);
}
int x_unlock(sqlite3_file* f, int lock) {
  return real(f)->pMethods->xUnlock(real(f), lock);
}
int x_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) {
  return real(f)->pMethods->xSectorSize(real(f));
}
int x_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  real(f)->pMethods->xShmBarrier(real(f));
}
int x_shm_unmap(sqlite3_file* f, int del) {
  return real(f)->pMethods->xShmUnmap(real(f), del);
}
// No memory-mapped pages: every access goes through xRead/xWrite.
int x_fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int x_unfetch(sqlite3_file*, sqlite3_int64, void*) {
  return SQLITE_OK;
}

const sqlite3_io_methods kMethods = {3,
                                     x_close,
                                     x_read,
                                     x_write,
                                     x_truncate,
                                     x_sync,
                                     x_file_size,
                                     x_lock,
                                     x_unlock,
                                     x_check_reserved,
                                     x_file_control,
                                     x_sector_size,
                                     x_device_characteristics,
                                     x_shm_map,
                                     x_shm_lock,
                                     x_shm_barrier,
                                     x_shm_unmap,
                                     x_fetch,
                                     x_unfetch};

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* f = reinterpret_cast<FaultyFile*>(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  std::memset(f->real, 0, static_cast<size_t>(g_real->szOsFile));
  const int rc = g_real->xOpen(g_real, name, f->real, flags, out_flags);
  // SQLite calls xClose even when xOpen fails, if pMethods is set.
  f->base.pMethods = f->real->pMethods ? &kMethods : nullptr;
  return rc;
}
int x_delete(sqlite3_vfs*, const char* name, int sync) {
  return g_real->xDelete(g_real, name, sync);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_real->xAccess(g_real, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) {
  return g_real->xDlOpen(g_real, name);
}
void x_dl_error(sqlite3_vfs*, int n, char* out) {
  g_real->xDlError(g_real, n, out);
}
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_real->xDlSym(g_real, h, sym);
}
void x_dl_close(sqlite3_vfs*, void* h) {
  g_real->xDlClose(g_real, h);
}
int x_randomness(sqlite3_vfs*, int n, char* out) {
  return g_real->xRandomness(g_real, n, out);
}
int x_sleep(sqlite3_vfs*, int us) {
  return g_real->xSleep(g_real, us);
}
int x_current_time(sqlite3_vfs*, double* out) {
  return g_real->xCurrentTime(g_real, out);
}
int x_get_last_error(sqlite3_vfs*, int n, char* out) {
  return g_real->xGetLastError(g_real, n, out);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_real->xCurrentTimeInt64(g_real, out);
}

void register_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_real = sqlite3_vfs_find(nullptr);
    std::memset(&g_vfs, 0, sizeof g_vfs);
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = static_cast<int>(sizeof(FaultyFile)) + g_real->szOsFile;
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = kFaultyVfs;
    g_vfs.xOpen = x_open;
    g_vfs.xDelete = x_delete;
    g_vfs.xAccess = x_access;
    g_vfs.xFullPathname = x_full_pathname;
    g_vfs.xDlOpen = x_dl_open;
    g_vfs.xDlError = x_dl_error;
    g_vfs.xDlSym = x_dl_sym;
    g_vfs.xDlClose = x_dl_close;
    g_vfs.xRandomness = x_randomness;
    g_vfs.xSleep = x_sleep;
    g_vfs.xCurrentTime = x_current_time;
    g_vfs.xGetLastError = x_get_last_error;
    g_vfs.xCurrentTimeInt64 = x_current_time_int64;
    sqlite3_vfs_register(&g_vfs, 0);
  });
}

}  // namespace

void arm_write_fault(WriteFault fault, int64_t after) {
  register_once();
  g_fault = static_cast<int>(WriteFault::None);
  g_writes = 0;
  g_failed = 0;
  g_after = after;
  g_fault = static_cast<int>(fault);
}

int64_t writes_seen() {
  return g_writes.load();
}
int64_t writes_failed() {
  return g_failed.load();
}

}  // namespace tally::testing
