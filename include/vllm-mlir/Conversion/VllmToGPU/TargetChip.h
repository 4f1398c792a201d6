//===- TargetChip.h - what the GPU lowering knows about a chip --*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The capability -> strategy table of the GPU lowering. Each supported chip
// has one entry, defined in its own file (ChipSM90a.cpp, ChipSM100a.cpp):
// the PTX versions it accepts, which NVVM conversions exist on it, and the
// code generators for the operations whose best instruction differs between
// chips. Everything that could make the NVPTX backend abort (an intrinsic
// the chip lacks, an unknown PTX version) is checked against this table and
// reported as a diagnostic instead.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_CONVERSION_VLLMTOGPU_TARGETCHIP_H
#define VLLM_MLIR_CONVERSION_VLLMTOGPU_TARGETCHIP_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
namespace vllm {

/// One supported target chip.
struct TargetChipInfo {
  /// The name used in `#nvvm.target<chip = ...>` and in options ("sm_100a").
  StringRef name;
  /// The SM version (90, 100).
  unsigned smVersion;
  /// The oldest PTX ISA version (times 10) that knows this chip.
  unsigned minPtxVersion;
  /// NVPTX features used when the user gives none; they must be accepted by
  /// the ptxas of CUDA 13.
  StringRef defaultFeatures;
  /// Whether `cvt.rp.satfinite.ue8m0x2.f32` exists (sm_100a and later).
  bool hasUE8M0Convert;
  /// Whether `add`/`mul`/`fma.rn.f32x2` exist (sm_100a and later): the row
  /// kernels then do their element-wise f32 arithmetic on pairs, one
  /// instruction per two elements. Each lane rounds like the scalar
  /// instruction, so the bits are the same.
  bool hasPackedF32Arithmetic;
  /// Whether warpgroup MMAs (`wgmma.mma_async`, sm_90a only) and the tensor
  /// memory accelerator's tiled copies exist: scaled_matmul then runs on
  /// the warp-specialized tensor-core kernel (MatmulSM90a.cpp).
  bool hasWgmma;
  /// Whether the 5th-generation tensor core instructions (`tcgen05.*`:
  /// tensor memory, `tcgen05.mma.block_scale`, sm_100a) exist:
  /// scaled_matmul then runs on the tcgen05 kernel (MatmulSM100a.cpp).
  bool hasTcgen05;
  /// The PTX ISA version (times 10) the tcgen05 kernel needs: its
  /// `tcgen05.mma.block_scale.block32` is PTX 8.8 (0 without tcgen05). A
  /// module holding such a kernel gets at least this version.
  unsigned tcgen05PtxVersion;
  /// SMs of the data-center part (H100/H200 SXM: 132, B200: 148). Persistent
  /// row kernels launch this many times their resident CTAs per SM; on a
  /// part with another count they are just as correct, with a less even
  /// split of the rows.
  unsigned numSMs;
  /// Emits the UE8M0 exponent byte `e` of SPEC.md's U(s) as an i32 in
  /// [0, 255], given `clamped` = max(s, 1e-10) as f32 (so never NaN, never
  /// below 1e-10; +Inf gives 255). All chips return identical values.
  Value (*emitUE8M0Exponent)(OpBuilder &builder, Location loc, Value clamped);
};

/// The entries of the chip table (one per file ChipSM*.cpp).
const TargetChipInfo &getSM90aChipInfo();
const TargetChipInfo &getSM100aChipInfo();

/// The table entry for `name`, or null when the chip is not supported.
const TargetChipInfo *lookupTargetChip(StringRef name);

/// "sm_90a, sm_100a", for diagnostics.
std::string getSupportedChipNames();

/// Checks `features` (a comma-separated list of `+ptxNN`; empty means the
/// chip's default) for `chip`: exactly one PTX version that LLVM 22 knows and
/// that is new enough for the chip. Returns the features to record in
/// `#nvvm.target`, or failure after emitting a diagnostic.
FailureOr<std::string>
resolveTargetFeatures(const TargetChipInfo &chip, StringRef features,
                      function_ref<InFlightDiagnostic()> emitError);

/// The PTX ISA version (times 10) of `features` as resolveTargetFeatures
/// returns them ("+ptxNN"); 0 when there is none.
unsigned getPtxVersion(StringRef features);

/// Checks that the NVVM operation `op` can be compiled for `chip` with PTX
/// ISA `ptxVersion` (times 10; the conversions the lowering emits have
/// minimum chips, the tcgen05 kernel a minimum PTX version); emits a
/// diagnostic on `op` and fails otherwise. Operations the table does not
/// know pass.
LogicalResult verifyAvailableOn(Operation *op, const TargetChipInfo &chip,
                                unsigned ptxVersion);

} // namespace vllm
} // namespace mlir

#endif // VLLM_MLIR_CONVERSION_VLLMTOGPU_TARGETCHIP_H
