#include "faulty_disk.hpp"

#include <sqlite3.h>

#include <mutex>
#include <stdexcept>

namespace switchboard::testing {
namespace {

// Our file: the base SQLite sees, then the real VFS's file right behind it (szOsFile covers both).
struct ShimFile {
    sqlite3_file base;
    sqlite3_file* real;
    bool wal;
};

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs shim_vfs;

sqlite3_file* real_of(sqlite3_file* file) { return reinterpret_cast<ShimFile*>(file)->real; }
const sqlite3_io_methods& real_methods(sqlite3_file* file) { return *real_of(file)->pMethods; }

int shim_close(sqlite3_file* f) { return real_methods(f).xClose(real_of(f)); }
int shim_read(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
    return real_methods(f).xRead(real_of(f), data, amount, offset);
}
int shim_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
    if (FaultyDisk::install().full()) return SQLITE_FULL;
    return real_methods(f).xWrite(real_of(f), data, amount, offset);
}
int shim_truncate(sqlite3_file* f, sqlite3_int64 size) { return real_methods(f).xTruncate(real_of(f), size); }
int shim_sync(sqlite3_file* f, int flags) {
    if (reinterpret_cast<ShimFile*>(f)->wal) FaultyDisk::install().count_wal_sync();
    return real_methods(f).xSync(real_of(f), flags);
}
int shim_file_size(sqlite3_file* f, sqlite3_int64* size) { return real_methods(f).xFileSize(real_of(f), size); }
int shim_lock(sqlite3_file* f, int level) { return real_methods(f).xLock(real_of(f), level); }
int shim_unlock(sqlite3_file* f, int level) { return real_methods(f).xUnlock(real_of(f), level); }
int shim_check_reserved(sqlite3_file* f, int* out) { return real_methods(f).xCheckReservedLock(real_of(f), out); }
int shim_file_control(sqlite3_file* f, int op, void* arg) { return real_methods(f).xFileControl(real_of(f), op, arg); }
int shim_sector_size(sqlite3_file* f) { return real_methods(f).xSectorSize(real_of(f)); }
int shim_device(sqlite3_file* f) { return real_methods(f).xDeviceCharacteristics(real_of(f)); }
int shim_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return real_methods(f).xShmMap(real_of(f), page, size, extend, out);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return real_methods(f).xShmLock(real_of(f), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) { real_methods(f).xShmBarrier(real_of(f)); }
int shim_shm_unmap(sqlite3_file* f, int remove) { return real_methods(f).xShmUnmap(real_of(f), remove); }
int shim_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
    return real_methods(f).xFetch(real_of(f), offset, amount, out);
}
int shim_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
    return real_methods(f).xUnfetch(real_of(f), offset, page);
}

const sqlite3_io_methods shim_methods = {
    3,           shim_close,     shim_read,          shim_write,     shim_truncate,   shim_sync,
    shim_file_size, shim_lock,   shim_unlock,        shim_check_reserved, shim_file_control, shim_sector_size,
    shim_device, shim_shm_map,   shim_shm_lock,      shim_shm_barrier, shim_shm_unmap, shim_fetch,
    shim_unfetch,
};

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    auto* shim = reinterpret_cast<ShimFile*>(file);
    shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
    shim->wal = (flags & SQLITE_OPEN_WAL) != 0;
    const int rc = real_vfs->xOpen(real_vfs, name, shim->real, flags, out_flags);
    // SQLite calls xClose only on files whose pMethods is set.
    shim->base.pMethods = shim->real->pMethods ? &shim_methods : nullptr;
    return rc;
}

}  // namespace

FaultyDisk& FaultyDisk::install() {
    static FaultyDisk disk;
    static std::once_flag once;
    std::call_once(once, [] {
        real_vfs = sqlite3_vfs_find(nullptr);
        if (!real_vfs || real_vfs->iVersion < 3) throw std::runtime_error("no default SQLite VFS to wrap");
        shim_vfs = *real_vfs;  // its other methods do not depend on which VFS calls them
        shim_vfs.zName = "switchboard-faulty-disk";
        shim_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + real_vfs->szOsFile;
        shim_vfs.xOpen = shim_open;
        if (sqlite3_vfs_register(&shim_vfs, 1) != SQLITE_OK) throw std::runtime_error("cannot register the VFS");
    });
    return disk;
}

}  // namespace switchboard::testing
