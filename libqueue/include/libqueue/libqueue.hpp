// Everything libqueue offers, in one include.
#pragma once

#include "libqueue/backoff.hpp"
#include "libqueue/config.hpp"
#include "libqueue/driver.hpp"
#include "libqueue/duration.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/handler.hpp"
#include "libqueue/job.hpp"
#include "libqueue/json_limits.hpp"
#include "libqueue/manager.hpp"
#include "libqueue/metrics.hpp"
#include "libqueue/metrics_text.hpp"
#include "libqueue/registry.hpp"
#include "libqueue/stats.hpp"
#include "libqueue/text.hpp"
#include "libqueue/time.hpp"
#include "libqueue/worker.hpp"
