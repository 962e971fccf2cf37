// A temporary directory for one test, removed afterwards. On /var/tmp (a real disk, so O_DIRECT works) unless
// STRATA_TEST_DIR says otherwise.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace strata::testing {

class TestDir {
 public:
  TestDir() : TestDir(std::getenv("STRATA_TEST_DIR") != nullptr ? std::getenv("STRATA_TEST_DIR") : "/var/tmp") {}
  explicit TestDir(const std::string& base) {
    std::string pattern = base + "/strata-test.XXXXXX";
    path_ = ::mkdtemp(pattern.data());
  }
  ~TestDir() { std::filesystem::remove_all(path_); }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace strata::testing
