// The host side of convert-vllm-to-gpu: destination-passing functions that
// take the caller's stream first, launch every kernel asynchronously on it
// (one token made from the stream argument, never waited on), allocate
// temporaries on the stream and free them after their last reader, and skip
// launches when there are no rows.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu=chip=sm_90a --canonicalize --cse | FileCheck %s

// rms_norm -> quantize (packed UE8M0): y is a temporary, q and the scales
// are written straight into the result buffers; the quantize grid covers
// the padding rows of the scales (Mpad = roundup(M, 4)). Both kernels are
// persistent: at most 32 CTAs of 32 threads per SM x 132 SMs = 4224 CTAs,
// looping over the rows. The norm comes in two variants, the one that
// stages w in shared memory launched when a CTA gets two rows or more
// (vllm-to-gpu-staged-weights.mlir). The kernel module comes first; the
// host function branches to new blocks, appended in order.
// CHECK: gpu.module @vllm_kernels [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx86">]
// CHECK: gpu.func @rms_norm_bf16_h256_eps358637BD_y_wsmem(
// CHECK: gpu.func @rms_norm_bf16_h256_eps358637BD_y(
// CHECK: gpu.func @quantize_bf16_h256_q_group128_ue8m0_packed_mn_major4(
// CHECK-LABEL: func.func @seq(
// CHECK-SAME: %[[STREAM:[^:]*]]: !llvm.ptr, %[[X:[^:]*]]: memref<?x256xbf16>, %[[W:[^:]*]]: memref<256xbf16>, %[[Q:[^:]*]]: memref<?x256xf8E4M3FN>, %[[S:[^:]*]]: memref<1x?xi32>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[CAP:.*]] = arith.constant 4224 : index
// CHECK: %[[TOK:.*]] = builtin.unrealized_conversion_cast %[[STREAM]] : !llvm.ptr to !gpu.async.token
// CHECK: %[[M:.*]] = memref.dim %[[X]], %[[C0]]
// CHECK: %[[Y:.*]], %{{.*}} = gpu.alloc async [%[[TOK]]] (%[[M]]) : memref<?x256xbf16>
// CHECK: %[[GRID:.*]] = arith.minui %[[M]], %[[CAP]]
// CHECK: %[[MANY:.*]] = arith.cmpi ugt, %[[M]], %[[CAP]]
// CHECK: cf.cond_br %[[MANY]], ^[[STAGED:bb[0-9]+]], ^[[GLOBAL:bb[0-9]+]]
// CHECK: ^[[STAGED]]:
// CHECK: %[[HAS_ROWS:.*]] = arith.cmpi ugt, %[[GRID]], %[[C0]]
// CHECK: cf.cond_br %[[HAS_ROWS]], ^[[LAUNCH_STAGED:bb[0-9]+]], ^[[QUANT:bb[0-9]+]]
// CHECK: ^[[LAUNCH_STAGED]]:
// CHECK: gpu.launch_func async [%[[TOK]]] @vllm_kernels::@rms_norm_bf16_h256_eps358637BD_y_wsmem blocks in (%[[GRID]], %{{.*}}, %{{.*}}) threads in (%[[C32]], %{{.*}}, %{{.*}}) args(%[[X]] : memref<?x256xbf16>, %[[W]] : memref<256xbf16>, %[[Y]] : memref<?x256xbf16>)
// CHECK: cf.br ^[[QUANT]]
// CHECK: ^[[GLOBAL]]:
// CHECK: %[[HAS_ROWS_2:.*]] = arith.cmpi ugt, %[[GRID]], %[[C0]]
// CHECK: cf.cond_br %[[HAS_ROWS_2]], ^[[LAUNCH:bb[0-9]+]], ^[[QUANT]]
// CHECK: ^[[LAUNCH]]:
// CHECK: gpu.launch_func async [%[[TOK]]] @vllm_kernels::@rms_norm_bf16_h256_eps358637BD_y blocks in (%[[GRID]], %{{.*}}, %{{.*}}) threads in (%[[C32]], %{{.*}}, %{{.*}}) args(%[[X]] : memref<?x256xbf16>, %[[W]] : memref<256xbf16>, %[[Y]] : memref<?x256xbf16>)
// CHECK: cf.br ^[[QUANT]]
// CHECK: ^[[QUANT]]:
// CHECK: %[[BUMP:.*]] = arith.addi %[[M]], %[[C3]]
// CHECK: %[[DIV:.*]] = arith.divui %[[BUMP]], %[[C4]]
// CHECK: %[[MPAD:.*]] = arith.muli %[[DIV]], %[[C4]]
// CHECK: %[[PAD_GRID:.*]] = arith.minui %[[MPAD]], %[[CAP]]
// CHECK: %[[HAS_PAD_ROWS:.*]] = arith.cmpi ugt, %[[PAD_GRID]], %[[C0]]
// CHECK: cf.cond_br %[[HAS_PAD_ROWS]], ^[[LAUNCH_Q:bb[0-9]+]], ^[[END:bb[0-9]+]]
// CHECK: ^[[LAUNCH_Q]]:
// CHECK: gpu.launch_func async [%[[TOK]]] @vllm_kernels::@quantize_bf16_h256_q_group128_ue8m0_packed_mn_major4 blocks in (%[[PAD_GRID]], %{{.*}}, %{{.*}}) threads in (%[[C32]], %{{.*}}, %{{.*}}) args(%[[Y]] : memref<?x256xbf16>, %[[Q]] : memref<?x256xf8E4M3FN>, %[[S]] : memref<1x?xi32>)
// CHECK: ^[[END]]:
// CHECK-NEXT: gpu.dealloc async [%[[TOK]]] %[[Y]] : memref<?x256xbf16>
// CHECK-NEXT: return
func.func @seq(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----

// residual_out has no reader: the kernel does not write it.
// CHECK-LABEL: func.func @fused_add(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: memref<?x4096xbf16>, %[[R:[^:]*]]: memref<?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>, %[[Y:[^:]*]]: memref<?x4096xbf16>)
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@add_rms_norm_bf16_h4096_eps3727C5AC_y blocks in ({{.*}}) threads in ({{.*}}) args(%[[X]] : memref<?x4096xbf16>, %[[R]] : memref<?x4096xbf16>, %[[W]] : memref<4096xbf16>, %[[Y]] : memref<?x4096xbf16>)
// CHECK-NOT: gpu.alloc
// CHECK: return
func.func @fused_add(%x: tensor<?x4096xbf16>, %r: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<?x4096xbf16> {
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-05 : f32} : (tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>)
  return %y : tensor<?x4096xbf16>
}

// -----

// The scales result of a static quantization is its operand. A returned one
// is not copied on the stream: the kernel gets the result buffer as its last
// argument and CTA 0 copies the operand into it, so the grid has at least
// one CTA (max(M, 1)) even when M = 0.
// In the kernel (first in the module), thread 0 of CTA 0 copies the scale
// when the two buffers differ:
// CHECK: gpu.func @quantize_bf16_h4096_q_static(%{{[^:]*}}: memref<?x4096xbf16>, %[[KS:[^:]*]]: memref<1xf32>, %{{[^:]*}}: memref<?x4096xf8E4M3FN>, %[[KSOUT:[^:]*]]: memref<1xf32>)
// CHECK: %[[TID0:.*]] = arith.cmpi eq, %thread_id_x, %[[KC0:.*]] : index
// CHECK-NEXT: %[[CTA0:.*]] = arith.cmpi eq, %block_id_x, %[[KC0]] : index
// CHECK-NEXT: %[[FIRST:.*]] = arith.andi %[[TID0]], %[[CTA0]] : i1
// CHECK-NEXT: %[[OUT_PTR:.*]] = memref.extract_aligned_pointer_as_index %[[KSOUT]] : memref<1xf32> -> index
// CHECK-NEXT: %[[IN_PTR:.*]] = memref.extract_aligned_pointer_as_index %[[KS]] : memref<1xf32> -> index
// CHECK-NEXT: %[[ELSEWHERE:.*]] = arith.cmpi ne, %[[OUT_PTR]], %[[IN_PTR]] : index
// CHECK-NEXT: %[[COPY:.*]] = arith.andi %[[FIRST]], %[[ELSEWHERE]] : i1
// CHECK-NEXT: scf.if %[[COPY]] {
// CHECK-NEXT: %[[V:.*]] = memref.load %[[KS]][%[[KC0]]] : memref<1xf32>
// CHECK-NEXT: memref.store %[[V]], %[[KSOUT]][%[[KC0]]] : memref<1xf32>
// CHECK-NEXT: }
// CHECK-LABEL: func.func @static(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[Y:[^:]*]]: memref<?x4096xbf16>, %[[S:[^:]*]]: memref<1xf32>, %[[Q:[^:]*]]: memref<?x4096xf8E4M3FN>, %[[SOUT:[^:]*]]: memref<1xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[CAP:.*]] = arith.constant 528 : index
// CHECK: %[[TOK:.*]] = builtin.unrealized_conversion_cast
// CHECK: %[[M:.*]] = memref.dim %[[Y]], %[[C0]]
// CHECK: %[[ROWS:.*]] = arith.maxui %[[M]], %[[C1]]
// CHECK: %[[GRID:.*]] = arith.minui %[[ROWS]], %[[CAP]]
// CHECK: gpu.launch_func async [%[[TOK]]] @vllm_kernels::@quantize_bf16_h4096_q_static blocks in (%[[GRID]], {{.*}} args(%[[Y]] : memref<?x4096xbf16>, %[[S]] : memref<1xf32>, %[[Q]] : memref<?x4096xf8E4M3FN>, %[[SOUT]] : memref<1xf32>)
// CHECK-NOT: gpu.memcpy
// CHECK: return
func.func @static(%y: tensor<?x4096xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x4096xbf16> -> tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// Canonicalization forwards the scale operand to the scales result's users,
// so the function returns its argument (what the pipeline makes of @static).
// The kernel still copies it into the result buffer (no gpu.memcpy: on the
// stream it is one more graph node per call, about 0.9 us on the H200); the
// same argument returned a second time is copied on the stream.
// CHECK-LABEL: func.func @static_forwarded(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: memref<?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>, %[[S:[^:]*]]: memref<1xf32>, %[[Q:[^:]*]]: memref<?x4096xf8E4M3FN>, %[[SOUT:[^:]*]]: memref<1xf32>, %[[SOUT2:[^:]*]]: memref<1xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[TOK:.*]] = builtin.unrealized_conversion_cast
// CHECK: %[[M:.*]] = memref.dim %[[X]], %[[C0]]
// CHECK: %[[ROWS:.*]] = arith.maxui %[[M]], %[[C1]]
// CHECK: gpu.launch_func async [%[[TOK]]] @vllm_kernels::@rms_norm_bf16_h4096_eps358637BD_q_static {{.*}} args(%[[X]] : memref<?x4096xbf16>, %[[W]] : memref<4096xbf16>, %[[S]] : memref<1xf32>, %[[Q]] : memref<?x4096xf8E4M3FN>, %[[SOUT]] : memref<1xf32>)
// CHECK-NOT: gpu.memcpy async [%[[TOK]]] %[[SOUT]]
// CHECK: gpu.memcpy async [%[[TOK]]] %[[SOUT2]], %[[S]]
// CHECK-NEXT: return
func.func @static_forwarded(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %sc = vllm.rms_norm_quant %x, %w scale(%s) as <static_per_tensor> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>, tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>)
  return %q, %s, %s : tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// A returned scale argument whose static quantization is not computed
// (nothing reads q) is copied on the stream.
// CHECK-LABEL: func.func @static_unused(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: memref<?x4096xbf16>, %[[S:[^:]*]]: memref<1xf32>, %[[SOUT:[^:]*]]: memref<1xf32>)
// CHECK: %[[TOK:.*]] = builtin.unrealized_conversion_cast
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.memcpy async [%[[TOK]]] %[[SOUT]], %[[S]]
// CHECK-NEXT: return
func.func @static_unused(%y: tensor<?x4096xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<1xf32, #vllm.scales<tensor>> {
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x4096xbf16> -> tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %s : tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// A static scales result nobody returns: the kernel gets the scale operand
// as its scales too (the pointers are equal, so CTA 0 copies nothing), the
// grid is min(M, 528) with no extra CTA for M = 0, and nothing is copied.
// CHECK-LABEL: func.func @static_q_only(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[Y:[^:]*]]: memref<?x4096xbf16>, %[[S:[^:]*]]: memref<1xf32>, %[[Q:[^:]*]]: memref<?x4096xf8E4M3FN>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[CAP:.*]] = arith.constant 528 : index
// CHECK: %[[TOK:.*]] = builtin.unrealized_conversion_cast
// CHECK: %[[M:.*]] = memref.dim %[[Y]], %[[C0]]
// CHECK-NOT: arith.maxui
// CHECK: %[[GRID:.*]] = arith.minui %[[M]], %[[CAP]]
// CHECK: gpu.launch_func async [%[[TOK]]] @vllm_kernels::@quantize_bf16_h4096_q_static blocks in (%[[GRID]], {{.*}} args(%[[Y]] : memref<?x4096xbf16>, %[[S]] : memref<1xf32>, %[[Q]] : memref<?x4096xf8E4M3FN>, %[[S]] : memref<1xf32>)
// CHECK-NOT: gpu.memcpy
// CHECK: return
func.func @static_q_only(%y: tensor<?x4096xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x4096xf8E4M3FN> {
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x4096xbf16> -> tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q : tensor<?x4096xf8E4M3FN>
}

// -----

// Dynamic per-tensor: a zeroed word accumulates amax(y) (kernel 1, which
// also writes y, here to a temporary), then kernel 2 quantizes y; its grid
// has at least one CTA because CTA 0 writes the scale even when M = 0.
// CHECK-LABEL: func.func @dyn(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: memref<?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>, %[[Q:[^:]*]]: memref<?x4096xf8E4M3FN>, %[[S:[^:]*]]: memref<1xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[CAP:.*]] = arith.constant 528 : index
// CHECK: %[[TOK:.*]] = builtin.unrealized_conversion_cast
// CHECK: %[[M:.*]] = memref.dim %[[X]], %[[C0]]
// CHECK: %[[Y:.*]], %{{.*}} = gpu.alloc async [%[[TOK]]] (%[[M]]) : memref<?x4096xbf16>
// CHECK: %[[AMAX:.*]], %{{.*}} = gpu.alloc async [%[[TOK]]] () : memref<1xi32>
// CHECK: gpu.memset async [%[[TOK]]] %[[AMAX]], %[[ZERO]] : memref<1xi32>, i32
// CHECK: %[[AMAX_GRID:.*]] = arith.minui %[[M]], %[[CAP]]
// CHECK: gpu.launch_func async [%[[TOK]]] @vllm_kernels::@rms_norm_bf16_h4096_eps358637BD_y_amax blocks in (%[[AMAX_GRID]], {{.*}} args(%[[X]] : memref<?x4096xbf16>, %[[W]] : memref<4096xbf16>, %[[AMAX]] : memref<1xi32>, %[[Y]] : memref<?x4096xbf16>)
// CHECK: %[[ROWS:.*]] = arith.maxui %[[M]], %[[C1]]
// CHECK: %[[GRID:.*]] = arith.minui %[[ROWS]], %[[CAP]]
// CHECK: gpu.launch_func async [%[[TOK]]] @vllm_kernels::@quantize_bf16_h4096_q_tensor blocks in (%[[GRID]], {{.*}} args(%[[Y]] : memref<?x4096xbf16>, %[[AMAX]] : memref<1xi32>, %[[Q]] : memref<?x4096xf8E4M3FN>, %[[S]] : memref<1xf32>)
// CHECK-DAG: gpu.dealloc async [%[[TOK]]] %[[AMAX]]
// CHECK-DAG: gpu.dealloc async [%[[TOK]]] %[[Y]]
// CHECK: return
func.func @dyn(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <dynamic_per_tensor> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>)
  return %q, %s : tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// A returned argument is copied; an op nobody reads is not computed.
// CHECK-LABEL: func.func @passthrough(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: memref<?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>, %[[OUT0:[^:]*]]: memref<?x4096xbf16>, %[[OUT1:[^:]*]]: memref<?x4096xbf16>)
// CHECK: %[[TOK:.*]] = builtin.unrealized_conversion_cast
// CHECK: gpu.launch_func async [%[[TOK]]] @vllm_kernels::@rms_norm_bf16_h4096_eps358637BD_y {{.*}} args(%[[X]] : memref<?x4096xbf16>, %[[W]] : memref<4096xbf16>, %[[OUT1]] : memref<?x4096xbf16>)
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.memcpy async [%[[TOK]]] %[[OUT0]], %[[X]]
// CHECK-NEXT: return
func.func @passthrough(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  %unused = vllm.rms_norm %y, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  return %x, %y : tensor<?x4096xbf16>, tensor<?x4096xbf16>
}

// -----

// Leading dimensions are rows: the kernels see collapsed views.
// CHECK-LABEL: func.func @rank3(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: memref<4x?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>, %[[Y:[^:]*]]: memref<4x?x4096xbf16>)
// CHECK-DAG: %[[X2:.*]] = memref.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : memref<4x?x4096xbf16> into memref<?x4096xbf16>
// CHECK-DAG: %[[Y2:.*]] = memref.collapse_shape %[[Y]] {{\[}}[0, 1], [2]] : memref<4x?x4096xbf16> into memref<?x4096xbf16>
// CHECK: gpu.launch_func {{.*}} args(%[[X2]] : memref<?x4096xbf16>, %[[W]] : memref<4096xbf16>, %[[Y2]] : memref<?x4096xbf16>)
func.func @rank3(%x: tensor<4x?x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<4x?x4096xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<4x?x4096xbf16>, tensor<4096xbf16>) -> tensor<4x?x4096xbf16>
  return %y : tensor<4x?x4096xbf16>
}

// -----

// Views between ops (as the fusion pass leaves them) map to memref views;
// tensor.dim maps to memref.dim.
// CHECK-LABEL: func.func @views(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: memref<2x?x4096xbf16>, %{{[^:]*}}: memref<4096xbf16>, %[[OUT:[^:]*]]: memref<2x?x4096xbf16>)
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[TOK:.*]] = builtin.unrealized_conversion_cast
// CHECK: %[[D1:.*]] = memref.dim %[[X]], %[[C1]]
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[X]]
// CHECK: %[[TMP:.*]], %{{.*}} = gpu.alloc async [%[[TOK]]]
// CHECK: gpu.launch_func {{.*}} args(%[[FLAT]] : memref<?x4096xbf16>, %{{.*}} : memref<4096xbf16>, %[[TMP]] : memref<?x4096xbf16>)
// CHECK: %[[VIEW:.*]] = memref.expand_shape %[[TMP]] {{\[}}[0, 1], [2]] output_shape [2, %[[D1]], 4096]
// CHECK: gpu.memcpy async [%[[TOK]]] %[[OUT]], %[[VIEW]]
// CHECK: gpu.dealloc async [%[[TOK]]] %[[TMP]]
// CHECK-NEXT: return
func.func @views(%x: tensor<2x?x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<2x?x4096xbf16> {
  %c1 = arith.constant 1 : index
  %d1 = tensor.dim %x, %c1 : tensor<2x?x4096xbf16>
  %flat = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x?x4096xbf16> into tensor<?x4096xbf16>
  %y = vllm.rms_norm %flat, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  %e = tensor.expand_shape %y [[0, 1], [2]] output_shape [2, %d1, 4096] : tensor<?x4096xbf16> into tensor<2x?x4096xbf16>
  return %e : tensor<2x?x4096xbf16>
}

// -----

// scaled_matmul: 64x64 tiles, grid (ceil(N/64), ceil(M/64)), 256 threads.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[A:[^:]*]]: memref<?x256xf8E4M3FN>, %[[B:[^:]*]]: memref<200x256xf8E4M3FN>, %[[SA:[^:]*]]: memref<?xf32>, %[[SB:[^:]*]]: memref<2x2xf32>, %[[D:[^:]*]]: memref<?x200xbf16>)
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C63:.*]] = arith.constant 63 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[M:.*]] = memref.dim %[[A]]
// CHECK: %[[BUMP:.*]] = arith.addi %[[M]], %[[C63]]
// CHECK: %[[GY:.*]] = arith.divui %[[BUMP]], %[[C64]]
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@scaled_matmul_n200_k256_bf16_a_row_b_block128x128_f32 blocks in (%[[C4]], %[[GY]], %{{.*}}) threads in (%[[C256]], %{{.*}}, %{{.*}}) args(%[[A]] : memref<?x256xf8E4M3FN>, %[[B]] : memref<200x256xf8E4M3FN>, %[[SA]] : memref<?xf32>, %[[SB]] : memref<2x2xf32>, %[[D]] : memref<?x200xbf16>)
func.func @matmul(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

// -----

// Static row counts: buffers are cast to the kernels' dynamic types; a
// private function gets no C interface; identical ops share one kernel.
// CHECK: gpu.module @vllm_kernels
// CHECK-COUNT-1: gpu.func
// CHECK-NOT: gpu.func
// CHECK-LABEL: func.func private @static_m(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: memref<6x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>, %[[OUT:[^:]*]]: memref<6x4096xbf16>) {
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK: %[[TMP:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] () : memref<6x4096xbf16>
// CHECK-DAG: %[[XC:.*]] = memref.cast %[[X]] : memref<6x4096xbf16> to memref<?x4096xbf16>
// CHECK-DAG: %[[TC:.*]] = memref.cast %[[TMP]] : memref<6x4096xbf16> to memref<?x4096xbf16>
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@[[KERNEL:.*]] blocks in (%[[C6]], {{.*}} args(%[[XC]] : memref<?x4096xbf16>, %[[W]] : memref<4096xbf16>, %[[TC]] : memref<?x4096xbf16>)
// CHECK: %[[OC:.*]] = memref.cast %[[OUT]]
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@[[KERNEL]] blocks in (%[[C6]], {{.*}} args(%[[TC]] : memref<?x4096xbf16>, %[[W]] : memref<4096xbf16>, %[[OC]] : memref<?x4096xbf16>)
func.func private @static_m(%x: tensor<6x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<6x4096xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<6x4096xbf16>, tensor<4096xbf16>) -> tensor<6x4096xbf16>
  %y2 = vllm.rms_norm %y, %w {epsilon = 1.0e-06 : f32} : (tensor<6x4096xbf16>, tensor<4096xbf16>) -> tensor<6x4096xbf16>
  return %y2 : tensor<6x4096xbf16>
}

// -----

// Functions without tensors or vllm ops are left alone.
// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @host_only(
// CHECK-SAME: %{{.*}}: memref<4xf32>)
// CHECK-NOT: gpu.module
func.func @host_only(%m: memref<4xf32>) {
  return
}
