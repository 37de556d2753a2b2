#include "libqueue/manager.hpp"
