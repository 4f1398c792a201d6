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
#include "mlir/IR/MLIRContext.h"
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
  // A diagnostic on an operation is printed with the operation itself by
  // default ("see current operation"), which for an error on a function or
  // module prints all of it, while the location already names the source
  // line. vllm-opt changes the option's default before the command line is
  // parsed, so --mlir-print-op-on-diagnostic still turns it on.
  mlir::registerMLIRContextCLOptions();
  auto &options = llvm::cl::getRegisteredOptions();
  auto found = options.find("mlir-print-op-on-diagnostic");
  if (found != options.end())
    if (auto *printOp = static_cast<llvm::cl::opt<bool> *>(found->second))
      printOp->setInitialValue(false);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "vllm-mlir optimizer driver\n", registry));
}
