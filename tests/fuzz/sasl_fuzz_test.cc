// A bounded run of the SASL fuzz body in every build: well-formed SCRAM and PLAIN conversations mutated by
// bit flips, truncations, splices and inserted separators and escapes, plus noise.
#include "tests/fuzz/sasl_fuzz.h"

#include <gtest/gtest.h>

#include <random>

namespace strata::security::fuzz {
namespace {

std::string conversation(char selector, std::vector<std::string> tokens) {
  std::string out(1, selector);
  for (std::size_t i = 0; i < tokens.size(); ++i) out += (i == 0 ? "" : "\xff") + tokens[i];
  return out;
}

std::vector<std::string> seeds() {
  const std::string final_message = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+"
                                    "Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  return {
      conversation(0, {"n,,n=user,r=rOprNGfwEbeRWgbNEkqO", final_message}),
      conversation(1, {"y,a=user,n=user,r=abc,ext=1", "c=eSxhPXVzZXIs,r=abc,p=AAAA"}),
      conversation(8, {"SCRAM-SHA-512", "n,,n=us=2Cer,r=abc", final_message}),
      conversation(6, {std::string("\0user\0pencil", 12)}),
      conversation(2, {std::string("user\0user\0pencil", 16)}),
  };
}

void mutate(std::string& input, std::mt19937_64& rng) {
  if (input.size() < 2) return;
  const std::size_t at = 1 + rng() % (input.size() - 1);
  switch (rng() % 6) {
    case 0:
      input[at] = static_cast<char>(input[at] ^ (1 << (rng() % 8)));
      break;
    case 1:
      input.resize(at);
      break;
    case 2:
      input.insert(at, input.substr(1 + rng() % (input.size() - 1)));
      break;
    case 3: {
      static const char* const kPieces[] = {"\xff", ",", "=", "=2C", "\0", "r=", "p=", "c=biws,"};
      input.insert(at, kPieces[rng() % 8]);
      break;
    }
    case 4:
      input.insert(at, std::string(rng() % 9000, static_cast<char>('A' + rng() % 26)));
      break;
    default:
      input[0] = static_cast<char>(rng());
      break;
  }
}

TEST(SaslFuzz, MutatedConversationsAreRefusedCleanly) {
  std::mt19937_64 rng(20261204);
  const auto valid = seeds();
  for (const auto& seed : valid) sasl_conversation_one(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
  for (int round = 0; round < 8'000; ++round) {
    std::string input = valid[rng() % valid.size()];
    for (int m = 0; m < 1 + static_cast<int>(rng() % 3); ++m) mutate(input, rng);
    sasl_conversation_one(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  }
}

TEST(SaslFuzz, Noise) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 4'000; ++round) {
    std::string input(rng() % 300, '\0');
    for (char& c : input) c = static_cast<char>(rng());
    sasl_conversation_one(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  }
}

}  // namespace
}  // namespace strata::security::fuzz
