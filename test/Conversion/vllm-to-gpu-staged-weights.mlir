// A persistent norm kernel whose row fits in registers also comes in a
// variant that widens w to f32 once per CTA into shared memory and reads it
// there for every row (`_wsmem`), which saves a w load and its widening per
// row. The host launches it when M gives the busiest CTA at least
// `weight-staging-rows` rows (automatic: 2), the other variant below that:
// with one row per CTA the staging gains nothing (docs/benchmarks.md).
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a" --canonicalize --cse | FileCheck %s
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a weight-staging-rows=0" --canonicalize --cse | FileCheck %s --check-prefix=NEVER
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a weight-staging-rows=1" --canonicalize --cse | FileCheck %s --check-prefix=ALWAYS
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a weight-staging-rows=3" --canonicalize --cse | FileCheck %s --check-prefix=THREE
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a row-prefetch=0" --canonicalize --cse | FileCheck %s --check-prefix=PER-ROW
// In PTX the staged loads and stores are 16-byte shared memory accesses.
// RUN: vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=PTX

// The kernels come first (gpu.module). The staged kernel: a 4096 x f32 workgroup buffer next to the reduction
// buffer. Before the row loop each thread stores its own w quads (four f32)
// at (quad x 256 + thread) x 4, quad = slot x 2 + half, and reads the same
// ones for every row: no barrier is needed, and a warp's accesses to one
// quad are consecutive.
// CHECK: gpu.func @rms_norm_bf16_h4096_eps358637BD_y_wsmem(
// CHECK-SAME: workgroup(%{{[^:]*}} : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[STAGE:[^:]*]] : memref<4096xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: nvvm.minctasm = 4 : i32
// CHECK: %[[TID:.*]] = gpu.thread_id x
// CHECK-NOT: gpu.barrier
// CHECK: vector.store %{{.*}}, %[[STAGE]][%[[Q0:.*]]] {alignment = 16 : i64} : memref<4096xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK-NOT: gpu.barrier
// CHECK: vector.store %{{.*}}, %[[STAGE]][%[[Q1:.*]]] {alignment = 16 : i64}
// CHECK-NOT: gpu.barrier
// CHECK: vector.store %{{.*}}, %[[STAGE]][%[[Q2:.*]]] {alignment = 16 : i64}
// CHECK-NOT: gpu.barrier
// CHECK: vector.store %{{.*}}, %[[STAGE]][%[[Q3:.*]]] {alignment = 16 : i64}
// CHECK-NOT: gpu.barrier
// CHECK: scf.for
// CHECK-NOT: memref<4096xbf16>
// CHECK: vector.load %[[STAGE]][%[[Q0]]] {alignment = 16 : i64} : memref<4096xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: vector.load %[[STAGE]][%[[Q1]]]
// CHECK: vector.load %[[STAGE]][%[[Q2]]]
// CHECK: vector.load %[[STAGE]][%[[Q3]]]
// CHECK: gpu.return
// The other variant reads w from global memory in the loop, as before.
// CHECK: gpu.func @rms_norm_bf16_h4096_eps358637BD_y(
// CHECK-SAME: workgroup(%{{[^:]*}} : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK: scf.for
// CHECK: vector.load %{{.*}} : memref<4096xbf16>, vector<8xbf16>

// H = 4096: 256 threads with 2 vectors of 8 each, 4 CTAs per SM, so the
// grid is at most 528 CTAs; from M = 529 some CTA gets two rows.
// CHECK-LABEL: func.func @norm(
// CHECK-DAG: %[[C528:.*]] = arith.constant 528 : index
// CHECK: %[[M:.*]] = memref.dim
// CHECK: %[[GRID:.*]] = arith.minui %[[M]], %[[C528]]
// CHECK: %[[MANY:.*]] = arith.cmpi ugt, %[[M]], %[[C528]]
// CHECK: cf.cond_br %[[MANY]], ^[[STAGED:bb[0-9]+]], ^[[GLOBAL:bb[0-9]+]]
// CHECK: ^[[STAGED]]:
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@rms_norm_bf16_h4096_eps358637BD_y_wsmem blocks in (%[[GRID]],
// CHECK: ^[[GLOBAL]]:
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@rms_norm_bf16_h4096_eps358637BD_y blocks in (%[[GRID]],
// CHECK: return

// NEVER-NOT: _wsmem
// NEVER-LABEL: func.func @norm(
// NEVER-NOT: arith.cmpi ugt, %{{.*}}, %c528
// NEVER: gpu.launch_func {{.*}} @vllm_kernels::@rms_norm_bf16_h4096_eps358637BD_y blocks
// NEVER-NOT: _wsmem

// ALWAYS: gpu.func @rms_norm_bf16_h4096_eps358637BD_y_wsmem(
// ALWAYS-NOT: gpu.func
// ALWAYS-LABEL: func.func @norm(
// ALWAYS-NOT: arith.cmpi ugt, %{{.*}}, %c528
// ALWAYS: gpu.launch_func {{.*}} @vllm_kernels::@rms_norm_bf16_h4096_eps358637BD_y_wsmem blocks
// ALWAYS-NOT: gpu.launch_func
// ALWAYS: // -----

// From three rows on the busiest CTA: M > 2 x 528.
// THREE-LABEL: func.func @norm(
// THREE: %[[M:.*]] = memref.dim
// THREE: arith.cmpi ugt, %[[M]], %c1056
// THREE: _wsmem

// A CTA per row (row-prefetch=0) is not persistent: nothing to stage.
// PER-ROW-LABEL: func.func @norm(
// PER-ROW-NOT: _wsmem

// PTX-LABEL: .visible .entry rms_norm_bf16_h4096_eps358637BD_y_wsmem(
// PTX-COUNT-4: st.shared.v4.b32
// PTX: ld.shared.v4.b32 {{.*}}, [%rd{{[0-9]+}}+12288];
// PTX: .visible .entry rms_norm_bf16_h4096_eps358637BD_y(
// PTX-NOT: st.shared.v4
// PTX: ret;
func.func @norm(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<?x4096xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  return %y : tensor<?x4096xbf16>
}

// -----

// A fused kernel with a residual and padding rows of MN-major scales (the
// grid covers roundup(M, 4)): the choice is made on the grid's rows.
// H = 7168 with a residual: 448 threads, 2 CTAs per SM, at most 264 CTAs.
// CHECK: gpu.func @add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4_wsmem(
// CHECK-SAME: memref<7168xf32, #gpu.address_space<workgroup>>
// CHECK-LABEL: func.func @fused_res(
// CHECK: %[[MPAD:.*]] = arith.muli
// CHECK: %[[MANY:.*]] = arith.cmpi ugt, %[[MPAD]], %c264
// CHECK: cf.cond_br %[[MANY]], ^[[STAGED:bb[0-9]+]], ^[[GLOBAL:bb[0-9]+]]
// CHECK: ^[[STAGED]]:
// CHECK: @vllm_kernels::@add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4_wsmem
// CHECK: ^[[GLOBAL]]:
// CHECK: @vllm_kernels::@add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4 blocks
func.func @fused_res(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>, %r: tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>) {
  %q, %s, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>)
  return %q, %s, %ro : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>
}

// -----

// A static M decides at compile time, and only the kernel launched is
// generated: 6 rows give one row per CTA, 2000 rows four.
// CHECK: gpu.module
// CHECK-COUNT-2: gpu.func
// CHECK-NOT: gpu.func
// CHECK-LABEL: func.func @static_few(
// CHECK-NOT: cf.cond_br
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@rms_norm_bf16_h4096_eps358637BD_y blocks
// CHECK-LABEL: func.func @static_many(
// CHECK-NOT: cf.cond_br
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@rms_norm_bf16_h4096_eps358637BD_y_wsmem blocks
func.func @static_few(%x: tensor<6x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<6x4096xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<6x4096xbf16>, tensor<4096xbf16>) -> tensor<6x4096xbf16>
  return %y : tensor<6x4096xbf16>
}
func.func @static_many(%x: tensor<2000x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<2000x4096xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<2000x4096xbf16>, tensor<4096xbf16>) -> tensor<2000x4096xbf16>
  return %y : tensor<2000x4096xbf16>
}

// -----

// Not staged: f32 rows (nothing to widen), quantize kernels (no w), rows of
// odd H (vectors narrower than four elements), rows streamed in chunks, and
// rows kept in registers with a CTA per row (H = 24576).
// CHECK: gpu.module
// CHECK-NOT: _wsmem
// CHECK-LABEL: func.func @not_staged(
// CHECK-NOT: _wsmem
// CHECK: return
func.func @not_staged(%xf: tensor<?x4096xf32>, %wf: tensor<4096xf32>, %y: tensor<?x4096xbf16>, %xo: tensor<?x1001xbf16>, %wo: tensor<1001xbf16>, %xs: tensor<?x65536xbf16>, %ws: tensor<65536xbf16>, %xw: tensor<?x24576xbf16>, %ww: tensor<24576xbf16>) -> (tensor<?x4096xf32>, tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x1001xbf16>, tensor<?x65536xbf16>, tensor<?x24576xbf16>) {
  %nf = vllm.rms_norm %xf, %wf {epsilon = 1.0e-06 : f32} : (tensor<?x4096xf32>, tensor<4096xf32>) -> tensor<?x4096xf32>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x4096xbf16> -> tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %no = vllm.rms_norm %xo, %wo {epsilon = 1.0e-06 : f32} : (tensor<?x1001xbf16>, tensor<1001xbf16>) -> tensor<?x1001xbf16>
  %ns = vllm.rms_norm %xs, %ws {epsilon = 1.0e-06 : f32} : (tensor<?x65536xbf16>, tensor<65536xbf16>) -> tensor<?x65536xbf16>
  %nw = vllm.rms_norm %xw, %ww {epsilon = 1.0e-06 : f32} : (tensor<?x24576xbf16>, tensor<24576xbf16>) -> tensor<?x24576xbf16>
  return %nf, %q, %s, %no, %ns, %nw : tensor<?x4096xf32>, tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x1001xbf16>, tensor<?x65536xbf16>, tensor<?x24576xbf16>
}
