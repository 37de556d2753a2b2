// The pauses between tries at a backend that failed (a claim, an outcome, a batch of
// completions): 100 ms, doubling up to 5 s, so a short outage costs little and a long one does
// not flood the backend or the log.
#pragma once

#include <algorithm>

#include "libqueue/time.hpp"

namespace libqueue::exec {

class BackendBackoff {
  public:
    static constexpr Milliseconds first{100};
    static constexpr Milliseconds last{5'000};

    // The pause before the next try; each call doubles the one after.
    Milliseconds next() {
        const Milliseconds pause = next_;
        next_ = std::min(next_ * 2, last);
        return pause;
    }
    // After a success: the next failure starts again at `first`.
    void reset() { next_ = first; }

  private:
    Milliseconds next_ = first;
};

}  // namespace libqueue::exec
