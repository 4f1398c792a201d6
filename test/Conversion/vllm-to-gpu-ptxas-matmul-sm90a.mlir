// The tensor-core GEMM kernels of DeepSeek-V3's six projections (every
// variant of the strategy table: decode, mid and large M), assembled by
// ptxas for sm_90a: no spills, and no "wgmma serialized" notes (C7517 /
// C7519: ptxas inserting waits because an accumulator is read before the
// MMAs that write it finished).
// REQUIRES: ptxas
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=ptx matmul-kernel=auto" | vllm-opt --vllm-dump-gpu-binary=output=%t.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --implicit-check-not=warning --implicit-check-not=C7517 --implicit-check-not=C7519 --implicit-check-not=C7520
// 30 kernels, 8 of them with split tails: the six shapes share tile shapes
// where their N allows.
// CHECK-COUNT-30: 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: spill

func.func @qkv_a(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}
func.func @q_b(%a: tensor<?x1536xf8E4M3FN>, %b: tensor<24576x1536xf8E4M3FN>, %sa: tensor<12x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, %sb: tensor<192x12xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x24576xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x1536xf8E4M3FN>, tensor<24576x1536xf8E4M3FN>, tensor<12x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<192x12xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x24576xbf16>
  return %d : tensor<?x24576xbf16>
}
func.func @kv_b(%a: tensor<?x512xf8E4M3FN>, %b: tensor<32768x512xf8E4M3FN>, %sa: tensor<4x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<256x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x32768xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x512xf8E4M3FN>, tensor<32768x512xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<256x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x32768xbf16>
  return %d : tensor<?x32768xbf16>
}
func.func @o(%a: tensor<?x16384xf8E4M3FN>, %b: tensor<7168x16384xf8E4M3FN>, %sa: tensor<128x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<56x128xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x7168xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x16384xf8E4M3FN>, tensor<7168x16384xf8E4M3FN>, tensor<128x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<56x128xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x7168xbf16>
  return %d : tensor<?x7168xbf16>
}
func.func @gate_up(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<4096x7168xf8E4M3FN>, %sa: tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<32x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x4096xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x7168xf8E4M3FN>, tensor<4096x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<32x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x4096xbf16>
  return %d : tensor<?x4096xbf16>
}
func.func @down(%a: tensor<?x2048xf8E4M3FN>, %b: tensor<7168x2048xf8E4M3FN>, %sa: tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<56x16xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x7168xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x2048xf8E4M3FN>, tensor<7168x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<56x16xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x7168xbf16>
  return %d : tensor<?x7168xbf16>
}
