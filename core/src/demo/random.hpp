// A small, portable pseudo-random generator for the demo data. Every sampler
// is implemented here (not with <random> distributions, whose output differs
// between standard libraries), so a seed gives the same data everywhere.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

namespace tally::demo {

class Random {
 public:
  explicit Random(uint64_t seed) {
    // xoshiro256** must not start from an all-zero state; splitmix64 spreads the seed.
    for (auto& word : state_) word = splitmix64(seed);
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n); n > 0.
  int64_t below(int64_t n) {
    return static_cast<int64_t>((static_cast<unsigned __int128>(next()) * static_cast<uint64_t>(n)) >> 64);
  }
  // Uniform integer in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) { return lo + below(hi - lo + 1); }
  bool chance(double p) { return uniform() < p; }

  // Standard normal by Box-Muller (one value per call keeps the stream simple).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // Log-normal given its median (not its mean), which is what the brief talks about.
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

  int64_t poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda < 30) {  // Knuth's multiplication method, fine for small lambda
      const double limit = std::exp(-lambda);
      int64_t k = 0;
      double product = uniform();
      while (product > limit) {
        ++k;
        product *= uniform();
      }
      return k;
    }
    const double x = std::round(normal(lambda, std::sqrt(lambda)));
    return x < 0 ? 0 : static_cast<int64_t>(x);
  }

  // Index drawn with probability proportional to weights[i].
  size_t weighted(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = uniform() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

}  // namespace tally::demo
