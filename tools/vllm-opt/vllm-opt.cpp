//===- vllm-opt.cpp - the vllm-mlir optimizer driver ----------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A thin shell over MlirOptMain: everything it can do is registered by
// vllm::registerAllDialects / vllm::registerAllPasses, which embedders call
// the same way.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::vllm::registerAllPasses();
  mlir::DialectRegistry registry;
  mlir::vllm::registerAllDialects(registry);
  llvm::cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "vllm-mlir version " << mlir::vllm::getVersionString() << "\n";
  });
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "vllm-mlir optimizer driver\n", registry));
}
