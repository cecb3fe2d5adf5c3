#!/usr/bin/env python3
"""Golden fixtures for kimi-sft's assistant-only masks on the real Kimi K2.5 chat template.
Renders each conversation with jinja2 in transformers' chat-template environment (trim_blocks,
lstrip_blocks, loopcontrols, tojson without ASCII escaping) and derives the expected examples with
an independent Python implementation of the token-prefix mask rule, over a toy tokenizer: Kimi's
special tokens are atoms (ids 256 + index in SPECIALS), everything else is one id per UTF-8 byte
(the Swift tests' ToyByteTokenizer). Run by hand:
    /opt/kimi-golden-venv/bin/python scripts/golden/make_mask_fixtures.py
Writes Tests/DataPipelineTests/Fixtures/masks/k25-masks.json."""
import copy, json, os
import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "../../../shared/fixtures/templates/kimi-k2.5.jinja")
if not os.path.exists(TEMPLATE):
    TEMPLATE = "/work/shared/fixtures/templates/kimi-k2.5.jinja"
SPECIALS = ["<|im_end|>", "<|im_user|>", "<|im_assistant|>", "<|im_system|>", "<|im_middle|>",
            "<think>", "</think>", "<|tool_calls_section_begin|>", "<|tool_calls_section_end|>",
            "<|tool_call_begin|>", "<|tool_call_argument_begin|>", "<|tool_call_end|>"]
IGNORE = -100


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
template = env.from_string(open(TEMPLATE, encoding="utf-8").read())


def render(messages, kwargs, add_generation_prompt):
    return template.render(messages=messages, tools=None, add_generation_prompt=add_generation_prompt, **kwargs)


def encode(text):
    ids, i = [], 0
    while i < len(text):
        for k, s in enumerate(SPECIALS):
            if text.startswith(s, i):
                ids.append(256 + k)
                i += len(s)
                break
        else:
            ids.extend(text[i].encode("utf-8"))
            i += 1
    return ids


def turn_span(messages, kwargs, i):
    prompt = encode(render(messages[:i], kwargs, True))
    through = encode(render(messages[:i + 1], kwargs, False))
    if through[:len(prompt)] == prompt:
        return through, len(prompt)
    # History rewritten (K2.5 drops earlier reasoning): retry with earlier reasoning removed.
    history = [{k: v for k, v in m.items() if not (m["role"] == "assistant" and k == "reasoning_content")}
               for m in messages[:i]]
    prompt = encode(render(history, kwargs, True))
    through = encode(render(history + [messages[i]], kwargs, False))
    assert through[:len(prompt)] == prompt, "not append-only even without history reasoning"
    return through, len(prompt)


def examples(messages, kwargs):
    full = encode(render(messages, kwargs, False))
    out = [[full, [IGNORE] * len(full)]]
    turns = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    for i in reversed(turns):
        ids, start = turn_span(messages, kwargs, i)
        host = next((e for e in out if e[0][:len(ids)] == ids), None)
        if host is None:
            host = [ids, [IGNORE] * len(ids)]
            out.append(host)
        for t in range(start, len(ids)):
            host[1][t] = host[0][t]
    return [{"input_ids": e[0], "labels": e[1]} for e in out if any(l != IGNORE for l in e[1])]


def call(i, name, args):
    return {"id": f"functions.{name}:{i}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)}}


CASES = [
    ("single turn with reasoning", [
        {"role": "system", "content": "You are helpful."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!", "reasoning_content": "Greet back."}], {}),
    ("multi-turn, reasoning in both answers", [
        {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4", "reasoning_content": "add"},
        {"role": "user", "content": "和 3+3?"}, {"role": "assistant", "content": "6", "reasoning_content": "加法"}], {}),
    ("tool-call chain (history rewritten)", [
        {"role": "user", "content": "Weather in Beijing?"},
        {"role": "assistant", "content": "Let me check.", "reasoning_content": "Need tool.",
         "tool_calls": [call(0, "get_weather", {"city": "Beijing"})]},
        {"role": "tool", "tool_call_id": "functions.get_weather:0", "content": "Sunny"},
        {"role": "assistant", "content": "It is sunny.", "reasoning_content": "Done."}], {}),
    ("two chained calls, then a new question", [
        {"role": "user", "content": "2**20 / 8?"},
        {"role": "assistant", "content": None, "reasoning_content": "power first", "tool_calls": [call(0, "calc", {"e": "2**20"})]},
        {"role": "tool", "tool_call_id": "functions.calc:0", "content": "1048576"},
        {"role": "assistant", "content": "Now divide.", "reasoning_content": "divide", "tool_calls": [call(1, "calc", {"e": "1048576/8"})]},
        {"role": "tool", "tool_call_id": "functions.calc:1", "content": "131072"},
        {"role": "assistant", "content": "131072.", "reasoning_content": "done"},
        {"role": "user", "content": "Times 2?"},
        {"role": "assistant", "content": "262144.", "reasoning_content": "double"}], {}),
    ("thinking false", [
        {"role": "user", "content": "12 x 12?"}, {"role": "assistant", "content": "144.", "reasoning_content": "hidden"}],
     {"thinking": False}),
    ("content as a list of parts", [
        {"role": "user", "content": [{"type": "text", "text": "Translate: "}, {"type": "text", "text": "good morning"}]},
        {"role": "assistant", "content": "Bonjour."}], {}),
]

out = []
for name, messages, kwargs in CASES:
    out.append({"name": name, "messages": messages, "chat_template_kwargs": kwargs,
                "full_render": render(messages, kwargs, False),
                "examples": examples(copy.deepcopy(messages), kwargs)})
path = os.path.join(HERE, "../../Tests/DataPipelineTests/Fixtures/masks/k25-masks.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
print("wrote", os.path.normpath(path), sum(len(c["examples"]) for c in out), "examples")
