import Storage

/// Kimi's `tools_ts_str`: the TypeScript-style tool declaration K2.5 and later templates show the
/// model (`encode_tools_to_typescript_style` in Kimi's tokenizer). Required parameters come first,
/// each group sorted by name; descriptions, constraints and defaults become `//` comments;
/// `$defs` become interfaces. Throws `Unsupported` for schemas the reference rejects, and the
/// caller then falls back to the JSON declaration, as Kimi's tokenizer does.
enum ToolDeclarationTypeScript {
    struct Unsupported: Error { let reason: String }

    static let indentUnit = "  "
    static let fieldDelimiter = ",\n"

    static func encode(_ tools: [JSONValue]) throws -> String {
        var functions: [String] = []
        for tool in tools {
            guard case .object(let t) = tool else { throw Unsupported(reason: "tool is not an object") }
            guard t["type"] == .string("function") else { continue }
            guard let function = t["function"], isTruthy(function) else { continue }
            guard case .object(let f) = function else { throw Unsupported(reason: "function is not an object") }
            functions.append(try encodeFunction(f))
        }
        guard !functions.isEmpty else { return "" }
        return "# Tools\n\n## functions\nnamespace functions {\n" + functions.joined(separator: "\n") + "\n}\n"
    }

    private static func isTruthy(_ v: JSONValue) -> Bool { JinjaValue(v).isTruthy }

    private static func encodeFunction(_ function: JSONObject) throws -> String {
        let registry = SchemaRegistry()
        var parameters = JSONObject()
        if let p = function["parameters"], isTruthy(p) {
            guard case .object(let o) = p else { throw Unsupported(reason: "parameters is not an object") }
            parameters = o
        }
        let parsed = try SchemaNode.object(parameters, registry)
        var interfaces: [String] = []
        var rootName: String?
        if registry.hasSelfReference {
            rootName = "parameters"
            guard case .object(let properties, _) = parsed.kind else { throw Unsupported(reason: "root is not an object") }
            var body = properties.map { $0.typeScript(indent: indentUnit) }.joined(separator: fieldDelimiter)
            if !body.isEmpty { body = "\n" + body + "\n" }
            interfaces.append("interface parameters {\(body)}")
        }
        for (name, schema) in registry.definitions {
            let node = try SchemaNode.parse(schema, registry)
            var descriptionPart = ""
            if case .object(let o) = schema, let d = o["description"] {
                let text = try descriptionText(d)
                if !text.isEmpty { descriptionPart = formatDescription(text) + "\n" }
            }
            interfaces.append("\(descriptionPart)interface \(name) \(node.typeScript(indent: ""))")
        }
        let functionName = try function["name"].map { try string($0, "function name") } ?? "function"
        let typeDefinition = rootName.map { "type \(functionName) = (_: \($0)) => any;" }
            ?? "type \(functionName) = (_: \(parsed.typeScript(indent: ""))) => any;"
        var description = ""
        if let d = function["description"], isTruthy(d) { description = formatDescription(try descriptionText(d)) }
        return [interfaces.joined(separator: "\n"), description, typeDefinition].filter { !$0.isEmpty }.joined(separator: "\n")
    }

    static func string(_ v: JSONValue, _ what: String) throws -> String {
        guard case .string(let s) = v else { throw Unsupported(reason: "\(what) is not a string") }
        return s
    }

    static func descriptionText(_ v: JSONValue) throws -> String {
        if !isTruthy(v) { return "" }
        return try string(v, "description")
    }

    /// Each line as a `// ` comment; empty lines stay empty.
    static func formatDescription(_ description: String, indent: String = "") -> String {
        description.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "\(indent)// \($0)" }.joined(separator: "\n")
    }
}

/// `$defs` seen while parsing one function's parameters, in insertion order.
final class SchemaRegistry {
    var definitions: [(String, JSONValue)] = []
    var hasSelfReference = false

    func register(_ defs: JSONValue) throws {
        guard case .object(let o) = defs else {
            if JinjaValue(defs).isTruthy { throw ToolDeclarationTypeScript.Unsupported(reason: "$defs is not an object") }
            return
        }
        for (k, v) in o.pairs {
            if let i = definitions.firstIndex(where: { $0.0 == k }) { definitions[i].1 = v } else { definitions.append((k, v)) }
        }
    }

    func resolve(_ reference: String) throws -> String {
        if reference == "#" { hasSelfReference = true; return "parameters" }
        guard reference.hasPrefix("#/$defs/") else { throw ToolDeclarationTypeScript.Unsupported(reason: "unsupported reference \(reference)") }
        let name = String(reference.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
        guard definitions.contains(where: { $0.0 == name }) else { throw ToolDeclarationTypeScript.Unsupported(reason: "reference not found: \(reference)") }
        return name
    }
}
