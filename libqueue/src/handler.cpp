#include "libqueue/handler.hpp"

namespace libqueue {

Outcome Handlers::execute(const Job&, std::stop_token) const { return Outcome::failure("stub"); }
Handlers handlers_from_config(const Config&, CommandOptions) { return {}; }

}  // namespace libqueue
