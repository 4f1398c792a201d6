// Invalid IR after a successful convert-vllm-to-gpu for a zero-sized leading dimension next to a dynamic one (memref.collapse_shape of 0x?x256 to a static 0x256; vllm-opt reports "collapsed dim (0) must be dynamic if and only if reassociation group is dynamic"): vllm-opt %s --convert-vllm-to-gpu=chip=sm_100a (also chip=sm_90a)
func.func @f(%x: tensor<0x?x256xbf16>, %w: tensor<256xbf16>) -> tensor<0x?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<0x?x256xbf16>, tensor<256xbf16>) -> tensor<0x?x256xbf16>
  return %y : tensor<0x?x256xbf16>
}
