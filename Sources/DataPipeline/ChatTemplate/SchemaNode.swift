import Storage

/// One JSON-schema type in Kimi's TypeScript rendering: its doc comment parts and its shape.
struct SchemaNode {
    indirect enum Kind {
        case scalar(String)
        case object([SchemaParameter], additional: Additional?)
        case array(SchemaNode)
        case enumeration([JSONValue])
        case anyOf([SchemaNode])
        case union([String])
        case reference(String)
    }
    enum Additional { case any, never, type(SchemaNode) }

    var description = ""
    var constraints: [(String, JSONValue)] = []
    var kind: Kind

    typealias Unsupported = ToolDeclarationTypeScript.Unsupported

    static func parse(_ schema: JSONValue, _ registry: SchemaRegistry) throws -> SchemaNode {
        switch schema {
        case .bool(let b): return SchemaNode(kind: .scalar(b ? "any" : "null"))
        case .object(let o):
            if o["$ref"] != nil {
                var node = SchemaNode(kind: .reference(try registry.resolve(try ToolDeclarationTypeScript.string(o["$ref"]!, "$ref"))))
                node.description = try o["description"].map(ToolDeclarationTypeScript.descriptionText) ?? ""
                return node
            }
            if let anyOf = o["anyOf"] {
                guard case .array(let items) = anyOf else { throw Unsupported(reason: "anyOf is not a list") }
                var node = SchemaNode(kind: .anyOf(try items.map { try parse($0, registry) }))
                node.description = try o["description"].map(ToolDeclarationTypeScript.descriptionText) ?? ""
                return node
            }
            if o["enum"] != nil { return try enumeration(o) }
            if let type = o["type"] {
                switch type {
                case .array(let names):
                    let mapping = ["string": "string", "number": "number", "integer": "number", "boolean": "boolean",
                                   "null": "null", "object": "{}", "array": "Array<any>"]
                    var node = SchemaNode(kind: .union(try names.map { n in
                        guard case .string(let s) = n, let m = mapping[s] else { throw Unsupported(reason: "unknown type in union") }
                        return m
                    }))
                    node.description = try o["description"].map(ToolDeclarationTypeScript.descriptionText) ?? ""
                    return node
                case .string("object"): return try object(o, registry)
                case .string("array"):
                    var node = SchemaNode(kind: .scalar("any"))
                    node.description = try o["description"].map(ToolDeclarationTypeScript.descriptionText) ?? ""
                    node.constraints = o.pairs.filter { ["minItems", "maxItems"].contains($0.key) }.map { ($0.key, $0.value) }
                    if let items = o["items"], JinjaValue(items).isTruthy {
                        node.kind = .array(try parse(items, registry))
                    } else {
                        node.kind = .array(SchemaNode(kind: .scalar("any")))
                    }
                    return node
                case .string(let name):
                    var node = SchemaNode(kind: .scalar(name))
                    node.description = try o["description"].map(ToolDeclarationTypeScript.descriptionText) ?? ""
                    let allowed = name == "string" ? ["maxLength", "minLength", "pattern"]
                        : (name == "number" || name == "integer" ? ["maximum", "minimum"] : [])
                    node.constraints = o.pairs.filter { allowed.contains($0.key) }.map { ($0.key, $0.value) }
                    return node
                default: throw Unsupported(reason: "type is not a string or list")
                }
            }
            if o.isEmpty { return SchemaNode(kind: .scalar("any")) }
            throw Unsupported(reason: "invalid JSON schema object")
        default:
            throw Unsupported(reason: "schema is not an object")
        }
    }

    static func object(_ o: JSONObject, _ registry: SchemaRegistry) throws -> SchemaNode {
        var node = SchemaNode(kind: .object([], additional: nil))
        node.description = try o["description"].map(ToolDeclarationTypeScript.descriptionText) ?? ""
        if o.isEmpty { return node }
        if let defs = o["$defs"] { try registry.register(defs) }
        var additional: Additional?
        switch o["additionalProperties"] {
        case nil, .null?: additional = nil
        case .bool(true)?: additional = .any
        case .bool(false)?: additional = .never
        case .object(let a)?: additional = .type(try parse(.object(a), registry))
        default: throw Unsupported(reason: "unknown additionalProperties")
        }
        guard let propertiesValue = o["properties"] else { node.kind = .object([], additional: additional); return node }
        guard case .object(let properties) = propertiesValue else { throw Unsupported(reason: "properties is not an object") }
        var required: [String] = []
        if let r = o["required"] {
            guard case .array(let names) = r else { throw Unsupported(reason: "required is not a list") }
            required = names.compactMap(\.stringValue)
        }
        let parameters = try properties.pairs.map { name, schema -> SchemaParameter in
            var defaultValue: JSONValue?
            if case .object(let p) = schema, let d = p["default"], d != .null { defaultValue = d }
            return SchemaParameter(name: name, type: try parse(schema, registry), isOptional: !required.contains(name), defaultValue: defaultValue)
        }
        node.kind = .object(parameters, additional: additional)
        return node
    }

    private static func enumeration(_ o: JSONObject) throws -> SchemaNode {
        guard case .array(let values) = o["enum"]! else { throw Unsupported(reason: "enum is not a list") }
        if let typeValue = o["type"] {
            var type = typeValue
            if case .array(let names) = typeValue {
                if names.count == 1 { type = names[0] }
                else if names.count == 2 && names.contains(.string("null")) { type = names[0] == .string("null") ? names[1] : names[0] }
                else { throw Unsupported(reason: "enum type not supported") }
            }
            for v in values where v != .null {
                let ok: Bool
                switch (type, v) {
                case (.string("string"), .string): ok = true
                case (.string("string"), _): ok = false
                case (.string("number"), .int), (.string("number"), .double), (.string("number"), .bool): ok = true
                case (.string("number"), _): ok = false
                case (.string("integer"), .int), (.string("integer"), .bool): ok = true
                case (.string("integer"), _): ok = false
                case (.string("boolean"), .bool): ok = true
                case (.string("boolean"), _): ok = false
                default: ok = true
                }
                guard ok else { throw Unsupported(reason: "enum value does not match its type") }
            }
        }
        var node = SchemaNode(kind: .enumeration(values))
        node.description = try o["description"].map(ToolDeclarationTypeScript.descriptionText) ?? ""
        return node
    }

    /// The `//` comment lines above a field (description, then sorted constraints).
    func docstring(indent: String) -> String {
        var lines: [String] = []
        if !description.isEmpty { lines.append(ToolDeclarationTypeScript.formatDescription(description, indent: indent)) }
        if !constraints.isEmpty {
            let sorted = constraints.sorted { $0.0.unicodeScalars.map(\.value).lexicographicallyPrecedes($1.0.unicodeScalars.map(\.value)) }
            lines.append(indent + "// " + sorted.map { "\($0.0): \(JinjaValue($0.1).pythonString)" }.joined(separator: ", "))
        }
        return lines.map { $0 + "\n" }.joined()
    }

    func typeScript(indent: String) -> String {
        let unit = ToolDeclarationTypeScript.indentUnit
        switch kind {
        case .scalar(let name): return name == "integer" ? "number" : name
        case .reference(let name): return name
        case .union(let names): return names.joined(separator: " | ")
        case .anyOf(let nodes): return nodes.map { $0.typeScript(indent: indent) }.joined(separator: " | ")
        case .enumeration(let values):
            return values.map { v in
                if case .string(let s) = v { return "\"\(s)\"" }
                return JinjaValue(v).pythonString
            }.joined(separator: " | ")
        case .array(let item):
            let doc = item.docstring(indent: indent + unit)
            if doc.isEmpty { return "Array<\(item.typeScript(indent: indent))>" }
            return "Array<\n" + doc + indent + unit + item.typeScript(indent: indent + unit) + "\n" + indent + ">"
        case .object(let properties, let additional):
            let ordered = properties.filter { !$0.isOptional }.sorted(by: SchemaParameter.byName)
                + properties.filter(\.isOptional).sorted(by: SchemaParameter.byName)
            var fields = ordered.map { $0.typeScript(indent: indent + unit) }
            if let additional {
                let text: String
                switch additional {
                case .any: text = "any"
                case .never: text = "never"
                case .type(let node): text = node.typeScript(indent: indent + unit)
                }
                fields.append("\(indent + unit)[k: string]: \(text)")
            }
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.joined(separator: ToolDeclarationTypeScript.fieldDelimiter) + "\n" + indent + "}"
        }
    }
}

/// A property of an object schema.
struct SchemaParameter {
    let name: String
    let type: SchemaNode
    let isOptional: Bool
    let defaultValue: JSONValue?

    static func byName(_ a: SchemaParameter, _ b: SchemaParameter) -> Bool {
        a.name.unicodeScalars.map(\.value).lexicographicallyPrecedes(b.name.unicodeScalars.map(\.value))
    }

    func typeScript(indent: String) -> String {
        var comments = type.docstring(indent: indent)
        if let d = defaultValue {
            let text: String
            switch d {
            case .int, .double, .bool: text = JinjaValue(d).pythonRepr
            default: text = JSONSerializer().serialize(d)
            }
            comments += "\(indent)// Default: \(text)\n"
        }
        return comments + "\(indent)\(name)\(isOptional ? "?" : ""): \(type.typeScript(indent: indent))"
    }
}
