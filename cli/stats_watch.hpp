// q stats --watch: the queues again every interval. On a terminal a full-screen view redrawn in
// place (the alternate screen, like top) until q or Ctrl-C; otherwise one line per queue and
// interval, for a log or a pipe, until a signal.
#pragma once

#include <functional>
#include <vector>

#include "context.hpp"
#include "libqueue/libqueue.hpp"

namespace q {

// `select` picks the queues to show from each reading (the --queue rule of q stats).
void watch_stats(
    Context& context, libqueue::Milliseconds interval,
    const std::function<std::vector<libqueue::QueueStats>(const libqueue::Stats&)>& select);

}  // namespace q
