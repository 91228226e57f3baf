#pragma once

#include <atomic>

namespace switchboard::testing {

// A SQLite VFS laid over the default one and made the default for this process, so every
// connection the ledger opens goes through it. It passes everything through, except that it can
// pretend the disk is full (writes fail with SQLITE_FULL, as SQLite reports ENOSPC) and it counts
// the fsyncs of WAL files, which is the number of commits (a WAL commit syncs once, twice when
// it also writes a fresh WAL header).
class FaultyDisk {
public:
    // Installs the VFS on first use; the same one for the whole process.
    static FaultyDisk& install();

    void set_full(bool full) { full_ = full; }
    bool full() const { return full_; }
    long wal_syncs() const { return wal_syncs_; }
    void count_wal_sync() { ++wal_syncs_; }

private:
    FaultyDisk() = default;

    std::atomic<bool> full_{false};
    std::atomic<long> wal_syncs_{0};
};

}  // namespace switchboard::testing
