#!/usr/bin/env python3
"""Golden fixtures for kimi-sft's tokenizer: the ids Python tiktoken gives with Kimi's pre-tokenizer
pattern, special tokens and long-run splitting. Run by hand with the golden env:
    /opt/kimi-golden-venv/bin/python scripts/golden/make_tokenizer_fixtures.py
    /opt/kimi-golden-venv/bin/python scripts/golden/make_tokenizer_fixtures.py --swift-tables
Writes Tests/DataPipelineTests/Fixtures/tokenizer/{tiktoken.model, tokenizer_config.json, cases.json}.
The vocabulary is a small byte-level BPE trained here on the corpus below (no network, so no real
Kimi vocabulary); extra tokens that no merge reaches exercise tiktoken's whole-piece lookup.
--swift-tables rewrites Sources/DataPipeline/Tokenizer/UnicodeClassTables.swift: the Unicode classes
the pattern uses (\\p{Han}, \\p{Lu}+\\p{Lt}, \\p{Ll}, \\p{Lm}+\\p{Lo}, \\p{M}, \\p{N}, \\s) exactly as
tiktoken's regex engine defines them (found by encoding every code point with each class as the
pattern), so kimi-sft does not depend on the Unicode version of the Swift runtime.
Benchmark helpers (BENCHMARKS.md, nothing committed):
    --bench-corpora DIR       writes DIR/code.txt (Python 3.11 stdlib sources, ~5.9 MB),
                              DIR/mixed.txt (seeded random words from 14 scripts, ~3.9 MB) and
                              DIR/chat.jsonl (~60 MB of chat records built from both)
    --compare MODEL_DIR FILE  encodes FILE with tiktoken exactly as tokenization_kimi.py does,
                              prints its CPU-time throughput and writes the ids to FILE.tiktoken-ids.json"""
import base64, collections, json, os, re, sys
import tiktoken

PAT = "|".join([
    r"""[\p{Han}]+""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]*[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]+[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
NAMED = {0: "[BOS]", 1: "[EOS]", 2: "<|im_end|>", 3: "<|im_user|>", 4: "<|im_assistant|>",
         6: "<|start_header_id|>", 7: "<|end_header_id|>", 9: "[EOT]", 10: "<|im_system|>",
         11: "<|tool_calls_section_begin|>", 12: "<|tool_calls_section_end|>", 13: "<|tool_call_begin|>",
         14: "<|tool_call_argument_begin|>", 15: "<|tool_call_end|>", 17: "<|im_middle|>",
         18: "<|media_begin|>", 19: "<|media_content|>", 20: "<|media_end|>", 21: "<|media_pad|>",
         22: "<think>", 23: "</think>", 254: "[UNK]", 255: "[PAD]"}

def bench_corpora(out):
    import glob, random
    os.makedirs(out, exist_ok=True)
    files = sorted(f for f in glob.glob("/usr/lib/python3.11/**/*.py", recursive=True) if "/test/" not in f)[:400]
    code = "".join(open(f, encoding="utf-8", errors="replace").read() for f in files)
    open(os.path.join(out, "code.txt"), "w", encoding="utf-8").write(code)
    rng = random.Random(11)
    pools = [(0x4E00, 0x9FFF), (0x3040, 0x30FF), (0xAC00, 0xD7A3), (0x0400, 0x04FF), (0x0600, 0x06FF), (0x1F300, 0x1F64F),
             (0x41, 0x5A), (0x61, 0x7A), (0x30, 0x39), (0xC0, 0x24F), (0x900, 0x97F), (0x300, 0x36F), (0x2000, 0x206F), (0x3000, 0x303F)]
    seps = [" ", " ", " ", "\n", "  ", "\t", ", ", ". ", "'s ", "'LL ", "\r\n", "\n\n   ", "!"]
    words, n = [], 0
    while n < 2_000_000:
        a, b = rng.choice(pools)
        w = "".join(chr(rng.randint(a, b)) for _ in range(rng.randint(1, 9)))
        if rng.random() < 0.02: w += "<|im_end|>"
        words.append(w + rng.choice(seps)); n += len(words[-1])
    mixed = "".join(words)
    with open(os.path.join(out, "mixed.txt"), "w", encoding="utf-8", newline="") as f: f.write(mixed)
    with open(os.path.join(out, "chat.jsonl"), "w", encoding="utf-8") as f:
        n = 0
        while n < 60_000_000:
            a = rng.randrange(0, len(code) - 4000); b = rng.randrange(0, len(mixed) - 1000)
            record = {"messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": mixed[b:b + rng.randint(50, 800)]},
                {"role": "assistant", "content": code[a:a + rng.randint(200, 3000)], "reasoning_content": "Let me think step by step.",
                 "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "run", "arguments": json.dumps({"x": rng.random(), "n": rng.randint(0, 10**9)})}}]}],
                "tools": [{"type": "function", "function": {"name": "run", "parameters": {"type": "object", "properties": {"x": {"type": "number"}}}}}]}
            line = json.dumps(record, ensure_ascii=rng.random() < 0.3) + "\n"
            f.write(line); n += len(line.encode())
    print(f"wrote {out}/code.txt, mixed.txt, chat.jsonl")

if "--bench-corpora" in sys.argv:
    bench_corpora(sys.argv[sys.argv.index("--bench-corpora") + 1])
    sys.exit(0)

def class_ranges(pattern):
    """Code point ranges tiktoken's regex engine puts in `pattern` (a one-character class)."""
    enc = tiktoken.Encoding(name="probe", pat_str=pattern, mergeable_ranks={bytes([i]): i for i in range(256)}, special_tokens={})
    chars = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    ranges = []
    for ch in enc.decode_bytes(enc.encode_ordinary(chars)).decode():
        c = ord(ch)
        if ranges and ranges[-1][1] + 1 == c: ranges[-1][1] = c
        else: ranges.append([c, c])
    return ranges

BASE_CLASSES = [("han", r"[\p{Han}]"), ("upperOnly", r"[\p{Lu}\p{Lt}]"), ("lowercase", r"\p{Ll}"),
                ("otherLetter", r"[\p{Lm}\p{Lo}]"), ("mark", r"\p{M}"), ("number", r"\p{N}"), ("whitespace", r"\s")]

if "--swift-tables" in sys.argv:
    path = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "DataPipeline", "Tokenizer", "UnicodeClassTables.swift")
    lines = ["// GENERATED by scripts/golden/make_tokenizer_fixtures.py --swift-tables (tiktoken %s): do not edit." % tiktoken.__version__,
             "",
             "/// The Unicode classes Kimi's pre-tokenizer pattern uses, as tiktoken's regex engine defines them:",
             "/// inclusive code point ranges `lo-hi` in hex, comma-separated. Probed from tiktoken itself so",
             "/// that ids do not change with the Unicode version of the Swift runtime (Swift 6.3 already knows",
             "/// Unicode 17 letters that tiktoken 0.14 treats as unassigned).",
             "enum UnicodeClassTables {"]
    for name, pattern in BASE_CLASSES:
        text = ",".join(f"{a:X}-{b:X}" for a, b in class_ranges(pattern))
        lines.append(f"    /// `{pattern}`")
        lines.append(f'    static let {name} = "{text}"')
    lines.append("}")
    open(path, "w").write("\n".join(lines) + "\n")
    print(f"wrote {os.path.normpath(path)}")
    sys.exit(0)

TRAIN = """
The quick brown fox jumps over the lazy dog. It's what they've said we'd do, and I'll say I'm sure you're right.
THE QUICK BROWN FOX! HeLLo WoRLD, CamelCaseIdentifiers and snake_case_names: don't DON'T Don'T.
Numbers: 0 1 12 123 1234 12345 3.14159 2,718 1e-9 0x7FFF 1_000_000 ٣٤٥ ⅷ ½ ²³.
人工智能正在改变世界。我们今天学习中文分词和字节对编码。北京、上海、广州和深圳都是大城市。〇一二三 々 〆
日本語のテキストも含めます。ひらがなとカタカナ、そして漢字を混ぜた文章です。東京タワーは高い。
한국어 문장도 넣습니다. 안녕하세요, 세계! Привет, мир! Ελληνικά γράμματα. مرحبا بالعالم. שלום עולם. नमस्ते दुनिया।
Emoji 😀😃😄 👩‍💻 🇯🇵 ❤️ ✨ café naïve résumé Ångström ﬁ ligature ſ long s.
def tokenize(text: str) -> list[int]:
    for i in range(10):
        if i % 2 == 0:
            print(f"{i:>4}\t{text!r}")
    return [ord(c) for c in text]  # comment
\tTabs\tand  double  spaces   and\r\nwindows\r\nnewlines\n\n\nand trailing   \n
{"role": "user", "content": "Hello <|im_end|> there"}, [1, 2, 3], {'a': None}
"""
EXTRA = [b"a" * 2 ** k for k in range(1, 8)] + [b" " * 2 ** k for k in range(1, 8)] + \
        [b" Hello world", "東京タワー".encode(), b"xyzzy", b"\n\n\n\n"]

def train(text, merges):
    words = collections.Counter(re.findall(r"\s+|\w+|[^\w\s]+", text))
    seqs = {w: [bytes([b]) for b in w.encode()] for w in words}
    vocab = [bytes([i]) for i in range(256)]
    known = set(vocab)
    for _ in range(merges):
        pairs = collections.Counter()
        for w, s in seqs.items():
            for a, b in zip(s, s[1:]): pairs[(a, b)] += words[w]
        if not pairs: break
        (a, b), count = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if count < 2: break
        if a + b not in known:
            vocab.append(a + b); known.add(a + b)
        for w, s in seqs.items():
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b: out.append(a + b); i += 2
                else: out.append(s[i]); i += 1
            seqs[w] = out
    for e in EXTRA:
        if e not in known: vocab.append(e); known.add(e)
    return vocab

def kimi_encode(enc, text):
    """tokenization_kimi.py encode(): 400k-scalar windows, runs cut at 25k, allowed_special='all'."""
    def split_runs(s, limit):
        length, is_space, start = 0, s[0].isspace() if s else False, 0
        for i in range(len(s)):
            now = s[i].isspace()
            if is_space ^ now: length, is_space = 1, now
            else:
                length += 1
                if length > limit:
                    yield s[start:i]; start, length = i, 1
        yield s[start:]
    ids = []
    for i in range(0, len(text), 400_000):
        for sub in split_runs(text[i:i + 400_000], 25_000):
            ids.extend(enc.encode(sub, allowed_special="all"))
    return ids

if "--compare" in sys.argv:
    import time
    model_dir, path = sys.argv[sys.argv.index("--compare") + 1:sys.argv.index("--compare") + 3]
    from tiktoken.load import load_tiktoken_bpe
    ranks = load_tiktoken_bpe(os.path.join(model_dir, "tiktoken.model"))
    added = json.load(open(os.path.join(model_dir, "tokenizer_config.json")))["added_tokens_decoder"]
    special = {added.get(str(i), {}).get("content", f"<|reserved_token_{i}|>"): i for i in range(len(ranks), len(ranks) + 256)}
    enc = tiktoken.Encoding(name="compare", pat_str=PAT, mergeable_ranks=ranks, special_tokens=special)
    text = open(path, encoding="utf-8", newline="").read()
    start = time.process_time(); ids = kimi_encode(enc, text); seconds = time.process_time() - start
    size = len(text.encode())
    print(f"tiktoken {tiktoken.__version__}: bytes {size}  tokens {len(ids)}  CPU seconds {seconds:.3f}  MB/s {size / 1e6 / seconds:.3f}")
    json.dump(ids, open(path + ".tiktoken-ids.json", "w"))
    sys.exit(0)

vocab = train(TRAIN * 3, 2600)
base = len(vocab)
special = {NAMED.get(k, f"<|reserved_token_{base + k}|>"): base + k for k in range(256)}
enc = tiktoken.Encoding(name="kimi-golden", pat_str=PAT, mergeable_ranks={t: i for i, t in enumerate(vocab)}, special_tokens=special)

cases = [line for line in TRAIN.split("\n")] + [
    "", " ", "  ", "a", "\n", " \n ", "   x", "x   ", "\t\t\tx", "a \n\n  b", "  \n  x", "\r\n\r\n",
    "Hello<|im_end|>world", "<|im_user|>user<|im_middle|>hi there<|im_end|><|im_assistant|>",
    "[BOS][EOS][EOT][PAD][UNK]", "<think>reasoning</think>answer", "<|im_end", "<|reserved_token_%d|>" % (base + 5),
    "not special: <|im_end |> [bos] <THINK>", "x<|im_end|><|im_end|>y", "<<|im_end|>>",
    "I'M YOU'RE it'S WE'VE he'LL she'D 'tis ' s", "Straße ſ's ǅungla ǈ", "ÀÉÎÕÜ àéîõü", "a\u0301b\u0302",
    "\u0300\u0301leading marks", " \u0301", "x\u20dd", "ꓐꓑ ᐊᐃ", "ᾈᾉ ǅǆ", "12345678", "1 22 333 4444", "٠١٢٣٤٥٦٧٨٩",
    "Ⅻ ⅻ ↂ", "〇〡〢 々〆〻", "⺀⺁ ⼀⼁", "漢字かな交じり文", "中文English混合123数字", "𠀀𠀁𪜀 𫝀 𬺰",
    "😀👍🏽👨‍👩‍👧‍👦🏳️‍🌈", "!!!???...", " !!!\n\n", "a!!!\r\nb", "x  !", "@@ ## $$", "—–‐ «» „“",
    "\u00a0non-breaking\u00a0space", "\u3000ideographic\u3000space", "\u2028line\u2029para", "\x0b\x0c\x1c\x1d\x85",
    "\x00\x01\x7f", "tab\tafter\t", "end with spaces   ", "   ", "\n\n\n\n\n", "a" * 300, " " * 300,
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b", "Hello world", " Hello world", "xyzzyxyzzy",
]
# Long runs around Kimi's 25,000-scalar cut, given as [piece, repeat] lists to keep the file small.
long_cases = [[["a", 25_001]], [[" ", 25_000], ["a", 3]], [["a", 24_999], [" ", 25_003], ["b", 2]],
              [["x", 10], [" ", 50_001], ["東", 3]], [["<|im_end|>", 2], ["a", 25_010]]]
# Every 241st code point (no surrogates), in groups, to compare Unicode categories wholesale.
sample = [chr(c) for c in range(0x20, 0x110000, 241) if not 0xD800 <= c < 0xE000]
for k in range(0, len(sample), 24):
    cases.append("".join(sample[k:k + 24]) + " x" + "".join(sample[k:k + 24:3]))

out_dir = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "DataPipelineTests", "Fixtures", "tokenizer")
os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, "tiktoken.model"), "w") as f:
    for i, t in enumerate(vocab): f.write(f"{base64.b64encode(t).decode()} {i}\n")
config = {"added_tokens_decoder": {str(base + k): {"content": n, "lstrip": False, "normalized": False, "rstrip": False,
                                                   "single_word": False, "special": True} for k, n in NAMED.items()},
          "bos_token": "[BOS]", "eos_token": "[EOS]", "pad_token": "[PAD]", "unk_token": "[UNK]"}
with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
    json.dump(config, f, indent=2, ensure_ascii=False)
# Every class the pre-tokenizer tests, over all of Unicode, as tiktoken's regex engine defines it.
classes = {"letter": r"\p{L}", "number": r"\p{N}", "whitespace": r"\s",
           "upperish": r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]", "lowerish": r"[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]"}
with open(os.path.join(out_dir, "unicode-classes.json"), "w") as f:
    json.dump({name: class_ranges(p) for name, p in list(classes.items()) + BASE_CLASSES[:1]}, f, separators=(",", ":"))
records = [{"text": t, "ids": kimi_encode(enc, t)} for t in cases]
for parts in long_cases:
    text = "".join(p * n for p, n in parts)
    records.append({"parts": parts, "ids": kimi_encode(enc, text)})
for r in records:
    text = r["text"] if "text" in r else "".join(p * n for p, n in r["parts"])
    assert enc.decode(r["ids"]) == text
with open(os.path.join(out_dir, "cases.json"), "w") as f:
    json.dump({"base_vocabulary_size": base, "cases": records}, f, ensure_ascii=False, separators=(",", ":"))
print(f"{base} base ranks, {len(records)} cases -> {os.path.normpath(out_dir)}")
