"""Golden chat-template renders for the Swift Jinja engine and ChatTemplate.

Run by hand:  /opt/kimi-golden-venv/bin/python scripts/golden/make_template_fixtures.py [KIMI_TS_DIR]

Renders through transformers' own `render_jinja_template` (HF's sandboxed jinja2 environment:
trim_blocks, lstrip_blocks, loopcontrols, HF tojson, raise_exception), with Kimi's tokenizer
preprocessing for the Kimi templates (tools deep-sorted by key, `tools_ts_str` from Kimi-K2.5's
`tool_declaration_ts.py`, `thinking=True` and `preserve_thinking=False` defaults, as Kimi's
`TikTokenTokenizer.apply_chat_template` does). KIMI_TS_DIR is a folder holding that
`tool_declaration_ts.py` (shipped in the Kimi-K2.5 model repo); without it tools_ts_str is skipped.

Writes Tests/DataPipelineTests/Fixtures/templates/{chat_renders.json, jinja_cases.json, tools_ts.json}.
"""
import json, os, sys
from pathlib import Path

import transformers.utils.chat_template_utils as chat_template_utils
from transformers.utils.chat_template_utils import render_jinja_template, _compile_jinja_template


class FixedClock:
    """strftime_now reads `datetime.now()`; pin it so renders are reproducible (the Swift tests set
    the same local time on the template's clock)."""
    import datetime as _dt

    @classmethod
    def now(cls):
        return cls._dt.datetime(2024, 7, 26, 12, 0, 0)


chat_template_utils.datetime = FixedClock

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/DataPipelineTests/Fixtures/templates"

encode_ts = None
if len(sys.argv) > 1:
    sys.path.insert(0, sys.argv[1])
    from tool_declaration_ts import encode_tools_to_typescript_style as encode_ts  # noqa: E402


def deep_sort(obj):
    if isinstance(obj, dict):
        return {k: deep_sort(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list):
        return [deep_sort(x) for x in obj]
    return obj


WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather.\nUse for forecasts.",
    "parameters": {"type": "object", "required": ["city"], "properties": {
        "unit": {"type": "string", "enum": ["c", "f"], "description": "Unit", "default": "c"},
        "city": {"type": "string", "description": "City name", "minLength": 1},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "tags": {"type": "array", "items": {"type": "string", "description": "a tag"}},
        "opts": {"type": "object", "properties": {"verbose": {"type": "boolean"}}, "additionalProperties": False},
        "ratio": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": 0.5},
        "mode": {"type": ["string", "null"]}}}}}
SEARCH_TOOL = {"type": "function", "function": {"name": "search", "parameters": {
    "type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer", "default": 3}}, "required": ["q"]}}}
REF_TOOL = {"type": "function", "function": {"name": "tree", "description": "Walk a tree.", "parameters": {
    "type": "object", "$defs": {"Node": {"type": "object", "description": "A node.", "properties": {
        "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}, "required": ["name"]}},
    "properties": {"root": {"$ref": "#/$defs/Node"}}, "required": ["root"]}}}

SYS = {"role": "system", "content": "You are a helpful assistant."}
U1 = {"role": "user", "content": "Weather in Beijing?"}
A_PLAIN = {"role": "assistant", "content": "It is sunny."}
U2 = {"role": "user", "content": "And tomorrow? ünïcödé 北京 \"quotes\" 'single'"}
A_TOOL = {"role": "assistant", "content": "Let me check.", "reasoning_content": "Need tool.", "tool_calls": [
    {"id": "functions.get_weather:0", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Beijing", "days": 2}}}]}
A_TOOL_NO_REASONING = {"role": "assistant", "content": "", "tool_calls": [
    {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}}]}
A_TOOL_STR = {"role": "assistant", "content": "", "tool_calls": [
    {"id": "functions.search:1", "type": "function", "function": {"name": "search", "arguments": "{\"q\": \"rain\"}"}}]}
T1 = {"role": "tool", "tool_call_id": "functions.get_weather:0", "content": "Sunny"}
T2 = {"role": "tool", "tool_call_id": "functions.search:1", "content": "No rain."}
A_THINK = {"role": "assistant", "content": "Sunny, 25C.", "reasoning_content": "The tool said sunny."}
IMG_USER = {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                        {"type": "image_url", "image_url": {"url": "http://x/y.png"}},
                                        {"type": "text", "text": " Describe."}]}
EMPTY_A = {"role": "assistant", "content": ""}

CONVERSATIONS = {
    "plain": dict(messages=[U1]),
    "multi_turn_system": dict(messages=[SYS, U1, A_PLAIN, U2]),
    "assistant_last": dict(messages=[SYS, U1, A_PLAIN]),
    "tools_and_calls": dict(messages=[SYS, U1, A_TOOL, T1, A_THINK], tools=[WEATHER_TOOL, SEARCH_TOOL]),
    "tool_call_string_args": dict(messages=[U1, A_TOOL_STR, T2], tools=[SEARCH_TOOL]),
    "thinking_history": dict(messages=[U1, A_THINK, U2, A_THINK]),
    "thinking_false": dict(messages=[U1, A_THINK], kwargs={"thinking": False, "enable_thinking": False}),
    "images": dict(messages=[IMG_USER, A_PLAIN]),
    "empty_content": dict(messages=[U1, EMPTY_A, U2]),
    "ref_tool": dict(messages=[U1], tools=[REF_TOOL]),
    "one_described_tool": dict(messages=[U1, A_TOOL_NO_REASONING, T1, A_THINK], tools=[WEATHER_TOOL]),
}

TEMPLATES = {
    "kimi-k2-instruct.jinja": dict(kimi=True, source="Kimi-K2-Instruct chat template (../shared/fixtures/templates)"),
    "kimi-k2-thinking.jinja": dict(kimi=True, source="Kimi-K2-Thinking chat template (../shared/fixtures/templates)"),
    "kimi-k2.5.jinja": dict(kimi=True, source="Kimi-K2.5 chat template (../shared/fixtures/templates)"),
    "qwen3.jinja": dict(kimi=False, source="Qwen3 (Qwen/Qwen3-8B chat_template), copy in a public repo's comment"),
    "qwen2.5-instruct.jinja": dict(kimi=False, source="github.com/chujiezheng/chat_templates chat_templates/qwen2.5-instruct.jinja"),
    "llama-3.2-instruct.jinja": dict(kimi=False, source="github.com/chujiezheng/chat_templates chat_templates/llama-3.2-1B-Instruct.jinja"),
    "mistral-instruct.jinja": dict(kimi=False, source="github.com/chujiezheng/chat_templates chat_templates/mistral-instruct.jinja"),
    "gemma-it.jinja": dict(kimi=False, source="github.com/chujiezheng/chat_templates chat_templates/gemma-it.jinja"),
    "phi-3.jinja": dict(kimi=False, source="github.com/chujiezheng/chat_templates chat_templates/phi-3.jinja"),
    "chatml.jinja": dict(kimi=False, source="github.com/chujiezheng/chat_templates chat_templates/chatml.jinja"),
    "llama-3.1-instruct-generation.jinja": dict(kimi=False, source="Llama 3.1 Instruct template with {% generation %} markers, as copied into a public training repo"),
    "deepseek-r1-distill.jinja": dict(kimi=False, source="DeepSeek-R1-Distill-Qwen chat_template, as copied into a public RL config"),
    "gpt-oss.jinja": dict(kimi=False, source="gpt-oss (harmony) chat template, as copied into a public Rust repo"),
}


def render(template, info, conv, add_generation_prompt):
    messages, tools = conv["messages"], conv.get("tools")
    kwargs = dict(conv.get("kwargs", {}))
    if info["kimi"]:
        kwargs = {"bos_token": "[BOS]", "eos_token": "[EOS]", "thinking": True, "preserve_thinking": False, **kwargs}
        tools = deep_sort(tools)
        if tools and encode_ts is not None:
            kwargs["tools_ts_str"] = encode_ts(tools)
    else:
        kwargs = {"bos_token": "<s>", "eos_token": "</s>", **kwargs}
    rendered, _ = render_jinja_template(conversations=[messages], tools=tools, chat_template=template,
                                        add_generation_prompt=add_generation_prompt, **kwargs)
    return rendered[0]


def chat_renders():
    cases = []
    for name, info in TEMPLATES.items():
        template = (OUT / name).read_text()
        for case, conv in CONVERSATIONS.items():
            for agp in (True, False):
                entry = {"template": name, "kimi": info["kimi"], "conversation": case, "add_generation_prompt": agp}
                try:
                    entry["expected"] = render(template, info, conv, agp)
                except Exception as e:  # templates that reject a conversation (roles, system) must fail in Swift too
                    entry["error"] = f"{type(e).__name__}: {e}"
                cases.append(entry)
    conversations = {k: {"messages": v["messages"], "tools": v.get("tools"), "kwargs": v.get("kwargs", {})}
                     for k, v in CONVERSATIONS.items()}
    return {"sources": {k: v["source"] for k, v in TEMPLATES.items()}, "tools_ts_str": encode_ts is not None,
            "clock": "2024-07-26 12:00:00 local time",
            "conversations": conversations, "cases": cases}


# Engine cases: (template, context) rendered in HF's environment; expected text or error kind.
JINJA_CASES = [
    ("{{ [1, 'a', 1.5, none, true, {'k': (1, 2)}] }}", {}),
    ("{{ x }}|{{ y }}|{{ z }}", {"x": [1.0, 2.5e-7, -0.0, 123456789.123, 1e16, 1e15, 0.0001], "y": {"a": None, "b": "it's"}, "z": "q\"'"}),
    ("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 10 / 4 }} {{ 1 + 2.5 }} {{ 'ab' * 3 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none }}", {}),
    ("{{ 1 or 2 }}|{{ 0 or '' }}|{{ '' or 0 }}|{{ [] or 'x' }}|{{ 1 and 0 }}|{{ none or undefined_thing }}|", {}),
    ("{{ 'abcdef'[1:4] }} {{ 'abcdef'[::-1] }} {{ xs[-2:] }} {{ xs[:-1] }} {{ xs[::2] }} {{ xs[5:1:-2] }} {{ xs[-1] }}", {"xs": [0, 1, 2, 3, 4, 5, 6]}),
    ("{{ range(5) | list }} {{ range(2, 9, 3) | list }} {{ range(5, 0, -2) | list }} {{ range(0) | list }}", {}),
    ("{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.previtem }}/{{ loop.nextitem }};{% endfor %}", {"xs": ["a", "b", "c"]}),
    ("{% for x in xs if x > 1 %}{{ x }}{% else %}none{% endfor %}|{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", {"xs": [1, 2, 3]}),
    ("{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", {"xs": [1, 2, 3, 4, 5]}),
    ("{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{{ d | items | list }}", {"d": {"b": 1, "a": [2]}}),
    ("{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% set local = i %}{% endfor %}{{ ns.n }}|{{ local }}|", {}),
    ("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C', punct='.') }}", {}),
    ("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}", {}),
    ("{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }} {{ d['a'] }} {{ d.a }} {{ d.missing }}|{{ d.missing is defined }}", {"d": {"a": 1}}),
    ("{{ '  x y  ' | trim }}|{{ 'Ab' | upper }}{{ 'Ab' | lower }}|{{ 'hello world' | title }}|{{ 'aXbXc' | replace('X', '-') }}|{{ '12' | int + 1 }}|{{ 'x' | int }}|{{ 3.9 | int }}|{{ 5 | string }}", {}),
    ("{{ xs | selectattr('a') | list }}|{{ xs | rejectattr('a') | list }}|{{ xs | map(attribute='a') | list }}|{{ xs | selectattr('a', 'equalto', 1) | list | length }}", {"xs": [{"a": 1}, {"a": 0}, {"b": 2}]}),
    ("{{ xs | join(', ') }}|{{ xs | first }}|{{ xs | last }}|{{ xs | length }}|{{ xs | map('upper') | join }}|{{ xs | reverse | list }}|{{ xs | sort | list }}", {"xs": ["b", "a", "c"]}),
    ("{{ u | default('d') }}|{{ none | default('d') }}|{{ '' | default('d', true) }}|{{ 0 | default('d') }}", {}),
    ("{{ 'abc'.startswith('a') }} {{ 'abc'.endswith('bc') }} {{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ '--x--'.strip('-') }} {{ ' x '.lstrip() }}| {{ 'abc'.upper() }}", {}),
    ("{{ x | tojson }}|{{ x | tojson(indent=2) }}|{{ x | tojson(separators=(',', ':')) }}|{{ 'é\n\u2028\t\"' | tojson }}", {"x": {"b": [1, 2.0, None, True], "a": {}, "c": []}}),
    ("{{ 3 is divisibleby 3 }} {{ 'a' is string }} {{ 1.0 is integer }} {{ true is number }} {{ none is none }} {{ x is mapping }} {{ [] is iterable }} {{ 2 is odd }} {{ false is false }} {{ 1 is sameas true }}", {"x": {}}),
    ("{{ 1 in [1, 2] }} {{ 'b' in 'abc' }} {{ 'k' in d }} {{ 3 not in [1] }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }}", {"d": {"k": 1}}),
    ("{{ 'yes' if x else 'no' }}|{{ 'yes' if not x }}|{{ -x }}|{{ not x }}", {"x": 3}),
    ("a\n  {% if true %}\n    b\n  {% endif %}\n  c  {{- ' d ' -}}  e\n{# comment #}\nf {%+ if true %}g{% endif +%}\nh {%- if true -%} i {%- endif %}\n", {}),
    ("line1\r\n{% for i in [1, 2] %}\r\n  item {{ i }}\r\n{% endfor %}\r\nend\r\n", {}),
    ("{% set a, b = [1, 2] %}{{ a }}{{ b }}{% set t %}block {{ a }}{% endset %}[{{ t }}]{{ dict(x=1, y=2) }}", {}),
    ("{{ '%s-%d' % ('x', 3) }} {{ 'a{}b{}'.format(1, 'z') }} {{ 'x'|length }} {{ '北京' | length }} {{ 'aé'[1] }}", {}),
    ("{{ raise_exception('bad input') }}", {}),
    ("{{ undefined_thing.attr }}", {}),
    ("{{ 1 + none }}", {}),
    ("{% for i in range(3) %}{% set x = i %}{% endfor %}{{ x }}|{% if true %}{% set y = 2 %}{% endif %}{{ y }}", {}),
    ("{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{{ loop.cycle('x', 'y') }}{% endfor %}|{% for i in [1, 2] %}{% for j in [3, 4] %}{{ loop.index }}{{ i }}{% endfor %}{% endfor %}", {}),
    ("{{ 'a\\nb\\t' }}|{{ \"q'\" }}|{{ 'x' if u is defined else 'y' }}|{{ u is not defined }}|{{ (1, 2) }}|{{ (1,) }}|{{ () }}|{{ 'abc'[5] }}|", {}),
    ("{{ '%.2f|%5d|%-4s|%s' % (3.14159, 42, 'ab', none) }}|{{ '%x' % 255 if false else 'no' }}", {}),
    ("{{ -1 | abs }}|{{ not true and false }}|{{ 'a' not in 'abc' }}|{{ 1 == '1' }}|{{ [1, 2, 3] | join }}|{{ 'a,b,c'.split(',', 1) }}|{{ 12345 | string | length }}|{{ 'x'.rsplit(',', 1) }}", {}),
    ("{{ xs | sum }}|{{ xs | min }}|{{ xs | max }}|{{ xs | unique | list }}|{{ 2.567 | round(1) }}|{{ 2.5 | round }}|{{ -2.5 | round }}|{{ '3.5' | float }}|{{ xs | sort(reverse=true) | list }}", {"xs": [3, 1, 2, 3]}),
    ("{{ 'ab cd' | capitalize }}|{{ 'hello\\nworld' | indent(2) }}|{{ 'a b  c' | wordcount }}|{{ d | dictsort }}|{{ d.keys() | list }}|{{ d.values() | list }}", {"d": {"b": 2, "a": 1}}),
    ("{% for m in ms | selectattr('role', 'equalto', 'user') %}{{ m.content }}{% endfor %}|{% for m in ms if m.role != 'user' %}{{ loop.index }}{{ m.content }}{% endfor %}|{{ ms | map(attribute='role') | join('/') }}", {"ms": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]}),
    ("{% set x = 1 %}{% for i in range(3) %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}|{{ x is in [1, 2] }}|{{ x is eq 1 }}", {}),
    ("{{ none | tojson }}|{{ 'é' | tojson }}|{{ [1, [2, {'a': none}]] | tojson(indent=1) }}|{{ {'a': 1} | tojson(indent='\\t') }}|{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}|{{ 1.5e300 | tojson }}", {}),
    ("  {%- if true %}  x  {% endif -%}  \n  {# c -#}  \n  y{{ ' z ' }}  {%- if true %}\n w{% endif %}\n", {}),
    ("{% if true %}a{% elif true %}b{% else %}c{% endif %}{% if false %}a{% elif none %}b{% else %}c{% endif %}{% if 0 %}{% elif '' %}{% endif %}", {}),
    ("{% macro m(a, b=a ~ '!') %}{{ a }}{{ b }}{{ c }}{% endmacro %}{% set c = 'C' %}{{ m('x') }}|{{ m('y', b='z') }}", {}),
    ("{{ messages[0]['content'] is string }}|{{ messages[0].content[:3] }}|{{ messages | length }}|{{ messages[-1].role }}|{{ not messages }}|{{ messages[5] is defined }}", {"messages": [{"role": "user", "content": "hello"}]}),
    ("{{ '<|im_start|>' + 'user' + '\\n' }}{{- '  trimmed  ' -}}\n\n{{ 'end' }}", {}),
    ("{{ 1 if true }}{{ 2 if false }}|{{ true and 'x' or 'y' }}|{{ 5 // 2 * 2 + 5 % 2 - 2 ** 2 ** 2 }}|{{ 1 ~ 2 + 3 }}", {}),
    ("{{ x['a']['b'] }}|{{ x.a.b }}|{{ x.get('a').get('b') }}|{{ x.items() | list }}", {"x": {"a": {"b": [1, 2]}}}),
    ("{% raw %}{{ not rendered }}{% endraw %}", {}),
    ("{{ [s] }}|{{ {s: 1} }}", {"s": "a\u00a0b\u200bc\u2028d\x7fe\x85f\U0001F600g\ue000h\\i'j\"k\U000E0001"}),
    ("{{ 'abcab'.removeprefix('ab') }}|{{ 'abcab'.removesuffix('ab') }}|{{ 'x'.removeprefix('y') }}|{{ 'a\\nb\\r\\nc\\n'.splitlines() }}|{{ ''.splitlines() }}|{{ 'AB'.isupper() }}|{{ 'ab1'.islower() }}|{{ '1'.isupper() }}|{{ 'abc'.find('c') }}|{{ 'a-b-c'.count('-') }}", {}),
    ("{{ x | tojson(ensure_ascii=true) }}|{{ x | tojson(ensure_ascii=false, indent=none) }}", {"x": {"k": "é北\U0001F600"}}),
]


def fn(name, parameters=None, description=None):
    f = {"name": name}
    if description is not None:
        f["description"] = description
    if parameters is not None:
        f["parameters"] = parameters
    return {"type": "function", "function": f}


# tools_ts_str cases: each list of tools goes through deep_sort then the TypeScript encoder.
TS_CASES = {
    "weather_search_ref": [WEATHER_TOOL, SEARCH_TOOL, REF_TOOL],
    "no_parameters": [fn("ping", description="Ping.\n\nTwice.")],
    "empty_properties": [fn("noop", {"type": "object", "properties": {}})],
    "self_reference": [fn("walk", {"type": "object", "properties": {"next": {"$ref": "#"}, "value": {"type": "number", "minimum": 0.5}}, "required": ["value"]})],
    "defaults_and_enums": [fn("cfg", {"type": "object", "properties": {
        "flag": {"type": "boolean", "default": True}, "names": {"type": "array", "default": ["a", "é"], "minItems": 1},
        "obj": {"type": "object", "default": {"k": 1}, "additionalProperties": {"type": "integer"}},
        "level": {"enum": [1, 2.5, None, "x"], "description": "Level"},
        "nullable": {"type": ["string", "null"], "enum": ["a", None]},
        "any": {}, "anything": True, "nothing": False,
        "pattern": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5},
        "raw": {"type": "array"}}})],
    "skips_non_function_tools": [{"type": "_plugin", "name": "web"}, fn("only", {"type": "object", "properties": {"a": {"type": "string"}}})],
    "unsupported_union_type": [fn("bad", {"type": "object", "properties": {"a": {"type": ["string", "date"]}}})],
    "unsupported_enum_mismatch": [fn("bad", {"type": "object", "properties": {"a": {"type": "string", "enum": [1]}}})],
    "unsupported_missing_ref": [fn("bad", {"type": "object", "properties": {"a": {"$ref": "#/$defs/Nope"}}})],
}


def random_tool_lists(count=120, seed=31):
    """Random tool schemas (scalars with constraints, arrays, enums with and without types,
    anyOf, type unions, nested objects, required subsets, additionalProperties, defaults, $defs
    and $ref, non-function tools) for the TypeScript encoder, including ones it rejects."""
    import random
    rnd = random.Random(seed)
    names = ["a", "b", "Zed", "x_1", "é", "B"]
    descs = ["", "One line.", "Two\nlines", "Blank\n\nline", "  spaced  "]
    def schema(depth):
        r = rnd.random()
        d = {}
        if rnd.random() < 0.4: d["description"] = rnd.choice(descs)
        if depth > 2 or r < 0.3:
            t = rnd.choice(["string", "integer", "number", "boolean", "null", "weird"])
            d["type"] = t
            for k in rnd.sample(["minLength", "maxLength", "pattern", "minimum", "maximum", "format"], rnd.randint(0, 2)):
                d[k] = rnd.choice([1, 2.5, "^a$", True])
        elif r < 0.45:
            d["type"] = "array"
            if rnd.random() < 0.7: d["items"] = schema(depth + 1)
            if rnd.random() < 0.3: d["minItems"] = 1
        elif r < 0.6:
            d["enum"] = rnd.sample(["x", "y", 1, 2.5, None, True], rnd.randint(1, 3))
            if rnd.random() < 0.4: d["type"] = rnd.choice(["string", ["string", "null"], "integer", "number", "boolean", ["a", "b", "c"]])
        elif r < 0.7:
            d["anyOf"] = [schema(depth + 1) for _ in range(rnd.randint(1, 3))]
        elif r < 0.78:
            d["type"] = rnd.sample(["string", "number", "integer", "boolean", "null", "object", "array"], rnd.randint(1, 3))
        elif r < 0.82:
            return rnd.choice([True, False, {}])
        else:
            d.update(obj(depth + 1))
        if rnd.random() < 0.2: d["default"] = rnd.choice([0, 1.5, "s", "é", [1, "a"], {"k": None}, False, None])
        return d
    def obj(depth):
        o = {"type": "object"}
        if rnd.random() < 0.9:
            o["properties"] = {n: schema(depth) for n in rnd.sample(names, rnd.randint(0, 4))}
            if rnd.random() < 0.6 and o["properties"]: o["required"] = rnd.sample(list(o["properties"]), rnd.randint(0, len(o["properties"])))
        if rnd.random() < 0.3: o["additionalProperties"] = rnd.choice([True, False, {"type": "string"}, {"type": "object"}])
        return o
    lists = []
    for _ in range(count):
        tools = []
        for _ in range(rnd.randint(1, 3)):
            f = {"name": rnd.choice(["f", "get_x", "g"])}
            if rnd.random() < 0.6:
                f["description"] = rnd.choice(descs)
            if rnd.random() < 0.9:
                p = obj(0)
                if rnd.random() < 0.15:
                    p["$defs"] = {"Node": obj(1)}
                    p.setdefault("properties", {})["ref"] = {"$ref": rnd.choice(["#/$defs/Node", "#", "#/$defs/Missing"])}
                f["parameters"] = p
            tools.append({"type": rnd.choice(["function"] * 5 + ["other"]), "function": f})
        lists.append(tools)
    return lists


def ts_cases():
    out = []
    named = list(TS_CASES.items()) + [(f"random{i}", tools) for i, tools in enumerate(random_tool_lists())]
    for name, tools in named:
        entry = {"name": name, "tools": tools}
        try:
            entry["expected"] = encode_ts(deep_sort(tools))
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        out.append(entry)
    return {"cases": out}


def whitespace_cases(count=300, seed=1234):
    """Random layouts of tags, text, spaces, tabs, newlines (LF and CRLF) and `-`/`+` markers: the
    whitespace rules (trim_blocks, lstrip_blocks, manual trimming) are where engines drift."""
    import random
    rnd = random.Random(seed)
    gaps = ["", " ", "  ", "\t", "\n", "\n  ", "  \n", "\n\n", " \n \t", "\r\n  ", "x", " y\n"]
    left = ["", "-", "+"]
    right = ["", "-", "+"]

    def tag(body):
        return "{%" + rnd.choice(left) + " " + body + " " + rnd.choice(right) + "%}"

    def piece(depth):
        kind = rnd.choice(["text", "var", "if", "for", "set", "comment", "text", "var"] + (["raw"] if depth == 0 else []))
        if kind == "text":
            return rnd.choice(["a", "b c", "d\n", "  e", "f  "])
        if kind == "var":
            return "{{" + rnd.choice(["", "-"]) + " v " + rnd.choice(["", "-"]) + "}}"
        if kind == "comment":
            return "{#" + rnd.choice(["", "-"]) + " note " + rnd.choice(["", "-"]) + "#}"
        if kind == "set":
            return tag("set v = v ~ 'S'")
        if kind == "raw":
            return tag("raw") + rnd.choice(gaps) + "{{ r }}" + rnd.choice(gaps) + tag("endraw")
        body = "".join(rnd.choice(gaps) + piece(depth + 1) for _ in range(rnd.randint(1, 3) if depth < 2 else 1))
        if kind == "if":
            other = rnd.choice(["", tag("else") + rnd.choice(gaps) + "E" + rnd.choice(gaps)])
            return tag(rnd.choice(["if v", "if not v", "if w"])) + body + rnd.choice(gaps) + other + tag("endif")
        return tag("for i in [1, 2]") + body + rnd.choice(gaps) + tag("endfor")

    out = []
    for _ in range(count):
        template = "".join(rnd.choice(gaps) + piece(0) for _ in range(rnd.randint(1, 4))) + rnd.choice(gaps + ["\n"])
        entry = {"template": template, "context": {"v": "V", "w": ""}}
        try:
            entry["expected"] = _compile_jinja_template(template).render(v="V", w="")
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        out.append(entry)
    return out


def expression_cases(count=250, seed=99):
    """Random expressions over mixed-type values: operators, comparisons, `and`/`or` operands,
    filters, tests, subscripts and slices, checking Python semantics and str()/repr output."""
    import random
    rnd = random.Random(seed)
    atoms = ["1", "0", "-3", "2.5", "0.1", "1e20", "true", "false", "none", "'ab'", "''", "'x y'", "[1, 'a']", "[]",
             "(1, 2)", "{'k': 1}", "{}", "n", "s", "l", "d", "f", "u", "l[0]", "d.k", "d['z']", "s[1:]", "l[::-1]"]
    binary = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">=", "in", "not in", "and", "or", "**"]
    filters = ["length", "string", "tojson", "first", "last", "upper", "trim", "int", "float", "list", "abs",
               "default('D')", "join('-')", "reverse | list", "sort | list", "items | list", "unique | list", "round"]
    tests = ["defined", "none", "string", "number", "integer", "mapping", "iterable", "true", "false", "odd", "even"]

    def expr(depth):
        r = rnd.random()
        if depth > 2 or r < 0.3:
            return rnd.choice(atoms)
        if r < 0.55:
            return "(" + expr(depth + 1) + " " + rnd.choice(binary) + " " + expr(depth + 1) + ")"
        if r < 0.75:
            return "(" + expr(depth + 1) + " | " + rnd.choice(filters) + ")"
        if r < 0.85:
            return "(" + expr(depth + 1) + " is " + rnd.choice(["", "not "]) + rnd.choice(tests) + ")"
        if r < 0.92:
            return "(not " + expr(depth + 1) + ")"
        return "(" + expr(depth + 1) + " if " + expr(depth + 1) + " else " + expr(depth + 1) + ")"

    context = {"n": 7, "s": "héllo", "l": [3, 1, 2], "d": {"k": [1, {"m": None}]}, "f": -0.5}
    out = []
    for _ in range(count):
        template = "{{ " + expr(0) + " }}"
        entry = {"template": template, "context": context}
        try:
            entry["expected"] = _compile_jinja_template(template).render(**context)
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        out.append(entry)
    return out


def jinja_cases():
    out = []
    for template, context in JINJA_CASES:
        entry = {"template": template, "context": context}
        try:
            entry["expected"] = _compile_jinja_template(template).render(**context)
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        out.append(entry)
    return {"cases": out + whitespace_cases() + expression_cases()}


if __name__ == "__main__":
    (OUT / "chat_renders.json").write_text(json.dumps(chat_renders(), ensure_ascii=False, indent=0) + "\n")
    (OUT / "jinja_cases.json").write_text(json.dumps(jinja_cases(), ensure_ascii=False, indent=0) + "\n")
    if encode_ts is not None:
        (OUT / "tools_ts.json").write_text(json.dumps(ts_cases(), ensure_ascii=False) + "\n")
    print("wrote fixtures to", OUT)
