//===- MatmulTest.cpp - Hand-worked cases of the f64 GEMM reference -------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#include "TestHarness.h"
#include "vllm-reference/Reference.h"

using namespace vllm::ref;

VT_TEST(oneBlock) {
  // K = 128, a = 1, b = 2, sa = 0.5, sb = 3: 0.5 * 3 * (128 * 2) = 384.
  std::vector<double> a(128, 1.0);
  std::vector<float> b(128, 2.0f);
  std::vector<double> sa = {0.5}, sb = {3.0};
  std::vector<double> d = blockScaledMatmulF64(a, 1, 128, b, 1, &sa, sb);
  VT_EXPECT_EQ(d.size(), 1u);
  VT_EXPECT_EQ(d[0], 384.0);
}

VT_TEST(scalesApplyPerBlock) {
  // K = 256, all ones: each block sums to 128.
  // Row 0: sa = [1, 2], column 0: sb = [0.5, 0.25] -> 64 + 64 = 128.
  // Column 1: sb = [1, 0] -> 128. Row 1: sa = [0, 1] -> 32 and 0.
  std::vector<double> a(2 * 256, 1.0);
  std::vector<float> b(2 * 256, 1.0f);
  std::vector<double> sa = {1, 2, 0, 1};
  std::vector<double> sb = {0.5, 0.25, 1, 0};
  std::vector<double> d = blockScaledMatmulF64(a, 2, 256, b, 2, &sa, sb);
  VT_EXPECT_EQ(d[0], 128.0);
  VT_EXPECT_EQ(d[1], 128.0);
  VT_EXPECT_EQ(d[2], 32.0);
  VT_EXPECT_EQ(d[3], 0.0);
  // Without activation scales: 0.5 * 128 + 0.25 * 128 = 96.
  std::vector<double> u = blockScaledMatmulF64(a, 2, 256, b, 2, nullptr, sb);
  VT_EXPECT_EQ(u[0], 96.0);
}

VT_TEST(signedProducts) {
  // a = [1, -1, 1, -1, ...] against b = 1: the block sum cancels to 0;
  // against b = a it is 128.
  std::vector<double> a(128);
  std::vector<float> b(2 * 128);
  for (int k = 0; k < 128; ++k) {
    a[k] = (k % 2) ? -1.0 : 1.0;
    b[k] = 1.0f;
    b[128 + k] = static_cast<float>(a[k]);
  }
  std::vector<double> sb = {1.0, 1.0};
  std::vector<double> d = blockScaledMatmulF64(a, 1, 128, b, 2, nullptr, sb);
  VT_EXPECT_EQ(d[0], 0.0);
  VT_EXPECT_EQ(d[1], 128.0);
}

VT_TEST(deepGemmMetric) {
  std::vector<double> r = {1, -2, 3, 4};
  VT_EXPECT_EQ(deepGemmDiff(r, r), 0.0);
  // D = -R: 1 - 2 * (-|R|^2) / (2 |R|^2) = 2.
  std::vector<double> neg = {-1, 2, -3, -4};
  VT_EXPECT_EQ(deepGemmDiff(neg, r), 2.0);
  // D = 0: 1 - 0 = 1.
  VT_EXPECT_EQ(deepGemmDiff(std::vector<double>(4, 0.0), r), 1.0);
  // D = 1.01 R: 1 - 2.02 / (1 + 1.0201) = 0.0001 / 2.0201 = 4.9502e-5.
  std::vector<double> scaled;
  for (double v : r)
    scaled.push_back(1.01 * v);
  VT_EXPECT_NEAR(deepGemmDiff(scaled, r), 0.0001 / 2.0201, 1e-12);
  VT_EXPECT_EQ(
      deepGemmDiff(std::vector<double>(3, 0.0), std::vector<double>(3, 0.0)),
      0.0);
}

VT_MAIN()
