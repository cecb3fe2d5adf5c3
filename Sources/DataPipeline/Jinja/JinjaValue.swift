import Storage

/// A Python value as a Jinja template sees it. Lists and dicts are values (HF renders in an
/// immutable sandbox, so templates cannot mutate them); namespaces are shared references because
/// `{% set ns.x = ... %}` inside a loop must be visible after it.
public enum JinjaValue {
    /// Jinja's Undefined: renders empty, is falsy, iterates as empty; `hint` is the message used
    /// when a template does something with it that Undefined forbids (attribute access, arithmetic).
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JinjaValue])
    /// Python tuples (`(',', ':')`, `dict.items()` pairs): behave as lists, print with parentheses.
    case tuple([JinjaValue])
    case dict(JinjaDictionary)
    case namespace(JinjaNamespace)
    case macro(JinjaMacro)
    case function(JinjaFunction)

    /// Python truthiness.
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let a), .tuple(let a): return !a.isEmpty
        case .dict(let d): return !d.isEmpty
        case .namespace, .macro, .function: return true
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true }; return false }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .function: return "builtin_function_or_method"
        }
    }

    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(JinjaValue.init))
        case .object(let o):
            var d = JinjaDictionary()
            for (k, v) in o.pairs { d[.string(k)] = JinjaValue(v) }
            self = .dict(d)
        }
    }
}

/// An insertion-ordered Python dict. Keys are hashable scalars (str, int, float, bool, None),
/// stored by their Python identity so `1`, `1.0` and `True` are one key, as in Python.
public struct JinjaDictionary {
    public private(set) var keys: [JinjaValue] = []
    private var values: [JinjaValue] = []
    private var index: [DictionaryKey: Int] = [:]

    public init() {}

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var pairs: [(key: JinjaValue, value: JinjaValue)] { Array(zip(keys, values)).map { ($0.0, $0.1) } }
    public var orderedValues: [JinjaValue] { values }

    public subscript(key: JinjaValue) -> JinjaValue? {
        get {
            guard let k = DictionaryKey(key), let i = index[k] else { return nil }
            return values[i]
        }
        set {
            guard let k = DictionaryKey(key) else { return }
            if let i = index[k] {
                if let v = newValue { values[i] = v } else {
                    keys.remove(at: i); values.remove(at: i)
                    index = [:]
                    for (j, key) in keys.enumerated() { index[DictionaryKey(key)!] = j }
                }
            } else if let v = newValue {
                index[k] = keys.count; keys.append(key); values.append(v)
            }
        }
    }

    public subscript(key: String) -> JinjaValue? {
        get { self[.string(key)] }
        set { self[.string(key)] = newValue }
    }

    static func isHashable(_ v: JinjaValue) -> Bool { DictionaryKey(v) != nil }
}

/// Python hash identity of a scalar key.
private enum DictionaryKey: Hashable {
    case none, number(Double), string(String)
    init?(_ v: JinjaValue) {
        switch v {
        case .none: self = .none
        case .bool(let b): self = .number(b ? 1 : 0)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        default: return nil
        }
    }
}

/// The object `namespace(...)` returns: attributes settable from any scope.
public final class JinjaNamespace {
    var attributes = JinjaDictionary()
    init() {}
}

/// A `{% macro %}` with the scope it was defined in.
public final class JinjaMacro {
    let definition: MacroDefinition
    let closure: JinjaScope
    init(definition: MacroDefinition, closure: JinjaScope) { self.definition = definition; self.closure = closure }
}

/// A built-in global (`range`, `namespace`, `raise_exception`, ...).
public struct JinjaFunction {
    let name: String
    let body: (JinjaArguments) throws -> JinjaValue
}

/// Evaluated call arguments, bound by position or keyword the way Python binds them.
struct JinjaArguments {
    var positional: [JinjaValue] = []
    var keyword: [(String, JinjaValue)] = []

    /// The argument at `position` or named `name`, or `fallback` when absent.
    func value(_ position: Int, _ name: String, _ fallback: JinjaValue? = nil) -> JinjaValue? {
        if position < positional.count { return positional[position] }
        if let kw = keyword.first(where: { $0.0 == name }) { return kw.1 }
        return fallback
    }

    /// A keyword-only argument.
    func keyword(_ name: String) -> JinjaValue? { keyword.first(where: { $0.0 == name })?.1 }

    func required(_ position: Int, _ name: String, of function: String) throws -> JinjaValue {
        guard let v = value(position, name) else { throw JinjaFailure("\(function)() missing required argument '\(name)'") }
        return v
    }
}
