// The row-prefetch option of convert-vllm-to-gpu (and vllm-gpu-pipeline)
// fixes how many rows a row kernel loads ahead of the one it processes,
// instead of the choice from the register estimate: 0 gives a CTA per row,
// 1 to 3 a persistent grid with that many rows in flight. A kernel whose
// registers cannot hold the rows asked for keeps the automatic choice, with
// a warning.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a row-prefetch=0" --canonicalize --cse | FileCheck %s --check-prefix=PER-ROW
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a row-prefetch=1" --canonicalize --cse | FileCheck %s --check-prefix=ONE
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a" --canonicalize --cse | FileCheck %s --check-prefix=AUTO
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a row-prefetch=3" -verify-diagnostics -o /dev/null

// H = 7168: 448 threads, 2 vectors each.
// PER-ROW: gpu.func @rms_norm_bf16_h7168_eps358637BD_y(
// PER-ROW-NOT: nvvm.minctasm
// PER-ROW-NOT: scf.for
// PER-ROW: gpu.barrier
// PER-ROW: gpu.return
// PER-ROW-LABEL: func.func @norm(
// PER-ROW: %[[M:.*]] = memref.dim
// PER-ROW-NOT: arith.minui
// PER-ROW: gpu.launch_func {{.*}} blocks in (%[[M]],

// One row ahead: 2 resident CTAs per SM (264 on 132 SMs), the loop carries
// the next row's 2 vectors.
// ONE: gpu.func @rms_norm_bf16_h7168_eps358637BD_y(
// ONE-SAME: nvvm.minctasm = 2 : i32
// ONE: scf.for {{.*}} iter_args(%{{[^,]*}} = %{{[^,]*}}, %{{[^,]*}} = %{{[^)]*}}) -> (vector<8xbf16>, vector<8xbf16>)
// ONE-LABEL: func.func @norm(
// ONE: arith.constant 264 : index

// The automatic choice for this kernel: 2 CTAs per SM, 2 rows ahead.
// AUTO: gpu.func @rms_norm_bf16_h7168_eps358637BD_y(
// AUTO-SAME: nvvm.minctasm = 2 : i32
// AUTO: scf.for {{.*}} -> (vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>)
func.func @norm(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> tensor<?x7168xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
  return %y : tensor<?x7168xbf16>
}

// -----

// H = 24576 is kept in registers (6 vectors per thread of 512), with no
// room for a prefetched row: the automatic choice is a CTA per row.
func.func @wide(%x: tensor<?x24576xbf16>, %w: tensor<24576xbf16>) -> tensor<?x24576xbf16> {
  // expected-warning @+1 {{row-prefetch=3 does not fit the registers of the rms_norm_bf16_h24576_eps358637BD_y kernel; it gets the automatic choice}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x24576xbf16>, tensor<24576xbf16>) -> tensor<?x24576xbf16>
  return %y : tensor<?x24576xbf16>
}

// -----

// A row too long for the registers is streamed, a CTA per row.
func.func @streamed(%x: tensor<?x65536xbf16>, %w: tensor<65536xbf16>) -> tensor<?x65536xbf16> {
  // expected-warning @+1 {{row-prefetch=3 does not fit the registers of the rms_norm_bf16_h65536_eps358637BD_y kernel; it gets the automatic choice}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x65536xbf16>, tensor<65536xbf16>) -> tensor<?x65536xbf16>
  return %y : tensor<?x65536xbf16>
}
