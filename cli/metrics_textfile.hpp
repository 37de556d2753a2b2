// q work --metrics-textfile PATH: the worker's own metrics (libqueue::process_metrics_text) written
// to PATH every interval and once more when it stops, for node_exporter's textfile collector.
// Each write goes to a temporary file in the same folder that is renamed over PATH, so the
// collector never reads half a file. The file is 0600, like every file q writes.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "libqueue/time.hpp"

namespace q {

class MetricsTextfile {
  public:
    // Writes once at once (a bad PATH fails here, before the worker starts), then every interval.
    MetricsTextfile(std::filesystem::path path, libqueue::Milliseconds interval,
                    std::function<std::string()> render);
    ~MetricsTextfile();  // stops the thread and writes the last figures
    MetricsTextfile(const MetricsTextfile&) = delete;
    MetricsTextfile& operator=(const MetricsTextfile&) = delete;

  private:
    void write() const;

    std::filesystem::path path_;
    std::function<std::string()> render_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace q
