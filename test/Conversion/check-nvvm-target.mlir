// vllm-check-nvvm-target turns what would make the NVPTX backend abort (an
// intrinsic the chip lacks) or what the lowering does not support into
// diagnostics, for any gpu.module in the input.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --vllm-check-nvvm-target
// Through the whole pipeline the same input ends in an error, not an LLVM
// fatal error (`not` fails on a crash):
// RUN: not vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_90a format=ptx" 2>&1 | FileCheck %s

// CHECK: error: 'nvvm.convert.f32x2.to.f8x2' op converts to UE8M0 (cvt.*.ue8m0x2), which sm_90a does not have (it needs sm_100a or later)
// CHECK: error: 'nvvm.tcgen05.mma.block_scale' op needs PTX ISA 8.8 (+ptx88), the target of sm_100a has +ptx86

module attributes {gpu.container_module} {
  gpu.module @kernels [#nvvm.target<chip = "sm_90a", features = "+ptx86">] {
    llvm.func @ue8m0(%a: f32) -> i16 {
      // expected-error @below {{'nvvm.convert.f32x2.to.f8x2' op converts to UE8M0 (cvt.*.ue8m0x2), which sm_90a does not have (it needs sm_100a or later)}}
      %r = nvvm.convert.f32x2.to.f8x2 %a, %a {rnd = #nvvm.fp_rnd_mode<rp>, sat = #nvvm.sat_mode<satfinite>} : i16 (f8E8M0FNU)
      llvm.return %r : i16
    }
  }
}

// -----

// The same conversion is fine on sm_100a, and e4m3 on both.
module attributes {gpu.container_module} {
  gpu.module @kernels [#nvvm.target<chip = "sm_100a", features = "+ptx86">] {
    llvm.func @ue8m0(%a: f32) -> i16 {
      %r = nvvm.convert.f32x2.to.f8x2 %a, %a {rnd = #nvvm.fp_rnd_mode<rp>, sat = #nvvm.sat_mode<satfinite>} : i16 (f8E8M0FNU)
      llvm.return %r : i16
    }
  }
  gpu.module @kernels90 [#nvvm.target<chip = "sm_90a">] {
    llvm.func @e4m3(%a: f32) -> i16 {
      %r = nvvm.convert.f32x2.to.f8x2 %a, %a {rnd = #nvvm.fp_rnd_mode<rn>, sat = #nvvm.sat_mode<satfinite>} : i16 (f8E4M3FN)
      llvm.return %r : i16
    }
  }
}

// -----

module attributes {gpu.container_module} {
  // expected-error @below {{target chip 'sm_80' is not supported: supported chips are sm_90a, sm_100a}}
  gpu.module @kernels [#nvvm.target<chip = "sm_80">] {
  }
}

// -----

module attributes {gpu.container_module} {
  // expected-error @below {{sm_100a requires PTX ISA >= 8.6 (+ptx86), got +ptx84}}
  gpu.module @kernels [#nvvm.target<chip = "sm_100a", features = "+ptx84">] {
  }
}

// -----

// The block-scaled tcgen05 MMA needs PTX ISA 8.8: with block32 below it the
// NVPTX backend aborts (it cannot select the intrinsic), without a block size
// ptxas rejects it. The chip's default (+ptx86) is too old as well; the
// lowering raises it for the modules it makes (vllm-to-gpu-matmul-sm100a.mlir).
module attributes {gpu.container_module} {
  gpu.module @kernels [#nvvm.target<chip = "sm_100a", features = "+ptx86">] {
    llvm.func @mma(%d: !llvm.ptr<6>, %a: i64, %b: i64, %idesc: i32, %accumulate: i1, %sfa: !llvm.ptr<6>, %sfb: !llvm.ptr<6>) {
      // expected-error @below {{'nvvm.tcgen05.mma.block_scale' op needs PTX ISA 8.8 (+ptx88), the target of sm_100a has +ptx86}}
      nvvm.tcgen05.mma.block_scale %d, %a, %b, %idesc, %accumulate, %sfa, %sfb {blockScale = #nvvm.tcgen05_mma_block_scale<block32>, ctaGroup = #nvvm.cta_group<cta_1>, kind = #nvvm.block_scale_kind<mxf8f6f4>} : (!llvm.ptr<6>, i64, i64, i32, i1, !llvm.ptr<6>, !llvm.ptr<6>)
      llvm.return
    }
  }
  gpu.module @kernels_default [#nvvm.target<chip = "sm_100a">] {
    llvm.func @mma(%d: !llvm.ptr<6>, %a: i64, %b: i64, %idesc: i32, %accumulate: i1, %sfa: !llvm.ptr<6>, %sfb: !llvm.ptr<6>) {
      // expected-error @below {{'nvvm.tcgen05.mma.block_scale' op needs PTX ISA 8.8 (+ptx88), the target of sm_100a has +ptx86}}
      nvvm.tcgen05.mma.block_scale %d, %a, %b, %idesc, %accumulate, %sfa, %sfb {ctaGroup = #nvvm.cta_group<cta_1>, kind = #nvvm.block_scale_kind<mxf8f6f4>} : (!llvm.ptr<6>, i64, i64, i32, i1, !llvm.ptr<6>, !llvm.ptr<6>)
      llvm.return
    }
  }
  gpu.module @kernels_87 [#nvvm.target<chip = "sm_100a", features = "+ptx87">] {
    llvm.func @mma(%d: !llvm.ptr<6>, %a: i64, %b: i64, %idesc: i32, %accumulate: i1, %sfa: !llvm.ptr<6>, %sfb: !llvm.ptr<6>) {
      // expected-error @below {{'nvvm.tcgen05.mma.block_scale' op needs PTX ISA 8.8 (+ptx88), the target of sm_100a has +ptx87}}
      nvvm.tcgen05.mma.block_scale %d, %a, %b, %idesc, %accumulate, %sfa, %sfb {blockScale = #nvvm.tcgen05_mma_block_scale<block32>, ctaGroup = #nvvm.cta_group<cta_1>, kind = #nvvm.block_scale_kind<mxf8f6f4>} : (!llvm.ptr<6>, i64, i64, i32, i1, !llvm.ptr<6>, !llvm.ptr<6>)
      llvm.return
    }
  }
}

// -----

// With +ptx88 (or newer) it passes.
module attributes {gpu.container_module} {
  gpu.module @kernels [#nvvm.target<chip = "sm_100a", features = "+ptx88">] {
    llvm.func @mma(%d: !llvm.ptr<6>, %a: i64, %b: i64, %idesc: i32, %accumulate: i1, %sfa: !llvm.ptr<6>, %sfb: !llvm.ptr<6>) {
      nvvm.tcgen05.mma.block_scale %d, %a, %b, %idesc, %accumulate, %sfa, %sfb {blockScale = #nvvm.tcgen05_mma_block_scale<block32>, ctaGroup = #nvvm.cta_group<cta_1>, kind = #nvvm.block_scale_kind<mxf8f6f4>} : (!llvm.ptr<6>, i64, i64, i32, i1, !llvm.ptr<6>, !llvm.ptr<6>)
      llvm.return
    }
  }
  gpu.module @kernels_90 [#nvvm.target<chip = "sm_100a", features = "+ptx90">] {
    llvm.func @mma(%d: !llvm.ptr<6>, %a: i64, %b: i64, %idesc: i32, %accumulate: i1, %sfa: !llvm.ptr<6>, %sfb: !llvm.ptr<6>) {
      nvvm.tcgen05.mma.block_scale %d, %a, %b, %idesc, %accumulate, %sfa, %sfb {blockScale = #nvvm.tcgen05_mma_block_scale<block32>, ctaGroup = #nvvm.cta_group<cta_1>, kind = #nvvm.block_scale_kind<mxf8f6f4>} : (!llvm.ptr<6>, i64, i64, i32, i1, !llvm.ptr<6>, !llvm.ptr<6>)
      llvm.return
    }
  }
}
