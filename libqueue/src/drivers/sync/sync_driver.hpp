// The sync driver: only its factory is visible outside this folder.
#pragma once

#include <memory>

#include "libqueue/registry.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_sync_driver(const DriverContext& context);

}  // namespace libqueue
