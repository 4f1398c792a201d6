/*===- vllm-capi-test.c - exercise the vllm-mlir C API -------------------===*\
|*                                                                            *|
|* Part of the vllm-mlir project.                                             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

/* Builds scheme attributes through the C API, derives scale types from
 * them, parses and verifies a module, and reports a rejected scheme. The
 * lit test FileChecks what it prints. */

#include "vllm-mlir-c/Vllm.h"

#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"

#include <stdio.h>

static void printToStdout(MlirStringRef str, void *userData) {
  (void)userData;
  fwrite(str.data, 1, str.length, stdout);
}

static MlirLogicalResult printDiagnostic(MlirDiagnostic diag, void *userData) {
  (void)userData;
  printf("diagnostic: ");
  mlirDiagnosticPrint(diag, printToStdout, NULL);
  printf("\n");
  return mlirLogicalResultSuccess();
}

int main(void) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  vllmRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  mlirContextAttachDiagnosticHandler(ctx, printDiagnostic, NULL, NULL);

  MlirAttribute packed = vllmQuantSchemeAttrGetPerGroup(
      ctx, 128, VllmScaleEncodingUE8M0Packed, VllmScaleLayoutMNMajor, 4);
  printf("is scheme: %d\n", vllmAttributeIsAQuantScheme(packed));
  mlirAttributePrint(packed, printToStdout, NULL);
  printf("\n");
  MlirAttribute format = vllmQuantSchemeAttrGetScaleFormat(packed);
  printf("is format: %d\n", vllmAttributeIsAScaleFormat(format));
  mlirTypePrint(vllmQuantSchemeAttrGetScaleType(packed, 257, 7168),
                printToStdout, NULL);
  printf("\n");
  mlirTypePrint(vllmQuantSchemeAttrGetScaleType(
                    packed, mlirShapedTypeGetDynamicSize(), 256),
                printToStdout, NULL);
  printf("\n");
  MlirAttribute perToken = vllmQuantSchemeAttrGetPerToken(ctx, 1200.0f);
  mlirAttributePrint(perToken, printToStdout, NULL);
  printf("\n");

  /* Packed UE8M0 must be MN-major align 4: rejected with a diagnostic. */
  MlirAttribute bad = vllmQuantSchemeAttrGetPerGroup(
      ctx, 128, VllmScaleEncodingUE8M0Packed, VllmScaleLayoutRowMajor, 1);
  printf("rejected: %d\n", mlirAttributeIsNull(bad));

  MlirModule module = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString(
               "func.func @f(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) {\n"
               "  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> "
               "{epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, "
               "tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, "
               "tensor<?xf32, #vllm.scales<row>>)\n"
               "  return\n}\n"));
  if (mlirModuleIsNull(module)) {
    printf("parse failed\n");
    return 1;
  }
  MlirOperation op = mlirModuleGetOperation(module);
  printf("verified: %d\n", mlirOperationVerify(op));
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return 0;
}
