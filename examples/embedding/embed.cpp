//===- embed.cpp - use vllm-mlir from another MLIR program ----------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Builds a vllm.quantize with the C++ API, lets the builder infer the scale
// type from the scheme, verifies the module and prints it.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h"
#include "vllm-mlir/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

int main() {
  DialectRegistry registry;
  vllm::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  OpBuilder builder(&context);
  Location loc = builder.getUnknownLoc();
  auto module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module.getBody());
  auto input = RankedTensorType::get({ShapedType::kDynamic, 7168},
                                     builder.getBF16Type());
  auto func = func::FuncOp::create(builder, loc, "quantize",
                                   builder.getFunctionType({input}, {}));
  builder.setInsertionPointToEnd(func.addEntryBlock());
  auto scheme = vllm::QuantSchemeAttr::getPerGroup(
      &context, 128, vllm::ScaleEncoding::UE8M0Packed,
      vllm::ScaleLayout::MNMajor, 4);
  vllm::QuantizeOp::create(builder, loc, func.getArgument(0), Value(), scheme);
  func::ReturnOp::create(builder, loc);
  if (failed(verify(module))) {
    llvm::errs() << "verification failed\n";
    return 1;
  }
  module.print(llvm::outs());
  llvm::outs() << "\n";
  module.erase();
  return 0;
}
