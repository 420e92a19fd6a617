#include "exporter/common/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

struct Vector {
  std::string message;
  std::string digest;
};

// FIPS 180-4 examples / NIST CAVP short messages.
const Vector kVectors[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
     "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

TEST(Sha256Test, MatchesNistVectors) {
  for (const Vector& v : kVectors) {
    EXPECT_EQ(Sha256::HexOf(v.message), v.digest) << "'" << v.message << "'";
  }
}

TEST(Sha256Test, PortableAndAcceleratedCodeAgree) {
  std::string message;
  for (int i = 0; i < 100000; ++i) message.push_back(static_cast<char>(i * 31));
  Sha256::SetAccelerationForTesting(false);
  EXPECT_FALSE(Sha256::Accelerated());
  const std::string portable = Sha256::HexOf(message);
  for (const Vector& v : kVectors) {
    EXPECT_EQ(Sha256::HexOf(v.message), v.digest) << "portable: " << v.message;
  }
  Sha256::SetAccelerationForTesting(true);
  EXPECT_EQ(Sha256::HexOf(message), portable)
      << "accelerated: " << Sha256::Accelerated();
}

TEST(Sha256Test, OneMillionAs) {
  Sha256 sha;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) sha.Update(chunk);
  EXPECT_EQ(Sha256::Hex(sha.Finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalUpdatesAtOddBoundariesGiveTheSameDigest) {
  std::string message;
  for (int i = 0; i < 1000; ++i) message.push_back(static_cast<char>(i * 7));
  const std::string whole = Sha256::HexOf(message);
  for (std::size_t step : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u, 129u}) {
    Sha256 sha;
    for (std::size_t i = 0; i < message.size(); i += step) {
      sha.Update(std::string_view(message).substr(i, step));
    }
    EXPECT_EQ(Sha256::Hex(sha.Finish()), whole) << "step " << step;
  }
}

TEST(Sha256Test, PaddingEdgeLengths) {
  // Lengths around the 55/56/64-byte padding boundaries, checked against
  // sha256sum.
  EXPECT_EQ(Sha256::HexOf(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Sha256::HexOf(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Sha256::HexOf(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256Test, ResetStartsAFreshStream) {
  Sha256 sha;
  sha.Update("garbage");
  sha.Finish();
  sha.Reset();
  sha.Update("abc");
  EXPECT_EQ(Sha256::Hex(sha.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace pe
