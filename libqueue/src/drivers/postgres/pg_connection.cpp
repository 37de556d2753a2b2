#include "drivers/postgres/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <map>
#include <random>
#include <thread>

#include "drivers/postgres/pg_dsn.hpp"

namespace libqueue::pg {

namespace {

using Clock = std::chrono::steady_clock;

std::string first_line(const std::string& text) {
    auto end = text.find('\n');
    std::string line = text.substr(0, end);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    return line;
}

std::map<std::string, std::string> to_map(const PQconninfoOption* options) {
    std::map<std::string, std::string> out;
    for (auto* o = options; o && o->keyword; ++o) {
        if (o->val && *o->val)
            out[o->keyword] = o->val;
    }
    return out;
}

// Grows from 50ms to 1s with jitter, so a restarted server is not hit by every worker at once.
std::chrono::milliseconds backoff(int attempt) {
    thread_local std::mt19937 random{std::random_device{}()};
    long base = std::min(1000L, 50L << std::min(attempt, 5));
    std::uniform_int_distribution<long> jitter(base / 2, base);
    return std::chrono::milliseconds(jitter(random));
}

void sleep_towards(Clock::time_point deadline, std::chrono::milliseconds pause) {
    auto until = std::min(deadline, Clock::now() + pause);
    std::this_thread::sleep_until(until);
}

}  // namespace

Target make_target(const std::string& dsn) {
    std::map<std::string, std::string> given;
    for (const auto& option : parse_dsn(dsn).options) {
        if (!option.value.empty())
            given[option.keyword] = option.value;
    }
    ConninfoPtr defaults_owner(PQconndefaults());  // includes the PG* environment variables
    auto defaults = to_map(defaults_owner.get());

    Target target;
    for (const auto& [key, value] : given)
        target.conninfo += key + "=" + conninfo_quote(value) + " ";
    // Bounded waits: libpq would otherwise wait for the kernel's TCP timeouts (minutes) on a
    // host that does not answer.
    auto add_default = [&](const std::string& key, const std::string& value) {
        if (!given.count(key) && !defaults.count(key))
            target.conninfo += key + "=" + value + " ";
    };
    add_default("connect_timeout", "5");
    add_default("keepalives_idle", "15");
    add_default("keepalives_interval", "5");
    add_default("keepalives_count", "3");
    add_default("application_name", "q");
    if (!target.conninfo.empty())
        target.conninfo.pop_back();

    auto pick = [&](const std::string& key, const std::string& fallback) {
        if (auto it = given.find(key); it != given.end())
            return it->second;
        if (auto it = defaults.find(key); it != defaults.end())
            return it->second;
        return fallback;
    };
    std::string host = pick("host", pick("hostaddr", "localhost"));
    std::string user = pick("user", "");
    target.where = host + ":" + pick("port", "5432") + "/" + pick("dbname", user);
    target.password = pick("password", "");
    return target;
}

std::string Target::without_password(std::string text) const {
    if (password.empty())
        return text;
    for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at + 3)) {
        text.replace(at, password.size(), "***");
    }
    return text;
}

bool Connection::looks_dead() const {
    if (!db || !db->is_open())
        return true;
    int fd = db->sock();
    if (fd < 0)
        return true;
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
}

Failure classify(const std::exception& error) {
    if (dynamic_cast<const pqxx::broken_connection*>(&error))
        return Failure::connection;
    if (dynamic_cast<const pqxx::in_doubt_error*>(&error))
        return Failure::connection;
    if (auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
        const std::string& state = sql->sqlstate();
        // 08: connection exceptions; 57P01-03: admin/crash shutdown, cannot connect now.
        if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0)
            return Failure::connection;
        if (state == "40001" || state == "40P01")
            return Failure::retry;
        // 22: data exceptions (bytes that are not UTF-8, values out of range); 54: program limits
        // (a value too large for an index row). What was sent is wrong, not the server.
        if (state.rfind("22", 0) == 0 || state.rfind("54", 0) == 0)
            return Failure::data;
        return Failure::fatal;
    }
    if (dynamic_cast<const pqxx::transaction_rollback*>(&error))
        return Failure::retry;
    return Failure::fatal;
}

Pool::Pool(Target target, Setup setup, std::size_t max_connections)
    : target_(std::move(target)), setup_(std::move(setup)), max_connections_(max_connections) {}

Pool::~Pool() = default;

std::unique_ptr<pqxx::connection> Pool::connect_once() const {
    try {
        auto db = std::make_unique<pqxx::connection>(target_.conninfo);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        // q reconnects itself (with backoff, bounded); libpqxx's silent reactivation would hide
        // lost connections from the retry logic.
        db->inhibit_reactivation(true);
#pragma GCC diagnostic pop
        return db;
    } catch (const pqxx::failure& e) {
        unavailable(e.what());
    }
}

void Pool::unavailable(const std::string& detail) const {
    throw UnavailableError("cannot connect to PostgreSQL at " + target_.where + ": " +
                           target_.without_password(first_line(detail)));
}

void Pool::check_connection() {
    run("connect", [](Connection&, int) {});
}

std::unique_ptr<Connection> Pool::acquire(Clock::time_point deadline) {
    {
        std::unique_lock lock(mutex_);
        for (;;) {
            while (!idle_.empty()) {
                auto connection = std::move(idle_.back());
                idle_.pop_back();
                if (!connection->looks_dead())
                    return connection;
                --open_;
            }
            if (open_ < max_connections_) {
                ++open_;
                break;
            }
            if (returned_.wait_until(lock, deadline) == std::cv_status::timeout) {
                throw TemporaryError("PostgreSQL at " + target_.where + ": all " +
                                     std::to_string(max_connections_) +
                                     " connections of the pool stayed busy");
            }
        }
    }
    std::string last_error;
    for (int attempt = 0;; ++attempt) {
        try {
            auto connection = std::make_unique<Connection>();
            connection->db = std::make_unique<pqxx::connection>(target_.conninfo);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
            connection->db->inhibit_reactivation(true);
#pragma GCC diagnostic pop
            // By the server's process id, not a count kept by this pool: pools in separate
            // processes would all start at shard 0, and their single-connection workers would add
            // to one counter row and wait for each other's commits. Connections opened about the
            // same time get neighbouring pids, so up to eight of them spread over all shards.
            connection->shard = connection->db->backendpid() % 8;
            setup_(*connection);
            ever_connected_ = true;
            return connection;
        } catch (const std::exception& e) {
            last_error = e.what();
        }
        if (Clock::now() >= deadline) {
            discard();
            unavailable(last_error);
        }
        sleep_towards(deadline, backoff(attempt));
    }
}

void Pool::give_back(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    if (connection->db && connection->db->is_open()) {
        idle_.push_back(std::move(connection));
    } else {
        --open_;
    }
    returned_.notify_one();
}

void Pool::discard() {
    std::lock_guard lock(mutex_);
    --open_;
    returned_.notify_one();
}

void Pool::run_erased(const char* what, const std::function<void(Connection&, int)>& fn) {
    auto budget = ever_connected_ ? retry_budget : first_connect_budget;
    auto deadline = Clock::now() + budget;
    std::string last_problem;
    for (int attempt = 0;; ++attempt) {
        auto connection = acquire(deadline);
        try {
            fn(*connection, attempt);
            give_back(std::move(connection));
            return;
        } catch (const Error&) {
            give_back(std::move(connection));
            throw;
        } catch (const std::exception& e) {
            switch (classify(e)) {
                case Failure::connection:
                    connection.reset();
                    discard();
                    last_problem = e.what();
                    break;
                case Failure::retry:
                    give_back(std::move(connection));
                    last_problem = e.what();
                    break;
                case Failure::data:
                    give_back(std::move(connection));
                    throw DataError(std::string("PostgreSQL (") + what + ") refused the data: " +
                                    target_.without_password(first_line(e.what())));
                case Failure::fatal:
                    give_back(std::move(connection));
                    throw InternalError(std::string("PostgreSQL (") + what + " on " +
                                        target_.where +
                                        "): " + target_.without_password(first_line(e.what())));
            }
        }
        if (Clock::now() >= deadline)
            unavailable(last_problem);
        sleep_towards(deadline, backoff(attempt));
    }
}

}  // namespace libqueue::pg
