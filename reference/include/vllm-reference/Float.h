//===- Float.h - Scalar number formats of the CPU reference -----*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The scalar primitives of docs/SPEC.md section 2, written from the spec and
// nothing else: bf16 / f16 / f32 storage with round-to-nearest-even, the FP8
// e4m3fn encoder E(v), the UE8M0 ceiling U(s), and IEEE maxNum / minNum.
//
// No function here calls a library conversion (no __fp16, no _Float16, no
// hardware cvt): every rounding is done by exact arithmetic on the value, so
// the reference cannot inherit a bug from the code it is meant to check.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_REFERENCE_FLOAT_H
#define VLLM_REFERENCE_FLOAT_H

#include <cstddef>
#include <cstdint>

namespace vllm {
namespace ref {

/// Element types an activation or weight may have (T in the SPEC).
enum class DType : int { BF16 = 0, F16 = 1, F32 = 2 };

/// Size in bytes of one element of `type`.
size_t dtypeSize(DType type);
/// "bf16", "f16" or "f32".
const char *dtypeName(DType type);

/// The largest finite e4m3fn magnitude.
constexpr float kFp8Max = 448.0f;
/// The floor of a per-group amax (SPEC 3.3) and of the UE8M0 input (SPEC 2).
constexpr float kScaleFloor = 1e-10f;
/// min_scale = 1 / (448 * 512) of the dynamic per-token / per-tensor schemes,
/// evaluated in f32 (one division of exact operands, rounded once).
float minScale();

//===----------------------------------------------------------------------===//
// Storage formats (RN_T)
//===----------------------------------------------------------------------===//

float bf16ToFloat(uint16_t bits);
/// Round-to-nearest-even; overflow gives +-Inf; NaN stays NaN (quiet, sign
/// kept).
uint16_t floatToBf16(float value);

float f16ToFloat(uint16_t bits);
/// Round-to-nearest-even including the subnormal range; overflow gives +-Inf;
/// NaN stays NaN (quiet, sign kept).
uint16_t floatToF16(float value);

/// RN_T(value) as an f32 (exact: every T value is an f32 value).
float roundTo(DType type, float value);

/// Reads element `index` of an array of `type` as f32.
float loadAs(DType type, const void *base, int64_t index);
/// Stores RN_T(value) into element `index` of an array of `type`.
void storeAs(DType type, void *base, int64_t index, float value);

/// Bit pattern of element `index` widened to 32 bits (for bitwise compares).
uint32_t bitsAt(DType type, const void *base, int64_t index);

/// Distance in units in the last place of T between two T values given as
/// bit patterns: 0 for equal values (and +0 vs -0, and NaN vs NaN), a huge
/// number when exactly one of them is NaN.
uint64_t ulpDistance(DType type, uint32_t aBits, uint32_t bBits);

//===----------------------------------------------------------------------===//
// FP8 e4m3fn
//===----------------------------------------------------------------------===//

/// E(v) of SPEC 2: round-to-nearest-even to e4m3fn, saturating: |v| > 448
/// (including +-Inf) gives +-448; NaN gives NaN (0x7f with the sign of v).
uint8_t encodeE4M3(float value);
/// The value of an e4m3fn byte (NaN for 0x7f / 0xff).
float decodeE4M3(uint8_t bits);
bool isE4M3NaN(uint8_t bits);

//===----------------------------------------------------------------------===//
// UE8M0
//===----------------------------------------------------------------------===//

/// X(v) of SPEC 2: the specified f32 exp (clamp to [-104, 89], Cody-Waite
/// reduction, degree-7 Taylor polynomial in fma steps, scaling by two
/// powers of two), evaluated operation by operation.
float specExp(float value);

/// The UE8M0 byte of U(s) (SPEC 2): s' = max(s, 1e-10) viewed as f32 bits,
/// e = exponent field + (mantissa field != 0). +Inf gives 255.
uint8_t ue8m0Exponent(float scale);
/// The f32 whose bits are e << 23 (2^(e-127); e = 255 gives +Inf).
float ue8m0Value(uint8_t exponent);

//===----------------------------------------------------------------------===//
// IEEE 754-2008 maxNum / minNum: a NaN operand is ignored unless both are.
//===----------------------------------------------------------------------===//

float maxNum(float a, float b);
float minNum(float a, float b);

/// Bit pattern of an f32 and back.
uint32_t floatBits(float value);
float floatFromBits(uint32_t bits);

} // namespace ref
} // namespace vllm

#endif // VLLM_REFERENCE_FLOAT_H
