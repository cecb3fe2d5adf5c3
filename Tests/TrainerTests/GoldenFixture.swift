import Foundation
import Storage
import Testing

/// Loads a JSON fixture from the test bundle's Fixtures folder.
func loadFixture(_ name: String) throws -> JSONValue {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
    return try JSONParser.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self), source: url.lastPathComponent)
}

extension JSONValue {
    /// A number of either JSON kind as Double (fixtures write 0.0 and 0 alike).
    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    var floats: [Float] { (arrayValue ?? []).compactMap { $0.number.map(Float.init) } }
    var doubles: [Double] { (arrayValue ?? []).compactMap(\.number) }
}
