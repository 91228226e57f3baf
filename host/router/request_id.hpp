#pragma once

#include <string>

namespace switchboard::router {

// A new correlation id, "req_" + 16 hex digits. Never repeats within a process (a bijective mix
// of a counter) and differs between processes (the counter starts at a random_device seed).
// Thread-safe and lock-free.
std::string new_request_id();

}  // namespace switchboard::router
