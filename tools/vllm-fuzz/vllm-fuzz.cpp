//===- vllm-fuzz.cpp - libFuzzer target over the whole compiler -----------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Every input is compiled the way vllm-opt would compile it, in-process:
//
//   parse + verify (a context with everything vllm-opt registers)
//   print, re-parse, re-print: the two printouts must be identical
//   for sm_100a and sm_90a, each on its own clone of the module:
//     vllm-fusion-pipeline{chip=C}     (and the round trip of its result)
//     convert-vllm-to-gpu{chip=C}      (and the round trip of its result;
//                                      with matmul-kernel=auto)
//   vllm-gpu-pipeline{chip=C format=ptx} for one of the two chips, on inputs
//   up to a size (below)
//
// Errors the compiler diagnoses are the expected outcome for most inputs and
// are discarded. What the fuzzer keeps as a crash: a signal or sanitizer
// report, an LLVM fatal error, a pass that reports success but leaves IR that
// does not verify, and a module whose printed form does not parse back to
// the same printout. Each of those aborts with a message naming the pipeline
// to give vllm-opt to reproduce it. docs/fuzzing.md has how to build, run
// and triage.
//
// Besides libFuzzer's byte-level mutations, a custom mutator makes the edits
// that keep a module well-typed more often than bytes do: it replaces every
// occurrence of one number (a dimension, group size, alignment) or of one
// keyword of a family (element types, encodings, layouts, chips, symbol
// names) at once, so that the shapes of an op's operands and results change
// together and the input gets past the verifiers to the passes.
//
// Environment:
//   VLLM_FUZZ_VERBOSE=1         print every stage and its diagnostics
//   VLLM_FUZZ_GPU_MAX_BYTES=N   run vllm-gpu-pipeline on inputs of at most N
//                               bytes (default 2048; 0 never)
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace mlir;

namespace {

/// Larger inputs are rejected (kept out of the corpus): they cost more per
/// execution without reaching code that a smaller module cannot reach.
constexpr size_t kMaxInputBytes = 8 * 1024;

/// Lowering to PTX runs the NVPTX backend at -O3 for every kernel, by far the
/// most expensive stage; it is run on inputs of at most this many bytes.
size_t gpuPipelineMaxBytes = 2048;

bool verbose = false;

const char *const kChips[] = {"sm_100a", "sm_90a"};
/// Options of the conversion per chip: both take their tensor-core GEMM
/// (opt-in, docs/gemm.md: wgmma on sm_90a, tcgen05 on sm_100a), so every
/// GEMM lowering is fuzzed (the SIMT one where the tensor-core kernel does
/// not take the shape or the scales, e.g. f32 activation scales on sm_100a).
const char *const kChipOptions[] = {" matmul-kernel=auto",
                                    " matmul-kernel=auto"};

/// Collects the diagnostics of one input. They are printed only when the
/// input turns out to be a crash (or with VLLM_FUZZ_VERBOSE), so that the
/// thousands of expected errors per second do not flood the fuzzer's output.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) {
          llvm::raw_string_ostream os(text);
          os << diag.getLocation() << ": " << diag << "\n";
          for (const Diagnostic &note : diag.getNotes())
            os << "  note: " << note << "\n";
          if (verbose)
            llvm::errs() << "  " << diag << "\n";
          return success();
        }) {}

  void clear() { text.clear(); }
  const std::string &str() const { return text; }

private:
  std::string text;
  ScopedDiagnosticHandler handler;
};

/// What is being run, for the message of a crash we detect ourselves.
struct Stage {
  std::string description;
  DiagnosticCollector *diagnostics = nullptr;
};
Stage currentStage;

/// Reports what went wrong, the stage, its diagnostics and `details` (IR),
/// and aborts: libFuzzer keeps the input as a crash.
[[noreturn]] void die(const llvm::Twine &what, llvm::StringRef details = "") {
  llvm::errs() << "vllm-fuzz: " << what
               << "\n  during: " << currentStage.description << "\n";
  if (currentStage.diagnostics)
    llvm::errs() << "  diagnostics:\n" << currentStage.diagnostics->str();
  llvm::errs() << details;
  llvm::errs().flush();
  std::abort();
}

void beginStage(const llvm::Twine &description,
                DiagnosticCollector &diagnostics) {
  currentStage.description = description.str();
  currentStage.diagnostics = &diagnostics;
  diagnostics.clear();
  if (verbose)
    llvm::errs() << "vllm-fuzz: " << currentStage.description << "\n";
}

/// Verifies the IR after every pass that reports success. The pass manager's
/// own verifier (disabled where this is used) would turn invalid IR into an
/// ordinary pass failure, indistinguishable from a diagnosed error, and the
/// fuzzer would throw the input away.
class VerifyAfterSuccess : public PassInstrumentation {
public:
  void runAfterPass(Pass *pass, Operation *op) override {
    if (succeeded(verify(op)))
      return;
    die("pass '" + pass->getArgument() + "' (" + pass->getName() +
        ") reported success but left IR that does not verify");
  }
};

std::string print(ModuleOp module, bool generic) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  flags.assumeVerified();
  if (generic)
    flags.printGenericOpForm();
  module->print(os, flags);
  return text;
}

/// Prints `module` (custom and generic form), parses the text back and
/// prints that again: the printer must produce what the parser accepts, and
/// nothing may change on the way.
void checkRoundTrip(ModuleOp module, MLIRContext &context,
                    const llvm::Twine &what, DiagnosticCollector &diagnostics) {
  for (bool generic : {false, true}) {
    beginStage("round trip (" + llvm::Twine(generic ? "generic" : "custom") +
                   " form) of " + what,
               diagnostics);
    std::string first = print(module, generic);
    OwningOpRef<ModuleOp> reparsed =
        parseSourceString<ModuleOp>(first, ParserConfig(&context));
    if (!reparsed)
      die("the printed module does not parse", "printed:\n" + first);
    std::string second = print(*reparsed, generic);
    if (first != second)
      die("the module changes on a round trip",
          "printed:\n" + first + "\nprinted after re-parsing:\n" + second);
  }
}

/// Runs `pipeline` (textual, nested in builtin.module) on a clone of
/// `module`; returns the clone when the pipeline succeeded.
OwningOpRef<ModuleOp> runPipeline(ModuleOp module, MLIRContext &context,
                                  llvm::StringRef pipeline,
                                  DiagnosticCollector &diagnostics) {
  beginStage("vllm-opt --pass-pipeline='builtin.module(" + pipeline + ")'",
             diagnostics);
  OwningOpRef<ModuleOp> clone(module.clone());
  PassManager pm(&context);
  pm.enableVerifier(false);
  pm.addInstrumentation(std::make_unique<VerifyAfterSuccess>());
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (failed(parsePassPipeline(pipeline, pm, errorStream))) {
    llvm::errs() << "vllm-fuzz: invalid pipeline '" << pipeline
                 << "': " << error << "\n";
    std::abort();
  }
  auto start = std::chrono::steady_clock::now();
  bool ok = succeeded(pm.run(*clone));
  if (verbose)
    llvm::errs() << (ok ? "  succeeded" : "  failed (diagnosed)") << " in "
                 << std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count()
                 << " ms\n";
  if (!ok)
    return nullptr;
  return clone;
}

const DialectRegistry &getRegistry() {
  static const DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    vllm::registerAllDialects(*r);
    return r;
  }();
  return *registry;
}

//===----------------------------------------------------------------------===//
// Custom mutator
//===----------------------------------------------------------------------===//

/// Interchangeable spellings: a word of the input found in one family is
/// replaced (everywhere, or once) by another word of that family.
const std::vector<std::vector<llvm::StringRef>> kWordFamilies = {
    {"bf16", "f16", "f32", "f64", "f8E4M3FN", "f8E5M2", "f8E8M0FNU", "i8",
     "i32", "i64", "index"},
    {"f32", "ue8m0_f32", "ue8m0_packed"},
    {"row_major", "mn_major"},
    {"tensor", "row", "group", "block"},
    {"static_per_tensor", "dynamic_per_tensor", "per_token", "per_group"},
    {"sm_90a", "sm_100a", "sm_80", "sm_120a"},
    {"rms_norm", "fused_add_rms_norm", "quantize", "rms_norm_quant",
     "scaled_matmul", "silu_and_mul", "elementwise_quant"},
    {"collapse_shape", "expand_shape"},
    // Symbols the lowering creates or calls: a user symbol of the same name
    // collides with them.
    {"f", "vllm_kernels", "mgpuMemAlloc", "mgpuMemFree", "mgpuMemcpy",
     "mgpuLaunchKernel", "mgpuModuleLoad", "mgpuModuleGetFunction",
     "_mlir_ciface_f", "malloc"},
};

/// Numbers that sit at the edges of what the verifiers and the lowering
/// distinguish: zero, powers of two and their neighbours, the group and
/// hidden sizes in use, and the limits of 32- and 64-bit integers.
const char *const kInterestingNumbers[] = {
    "0",          "1",          "2",          "3",
    "4",          "5",          "7",          "8",
    "15",         "16",         "17",         "31",
    "32",         "33",         "63",         "64",
    "65",         "127",        "128",        "129",
    "255",        "256",        "257",        "448",
    "511",        "512",        "513",        "1023",
    "1024",       "1025",       "2048",       "4095",
    "4096",       "4097",       "7168",       "8192",
    "16384",      "65535",      "65536",      "2147483647",
    "2147483648", "4294967295", "4294967296", "9223372036854775807"};

struct Token {
  size_t begin, end;
};

bool isWordChar(char c) { return llvm::isAlnum(c) || c == '_' || c == '$'; }

/// The standalone numbers of `text` (not part of an identifier such as
/// `bf16`, `sm_90a` or `%arg0`) and its words. In a shape (`?x128xbf16`) an
/// `x` after a dimension is a separator: the dimensions are numbers and the
/// element type is a word.
void tokenize(llvm::StringRef text, std::vector<Token> &numbers,
              std::vector<Token> &words) {
  auto afterDimension = [&](size_t i) {
    return i > 0 && (llvm::isDigit(text[i - 1]) || text[i - 1] == '?');
  };
  size_t i = 0, n = text.size();
  while (i < n) {
    char c = text[i];
    if (c == 'x' && afterDimension(i)) {
      ++i;
      continue;
    }
    if (llvm::isDigit(c)) {
      size_t j = i;
      while (j < n && llvm::isDigit(text[j]))
        ++j;
      char before = i ? text[i - 1] : ' ';
      bool standalone = (before == 'x' && afterDimension(i - 1)) ||
                        !(isWordChar(before) || before == '%' ||
                          before == '#' || before == '^');
      if (standalone && (j == n || text[j] != '_'))
        numbers.push_back({i, j});
      i = j;
      continue;
    }
    if (isWordChar(c)) {
      size_t j = i;
      while (j < n && isWordChar(text[j]))
        ++j;
      words.push_back({i, j});
      i = j;
      continue;
    }
    ++i;
  }
}

/// Replaces every occurrence of the text of `tokens[pick]` among `tokens`
/// (or only that one) by `replacement`.
std::string replaceTokens(llvm::StringRef text,
                          const std::vector<Token> &tokens, size_t pick,
                          llvm::StringRef replacement, bool all) {
  llvm::StringRef old = text.slice(tokens[pick].begin, tokens[pick].end);
  std::string out;
  size_t last = 0;
  for (size_t t = 0; t < tokens.size(); ++t) {
    const Token &tok = tokens[t];
    if (all ? text.slice(tok.begin, tok.end) != old : t != pick)
      continue;
    out += text.slice(last, tok.begin);
    out += replacement;
    last = tok.end;
  }
  out += text.substr(last);
  return out;
}

std::string mutateNumber(llvm::StringRef text, const std::vector<Token> &nums,
                         std::minstd_rand &rng) {
  size_t pick = rng() % nums.size();
  llvm::StringRef old = text.slice(nums[pick].begin, nums[pick].end);
  std::string replacement;
  uint64_t value = 0;
  bool parsed = !old.getAsInteger(10, value);
  switch (rng() % 4) {
  case 0:
  case 1:
    replacement = kInterestingNumbers[rng() % std::size(kInterestingNumbers)];
    break;
  case 2: {
    // Neighbours, halves and doubles of the value.
    const int64_t deltas[] = {-1, 1, -4, 4, -128, 128};
    if (!parsed)
      return "";
    uint64_t next = rng() % 3 == 0   ? value * 2
                    : rng() % 2 == 0 ? value / 2
                                     : value + deltas[rng() % 6];
    replacement = std::to_string(next);
    break;
  }
  default: {
    // Another number of the input.
    const Token &other = nums[rng() % nums.size()];
    replacement = text.slice(other.begin, other.end).str();
    break;
  }
  }
  return replaceTokens(text, nums, pick, replacement, rng() % 4 != 0);
}

std::string mutateWord(llvm::StringRef text, const std::vector<Token> &words,
                       std::minstd_rand &rng) {
  // The distinct words of the input that belong to a family (one entry per
  // word, so that `tensor`, in every type, is not picked most of the time),
  // with their family.
  std::vector<std::pair<size_t, size_t>> candidates;
  llvm::StringSet<> seen;
  for (size_t w = 0; w < words.size(); ++w) {
    llvm::StringRef word = text.slice(words[w].begin, words[w].end);
    if (!seen.insert(word).second)
      continue;
    for (size_t f = 0; f < kWordFamilies.size(); ++f)
      if (llvm::is_contained(kWordFamilies[f], word))
        candidates.push_back({w, f});
  }
  if (candidates.empty())
    return "";
  auto [first, family] = candidates[rng() % candidates.size()];
  const std::vector<llvm::StringRef> &choices = kWordFamilies[family];
  llvm::StringRef replacement = choices[rng() % choices.size()];
  if (rng() % 4 != 0)
    return replaceTokens(text, words, first, replacement, /*all=*/true);
  // One occurrence of the word.
  llvm::StringRef word = text.slice(words[first].begin, words[first].end);
  std::vector<size_t> occurrences;
  for (size_t w = first; w < words.size(); ++w)
    if (text.slice(words[w].begin, words[w].end) == word)
      occurrences.push_back(w);
  return replaceTokens(text, words, occurrences[rng() % occurrences.size()],
                       replacement, /*all=*/false);
}

} // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned int seed) {
  std::minstd_rand rng(seed);
  // Half of the mutations are libFuzzer's own (bytes, dictionary, cross-over).
  if (rng() % 2 == 0)
    return LLVMFuzzerMutate(data, size, maxSize);
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  std::vector<Token> numbers, words;
  tokenize(text, numbers, words);
  std::string mutated;
  if (!numbers.empty() && (words.empty() || rng() % 3 != 0))
    mutated = mutateNumber(text, numbers, rng);
  else if (!words.empty())
    mutated = mutateWord(text, words, rng);
  if (mutated.empty() || mutated == text || mutated.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, mutated.data(), mutated.size());
  return mutated.size();
}

/// Only our code is instrumented, not Debian's libMLIR.so. The allocators of
/// llvm/Support/Allocator.h, inlined into our code, poison every slab they
/// start and unpoison what they hand out; libMLIR's uninstrumented copies
/// hand out memory from those slabs without unpoisoning it, which would be
/// reported as use-after-poison. (test/lit.cfg.py sets the same option for
/// the lit suite.)
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  // What vllm-opt registers (tools/vllm-opt/vllm-opt.cpp).
  registerAllPasses();
  vllm::registerAllPasses();
  (void)getRegistry();
  if (const char *env = std::getenv("VLLM_FUZZ_VERBOSE"))
    verbose = llvm::StringRef(env) != "0";
  if (const char *env = std::getenv("VLLM_FUZZ_GPU_MAX_BYTES"))
    gpuPipelineMaxBytes = std::strtoull(env, nullptr, 10);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > kMaxInputBytes)
    return -1;

  // Threading off: deterministic, and no thread pool per input.
  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  DiagnosticCollector diagnostics(context);

  // A copy, because the lexer relies on the NUL after the buffer's end.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz-input.mlir"),
      llvm::SMLoc());
  beginStage("vllm-opt (parse and verify)", diagnostics);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 0;
  checkRoundTrip(*module, context, "the input", diagnostics);

  bool converted[2] = {false, false};
  for (int i = 0; i < 2; ++i) {
    std::string chip = kChips[i];
    if (OwningOpRef<ModuleOp> fused =
            runPipeline(*module, context,
                        "vllm-fusion-pipeline{chip=" + chip + "}", diagnostics))
      checkRoundTrip(*fused, context,
                     "the output of vllm-fusion-pipeline{chip=" + chip + "}",
                     diagnostics);
    // Types are not verified where a pass creates them: a shape computed
    // with an overflow, say, is only seen when the printed form does not
    // parse back.
    std::string convert =
        "convert-vllm-to-gpu{chip=" + chip + kChipOptions[i] + "}";
    if (OwningOpRef<ModuleOp> lowered =
            runPipeline(*module, context, convert, diagnostics)) {
      checkRoundTrip(*lowered, context, "the output of " + convert,
                     diagnostics);
      converted[i] = true;
    }
  }
  // The GPU pipeline costs about twenty times the other stages together (the
  // NVPTX backend at -O3 for every kernel), so it runs for one chip per
  // input, picked by a hash of the input so that a reproducer picks the same
  // one. It starts with convert-vllm-to-gpu (same options), so it would fail
  // where the conversion alone failed.
  int gpuChip = llvm::xxh3_64bits(llvm::ArrayRef(data, size)) % 2;
  if (size <= gpuPipelineMaxBytes && converted[gpuChip])
    runPipeline(*module, context,
                "vllm-gpu-pipeline{chip=" + std::string(kChips[gpuChip]) +
                    kChipOptions[gpuChip] + " format=ptx}",
                diagnostics);
  currentStage = Stage();
  return 0;
}
