#include "libqueue/worker.hpp"
