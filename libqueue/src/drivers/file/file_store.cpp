#include "drivers/file/file_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "libqueue/duration.hpp"

#include "libqueue/errors.hpp"
#include "libqueue/input_limits.hpp"

namespace libqueue::file_queue {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kHeadBytes = 128;  // covers format, version and generation

struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0)
            ::close(fd);
    }
};

std::string errno_text() {
    return std::strerror(errno);
}

std::string random_generation() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(16, '0');
    auto bits = rng();
    for (auto& c : out) {
        c = hex[bits & 15];
        bits >>= 4;
    }
    return out;
}

FileSignature signature_of(const struct stat& st) {
    return {true, st.st_ino, st.st_size,
            std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// Reads the whole file; nullopt when it does not exist. A FIFO would block the open and a device
// never end: the path must name a regular file.
std::optional<std::string> read_whole(const fs::path& path, FileSignature* signature) {
    require_regular_file(path, "queue file");
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::nullopt;
        throw UnavailableError(path.string() + ": cannot open: " + errno_text());
    }
    FdCloser closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw UnavailableError(path.string() + ": " + errno_text());
    if (signature)
        *signature = signature_of(st);
    std::string text;
    text.resize(std::size_t(st.st_size));
    std::size_t done = 0;
    while (true) {
        if (done == text.size())
            text.resize(text.size() + 4096);  // grew since fstat
        ssize_t n = ::read(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw UnavailableError(path.string() + ": cannot read: " + errno_text());
        }
        if (n == 0)
            break;
        done += std::size_t(n);
    }
    text.resize(done);
    return text;
}

void write_all(int fd, const std::string& text, const fs::path& path) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw TemporaryError(path.string() + ": cannot write: " + errno_text());
        }
        done += std::size_t(n);
    }
}

void fsync_folder(const fs::path& folder) {
    int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    FdCloser closer{fd};
    ::fsync(fd);
}

fs::path backup_path(const fs::path& path, unsigned k) {
    return fs::path(path.string() + "." + std::to_string(k));
}

}  // namespace

void ensure_parent_folder(const fs::path& path) {
    auto parent = path.parent_path();
    if (parent.empty())
        return;
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec)
        throw UnavailableError(parent.string() + ": cannot create folder: " + ec.message());
}

FileStore::FileStore(StoreSettings settings)
    : settings_(std::move(settings)), lock_path_(settings_.path.string() + ".lock") {}

FileStore::~FileStore() {
    if (lock_fd_ >= 0)
        ::close(lock_fd_);
}

FileStore::Lock::Lock(FileStore& store, bool exclusive) : store_(store), guard_(store.mutex_) {
    store_.acquire_flock(exclusive);
}

FileStore::Lock::~Lock() {
    if (store_.modifying_) {  // the operation threw before save(): forget its changes
        store_.modifying_ = false;
        store_.cache_valid_ = false;
    }
    store_.release_flock();
}

namespace {

// A blocking flock that gives up after `timeout`. Blocked waiters are woken by the kernel when
// the holder lets go, so a busy file is shared fairly (polling with sleeps starves the unlucky
// process). The wait happens on a helper thread with its own descriptor: if we give up, the
// helper still gets the lock one day and drops it by closing that descriptor, which no one else
// uses.
struct PendingLock {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    bool abandoned = false;
    int error = 0;
};

bool flock_with_timeout(int fd, int mode, Milliseconds timeout) {
    if (::flock(fd, mode | LOCK_NB) == 0)
        return true;
    if (errno != EWOULDBLOCK && errno != EINTR)
        return false;
    auto pending = std::make_shared<PendingLock>();
    std::thread([fd, mode, pending] {
        int result;
        do {
            result = ::flock(fd, mode);
        } while (result != 0 && errno == EINTR);
        int error = result == 0 ? 0 : errno;
        std::lock_guard lock(pending->mutex);
        if (pending->abandoned) {
            ::close(fd);
            return;
        }
        pending->error = error;
        pending->done = true;
        pending->done_cv.notify_one();
    }).detach();
    std::unique_lock lock(pending->mutex);
    if (pending->done_cv.wait_for(lock, timeout, [&] { return pending->done; })) {
        errno = pending->error;
        return pending->error == 0;
    }
    pending->abandoned = true;  // the helper closes fd
    errno = EWOULDBLOCK;
    return false;
}

}  // namespace

void FileStore::acquire_flock(bool exclusive) {
    ensure_parent_folder(settings_.path);
    // A fresh descriptor per hold: a lock abandoned after a timeout stays with its own.
    int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw UnavailableError(lock_path_.string() + ": cannot open lock file: " + errno_text());
    }
    if (flock_with_timeout(fd, exclusive ? LOCK_EX : LOCK_SH, settings_.lock_timeout)) {
        lock_fd_ = fd;
        return;
    }
    if (errno != EWOULDBLOCK) {
        std::string why = errno_text();
        ::close(fd);
        throw UnavailableError(lock_path_.string() + ": cannot lock: " + why);
    }
    // fd now belongs to the helper thread.
    throw TemporaryError(lock_path_.string() + ": lock still held by another process after " +
                         format_duration(settings_.lock_timeout) + "; try again");
}

void FileStore::release_flock() {
    if (lock_fd_ >= 0)
        ::close(lock_fd_);  // closing drops the flock
    lock_fd_ = -1;
}

FileSignature FileStore::signature() const {
    struct stat st {};
    if (::stat(settings_.path.c_str(), &st) != 0)
        return {};
    return signature_of(st);
}

void FileStore::load_if_changed() {
    FileSignature now = signature();
    if (cache_valid_ && now == cached_signature_) {
        if (!now.exists)
            return;
        // Same inode, size and mtime: confirm with the per-write generation in the first bytes.
        std::ifstream in(settings_.path, std::ios::binary);
        std::string head(kHeadBytes, '\0');
        in.read(head.data(), std::streamsize(head.size()));
        head.resize(std::size_t(in.gcount()));
        if (head == cached_head_)
            return;
    }
    cache_valid_ = false;
    FileSignature read_signature;
    auto text = read_whole(settings_.path, &read_signature);
    if (!text) {
        cached_ = QueueFile{};
        cached_signature_ = {};
        cached_head_.clear();
        cache_valid_ = true;
        return;
    }
    try {
        cached_ = parse_queue_file(*text, settings_.path.string());
    } catch (const DataError& e) {
        std::string hint;
        if (auto backup = newest_good_backup()) {
            hint = "; it was left untouched. Restore the newest good backup with: cp " +
                   backup->string() + " " + settings_.path.string();
        } else {
            hint =
                "; it was left untouched and no good backup was found (inspect it with "
                "`q inspect-file`)";
        }
        throw DataError(e.what() + hint);
    }
    cached_signature_ = read_signature;
    cached_head_ = text->substr(0, kHeadBytes);
    cache_valid_ = true;
}

const QueueFile& FileStore::read() {
    load_if_changed();
    return cached_;
}

QueueFile& FileStore::modify() {
    load_if_changed();
    modifying_ = true;
    return cached_;
}

void FileStore::save(bool refuse_growth) {
    std::string text = serialize_queue_file(cached_, random_generation());
    if (refuse_growth && text.size() > settings_.max_file_size &&
        off_t(text.size()) > cached_signature_.size) {
        // Remembered completions are not jobs: forget the oldest before refusing a push.
        for (auto completed = completed_oldest_first(cached_);
             !completed.empty() && text.size() > settings_.max_file_size;) {
            auto drop = std::max<std::size_t>(1, completed.size() / 4);
            for (std::size_t i = 0; i < drop; ++i) cached_.jobs().erase(completed[i]);
            completed.erase(completed.begin(), completed.begin() + std::ptrdiff_t(drop));
            text = serialize_queue_file(cached_, random_generation());
        }
        if (text.size() > settings_.max_file_size) {
            throw TemporaryError(settings_.path.string() + ": queue file full: it would grow to " +
                                 std::to_string(text.size()) + " bytes, past max_file_size " +
                                 std::to_string(settings_.max_file_size) +
                                 "; nothing was pushed (work or prune jobs, or raise "
                                 "queue.file.max_file_size)");
        }
    }
    write_file(text);
    modifying_ = false;
}

namespace {

// Writes `text` to a new temp file beside `path` (0600, or path's mode when it exists), fsyncs
// it, calls before_rename, renames it over `path` and fsyncs the folder: a crash leaves the old
// or the new file, never a torn one. Returns the new file's stat.
struct stat replace_atomically(const fs::path& path, const std::string& text,
                               const std::function<void()>& before_rename) {
    fs::path folder = path.parent_path();
    fs::path temp = folder / ("." + path.filename().string() + ".tmp-" +
                              std::to_string(::getpid()) + "-" + random_generation());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw TemporaryError(temp.string() + ": cannot create: " + errno_text());
    struct stat st {};
    try {
        FdCloser closer{fd};
        struct stat old {};
        if (::stat(path.c_str(), &old) == 0)
            ::fchmod(fd, old.st_mode & 07777);
        write_all(fd, text, temp);
        if (::fsync(fd) != 0)
            throw TemporaryError(temp.string() + ": fsync: " + errno_text());
        ::fstat(fd, &st);
        if (before_rename)
            before_rename();
        if (::rename(temp.c_str(), path.c_str()) != 0) {
            throw TemporaryError(path.string() + ": cannot replace: " + errno_text());
        }
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
    fsync_folder(folder);
    return st;
}

}  // namespace

void FileStore::write_file(const std::string& text) {
    if (!temp_files_checked_) {
        remove_stale_temp_files();
        temp_files_checked_ = true;
    }
    struct stat st {};
    try {
        st = replace_atomically(settings_.path, text, [this] { rotate_backups_if_due(); });
    } catch (...) {
        cache_valid_ = false;
        throw;
    }
    cached_signature_ = signature_of(st);
    cached_head_ = text.substr(0, kHeadBytes);
    cache_valid_ = true;
}

std::filesystem::path FileStore::side_path(const std::string& suffix) const {
    return fs::path(settings_.path.string() + "." + suffix);
}

std::optional<std::string> FileStore::read_side(const std::string& suffix) const {
    return read_whole(side_path(suffix), nullptr);
}

void FileStore::write_side(const std::string& suffix, const std::string& text) {
    ensure_parent_folder(settings_.path);
    if (!temp_files_checked_) {
        remove_stale_temp_files();
        temp_files_checked_ = true;
    }
    replace_atomically(side_path(suffix), text, {});
}

void FileStore::append_side(const std::string& suffix, const std::string& text) {
    ensure_parent_folder(settings_.path);
    const auto path = side_path(suffix);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        throw TemporaryError(path.string() + ": cannot open: " + errno_text());
    FdCloser closer{fd};
    write_all(fd, text, path);
}

// PATH.1 is the newest backup. A new one is taken only when PATH.1 is older than the spacing,
// so the backups reach back in time instead of holding the last few milliseconds.
void FileStore::rotate_backups_if_due() {
    if (settings_.max_backups == 0 || !cached_signature_.exists)
        return;
    const fs::path& path = settings_.path;
    struct stat newest {};
    if (::stat(backup_path(path, 1).c_str(), &newest) == 0) {
        auto age = std::chrono::system_clock::now() -
                   std::chrono::system_clock::from_time_t(newest.st_mtim.tv_sec);
        if (age < settings_.backup_spacing)
            return;
    }
    ::unlink(backup_path(path, settings_.max_backups).c_str());
    for (unsigned k = settings_.max_backups; k > 1; --k) {
        ::rename(backup_path(path, k - 1).c_str(), backup_path(path, k).c_str());
    }
    // The current file parsed under our lock: it is a good version. A hard link costs no copy;
    // the rename that follows gives PATH a new inode and leaves this one to the backup.
    auto first = backup_path(path, 1);
    if (::link(path.c_str(), first.c_str()) == 0) {
        ::utimensat(AT_FDCWD, first.c_str(), nullptr, 0);  // its age is the backup's age
    }
}

void FileStore::remove_stale_temp_files() {
    // Only a writer holding the exclusive lock has a temp file; any other is a crashed writer's.
    std::error_code ec;
    fs::path folder = settings_.path.parent_path();
    // The queue file's (.PATH.tmp-*) and its side files' (.PATH.SUFFIX.tmp-*).
    const std::string prefix = "." + settings_.path.filename().string() + ".";
    for (const auto& entry : fs::directory_iterator(folder.empty() ? "." : folder, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) == 0 &&
            name.find(".tmp-", prefix.size() - 1) != std::string::npos)
            fs::remove(entry.path(), ec);
    }
}

std::optional<fs::path> FileStore::newest_good_backup() const {
    for (unsigned k = 1; k <= std::max(settings_.max_backups, 5u); ++k) {
        auto candidate = backup_path(settings_.path, k);
        try {
            auto text = read_whole(candidate, nullptr);
            if (!text)
                continue;
            parse_queue_file(*text, candidate.string());
            return candidate;
        } catch (const Error&) {
        }
    }
    return std::nullopt;
}

}  // namespace libqueue::file_queue
