// libqueue from C++: a job class, dispatch, a worker and the metrics, on the queue q's config
// names. Build against an installed libqueue:
//
//   c++ -std=c++20 mail_worker.cpp $(pkg-config --cflags --libs libqueue) -o mail_worker
//   ./mail_worker [CONFIG]        # CONFIG as for q --config; q's lookup order without it
//
// It pushes three emails (one to an address without '@', which is bad data and goes to the dead
// letters at once), works the queue until nothing is due, and prints the metrics as JSON.
#include <libqueue/libqueue.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace {

// A job class: its state is its payload (to_json when pushed, from_json when worked).
class SendEmail : public libqueue::QueueJob {
  public:
    explicit SendEmail(std::string to) : to_(std::move(to)) {}

    static std::unique_ptr<SendEmail> from_json(const nlohmann::json& payload) {
        return std::make_unique<SendEmail>(payload.at("to").get<std::string>());
    }

    std::string job_name() const override { return "send_email"; }
    nlohmann::json to_json() const override { return {{"to", to_}}; }
    int max_retries() const override { return 5; }

    void handle() override {
        // DataError: no attempt can succeed, so the job is dead at once. Any other exception is
        // a failed attempt, retried with backoff.
        if (to_.find('@') == std::string::npos)
            throw libqueue::DataError("not an address: " + to_);
        std::cout << "sent to " << to_ << '\n';
    }

  private:
    std::string to_;
};

}  // namespace

int main(int argc, char** argv) {
    try {
        std::optional<std::filesystem::path> config_file;
        if (argc > 1)
            config_file = argv[1];
        libqueue::Manager manager(libqueue::resolve_config(config_file));
        manager.handlers().on_class<SendEmail>("send_email");

        for (const char* to : {"ada@example.com", "grace@example.com", "nobody"}) {
            const auto dispatched = manager.dispatch(SendEmail(to));
            std::cout << "pushed " << dispatched.id << '\n';
        }

        // The config's queue.worker settings, then ours: stop once nothing is due.
        auto options = manager.default_worker_options();
        options.stop_when_empty = true;
        libqueue::WorkerCallbacks callbacks;
        callbacks.on_job_dead = [](const libqueue::Job& job, const libqueue::Outcome& outcome) {
            std::cout << "dead " << job.id << ": " << outcome.error << '\n';
        };
        const auto summary = manager.work(options, callbacks);
        std::cout << summary.completed << " completed, " << summary.dead << " dead\n";
        std::cout << manager.metrics().to_json().dump() << '\n';
        return 0;
    } catch (const libqueue::Error& e) {
        std::cerr << "mail_worker: " << e.what() << '\n';
        return 1;
    }
}
