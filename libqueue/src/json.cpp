#include "libqueue/job.hpp"
