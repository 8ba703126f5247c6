//===- Settings.cpp - the train, export and eval sections -----------------===//
#include "frontend/Settings.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include <cstdlib>

namespace golf {
namespace {

/// A key of a section, directive or record. `type` is one of: int, number,
/// bool, name, names, strings, pair, choice:a|b|c, record:a|b|c. `def` is the
/// default in source form, "" for a required field and "-" for an optional
/// one without default.
struct Field {
  const char *name;
  const char *type;
  const char *def;
  const char *help;
};

/// A directive of a section (`muon(...)`) or a record kind (`sdclip(...)`).
/// Directives are collected into the list `into`; "" means at most once,
/// stored under its own name.
struct Shape {
  const char *name;
  const char *into;
  std::vector<Field> fields;
  const char *help;
  const char *warning = nullptr;
};

struct Section {
  const char *name;
  std::vector<Field> keys;
  std::vector<Shape> directives;
};

const std::vector<Section> &sections() {
  static const std::vector<Section> kSections = {
      {"train",
       {{"tokens_per_step", "int", "", "tokens in one optimizer step, over all GPUs"},
        {"seq_len", "int", "", "training sequence length"},
        {"micro_batch", "int", "-", "sequences per forward/backward; default tokens_per_step / seq_len / 8 (the challenge's 8 GPUs)"},
        {"iterations", "int", "20000", "step cap"},
        {"wallclock", "number", "600", "training time cap in seconds; 0 for none"},
        {"warmup_steps", "int", "0", "priming steps run before the clock and then undone (compile warm-up)"},
        {"grad_clip", "number", "0", "clip the global gradient norm to this; 0 for off"},
        {"autocast", "choice:off|bf16", "off", "bf16: matrix products and attention read and return bf16, accumulating in fp32 (torch.autocast); off: fp32 throughout"},
        {"seed", "int", "1337", "seed of initialization and data order"},
        {"log_every", "int", "50", "steps between progress lines"},
        {"val_every", "int", "0", "steps between validation runs; 0 for only at the end"}},
       {{"muon", "optimizers",
         {{"group", "name", "", "parameter group it updates"},
          {"lr", "number", "", "learning rate"},
          {"momentum", "number", "0.95", "momentum after warm-up"},
          {"momentum_warmup_start", "number", "-", "momentum at step 0, ramped linearly"},
          {"momentum_warmup_steps", "int", "0", "steps of the momentum ramp"},
          {"nesterov", "bool", "true", "Nesterov momentum"},
          {"ns_steps", "int", "5", "Newton-Schulz iterations"},
          {"wd", "number", "0", "decoupled weight decay"},
          {"row_normalize", "bool", "false", "MuonEq-R: normalize rows before Newton-Schulz"},
          {"parallel", "bool", "false", "Parallel Muon over parameter banks (multi-GPU)"}},
         "Muon: momentum, 5-step Newton-Schulz orthogonalization, scale max(1, rows/cols)^0.5"},
        {"adam", "optimizers",
         {{"group", "name", "", "parameter group it updates"},
          {"lr", "number", "", "learning rate"},
          {"betas", "pair", "(0.9, 0.95)", "beta1, beta2"},
          {"eps", "number", "1e-8", "epsilon"},
          {"wd", "number", "0", "L2 weight decay added to the gradient"}},
         "Adam"},
        {"adamw", "optimizers",
         {{"group", "name", "", "parameter group it updates"},
          {"lr", "number", "", "learning rate"},
          {"betas", "pair", "(0.9, 0.95)", "beta1, beta2"},
          {"eps", "number", "1e-8", "epsilon"},
          {"wd", "number", "0.01", "decoupled weight decay"}},
         "AdamW (decoupled weight decay)"},
        {"warmup", "schedules",
         {{"steps", "int", "", "linear LR warm-up length"}},
         "linear learning-rate warm-up from 0"},
        {"warmdown", "schedules",
         {{"steps", "int", "", "length of the final linear decay to 0"},
          {"by", "choice:iterations|wallclock", "iterations",
           "wallclock: steps converted with the mean step time (the baseline's rule)"}},
         "linear learning-rate decay to 0 at the end of training"},
        {"ema", "averaging",
         {{"decay", "number", "", "shadow <- decay * shadow + (1 - decay) * weights"},
          {"every", "int", "1", "steps between updates"}},
         "exponential moving average of the weights, exported instead of them"},
        {"swa", "averaging",
         {{"every", "int", "", "steps between snapshots"},
          {"below_lr_scale", "number", "", "start once the LR multiplier drops below this"},
          {"apply", "bool", "true", "export the average (false: keep it only for inspection)"}},
         "stochastic weight averaging of late snapshots"},
        {"qat", "",
         {{"below_lr_scale", "number", "1.0", "switch fake quantization on below this LR multiplier"},
          {"bits", "int", "-", "bit width for every quantized matrix; default each class's export bits"},
          {"mode", "choice:ste|soft_round", "ste", "straight-through rounding or soft-round"},
          {"alpha_start", "number", "1", "soft-round sharpness when QAT starts"},
          {"alpha_end", "number", "16", "soft-round sharpness at the end"}},
         "quantization-aware training of the matrices with export quant classes"},
        {"crown_q", "",
         {{"weight", "number", "0.01", "lambda of the quantization-noise penalty"},
          {"during", "choice:warmdown|always", "warmdown", "when the penalty is on"}},
         "CROWN-Q curvature-weighted quantization-noise regularizer"}}},
      {"export",
       {{"limit_bytes", "int", "16000000", "artifact limit: compressed model + source bytes"},
        {"over_limit", "choice:refuse|warn", "refuse", "what an artifact over the limit does"},
        {"passthrough_numel", "int", "65536", "float tensors with at most this many elements are not quantized"},
        {"passthrough_dtype", "choice:f16|f32", "f16", "storage of passed-through tensors"},
        {"count_source", "bool", "true", "add the .golf source bytes to the total"}},
       {{"quant", "quant",
         {{"class", "name", "", "quant class of the parameters it covers; 'default' for unlisted ones"},
          {"bits", "int", "", "bit width, 4 to 8"},
          {"clip", "record:max|percentile|gptq_lite|sdclip", "max", "per-row clipping rule"},
          {"method", "choice:rtn|gptq", "rtn", "round to nearest or full-Hessian GPTQ"},
          {"pack", "choice:none|nibble", "none", "nibble packing (int4 only)"},
          {"scale_dtype", "choice:f16|f32", "f16", "per-row scale storage"},
          {"min_scale", "number", "-", "floor of the per-row scale (the baseline's 1/127); none when not given"}},
         "per-row symmetric integer quantization of one quant class"},
        {"keep", "keep",
         {{"class", "name", "-", "quant class kept in float"},
          {"patterns", "strings", "-", "parameter-name substrings kept in float"},
          {"dtype", "choice:f16|f32", "", "storage type"}},
         "keep matching tensors in float"},
        {"gptq", "",
         {{"calibration", "record:train|self_generated", "", "where the Hessians' activations come from"},
          {"damp", "number", "0.01", "damping, times mean(diag H)"},
          {"block", "int", "128", "columns per GPTQ block"},
          {"act_order", "bool", "true", "process columns by descending Hessian diagonal"}},
         "full-Hessian GPTQ settings for classes with method = gptq"},
        {"magnitude_prune", "prune",
         {{"fraction", "number", "", "fraction of smallest |w| zeroed per tensor"},
          {"min_numel", "int", "65536", "only tensors larger than this"}},
         "magnitude pruning before quantization"},
        {"selective_prune", "prune",
         {{"target_bytes", "int", "-", "artifact size to reach; default limit_bytes"}},
         "zero the fewest +-1 entries (smallest scale first) to fit the target"},
        {"compress", "",
         {{"codec", "choice:zstd|xz|zlib", "", "compressor"},
          {"level", "int", "", "level (zstd 1-22, xz 0-9, zlib 0-9)"},
          {"extreme", "bool", "false", "xz extreme preset"}},
         "compression of the artifact payload"}}},
      {"eval",
       {{"seq_len", "int", "-", "evaluation window; default the training seq_len"},
        {"batch_seqs", "int", "-", "windows per forward pass; default chosen by the runtime"},
        {"method", "record:non_overlapping|sliding", "non_overlapping", "how windows cover the validation tokens"}},
       {{"ttt", "",
         {{"mode", "choice:score_first", "score_first", "adapt only on tokens already scored"},
          {"optimizer", "choice:sgd|adamw", "", "optimizer of the adaptation"},
          {"lr", "number", "", "learning rate"},
          {"momentum", "number", "0.9", "SGD momentum"},
          {"wd", "number", "0", "AdamW weight decay"},
          {"epochs", "int", "", "passes over each scored chunk"},
          {"chunk_tokens", "int", "32768", "tokens per scored-then-trained chunk"},
          {"seqs_per_step", "int", "32", "sequences per adaptation step"},
          {"freeze_blocks", "int", "0", "leading blocks kept frozen"},
          {"byte_weighted", "bool", "false", "weight each token's loss by its byte count"},
          {"polyak", "number", "0", "score with a Polyak average of the adapted weights (decay)"},
          {"lr_schedule", "choice:constant|cosine", "cosine", "learning rate across chunks"},
          {"grad_clip", "number", "1.0", "gradient-norm clip"}},
         "test-time training on the validation stream, legal (score-first) form"},
        {"hedge", "mixers",
         {{"experts", "names", "", "from neural, unigram, bigram, trigram, fourgram, entropy"},
          {"eta", "number", "0.1", "Hedge learning rate"},
          {"neural_prior", "number", "0", "initial log-weight of the neural expert"}},
         "Hedge mixture of the model with count-based experts"},
        {"ngram_backoff", "mixers",
         {{"min_order", "int", "2", "lowest n-gram order"},
          {"max_order", "int", "7", "highest n-gram order"},
          {"table_bits", "int", "22", "log2 of the hash-table size per order"},
          {"min_count", "int", "2", "context count needed to use an order"},
          {"alpha_base", "number", "0.05", "alpha = base + range * sigmoid(slope * (H - center))"},
          {"alpha_range", "number", "0.55", ""},
          {"entropy_center", "number", "4.0", ""},
          {"entropy_slope", "number", "2.0", ""}},
         "hashed multi-order n-gram backoff mixed by entropy-adaptive alpha (seed 0.9076)",
         "ngram_backoff is the hashed n-gram cache the challenge ruled illegal (its scores are not a normalized distribution); results with it are not valid submissions"}}},
  };
  return kSections;
}

const std::vector<Shape> &records() {
  static const std::vector<Shape> kRecords = {
      {"max", "", {}, "clip at max |w| of the row"},
      {"percentile", "", {{"q", "number", "", "percentile of |w| per row, e.g. 99.99984"}},
       "clip at a percentile of |w| of the row"},
      {"gptq_lite", "", {},
       "per row, the best of clip quantiles {0.999, 0.9995, 0.9999, 0.99999, 1}"},
      {"sdclip", "", {{"k", "number", "", "clip = k * std of the row"}},
       "clip at k standard deviations of the row"},
      {"train", "", {{"batches", "int", "16", "training batches"}},
       "calibrate on training batches (inside the training clock)"},
      {"self_generated", "",
       {{"seqs", "int", "64", "sequences sampled from the model"},
        {"length", "int", "2048", "tokens per sequence"},
        {"temperature", "number", "0.8", "sampling temperature"},
        {"batch", "int", "8", "sequences per generation batch"},
        {"seed", "int", "0", "sampling seed"}},
       "calibrate on text the model generates itself (no data access)"},
      {"non_overlapping", "", {}, "consecutive windows, every position scored once"},
      {"sliding", "", {{"stride", "int", "", "positions scored per window"}},
       "windows every `stride` tokens, each scoring its last `stride` positions"},
  };
  return kRecords;
}

/// Initializers are records too; `rows` takes one initializer per row.
const std::vector<Shape> &initializers() {
  static const std::vector<Shape> kInits = {
      {"zeros", "", {}, "all zeros"},
      {"ones", "", {}, "all ones"},
      {"fill", "", {{"value", "number", "", "the constant"}}, "a constant"},
      {"normal", "", {{"std", "number", "", "standard deviation"}, {"mean", "number", "0", "mean"}},
       "normal distribution"},
      {"uniform", "", {{"low", "number", "", "lower bound"}, {"high", "number", "", "upper bound"}},
       "uniform distribution on [low, high)"},
      {"linear_default", "", {},
       "PyTorch's nn.Linear default: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = last dim"},
      {"orthogonal", "", {{"gain", "number", "1.0", "scale of the orthogonal matrix"}},
       "orthogonal rows or columns (PyTorch's orthogonal_), per leading index for 3-D banks"},
      {"bigram_pmi", "",
       {{"alpha", "number", "0.25", "additive smoothing"},
        {"clip", "number", "4.0", "clamp of the PMI"},
        {"tokens", "int", "16000000", "training tokens counted"}},
       "count-initialized bigram PMI log p(b|a) - log p(b) from training data (BigramLogitHead)"},
  };
  return kInits;
}

const Shape *findShape(const std::vector<Shape> &shapes, llvm::StringRef name) {
  for (const Shape &s : shapes)
    if (name == s.name)
      return &s;
  return nullptr;
}

std::string choices(const std::vector<Shape> &shapes) {
  std::vector<std::string> names;
  for (const Shape &s : shapes)
    names.push_back(s.name);
  return llvm::join(names, ", ");
}

class Checker {
public:
  Checker(mlir::MLIRContext *ctx, Diagnostics &diags) : b_(ctx), diags_(diags) {}

  /// Converts a value of a field's type; null after an error.
  mlir::Attribute convert(const Field &f, const Value &given, SourceLoc loc) {
    llvm::StringRef type = f.type;
    // A field that wants a name takes the name as written, even if a
    // hyperparameter of that name exists (`by = wallclock`).
    bool wantsName = type == "name" || type.starts_with("choice:") || type.starts_with("record:");
    Value v = wantsName && !given.spelled.empty() && given.kind != Value::Kind::Record
                  ? Value::symbol(given.spelled)
                  : given;
    auto fail = [&](const llvm::Twine &want) -> mlir::Attribute {
      diags_.error(loc, llvm::Twine("'") + f.name + "' expects " + want + ", got " + render(v));
      return {};
    };
    if (type == "int")
      return v.kind == Value::Kind::Int ? mlir::Attribute(b_.getI64IntegerAttr(v.i))
                                        : fail("an integer");
    if (type == "number")
      return v.isNumber() ? mlir::Attribute(b_.getF64FloatAttr(v.asDouble()))
                          : fail("a number");
    if (type == "bool")
      return v.kind == Value::Kind::Bool ? mlir::Attribute(b_.getBoolAttr(v.b))
                                         : fail("true or false");
    if (type == "name")
      return v.kind == Value::Kind::Symbol || v.kind == Value::Kind::Str
                 ? mlir::Attribute(b_.getStringAttr(v.s))
                 : fail("a name");
    if (type == "pair") {
      if (v.kind != Value::Kind::Tuple || v.items->size() != 2 ||
          !(*v.items)[0].isNumber() || !(*v.items)[1].isNumber())
        return fail("a pair of numbers like (0.9, 0.95)");
      return b_.getArrayAttr({b_.getF64FloatAttr((*v.items)[0].asDouble()),
                              b_.getF64FloatAttr((*v.items)[1].asDouble())});
    }
    if (type == "names" || type == "strings") {
      if (v.kind != Value::Kind::List && v.kind != Value::Kind::Tuple)
        return fail("a list");
      llvm::SmallVector<mlir::Attribute> out;
      for (const Value &e : *v.items) {
        if (type == "names" && !e.spelled.empty()) {
          out.push_back(b_.getStringAttr(e.spelled));
          continue;
        }
        bool ok = type == "names" ? (e.kind == Value::Kind::Symbol || e.kind == Value::Kind::Str)
                                  : e.kind == Value::Kind::Str;
        if (!ok)
          return fail(type == "names" ? "a list of names" : "a list of strings");
        out.push_back(b_.getStringAttr(e.s));
      }
      return b_.getArrayAttr(out);
    }
    if (type.consume_front("choice:")) {
      llvm::SmallVector<llvm::StringRef> options;
      type.split(options, '|');
      if ((v.kind == Value::Kind::Symbol || v.kind == Value::Kind::Str) &&
          llvm::is_contained(options, v.s))
        return b_.getStringAttr(v.s);
      return fail("one of " + llvm::join(options, ", "));
    }
    if (type.consume_front("record:")) {
      llvm::SmallVector<llvm::StringRef> options;
      type.split(options, '|');
      llvm::StringRef name = v.kind == Value::Kind::Record ? llvm::StringRef(v.record->name)
                             : v.kind == Value::Kind::Symbol ? llvm::StringRef(v.s)
                                                             : llvm::StringRef();
      if (name.empty() || !llvm::is_contained(options, name))
        return fail("one of " + llvm::join(options, ", "));
      Record r = v.kind == Value::Kind::Record ? *v.record : Record{v.s, {}, {}};
      return shape(*findShape(records(), name), r, loc);
    }
    return fail("a value");
  }

  /// Fills a directive's or record's fields from a call; null after an error.
  mlir::DictionaryAttr shape(const Shape &s, const Record &r, SourceLoc loc) {
    llvm::SmallVector<mlir::NamedAttribute> out;
    out.push_back(b_.getNamedAttr("kind", b_.getStringAttr(s.name)));
    if (r.positional.size() > s.fields.size()) {
      diags_.error(loc, llvm::Twine(s.name) + " takes at most " +
                            llvm::Twine(s.fields.size()) + " arguments");
      return {};
    }
    llvm::StringMap<const Value *> given;
    for (size_t i = 0; i < r.positional.size(); ++i)
      given[s.fields[i].name] = &r.positional[i];
    for (const auto &keyword : r.keywords) {
      const std::string &key = keyword.first;
      if (!llvm::any_of(s.fields, [&](const Field &f) { return key == f.name; })) {
        diags_.error(loc, "'" + key + "' is not an argument of " + s.name +
                              (s.fields.empty() ? " (it takes none)"
                                                : " (arguments: " + fieldNames(s.fields) + ")"));
        return {};
      }
      if (given.count(key)) {
        diags_.error(loc, "'" + key + "' is given twice");
        return {};
      }
      given[key] = &keyword.second;
    }
    if (!fill(s.fields, given, loc, llvm::Twine(s.name), out))
      return {};
    return b_.getDictionaryAttr(out);
  }

  /// Converts given values and defaults of `fields` into `out`.
  bool fill(const std::vector<Field> &fields, const llvm::StringMap<const Value *> &given,
            SourceLoc loc, const llvm::Twine &owner,
            llvm::SmallVectorImpl<mlir::NamedAttribute> &out) {
    bool ok = true;
    for (const Field &f : fields) {
      auto it = given.find(f.name);
      if (it != given.end()) {
        mlir::Attribute a = convert(f, *it->second, loc);
        ok &= bool(a);
        if (a)
          out.push_back(b_.getNamedAttr(f.name, a));
        continue;
      }
      llvm::StringRef def = f.def;
      if (def.empty()) {
        diags_.error(loc, owner + " needs '" + f.name + "' (" + f.help + ")");
        ok = false;
      } else if (def != "-") {
        out.push_back(b_.getNamedAttr(f.name, convert(f, parseDefault(def), loc)));
      }
    }
    return ok;
  }

  static std::string fieldNames(const std::vector<Field> &fields) {
    std::vector<std::string> names;
    for (const Field &f : fields)
      names.push_back(f.name);
    return llvm::join(names, ", ");
  }

  /// Defaults are written in source form: numbers, true/false, a name, a pair.
  static Value parseDefault(llvm::StringRef text) {
    if (text == "true" || text == "false")
      return Value::boolean(text == "true");
    if (text.consume_front("(") && text.consume_back(")")) {
      auto [a, b] = text.split(',');
      return Value::tuple({parseDefault(a.trim()), parseDefault(b.trim())});
    }
    int64_t i;
    if (!text.getAsInteger(10, i))
      return Value::integer(i);
    double d;
    if (!text.getAsDouble(d))
      return Value::number(d);
    return Value::symbol(text.str());
  }

  mlir::Builder b_;
  Diagnostics &diags_;
};

} // namespace

bool isSettingsRecordName(llvm::StringRef name) {
  if (findShape(records(), name))
    return true;
  for (const Section &s : sections())
    if (findShape(s.directives, name))
      return true;
  return false;
}

mlir::DictionaryAttr buildSection(llvm::StringRef section,
                                  const std::vector<SettingEntry> &entries, SourceLoc sectionLoc,
                                  mlir::MLIRContext *ctx, Diagnostics &diags) {
  const Section *sec = nullptr;
  for (const Section &s : sections())
    if (section == s.name)
      sec = &s;
  Checker check(ctx, diags);
  mlir::Builder &b = check.b_;
  llvm::StringMap<const Value *> keys;
  llvm::StringMap<SourceLoc> keyLocs;
  llvm::StringMap<llvm::SmallVector<mlir::Attribute>> lists;
  llvm::SmallVector<mlir::NamedAttribute> out;
  llvm::StringSet<> singles;
  bool ok = true;
  for (const SettingEntry &e : entries) {
    if (!e.isDirective) {
      if (!llvm::any_of(sec->keys, [&](const Field &f) { return e.name == f.name; })) {
        diags.error(e.loc, "unknown " + section + " setting '" + e.name + "' (settings: " +
                               Checker::fieldNames(sec->keys) + "; directives: " +
                               choices(sec->directives) + ")");
        ok = false;
        continue;
      }
      if (keys.count(e.name)) {
        diags.error(e.loc, "'" + e.name + "' is set twice");
        ok = false;
      }
      keys[e.name] = &e.value;
      continue;
    }
    const Shape *d = findShape(sec->directives, e.name);
    if (!d) {
      diags.error(e.loc, "unknown " + section + " directive '" + e.name + "' (directives: " +
                             choices(sec->directives) + ")");
      ok = false;
      continue;
    }
    if (d->warning)
      diags.warning(e.loc, d->warning);
    mlir::DictionaryAttr dict = check.shape(*d, *e.value.record, e.loc);
    if (!dict) {
      ok = false;
      continue;
    }
    if (llvm::StringRef(d->into).empty()) {
      if (!singles.insert(d->name).second) {
        diags.error(e.loc, llvm::Twine("'") + d->name + "' may appear only once");
        ok = false;
      }
      out.push_back(b.getNamedAttr(d->name, dict));
    } else {
      lists[d->into].push_back(dict);
    }
  }
  ok &= check.fill(sec->keys, keys, sectionLoc, "the " + section + " section", out);
  for (auto &[name, items] : lists)
    out.push_back(b.getNamedAttr(name, b.getArrayAttr(items)));
  if (!ok)
    return {};
  return b.getDictionaryAttr(out);
}

mlir::DictionaryAttr buildInitializer(const Value &init, SourceLoc loc, int64_t rank,
                                      mlir::MLIRContext *ctx, Diagnostics &diags) {
  Checker check(ctx, diags);
  Record r = init.kind == Value::Kind::Record   ? *init.record
             : init.kind == Value::Kind::Symbol ? Record{init.s, {}, {}}
                                                : Record{};
  if (r.name == "rows") {
    // rows(a, b, ...) initializes row i of the leading axis with argument i.
    if (!r.keywords.empty() || r.positional.empty() || rank < 1) {
      diags.error(loc, "rows(...) takes one initializer per row of the leading axis");
      return {};
    }
    llvm::SmallVector<mlir::Attribute> parts;
    for (const Value &v : r.positional) {
      auto part = buildInitializer(v, loc, rank - 1, ctx, diags);
      if (!part)
        return {};
      parts.push_back(part);
    }
    return check.b_.getDictionaryAttr(
        {check.b_.getNamedAttr("kind", check.b_.getStringAttr("rows")),
         check.b_.getNamedAttr("rows", check.b_.getArrayAttr(parts))});
  }
  const Shape *s = findShape(initializers(), r.name);
  if (!s) {
    diags.error(loc, "unknown initializer " + render(init) + " (initializers: " +
                         choices(initializers()) + ", rows)");
    return {};
  }
  if ((r.name == "orthogonal" || r.name == "linear_default") && rank < 2) {
    diags.error(loc, r.name + " needs a parameter of rank 2 or more");
    return {};
  }
  return check.shape(*s, r, loc);
}

void printSettingsReference(llvm::raw_ostream &os) {
  auto fields = [&](const std::vector<Field> &fs) {
    for (const Field &f : fs) {
      llvm::StringRef def = f.def;
      os << "  - `" << f.name << "` (" << f.type << ", "
         << (def.empty() ? "required" : def == "-" ? "optional" : ("default `" + def + "`").str())
         << ")" << (llvm::StringRef(f.help).empty() ? "" : ": ") << f.help << "\n";
    }
  };
  for (const Section &s : sections()) {
    os << "### `" << s.name << ":`\n\nSettings (`key = value`):\n\n";
    fields(s.keys);
    os << "\nDirectives:\n\n";
    for (const Shape &d : s.directives) {
      os << "- `" << d.name << "(...)`: " << d.help << "\n";
      fields(d.fields);
    }
    os << "\n";
  }
  os << "### Records (values of record-typed settings)\n\n";
  for (const Shape &r : records()) {
    os << "- `" << r.name << "`: " << r.help << "\n";
    fields(r.fields);
  }
  os << "\n### Initializers (`init` of a parameter)\n\n";
  for (const Shape &r : initializers()) {
    os << "- `" << r.name << "`: " << r.help << "\n";
    fields(r.fields);
  }
  os << "- `rows(i0, i1, ...)`: initializer i_k for row k of the leading axis\n";
}

} // namespace golf
