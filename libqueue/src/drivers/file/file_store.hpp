// One queue file on disk: its lock, crash-safe rewrites, spaced backups, and a parse cache.
//
// Every change holds an exclusive flock on PATH.lock, writes the whole new file to a temp file
// in the same folder, fsyncs it, renames it over PATH and fsyncs the folder: a crash at any
// instant leaves the old or the new file, never a torn one. Readers take a shared flock.
// A file that does not parse is never written over; every access throws a DataError naming the
// path, the line/column or entry, and the newest backup that still parses.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "drivers/file/file_format.hpp"
#include "libqueue/time.hpp"

namespace libqueue::file_queue {

struct StoreSettings {
    std::filesystem::path path;
    std::uint64_t max_file_size = 5 * 1024 * 1024;
    unsigned max_backups = 5;
    Milliseconds backup_spacing{60'000};  // at most one new backup this often
    Milliseconds lock_timeout{15'000};    // then TemporaryError
};

// What changes when any process rewrites the file (rename gives it a new inode).
struct FileSignature {
    bool exists = false;
    ino_t inode = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileSignature&) const = default;
};

class FileStore {
  public:
    explicit FileStore(StoreSettings settings);
    ~FileStore();
    FileStore(const FileStore&) = delete;
    FileStore& operator=(const FileStore&) = delete;

    const StoreSettings& settings() const { return settings_; }

    // Held for one operation: the in-process mutex plus the flock.
    class Lock {
      public:
        Lock(Lock&&) = delete;
        ~Lock();

      private:
        friend class FileStore;
        Lock(FileStore& store, bool exclusive);
        FileStore& store_;
        std::unique_lock<std::mutex> guard_;
    };

    Lock lock_shared() { return Lock(*this, false); }
    Lock lock_exclusive() { return Lock(*this, true); }

    // Under a lock: the file's contents (empty when it does not exist yet).
    const QueueFile& read();
    // Under the exclusive lock: the contents to change in place, then save() them. If save()
    // is not reached (an exception), the changes are forgotten.
    QueueFile& modify();
    // refuse_growth: a push; TemporaryError when the file would grow past max_file_size.
    void save(bool refuse_growth);
    // After modify(), when the operation changed nothing: keeps the cache, writes nothing.
    void unchanged() { modifying_ = false; }

    // Under a lock: a side file PATH.SUFFIX beside the queue file (nullopt when there is none),
    // and, under the exclusive lock, its atomic replacement (0600, like the queue file).
    std::filesystem::path side_path(const std::string& suffix) const;
    std::optional<std::string> read_side(const std::string& suffix) const;
    void write_side(const std::string& suffix, const std::string& text);
    // Under the exclusive lock: appends to PATH.SUFFIX (created 0600) without an fsync, for
    // side files whose last lines a power loss may take (job logs), never the queue's state.
    void append_side(const std::string& suffix, const std::string& text);

    // Cheap, lock-free: has any process rewritten the file? (wait_for_jobs polls this.)
    FileSignature signature() const;

    // PATH.k for the newest backup that parses, if any.
    std::optional<std::filesystem::path> newest_good_backup() const;

  private:
    void acquire_flock(bool exclusive);
    void release_flock();
    void load_if_changed();
    void write_file(const std::string& text);
    void rotate_backups_if_due();
    void remove_stale_temp_files();

    StoreSettings settings_;
    std::filesystem::path lock_path_;
    int lock_fd_ = -1;
    std::mutex mutex_;

    // The parse cache: valid while the file's signature and first bytes are unchanged.
    QueueFile cached_;
    bool cache_valid_ = false;
    FileSignature cached_signature_;
    std::string cached_head_;
    bool modifying_ = false;
    bool temp_files_checked_ = false;
};

// Creates PATH's folder if needed. Used before the first lock.
void ensure_parent_folder(const std::filesystem::path& path);

}  // namespace libqueue::file_queue
