#include "drivers/redis/connection.hpp"

#include <sys/time.h>
#include <unistd.h>

#include <charconv>

#include "libqueue/errors.hpp"

namespace libqueue::redis {

namespace {

timeval to_timeval(Milliseconds d) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(d.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
    return tv;
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

bool is_error(const redisReply& r) {
    return r.type == REDIS_REPLY_ERROR;
}
bool is_nil(const redisReply& r) {
    return r.type == REDIS_REPLY_NIL;
}

std::string_view text(const redisReply& r) {
    switch (r.type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR:
            return {r.str, r.len};
        default:
            return {};
    }
}

std::int64_t integer(const redisReply& r) {
    if (r.type == REDIS_REPLY_INTEGER)
        return r.integer;
    auto s = text(r);
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        throw InternalError("redis: expected an integer, got '" + std::string(s.substr(0, 40)) +
                            "'");
    }
    return value;
}

std::size_t size(const redisReply& r) {
    return r.type == REDIS_REPLY_ARRAY ? r.elements : 0;
}

const redisReply& element(const redisReply& r, std::size_t i) {
    if (r.type != REDIS_REPLY_ARRAY || i >= r.elements || r.element[i] == nullptr) {
        throw InternalError("redis: unexpected reply shape (no element " + std::to_string(i) + ")");
    }
    return *r.element[i];
}

Connection::Connection(const RedisUrl& url, Milliseconds connect_timeout,
                       Milliseconds command_timeout)
    : where_("redis at " + url.describe()), command_timeout_(command_timeout) {
    context_.reset(
        redisConnectWithTimeout(url.host.c_str(), url.port, to_timeval(connect_timeout)));
    if (!context_)
        throw ConnectionLost(where_ + ": cannot allocate a connection");
    if (context_->err) {
        throw ConnectionLost(where_ + ": cannot connect: " + std::string(context_->errstr));
    }
    redisSetTimeout(context_.get(), to_timeval(command_timeout_));
    redisEnableKeepAlive(context_.get());

    if (url.password) {
        Command auth{"AUTH"};
        if (url.username)
            auth.push_back(*url.username);
        auth.push_back(*url.password);
        auto reply = command(auth);
        if (is_error(*reply)) {
            // The server's text names no password ("WRONGPASS invalid username-password pair").
            throw ConfigError(where_ + ": authentication failed: " + std::string(text(*reply)));
        }
    }
    // SELECT (or PING for db 0) proves the connection works, and reveals a missing password.
    // The name lets operators (and tests) tell q's connections apart in CLIENT LIST.
    auto replies =
        pipeline({url.db != 0 ? Command{"SELECT", std::to_string(url.db)} : Command{"PING"},
                  {"CLIENT", "SETNAME", "q-" + std::to_string(getpid())}});
    auto& reply = replies[0];
    if (is_error(*reply)) {
        auto message = text(*reply);
        if (starts_with(message, "NOAUTH")) {
            throw ConfigError(where_ +
                              ": the server wants a password (put it in queue.redis.url or "
                              "$Q_REDIS_PASSWORD)");
        }
        if (starts_with(message, "LOADING"))
            throw ConnectionLost(where_ + ": " + std::string(message));
        throw ConfigError(where_ + ": " + std::string(message));
    }
}

void Connection::lost(std::string_view during) {
    broken_ = true;
    std::string why = context_->errstr[0] ? context_->errstr : "connection lost";
    throw ConnectionLost(where_ + ": " + std::string(during) + ": " + why);
}

void Connection::append(const Command& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_.get(), int(argv.size()), argv.data(), lengths.data()) !=
        REDIS_OK) {
        lost("sending " + (args.empty() ? std::string("a command") : args.front()));
    }
}

ReplyPtr Connection::read_reply() {
    void* raw = nullptr;
    if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) {
        ReplyPtr discard(static_cast<redisReply*>(raw));
        lost("waiting for a reply");
    }
    return ReplyPtr(static_cast<redisReply*>(raw));
}

ReplyPtr Connection::command(const Command& args) {
    append(args);
    return read_reply();
}

std::vector<ReplyPtr> Connection::pipeline(const std::vector<Command>& commands) {
    for (const auto& args : commands) append(args);
    std::vector<ReplyPtr> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(read_reply());
    return replies;
}

void Connection::set_command_timeout(Milliseconds timeout) {
    if (redisSetTimeout(context_.get(), to_timeval(timeout)) != REDIS_OK)
        lost("setting a timeout");
}

const redisReply& Connection::expect(const ReplyPtr& reply, std::string_view what) const {
    if (!is_error(*reply))
        return *reply;
    auto message = text(*reply);
    for (std::string_view transient : {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "TRYAGAIN"}) {
        if (starts_with(message, transient)) {
            throw ConnectionLost(where_ + ": " + std::string(what) + ": " + std::string(message));
        }
    }
    if (starts_with(message, "OOM")) {
        throw TemporaryError(where_ + ": " + std::string(what) + ": out of memory (" +
                             std::string(message) + ")");
    }
    throw InternalError(where_ + ": " + std::string(what) + ": " + std::string(message));
}

}  // namespace libqueue::redis
