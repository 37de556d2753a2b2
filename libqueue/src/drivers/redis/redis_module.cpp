// The redis driver's entry point, for q-driver-redis.so and for programs that link the driver
// in (driver_module.hpp). Its section display needs no hiredis: it is libqueue's, which the
// registry also uses directly.
#include "driver_module.hpp"
#include "drivers/redis/redis_driver.hpp"

extern "C" const libqueue::DriverModule* q_driver_redis() {
    static const libqueue::DriverModule module{Q_LIBQUEUE_VERSION, libqueue::make_redis_driver,
                                               libqueue::redis_section_display};
    return &module;
}
