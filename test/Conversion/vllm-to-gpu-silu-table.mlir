// A persistent silu_and_mul kernel on bf16 also comes in a variant
// (`_silutab`) that reads silu(g) from a table of the 2 x 4096 values of
// SPEC 3.7's formula for 2^-25 <= |g| < 128 (SiluTable.h), copied into
// shared memory once per CTA, and multiplies g by 0.5, 1 or 0 outside that
// range. The host launches it when M gives the busiest CTA N
// rows or more (silu-table-rows=N), the arithmetic kernel below that. The
// default (-1) is N = 2, so it checks the same as silu-table-rows=2; 0 is
// never. f16 and f32 gates have no table.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a silu-table-rows=2" --canonicalize --cse | FileCheck %s
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a" --canonicalize --cse | FileCheck %s
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a silu-table-rows=0" --canonicalize --cse | FileCheck %s --check-prefix=NEVER
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a silu-table-rows=1" --canonicalize --cse | FileCheck %s --check-prefix=ALWAYS
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_100a silu-table-rows=2" --canonicalize --cse | FileCheck %s --check-prefix=SM100

// The table is one constant global of the kernel module, 32 KiB of f32,
// 16-byte aligned; its first entry is silu(2^-25) = 2^-26 (0x32800000, here
// in little-endian hex), the formula's value where 1 + X(-g) is 2.
// CHECK: memref.global "private" constant @vllm_silu_bf16_table : memref<8192xf32, #gpu.address_space<global>> = dense<"0x00008032{{[0-9A-F]*}}"> {alignment = 16 : i64}
// The table kernel (I = 2048: 256 threads, one 16-byte gate and up vector
// each, 4 CTAs per SM): a 32 KiB workgroup buffer after the per-token
// scale's reduction buffer.
// CHECK: gpu.func @silu_and_mul_bf16_h2048_q_token_silutab(
// CHECK-SAME: %[[TABLE:[^:]*]] : memref<8192xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: nvvm.minctasm = 4 : i32
// No exp in the table kernel (constants are hoisted to the top).
// CHECK-NOT: 0x4B400000
// The first row's gate and up loads go out before the copy: thread t copies
// the quads 4t, 4t + 1024, ... (16 bytes each), then the CTA waits.
// CHECK: vector.load %{{.*}} : memref<?x4096xbf16>, vector<8xbf16>
// CHECK: vector.load %{{.*}} : memref<?x4096xbf16>, vector<8xbf16>
// CHECK: %[[GLOBAL:.*]] = memref.get_global @vllm_silu_bf16_table
// CHECK: %[[START:.*]] = arith.muli %thread_id_x, %c4 : index
// CHECK: scf.for %[[Q:.*]] = %[[START]] to %c8192 step %c1024 {
// CHECK-NEXT: %[[QUAD:.*]] = vector.load %[[GLOBAL]][%[[Q]]] {alignment = 16 : i64} : memref<8192xf32, #gpu.address_space<global>>, vector<4xf32>
// CHECK-NEXT: vector.store %[[QUAD]], %[[TABLE]][%[[Q]]] {alignment = 16 : i64} : memref<8192xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// Per gate g (bf16 bits b): magnitude a = b & 0x7fff, offset a - 0x3300
// (13056), in the table when below 4096 (unsigned: smaller a wraps); the
// entry is offset + (b >> 15) x 4096, entry 0 when out of range, and the
// select keeps the table's value only in range. Outside: g x 0.5 for
// a < 0x3300, else g x 0 for negative g, g x 1 for positive g.
// CHECK: scf.for
// CHECK: %[[BITS16:.*]] = vector.bitcast %{{.*}} : vector<8xbf16> to vector<8xi16>
// CHECK: %[[B16:.*]] = vector.extract %[[BITS16]][0] : i16 from vector<8xi16>
// CHECK-NEXT: %[[B:.*]] = arith.extui %[[B16]] : i16 to i32
// CHECK-NEXT: %[[A:.*]] = arith.andi %[[B]], %c32767_i32 : i32
// CHECK-NEXT: %[[OFF:.*]] = arith.subi %[[A]], %c13056_i32 : i32
// CHECK-NEXT: %[[IN:.*]] = arith.cmpi ult, %[[OFF]], %c4096_i32 : i32
// CHECK-NEXT: %[[SIGN:.*]] = arith.shrui %[[B]], %c15_i32 : i32
// CHECK-NEXT: %[[HALF:.*]] = arith.muli %[[SIGN]], %c4096_i32 : i32
// CHECK-NEXT: %[[ENTRY:.*]] = arith.addi %[[OFF]], %[[HALF]] : i32
// CHECK-NEXT: %[[SAFE:.*]] = arith.select %[[IN]], %[[ENTRY]], %c0_i32 : i32
// CHECK-NEXT: %[[IDX:.*]] = arith.index_castui %[[SAFE]] : i32 to index
// CHECK-NEXT: %[[TABLED:.*]] = memref.load %[[TABLE]][%[[IDX]]] : memref<8192xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[TINY:.*]] = arith.cmpi ult, %[[A]], %c13056_i32 : i32
// CHECK-NEXT: %[[NEG:.*]] = arith.cmpi ne, %[[SIGN]], %c0_i32 : i32
// CHECK-NEXT: %[[LARGE:.*]] = arith.select %[[NEG]], %[[ZERO:.*]], %[[ONE:.*]] : f32
// CHECK-NEXT: %[[MUL:.*]] = arith.select %[[TINY]], %[[POINT5:.*]], %[[LARGE]] : f32
// CHECK-NEXT: %[[SCALED:.*]] = arith.mulf %[[G:.*]], %[[MUL]] : f32
// CHECK-NEXT: %[[SILU:.*]] = arith.select %[[IN]], %[[TABLED]], %[[SCALED]] : f32
// CHECK-NEXT: arith.mulf %[[SILU]], %{{.*}} : f32
// CHECK: gpu.return
// The arithmetic kernel: the exp (its shift constant 0x4B400000, hoisted
// with the other constants), no table.
// CHECK: gpu.func @silu_and_mul_bf16_h2048_q_token(
// CHECK-NOT: memref<8192xf32
// CHECK: arith.constant 0x4B400000 : f32
// CHECK: gpu.return

// 4 CTAs per SM x 132 SMs: the grid is at most 528 CTAs, so from M = 529
// some CTA gets two rows.
// CHECK-LABEL: func.func @silu_tok(
// CHECK-DAG: %[[C528:.*]] = arith.constant 528 : index
// CHECK: %[[M:.*]] = memref.dim
// CHECK: %[[GRID:.*]] = arith.minui %[[M]], %[[C528]]
// CHECK: %[[MANY:.*]] = arith.cmpi ugt, %[[M]], %[[C528]]
// CHECK: cf.cond_br %[[MANY]], ^[[TAB:bb[0-9]+]], ^[[ARITH:bb[0-9]+]]
// CHECK: ^[[TAB]]:
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@silu_and_mul_bf16_h2048_q_token_silutab blocks in (%[[GRID]],
// CHECK: ^[[ARITH]]:
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@silu_and_mul_bf16_h2048_q_token blocks in (%[[GRID]],
// CHECK: return

// NEVER-NOT: silutab
// NEVER-NOT: vllm_silu_bf16_table
// ALWAYS: gpu.func @silu_and_mul_bf16_h2048_q_token_silutab(
// ALWAYS-NOT: gpu.func
// ALWAYS-LABEL: func.func @silu_tok(
// ALWAYS-NOT: arith.cmpi ugt, %dim
// ALWAYS: gpu.launch_func {{.*}} @vllm_kernels::@silu_and_mul_bf16_h2048_q_token_silutab
// ALWAYS-NOT: @silu_and_mul_bf16_h2048_q_token blocks
// SM100: gpu.func @silu_and_mul_bf16_h2048_q_token_silutab(
// SM100: gpu.func @silu_and_mul_bf16_h2048_q_token(
func.func @silu_tok(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// A static M decides on the host: 100 rows (one per CTA at most) take the
// arithmetic kernel only, 4096 the table kernel only; f16 has no table.
// CHECK-NOT: silutab
// CHECK: gpu.func @silu_and_mul_bf16_h2048_y(
// CHECK-NOT: silutab
// CHECK-LABEL: func.func @few_rows(
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@silu_and_mul_bf16_h2048_y blocks
func.func @few_rows(%x: tensor<100x4096xbf16>) -> tensor<100x2048xbf16> {
  %y = vllm.silu_and_mul %x : tensor<100x4096xbf16> -> tensor<100x2048xbf16>
  return %y : tensor<100x2048xbf16>
}

// -----

// CHECK: gpu.func @silu_and_mul_bf16_h2048_y_silutab(
// CHECK-NOT: gpu.func
// CHECK-LABEL: func.func @many_rows(
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@silu_and_mul_bf16_h2048_y_silutab blocks
func.func @many_rows(%x: tensor<4096x4096xbf16>) -> tensor<4096x2048xbf16> {
  %y = vllm.silu_and_mul %x : tensor<4096x4096xbf16> -> tensor<4096x2048xbf16>
  return %y : tensor<4096x2048xbf16>
}

// -----

// CHECK-NOT: silutab
// CHECK-NOT: vllm_silu_bf16_table
// CHECK-LABEL: func.func @f16_gates(
func.func @f16_gates(%x: tensor<?x4096xf16>) -> tensor<?x2048xf16> {
  %y = vllm.silu_and_mul %x : tensor<?x4096xf16> -> tensor<?x2048xf16>
  return %y : tensor<?x2048xf16>
}
