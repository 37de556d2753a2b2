// One hiredis connection: RAII over redisContext and redisReply, commands as argument vectors,
// pipelines, and the split between a lost connection (retry elsewhere) and a server's answer.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/redis/redis_url.hpp"
#include "libqueue/time.hpp"

namespace libqueue::redis {

// The connection broke or the server cannot serve right now (LOADING after a restart, BUSY): the
// command may or may not have run. The pool reconnects and retries; callers never see it.
class ConnectionLost : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ReplyDeleter {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Read-only helpers over a reply or one of its elements.
bool is_error(const redisReply& r);
bool is_nil(const redisReply& r);
std::string_view text(const redisReply& r);  // string, status or error text; "" otherwise
std::int64_t integer(const redisReply& r);   // integer replies, and strings holding one
const redisReply& element(const redisReply& r, std::size_t i);
std::size_t size(const redisReply& r);  // elements of an array; 0 otherwise

using Command = std::vector<std::string>;

class Connection {
  public:
    // Connects, authenticates and selects the database. Throws ConnectionLost when the server
    // cannot be reached, ConfigError when it refuses the password.
    Connection(const RedisUrl& url, Milliseconds connect_timeout, Milliseconds command_timeout);

    // One command; the reply may be an error reply (see expect). Throws ConnectionLost.
    ReplyPtr command(const Command& args);
    // Sends every command, then reads every reply, in order: one round trip.
    std::vector<ReplyPtr> pipeline(const std::vector<Command>& commands);
    // The two halves of a pipeline, for callers that stream large batches.
    void append(const Command& args);
    ReplyPtr read_reply();

    // How long a reply may take before the connection counts as lost (blocking commands need
    // more than their own timeout).
    void set_command_timeout(Milliseconds timeout);
    Milliseconds default_command_timeout() const { return command_timeout_; }

    bool broken() const { return broken_; }
    // For a connection left mid-transaction or mid-pipeline: the pool will not reuse it.
    void mark_broken() { broken_ = true; }
    const std::string& where() const { return where_; }

    // Throws for an error reply: ConnectionLost for the transient ones (LOADING, BUSY, READONLY,
    // MASTERDOWN, TRYAGAIN), TemporaryError for OOM, InternalError otherwise, naming `what`.
    const redisReply& expect(const ReplyPtr& reply, std::string_view what) const;

  private:
    struct ContextDeleter {
        void operator()(redisContext* c) const { redisFree(c); }
    };
    [[noreturn]] void lost(std::string_view during);

    std::unique_ptr<redisContext, ContextDeleter> context_;
    std::string where_;  // "redis at host:port/db": for messages; never holds the password
    Milliseconds command_timeout_;
    bool broken_ = false;
};

}  // namespace libqueue::redis
