// The tcgen05 GEMM kernels of DeepSeek-V3's six projections (every variant
// of the sm_100a strategy table), with packed UE8M0 activation scales and
// f32 128x128 weight scales (promoted in f32 per K block), two of them
// with power-of-two (ue8m0_f32) weight scales (B's scale factors in the
// MMA), and one f32 result with per-tensor weight scales, assembled by
// ptxas for sm_100a: no spills, no warnings.
// REQUIRES: ptxas
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_100a format=ptx matmul-kernel=auto" | vllm-opt --vllm-dump-gpu-binary=output=%t.ptx -o /dev/null
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %ptxas -arch=sm_100a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --implicit-check-not=warning
// The module's PTX version is raised to 8.8 for the block-scaled MMA.
// PTX: .version 8.8
// PTX: .target sm_100a
// 18 kernels: the six shapes share tile shapes where their N allows, plus
// the UE8M0-weight variants of two shapes (3 + 2) and the f32 one.
// CHECK-COUNT-18: 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: spill

func.func @qkv_a(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}
func.func @q_b(%a: tensor<?x1536xf8E4M3FN>, %b: tensor<24576x1536xf8E4M3FN>, %sa: tensor<3x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<192x12xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x24576xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<?x1536xf8E4M3FN>, tensor<24576x1536xf8E4M3FN>, tensor<3x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<192x12xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x24576xbf16>
  return %d : tensor<?x24576xbf16>
}
func.func @kv_b(%a: tensor<?x512xf8E4M3FN>, %b: tensor<32768x512xf8E4M3FN>, %sa: tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<256x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x32768xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<?x512xf8E4M3FN>, tensor<32768x512xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<256x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x32768xbf16>
  return %d : tensor<?x32768xbf16>
}
func.func @o(%a: tensor<?x16384xf8E4M3FN>, %b: tensor<7168x16384xf8E4M3FN>, %sa: tensor<32x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<56x128xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x7168xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<?x16384xf8E4M3FN>, tensor<7168x16384xf8E4M3FN>, tensor<32x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<56x128xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x7168xbf16>
  return %d : tensor<?x7168xbf16>
}
func.func @gate_up(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<4096x7168xf8E4M3FN>, %sa: tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<32x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x4096xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<?x7168xf8E4M3FN>, tensor<4096x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<32x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x4096xbf16>
  return %d : tensor<?x4096xbf16>
}
func.func @down(%a: tensor<?x2048xf8E4M3FN>, %b: tensor<7168x2048xf8E4M3FN>, %sa: tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<56x16xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x7168xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<?x2048xf8E4M3FN>, tensor<7168x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<56x16xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x7168xbf16>
  return %d : tensor<?x7168xbf16>
}
func.func @f32_tensor(%a: tensor<4096x2048xf8E4M3FN>, %b: tensor<7168x2048xf8E4M3FN>, %sa: tensor<4x4096xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<4096x7168xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<4096x2048xf8E4M3FN>, tensor<7168x2048xf8E4M3FN>, tensor<4x4096xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<4096x7168xf32>
  return %d : tensor<4096x7168xf32>
}
func.func @qkv_a_ue8m0(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x2112xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}
func.func @down_ue8m0(%a: tensor<?x2048xf8E4M3FN>, %b: tensor<7168x2048xf8E4M3FN>, %sa: tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<56x16xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x7168xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<?x2048xf8E4M3FN>, tensor<7168x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<56x16xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x7168xbf16>
  return %d : tensor<?x7168xbf16>
}
