# lit configuration of the golf test suite: IR (golf-opt), passes, frontend
# (golfc), examples, docs and fuzzing.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "golf"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".golf", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt", "Inputs", "reference", "regressions"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.golf_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%golf_src", config.golf_src_root))
config.substitutions.append(("%examples", os.path.join(config.golf_src_root, "examples")))
config.substitutions.append(("%python", "python3"))

llvm_config.use_default_substitutions()
# `RUN: not golfc ...` needs `not` on PATH; Debian ships it only in the LLVM dir.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    [ToolSubst("golf-opt", unresolved="fatal"), ToolSubst("golfc", unresolved="fatal")],
    [config.golf_tools_dir, config.llvm_tools_dir])

# The corpus and val shard of scripts/make-data.sh (git-ignored data/).
corpus = os.path.join(config.golf_src_root, "data", "datasets", "corpus_sp1024")
config.substitutions.append(("%shared_data", os.path.join(config.shared_dir, "data")))
if os.path.isfile(os.path.join(corpus, "fineweb_train_000000.bin")):
    config.available_features.add("corpus")
    config.substitutions.append(("%corpus", corpus))

if config.golf_fuzz_dir and os.path.isdir(config.golf_fuzz_dir):
    config.available_features.add("fuzz")
    config.substitutions.append(("%fuzz_dir", config.golf_fuzz_dir))
    config.substitutions.append(
        ("%{fuzz_seconds}", os.environ.get("GOLF_FUZZ_SECONDS", "60")))

# golfc built with the CUDA toolkit (NVRTC): kernels can be compiled here,
# though they run only where there is a GPU.
if config.golf_have_cuda == "ON":
    config.available_features.add("cuda")
