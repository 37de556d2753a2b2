#include "drivers/redis/scripts.hpp"

#include <iterator>

#include "libqueue/errors.hpp"

namespace libqueue::redis {

namespace {

// In ScriptId order; one per script (checked below, so a new script cannot go unnamed).
constexpr const char* kNames[] = {"push",       "claim",       "heartbeat",      "complete",
                                  "release",    "put_back",    "fail",           "cancel",
                                  "retry_dead", "delete_dead", "recover",        "prune",
                                  "clear",      "find",        "complete_batch", "push_tick"};
static_assert(std::size(kNames) == kScriptCount);

std::size_t index_of(ScriptId id) {
    return static_cast<std::size_t>(id);
}

bool is_noscript(const redisReply& reply) {
    return is_error(reply) && text(reply).substr(0, 8) == "NOSCRIPT";
}

}  // namespace

Scripts::Scripts() : sources_(lua_sources()) {}

void Scripts::load_all(Connection& connection) {
    std::vector<Command> loads;
    for (std::size_t i = 0; i < kScriptCount; ++i) loads.push_back({"SCRIPT", "LOAD", sources_[i]});
    auto replies = connection.pipeline(loads);
    for (std::size_t i = 0; i < kScriptCount; ++i) {
        const auto& reply =
            connection.expect(replies[i], std::string("loading script ") + kNames[i]);
        shas_[i] = std::string(text(reply));
    }
}

Command Scripts::evalsha(ScriptId id, const std::vector<std::string>& args) const {
    Command command;
    command.reserve(args.size() + 3);
    command.push_back("EVALSHA");
    command.push_back(shas_[index_of(id)]);
    command.push_back("0");
    command.insert(command.end(), args.begin(), args.end());
    return command;
}

Command Scripts::load(ScriptId id) const {
    return {"SCRIPT", "LOAD", sources_[index_of(id)]};
}

ReplyPtr Scripts::run(Connection& connection, ScriptId id,
                      const std::vector<std::string>& args) const {
    auto command = evalsha(id, args);
    auto reply = connection.command(command);
    if (is_noscript(*reply)) {
        // The server forgot its scripts (a restart, SCRIPT FLUSH): load this one and run again.
        connection.expect(connection.command(load(id)),
                          std::string("loading script ") + kNames[index_of(id)]);
        reply = connection.command(command);
    }
    connection.expect(reply, std::string("script ") + kNames[index_of(id)]);
    return reply;
}

std::vector<ReplyPtr> Scripts::run_all(Connection& connection, ScriptId id,
                                       const std::vector<std::vector<std::string>>& calls) const {
    std::vector<Command> commands;
    commands.reserve(calls.size());
    for (const auto& args : calls) commands.push_back(evalsha(id, args));
    auto replies = connection.pipeline(commands);
    std::vector<std::size_t> missed;
    for (std::size_t i = 0; i < replies.size(); ++i) {
        if (is_noscript(*replies[i]))
            missed.push_back(i);
    }
    if (!missed.empty()) {
        // As in run(): the server forgot the script (possibly midway, by a SCRIPT FLUSH).
        std::vector<Command> again{load(id)};
        for (auto i : missed) again.push_back(commands[i]);
        auto retried = connection.pipeline(again);
        connection.expect(retried[0], std::string("loading script ") + kNames[index_of(id)]);
        for (std::size_t k = 0; k < missed.size(); ++k)
            replies[missed[k]] = std::move(retried[k + 1]);
    }
    for (const auto& reply : replies) {
        connection.expect(reply, std::string("script ") + kNames[index_of(id)]);
    }
    return replies;
}

}  // namespace libqueue::redis
