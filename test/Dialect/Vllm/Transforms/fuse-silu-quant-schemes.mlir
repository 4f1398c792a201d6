// vllm-fuse-norm-quant on the MLP's other quantization site: one positive
// case per scheme x scale encoding x layout (packed UE8M0 included) and
// element type. Every case must become a single vllm.elementwise_quant
// silu_and_mul(x) with the quantize's scheme and result types, with no
// silu_and_mul or quantize left (SPEC.md 3.8, C9).
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant | FileCheck %s

// CHECK-LABEL: func.func @static_per_tensor(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>, %[[S:[^:]*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) scale(%[[S]] : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @static_per_tensor(%x: tensor<?x512xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----
// CHECK-LABEL: func.func @dynamic_per_tensor(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <dynamic_per_tensor> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @dynamic_per_tensor(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----
// CHECK-LABEL: func.func @per_token(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_token> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @per_token(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----
// CHECK-LABEL: func.func @per_token_ub(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_token, upper_bound = 1.200000e+03> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @per_token_ub(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_token, upper_bound = 1.200000e+03> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----
// CHECK-LABEL: func.func @group_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, f32, row_major> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @group_f32_row_major(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
}

// -----
// CHECK-LABEL: func.func @group_f32_mn_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, f32, mn_major> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @group_f32_mn_major(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>
}

// -----
// CHECK-LABEL: func.func @group_f32_mn_major_align4(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, f32, mn_major, align 4> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @group_f32_mn_major_align4(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @group_ue8m0_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, ue8m0_f32, row_major> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @group_ue8m0_f32_row_major(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
}

// -----
// CHECK-LABEL: func.func @group_ue8m0_f32_mn_major_align4(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @group_ue8m0_f32_mn_major_align4(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @group64_ue8m0_packed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 64, ue8m0_packed, mn_major, align 4> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 64, ue8m0_packed, mn_major, align 4>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @group64_ue8m0_packed(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 64, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 64, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 64, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 64, ue8m0_packed, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @group128_ue8m0_packed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @group128_ue8m0_packed(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @group32_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 32, f32, row_major> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @group32_f32_row_major(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 32, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>
}

// -----
// CHECK-LABEL: func.func @per_token_f16(
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%{{.*}}) as <per_token> : tensor<?x512xf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @per_token_f16(%x: tensor<?x512xf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xf16> -> tensor<?x256xf16>
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x256xf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----
// CHECK-LABEL: func.func @per_token_f32(
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%{{.*}}) as <per_token> : tensor<?x512xf32> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @per_token_f32(%x: tensor<?x512xf32>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xf32> -> tensor<?x256xf32>
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x256xf32> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----
// Static M (padded packed scales) and a width whose halves are not
// multiples of the vector width.
// CHECK-LABEL: func.func @static_m_packed(
// CHECK-NEXT: %[[Q:.*]], %[[SC:.*]] = vllm.elementwise_quant silu_and_mul(%{{.*}}) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<5x768xbf16> -> tensor<5x384xf8E4M3FN>, tensor<1x8xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @static_m_packed(%x: tensor<5x768xbf16>) -> (tensor<5x384xf8E4M3FN>, tensor<1x8xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.silu_and_mul %x : tensor<5x768xbf16> -> tensor<5x384xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<5x384xbf16> -> tensor<5x384xf8E4M3FN>, tensor<1x8xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<5x384xf8E4M3FN>, tensor<1x8xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}
