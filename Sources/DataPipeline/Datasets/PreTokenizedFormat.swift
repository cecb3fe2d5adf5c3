import Storage

/// Pre-tokenized records: `input_ids` and optional `labels` (same length; -100 or the token id;
/// without labels every position is trained). Other keys (attention_mask, ...) are ignored.
enum PreTokenizedFormat {
    static func example(_ record: JSONObject, source: String) throws -> LabeledExample {
        let f = RecordFields(source: source)
        let ids = try integers(record["input_ids"], "input_ids", allowIgnore: false, f)
        guard !ids.isEmpty else { throw f.fail("input_ids is empty") }
        guard let rawLabels = record["labels"], rawLabels != .null else {
            return LabeledExample(inputIds: ids, labels: ids)
        }
        let labels = try integers(rawLabels, "labels", allowIgnore: true, f)
        guard labels.count == ids.count else {
            throw f.fail("labels has \(labels.count) entries but input_ids has \(ids.count)")
        }
        return LabeledExample(inputIds: ids, labels: labels)
    }

    static func integers(_ value: JSONValue?, _ path: String, allowIgnore: Bool, _ f: RecordFields) throws -> [Int32] {
        let items = try f.array(value, path)
        var out = [Int32]()
        out.reserveCapacity(items.count)
        for (k, item) in items.enumerated() {
            guard case .int(let v) = item, (v >= 0 && v <= Int(Int32.max)) || (allowIgnore && v == -100) else {
                throw f.fail("\(path)[\(k)] must be a token id (0...\(Int32.max))\(allowIgnore ? " or -100" : ""), got \(JSONSerializer().serialize(item))")
            }
            out.append(Int32(v))
        }
        return out
    }
}
