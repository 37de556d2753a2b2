// The postgres driver's entry point, for q-driver-postgres.so and for programs that link the
// driver in (driver_module.hpp).
#include "driver_module.hpp"
#include "drivers/postgres/postgres_driver.hpp"

extern "C" const libqueue::DriverModule* q_driver_postgres() {
    static const libqueue::DriverModule module{Q_LIBQUEUE_VERSION, libqueue::make_postgres_driver,
                                               libqueue::postgres_section_display};
    return &module;
}
