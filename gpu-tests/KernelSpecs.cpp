//===- KernelSpecs.cpp - The generated test functions and their arguments -===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Shared by the suite driver and the host mock kernels of the self-test, so
// both read the same manifest and agree on argument layouts.
//
//===----------------------------------------------------------------------===//

#include "GpuTestSupport.h"

namespace vgt {

const char *kindName(Kind kind) {
  switch (kind) {
  case Kind::Norm:
    return "rms_norm";
  case Kind::AddNorm:
    return "fused_add_rms_norm";
  case Kind::Quant:
    return "quantize";
  case Kind::Fused:
    return "rms_norm_quant";
  case Kind::FusedRes:
    return "rms_norm_quant+residual";
  case Kind::Seq:
    return "rms_norm;quantize";
  case Kind::SeqRes:
    return "fused_add_rms_norm;quantize";
  case Kind::Matmul:
    return "scaled_matmul";
  case Kind::Chain:
    return "rms_norm;quantize;scaled_matmul";
  case Kind::Silu:
    return "silu_and_mul";
  case Kind::SiluFused:
    return "elementwise_quant silu_and_mul";
  case Kind::SiluSeq:
    return "silu_and_mul;quantize";
  }
  return "?";
}

const char *roleName(Role role) {
  switch (role) {
  case Role::X:
    return "x";
  case Role::GU:
    return "gate_up";
  case Role::W:
    return "w";
  case Role::Res:
    return "residual";
  case Role::Y:
    return "y";
  case Role::Static:
    return "static scale";
  case Role::Q:
    return "q";
  case Role::Scales:
    return "scales";
  case Role::ResOut:
    return "residual_out";
  case Role::YOut:
    return "normalized";
  case Role::A:
    return "a";
  case Role::B:
    return "b";
  case Role::SA:
    return "sa";
  case Role::SB:
    return "sb";
  case Role::D:
    return "d";
  }
  return "?";
}

static KernelSpec makeSpec(const char *name, Kind kind, int64_t H, int64_t N,
                           ref::DType dtype, float epsilon,
                           ref::QuantKind qkind, int64_t group,
                           ref::ScaleEncoding encoding, ref::ScaleLayout layout,
                           int64_t align, bool hasUpperBound, float upperBound,
                           int numArgs, bool roundBeforeWeight) {
  KernelSpec s;
  s.name = name;
  s.kind = kind;
  s.H = H;
  s.N = N;
  s.dtype = dtype;
  s.epsilon = epsilon;
  s.roundBeforeWeight = roundBeforeWeight;
  s.scheme.kind = qkind;
  s.scheme.groupSize = group;
  s.scheme.encoding = encoding;
  s.scheme.layout = layout;
  s.scheme.align = align;
  s.scheme.hasUpperBound = hasUpperBound;
  s.scheme.upperBound = hasUpperBound ? upperBound : 0.0f;
  s.numArgs = numArgs;
  return s;
}

const std::vector<KernelSpec> &allKernels() {
#define VLLM_TEST_KERNEL(name, kind, H, N, dtype, eps, qkind, group, enc,      \
                         layout, align, hasUb, ub, nargs, rbw)                 \
  makeSpec(name, kind, H, N, ref::DType::dtype, eps, ref::QuantKind::qkind,    \
           group, ref::ScaleEncoding::enc, ref::ScaleLayout::layout, align,    \
           hasUb, ub, nargs, rbw),
  static const std::vector<KernelSpec> table = {
#include "test_kernels_manifest.inc"
  };
#undef VLLM_TEST_KERNEL
  return table;
}

std::vector<ArgSpec> argumentLayout(const KernelSpec &spec, int64_t M) {
  const int64_t H = spec.H;
  const size_t t = ref::dtypeSize(spec.dtype);
  auto matrix = [&](Role role, size_t bytes, bool output) {
    return ArgSpec{role, 2, {M, H}, bytes, output};
  };
  auto scales = [&]() {
    ref::ScaleShape shape = ref::scaleShape(spec.scheme, M, H);
    return ArgSpec{
        Role::Scales, shape.rank, {shape.dims[0], shape.dims[1]}, 4, true};
  };
  const ArgSpec w{Role::W, 1, {H, 1}, t, false};
  const ArgSpec s{Role::Static, 1, {1, 1}, 4, false};
  std::vector<ArgSpec> args;
  switch (spec.kind) {
  case Kind::Norm:
    return {matrix(Role::X, t, false), w, matrix(Role::YOut, t, true)};
  case Kind::AddNorm:
    return {matrix(Role::X, t, false), w, matrix(Role::Res, t, false),
            matrix(Role::YOut, t, true), matrix(Role::ResOut, t, true)};
  case Kind::Quant:
    args = {matrix(Role::Y, 2, false)};
    if (spec.isStatic())
      args.push_back(s);
    args.push_back(matrix(Role::Q, 1, true));
    args.push_back(scales());
    return args;
  case Kind::Fused:
  case Kind::FusedRes:
  case Kind::Seq:
  case Kind::SeqRes: {
    bool res = spec.kind == Kind::FusedRes || spec.kind == Kind::SeqRes;
    bool fused = spec.kind == Kind::Fused || spec.kind == Kind::FusedRes;
    args = {matrix(Role::X, t, false), w};
    if (res)
      args.push_back(matrix(Role::Res, t, false));
    if (spec.isStatic())
      args.push_back(s);
    args.push_back(matrix(Role::Q, 1, true));
    args.push_back(scales());
    if (res)
      args.push_back(matrix(Role::ResOut, t, true));
    if (fused)
      args.push_back(matrix(Role::YOut, t, true));
    return args;
  }
  case Kind::Silu:
    return {ArgSpec{Role::GU, 2, {M, 2 * H}, t, false},
            matrix(Role::YOut, t, true)};
  case Kind::SiluFused:
  case Kind::SiluSeq:
    args = {ArgSpec{Role::GU, 2, {M, 2 * H}, t, false}};
    if (spec.isStatic())
      args.push_back(s);
    args.push_back(matrix(Role::Q, 1, true));
    args.push_back(scales());
    if (spec.kind == Kind::SiluFused)
      args.push_back(matrix(Role::YOut, t, true));
    return args;
  case Kind::Matmul:
  case Kind::Chain: {
    const int64_t K = H, N = spec.N;
    ref::ScaleShape sa = ref::scaleShape(spec.scheme, M, K);
    ArgSpec b{Role::B, 2, {N, K}, 1, false};
    ArgSpec sb{Role::SB, 2, {(N + 127) / 128, K / 128}, 4, false};
    ArgSpec d{Role::D, 2, {M, N}, 2, true};
    if (spec.kind == Kind::Matmul)
      return {ArgSpec{Role::A, 2, {M, K}, 1, false}, b,
              ArgSpec{Role::SA, 2, {sa.dims[0], sa.dims[1]}, 4, false}, sb, d};
    return {matrix(Role::X, 2, false), ArgSpec{Role::W, 1, {K, 1}, 2, false}, b,
            sb, d};
  }
  }
  return args;
}

} // namespace vgt
