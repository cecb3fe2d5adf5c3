import Foundation

/// Resident memory of this process from /proc/self/status: VmRSS (now) and VmHWM (peak), in
/// bytes. nil where /proc is absent (macOS), so callers just leave the field out.
public struct ProcessMemory: Sendable, Equatable {
    public let residentBytes: Int
    public let peakResidentBytes: Int

    public static func current() -> ProcessMemory? {
        guard let data = FileManager.default.contents(atPath: "/proc/self/status") else { return nil }
        return parse(status: String(decoding: data, as: UTF8.self))
    }

    /// Reads `VmRSS:  1234 kB` and `VmHWM:  5678 kB` lines.
    static func parse(status: String) -> ProcessMemory? {
        var rss: Int?, peak: Int?
        for line in status.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { continue }
            if fields[0] == "VmRSS:" { rss = kilobytes * 1024 }
            if fields[0] == "VmHWM:" { peak = kilobytes * 1024 }
        }
        guard let rss else { return nil }
        return ProcessMemory(residentBytes: rss, peakResidentBytes: max(peak ?? rss, rss))
    }
}

/// `1.4 GiB`, `512.0 MiB`: binary units as `free -h` and htop show them.
public func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}
