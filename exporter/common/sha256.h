#ifndef PIPELINE_EXPORTER_COMMON_SHA256_H_
#define PIPELINE_EXPORTER_COMMON_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pe {

// SHA-256 (FIPS 180-4), incremental. Uses the x86 SHA extensions when the
// CPU has them, the portable implementation otherwise; both give the same
// digest. Not thread-safe; one object per stream.
class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256() { Reset(); }

  void Reset();
  void Update(const void* data, std::size_t len);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Finishes the stream and returns its digest; the object must be Reset()
  // before it is used again.
  Digest Finish();

  // Lower-case hex of a digest (64 characters).
  static std::string Hex(const Digest& digest);
  // Digest of one buffer, as hex.
  static std::string HexOf(std::string_view data);

  // Whether the SHA extensions are used (CPU support and not disabled).
  static bool Accelerated();
  // Tests turn acceleration off to check the portable code on any CPU.
  static void SetAccelerationForTesting(bool enabled);

 private:
  void Compress(const std::uint8_t* blocks, std::size_t count);

  std::uint32_t state_[8];
  std::uint8_t buffer_[64];
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_SHA256_H_
