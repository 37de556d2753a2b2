#include "libqueue/metrics.hpp"
