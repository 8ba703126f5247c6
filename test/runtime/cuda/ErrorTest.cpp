//===- ErrorTest.cpp - one-line errors, GEMM shape checks, device probe ---===//
//
// These run everywhere: none needs a GPU.
//
//===----------------------------------------------------------------------===//
#include "GpuTest.h"

#include "runtime/cuda/Error.h"
#include "runtime/cuda/Gemm.h"

#include <stdexcept>

namespace golf::cuda::test {
namespace {

template <class Status> std::string messageOf(Status s, const char *what) {
  try {
    check(s, what);
  } catch (const CudaError &e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(CudaError, CudaStatusIsOneLineWithNameAndText) {
  EXPECT_EQ(messageOf(cudaErrorInvalidValue, "cudaMalloc"),
            "cudaMalloc: cudaErrorInvalidValue: invalid argument");
  EXPECT_NO_THROW(check(cudaSuccess, "cudaMalloc"));
}

TEST(CudaError, CublasAndNvrtcStatusesAreNamed) {
  std::string lt = messageOf(CUBLAS_STATUS_NOT_INITIALIZED, "cublasLtCreate");
  EXPECT_EQ(lt.rfind("cublasLtCreate: CUBLAS_STATUS_NOT_INITIALIZED: ", 0), 0u) << lt;
  EXPECT_EQ(lt.find('\n'), std::string::npos);
  EXPECT_EQ(messageOf(NVRTC_ERROR_INVALID_OPTION, "nvrtcCompileProgram"),
            "nvrtcCompileProgram: NVRTC_ERROR_INVALID_OPTION");
  EXPECT_NO_THROW(check(CUBLAS_STATUS_SUCCESS, "x"));
  EXPECT_NO_THROW(check(NVRTC_SUCCESS, "x"));
}

TEST(Device, ProbeGivesADeviceOrOneLineReason) {
  std::string why;
  std::optional<DeviceInfo> d = probeDevice(why);
  if (!d) {
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(why.find('\n'), std::string::npos) << why;
    return;
  }
  EXPECT_FALSE(d->name.empty());
  EXPECT_GT(d->smCount, 0);
  EXPECT_GT(d->totalBytes, 0u);
  EXPECT_EQ(d->arch(), "sm_" + std::to_string(d->major) + std::to_string(d->minor));
  if (d->name.find("H100") != std::string::npos) {
    EXPECT_EQ(d->arch(), "sm_90");
    EXPECT_GE(d->sharedPerBlockOptin, 227u << 10);
  }
}

GemmShape small() {
  GemmShape s;
  s.m = 5;
  s.n = 7;
  s.k = 3;
  return s;
}

void expectRejected(const GemmShape &s, const std::string &reason) {
  try {
    validate(s);
    ADD_FAILURE() << describe(s) << " was accepted";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
}

TEST(GemmShape, ValidShapesPass) {
  GemmShape s = small();
  EXPECT_NO_THROW(validate(s));
  s.c = ElemType::F32; // bf16 x bf16 -> f32
  s.batch = 4;
  s.strideC = 5 * 7;
  s.strideB = 0; // B shared by the batch
  s.transA = s.transB = true;
  s.lda = 9;
  EXPECT_NO_THROW(validate(s));
  EXPECT_EQ(describe(s), "Gemm(m=5 n=7 k=3 transA transB bf16xbf16->f32 batch=4 strides=0/0/35 "
                         "ld=9/0/0)");
}

TEST(GemmShape, BadShapesAreRejectedWithTheReason) {
  GemmShape s = small();
  s.k = 0;
  expectRejected(s, "at least 1");
  s = small();
  s.b = ElemType::F32;
  expectRejected(s, "same element type");
  s = small();
  s.a = s.b = ElemType::F32;
  s.c = ElemType::BF16;
  expectRejected(s, "C must have the type");
  s = small();
  s.tf32 = true;
  expectRejected(s, "tf32");
  s = small();
  s.lda = 2; // A is 5 x 3
  expectRejected(s, "leading dim");
  s = small();
  s.batch = 2;
  expectRejected(s, "strideC");
  s.strideC = 35;
  s.strideA = -1;
  expectRejected(s, "negative");
}

} // namespace
} // namespace golf::cuda::test
