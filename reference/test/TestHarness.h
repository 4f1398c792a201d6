//===- TestHarness.h - Minimal unit-test harness ----------------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A few macros instead of a test framework, so the CPU unit tests need
// nothing beyond the compiler in CI. Each test is a function registered with
// VT_TEST; checks record failures and continue. The program prints one line
// per failed check and ends with "N passed, N failed, N skipped"; it exits
// non-zero on any failure. An optional argument runs only tests whose name
// contains it (arguments starting with '-' are left to the test program).
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_TEST_HARNESS_H
#define VLLM_TEST_HARNESS_H

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace vt {

struct TestCase {
  const char *name;
  void (*fn)();
};

inline std::vector<TestCase> &registry() {
  static std::vector<TestCase> tests;
  return tests;
}

inline int &checkFailures() {
  static int failures = 0;
  return failures;
}

/// Set by VT_SKIP: the running test is reported as skipped (unless a check
/// failed before).
inline bool &skipFlag() {
  static bool skipped = false;
  return skipped;
}

inline bool registerTest(const char *name, void (*fn)()) {
  registry().push_back({name, fn});
  return true;
}

inline std::string show(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g (0x%08x)", static_cast<double>(v), b);
  return buf;
}
inline std::string show(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}
template <typename T> std::string show(const T &v) {
  std::ostringstream os;
  if constexpr (std::is_integral_v<T>)
    os << static_cast<long long>(v) << " (0x" << std::hex
       << static_cast<unsigned long long>(v) << ")";
  else
    os << v;
  return os.str();
}

inline void fail(const char *file, int line, const std::string &what) {
  ++checkFailures();
  std::printf("    FAILED %s:%d: %s\n", file, line, what.c_str());
}

inline int runAll(int argc, char **argv) {
  const char *filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0, skipped = 0;
  for (const TestCase &t : registry()) {
    if (filter && filter[0] != '-' && !std::strstr(t.name, filter))
      continue;
    int before = checkFailures();
    skipFlag() = false;
    t.fn();
    bool ok = checkFailures() == before;
    if (ok && skipFlag()) {
      std::printf("[ SKIP ] %s\n", t.name);
      ++skipped;
      continue;
    }
    std::printf("%s %s\n", ok ? "[ PASS ]" : "[ FAIL ]", t.name);
    ok ? ++passed : ++failed;
  }
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 && passed > 0 ? 0 : 1;
}

} // namespace vt

#define VT_TEST(name)                                                          \
  static void name();                                                          \
  static const bool name##Registered = vt::registerTest(#name, name);          \
  static void name()

#define VT_SKIP(reason)                                                        \
  do {                                                                         \
    std::printf("    skipped: %s\n", std::string(reason).c_str());             \
    vt::skipFlag() = true;                                                     \
    return;                                                                    \
  } while (0)

#define VT_EXPECT(cond)                                                        \
  do {                                                                         \
    if (!(cond))                                                               \
      vt::fail(__FILE__, __LINE__, "expected " #cond);                         \
  } while (0)

// Compares with ==; floats compare by value (use VT_EXPECT_BITS for -0/NaN).
#define VT_EXPECT_EQ(actual, expected)                                         \
  do {                                                                         \
    auto vtA = (actual);                                                       \
    auto vtE = (expected);                                                     \
    if (!(vtA == vtE))                                                         \
      vt::fail(__FILE__, __LINE__,                                             \
               std::string(#actual " == " #expected ": got ") +                \
                   vt::show(vtA) + ", expected " + vt::show(vtE));             \
  } while (0)

#define VT_EXPECT_NEAR(actual, expected, tolerance)                            \
  do {                                                                         \
    double vtA = (actual);                                                     \
    double vtE = (expected);                                                   \
    if (!(std::fabs(vtA - vtE) <= (tolerance)))                                \
      vt::fail(__FILE__, __LINE__,                                             \
               std::string(#actual " ~= " #expected ": got ") +                \
                   vt::show(vtA) + ", expected " + vt::show(vtE));             \
  } while (0)

#define VT_MAIN()                                                              \
  int main(int argc, char **argv) { return vt::runAll(argc, argv); }

#endif // VLLM_TEST_HARNESS_H
