#include "queue_argument.hpp"

#include <fmt/format.h>

#include "libqueue/errors.hpp"

namespace q {

std::string queue_argument(Context& context, const std::string& given, const std::string& command) {
    if (given.empty() && !context.options.queue)
        throw libqueue::UsageError(command + ": name the queue (QUEUE or --queue)");
    if (given.empty())
        return context.queue();
    if (context.options.queue && context.queue() != given) {
        throw libqueue::UsageError(
            fmt::format("{}: QUEUE '{}' and --queue '{}' differ", command, given, context.queue()));
    }
    return given;
}

}  // namespace q
