#include "libqueue/stats.hpp"

#include <fmt/format.h>

#include "libqueue/text.hpp"

namespace libqueue {

bool count_rows(StateCounts& counts, std::string_view status, bool due, std::uint64_t n) {
    if (status == "pending") {
        (due ? counts.due : counts.delayed) += n;
    } else if (status == "processing") {
        counts.processing += n;
    } else if (status == "completed") {
        counts.completed += n;
    } else if (status == "failed") {
        counts.failed += n;
    } else {
        return false;
    }
    return true;
}

std::string unknown_status_warning(std::string_view queue, std::string_view name,
                                   std::string_view status, std::uint64_t n) {
    return fmt::format(
        "queue {}, job name {}: {} job{} with status '{}', which q does not know "
        "(counted nowhere; q list names them)",
        valid_utf8(queue), valid_utf8(name), n, n == 1 ? "" : "s",
        valid_utf8(status.substr(0, 40)));
}

}  // namespace libqueue
