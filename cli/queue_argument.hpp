// The one queue a command acts on (clear, pause, resume): its QUEUE argument, else the global
// --queue. Acting on every queue at once is never the default.
#pragma once

#include <string>

#include "context.hpp"

namespace q {

// UsageError "<command>: name the queue (QUEUE or --queue)" when neither is given, and when both
// are and differ.
std::string queue_argument(Context& context, const std::string& given, const std::string& command);

}  // namespace q
