// row-thread-folding forced on every kernel of Inputs/all-kernels.mlir:
// where a folded thread would not fit (rows of narrower than 16-byte
// vectors, streamed rows, a layout without a multiple of F warps, or a
// register estimate beyond kMaxRegistersPerThread, e.g. H = 16384 and
// 24576 folded four times) the kernel folds less or not at all, so ptxas
// accepts every entry on both chips and none spills.
// REQUIRES: ptxas
// RUN: vllm-opt %S/Inputs/all-kernels.mlir --vllm-gpu-pipeline="chip=sm_90a format=ptx row-thread-folding=4" | vllm-opt --vllm-dump-gpu-binary=output=%t.4.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90a -v %t.4.ptx -o %t.4.cubin 2> %t.4.log
// RUN: FileCheck %s --check-prefix=SM90 < %t.4.log
// RUN: vllm-opt %S/Inputs/all-kernels.mlir --vllm-gpu-pipeline="chip=sm_100a format=ptx row-thread-folding=2" | vllm-opt --vllm-dump-gpu-binary=output=%t.2.ptx -o /dev/null
// RUN: %ptxas -arch=sm_100a -v %t.2.ptx -o %t.2.cubin 2> %t.2.log
// RUN: FileCheck %s --check-prefix=SM100 < %t.2.log

// SM90-NOT: error
// SM90-COUNT-112: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// SM90-NOT: spill
// SM100-NOT: error
// SM100-COUNT-112: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// SM100-NOT: spill
