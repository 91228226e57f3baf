#pragma once

#include <cstdint>
#include <string_view>

// Fixed, platform-independent hashing for the mocks: their output must be identical on every
// machine and every run, which std::hash does not promise.
namespace switchboard::mock {

inline constexpr std::uint64_t fnv1a_offset = 0xcbf29ce484222325ULL;

// FNV-1a over `bytes`, continuing from `state` so several fields can be chained.
constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t state = fnv1a_offset) noexcept {
    for (unsigned char byte : bytes) {
        state ^= byte;
        state *= 0x100000001b3ULL;
    }
    return state;
}

// The splitmix64 step: a bijective mix that spreads every input bit over the output. Feeding it
// consecutive values gives a good, reproducible pseudo-random sequence.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// A uniform double in [0, 1) from the top 53 bits of `bits`.
constexpr double unit_interval(std::uint64_t bits) noexcept {
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

}  // namespace switchboard::mock
