#include "router/request_id.hpp"

#include <atomic>
#include <cstdint>
#include <random>

namespace switchboard::router {

namespace {

std::uint64_t random_seed() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

// splitmix64's output function: a bijection on 64-bit values that scatters neighbouring inputs.
std::uint64_t mix(std::uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

}  // namespace

std::string new_request_id() {
    static const std::uint64_t seed = random_seed();
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t value = mix(seed + counter.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ULL);
    static constexpr char digits[] = "0123456789abcdef";
    std::string id = "req_0000000000000000";
    for (std::size_t i = id.size(); i > 4; --i) {
        id[i - 1] = digits[value & 0xF];
        value >>= 4;
    }
    return id;
}

}  // namespace switchboard::router
