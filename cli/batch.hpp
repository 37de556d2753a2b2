// NDJSON job batches: the lines `q push --batch` stores and `q run` works.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "libqueue/job.hpp"

namespace q {

// Reads every line of FILE (or stdin for "-") as {"name", "payload"?, "queue"?, "delay"?,
// "max_retries"?, "unique_key"?}; blank lines are skipped. Every line is checked before any is
// returned: the first bad one throws DataError "batch line N: why". `on_line` (optional) is
// called for each line read (a progress line counts them).
std::vector<libqueue::NewJob> read_batch(const std::string& source,
                                         const std::string& default_queue,
                                         const std::function<void()>& on_line = {});

// The text without leading and trailing whitespace ("  {..}\n" -> "{..}").
std::string trimmed(const std::string& text);

}  // namespace q
