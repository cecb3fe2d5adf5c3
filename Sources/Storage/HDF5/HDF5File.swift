import Foundation
internal import CHDF5

/// What went wrong in an HDF5 file, naming the file and the object so the user can find it.
public enum HDF5Error: Error, CustomStringConvertible, Equatable {
    /// A libhdf5 call returned a failure code.
    case callFailed(function: String, path: String, object: String)
    /// The dataset, group or attribute does not exist.
    case missing(path: String, object: String)
    /// The stored element type is not the one asked for.
    case wrongElementType(path: String, object: String, expected: String, found: String)
    /// A write was given values whose count does not match the shape.
    case shapeMismatch(path: String, object: String, shape: [Int], count: Int)
    /// Something other than an expected rank (1-D or 2-D) was found.
    case unsupportedRank(path: String, object: String, rank: Int)

    public var description: String {
        switch self {
        case let .callFailed(function, path, object):
            return "\(path): HDF5 call \(function) failed for '\(object)'"
        case let .missing(path, object):
            return "\(path): no HDF5 object or attribute '\(object)'"
        case let .wrongElementType(path, object, expected, found):
            return "\(path): dataset '\(object)' holds \(found), expected \(expected)"
        case let .shapeMismatch(path, object, shape, count):
            return "\(path): '\(object)' shape \(shape) needs \(shape.reduce(1, *)) values, got \(count)"
        case let .unsupportedRank(path, object, rank):
            return "\(path): '\(object)' has rank \(rank); only 1-D and 2-D datasets are supported"
        }
    }
}

/// The element types HDF5File stores; each maps to one HDF5 native type inside the wrapper.
public enum HDF5ScalarKind: String, Sendable {
    case int32 = "int32", int64 = "int64", float32 = "float32", float64 = "float64"

    var byteCount: Int { self == .float64 || self == .int64 ? 8 : 4 }
    var isFloat: Bool { self == .float32 || self == .float64 }
}

/// A Swift scalar that can be a dataset element.
public protocol HDF5Element: Sendable {
    static var hdf5Kind: HDF5ScalarKind { get }
    init()
}
extension Int32: HDF5Element { public static var hdf5Kind: HDF5ScalarKind { .int32 } }
extension Int64: HDF5Element { public static var hdf5Kind: HDF5ScalarKind { .int64 } }
extension Float: HDF5Element { public static var hdf5Kind: HDF5ScalarKind { .float32 } }
extension Double: HDF5Element { public static var hdf5Kind: HDF5ScalarKind { .float64 } }

/// One open HDF5 file: groups, 1-D / 2-D numeric datasets (Int32, Int64, Float, Double) (chunked and gzip-compressed) and
/// string / integer attributes. Used for the token cache and the trainer state.
///
/// libhdf5 (the serial Debian build) is not thread-safe, so one `HDF5File` must be used from one
/// thread at a time; the class is deliberately not `Sendable`. HDF5's own error printing is
/// switched off and every return code becomes an `HDF5Error`.
public final class HDF5File {
    public let path: String
    private var fileId: hid_t
    private var isOpen = true

    /// Debian's libhdf5 is built without thread safety, and tests (and a trainer writing state while
    /// the data cache loads) can call it from several threads: every entry point holds this lock.
    /// Recursive because public calls use one another (createGroup -> contains).
    static let libraryLock = NSRecursiveLock()

    /// Elements per chunk: large enough for gzip to work well, small enough to read a slice cheaply.
    public static let chunkElements = 1 << 16
    /// gzip level 4: most of the size gain of level 9 at a fraction of the time.
    public static let compressionLevel: UInt32 = 4

    private init(path: String, fileId: hid_t) {
        self.path = path
        self.fileId = fileId
    }

    deinit { close() }

    /// Creates (or truncates) a file for writing.
    public static func create(_ path: String) throws -> HDF5File {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        silenceErrorPrinting()
        let id = H5Fcreate(path, kimi_h5f_acc_trunc(), kimi_h5p_default(), kimi_h5p_default())
        guard id >= 0 else { throw HDF5Error.callFailed(function: "H5Fcreate", path: path, object: "/") }
        return HDF5File(path: path, fileId: id)
    }

    /// Opens an existing file, read-only unless `writable`.
    public static func open(_ path: String, writable: Bool = false) throws -> HDF5File {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        silenceErrorPrinting()
        guard FileManager.default.fileExists(atPath: path) else { throw HDF5Error.missing(path: path, object: "/") }
        let id = H5Fopen(path, writable ? kimi_h5f_acc_rdwr() : kimi_h5f_acc_rdonly(), kimi_h5p_default())
        guard id >= 0 else { throw HDF5Error.callFailed(function: "H5Fopen", path: path, object: "/") }
        return HDF5File(path: path, fileId: id)
    }

    /// Flushes and closes; later calls on this object fail with `callFailed`.
    public func close() {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        guard isOpen else { return }
        isOpen = false
        H5Fclose(fileId)
        fileId = -1
    }

    /// HDF5 prints a stack of errors to stderr by default; errors are reported as Swift errors instead.
    private static func silenceErrorPrinting() {
        H5Eset_auto2(0 /* H5E_DEFAULT */, nil, nil)
    }

    // MARK: - Groups and existence

    /// Whether a group or dataset exists at `name` (an absolute or file-relative path like "a/b").
    /// Every parent component is checked first, as H5Lexists requires.
    public func contains(_ name: String) -> Bool {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        guard isOpen else { return false }
        var prefix = ""
        for component in name.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + component
            if H5Lexists(fileId, prefix, kimi_h5p_default()) <= 0 { return false }
        }
        return true
    }

    /// Creates a group and any missing parents.
    public func createGroup(_ name: String) throws {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        var prefix = ""
        for component in name.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + component
            if contains(prefix) { continue }
            let id = H5Gcreate2(fileId, prefix, kimi_h5p_default(), kimi_h5p_default(), kimi_h5p_default())
            guard id >= 0 else { throw HDF5Error.callFailed(function: "H5Gcreate2", path: path, object: prefix) }
            H5Gclose(id)
        }
    }

    // MARK: - Datasets

    /// Writes a 1-D dataset.
    public func write<T: HDF5Element>(_ values: [T], to name: String) throws {
        try write(values, shape: [values.count], to: name)
    }

    /// Writes a 1-D or 2-D dataset (row-major), chunked and gzip-compressed. Parent groups are
    /// created as needed; an existing dataset of the same name is an error (HDF5 cannot resize it).
    public func write<T: HDF5Element>(_ values: [T], shape: [Int], to name: String) throws {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        guard shape.count == 1 || shape.count == 2 else {
            throw HDF5Error.unsupportedRank(path: path, object: name, rank: shape.count)
        }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw HDF5Error.shapeMismatch(path: path, object: name, shape: shape, count: values.count)
        }
        if let slash = name.lastIndex(of: "/"), slash != name.startIndex {
            try createGroup(String(name[..<slash]))
        }
        var dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), &dims, nil)
        guard space >= 0 else { throw HDF5Error.callFailed(function: "H5Screate_simple", path: path, object: name) }
        defer { H5Sclose(space) }
        let properties = H5Pcreate(kimi_h5p_dataset_create())
        guard properties >= 0 else { throw HDF5Error.callFailed(function: "H5Pcreate", path: path, object: name) }
        defer { H5Pclose(properties) }
        // A chunk may not exceed a fixed-size dataset's extent, so empty datasets stay contiguous.
        if values.count > 0 {
            var chunk = Self.chunkShape(shape).map { hsize_t($0) }
            guard H5Pset_chunk(properties, Int32(chunk.count), &chunk) >= 0,
                  H5Pset_deflate(properties, Self.compressionLevel) >= 0 else {
                throw HDF5Error.callFailed(function: "H5Pset_chunk/H5Pset_deflate", path: path, object: name)
            }
        }
        let type = Self.nativeType(T.hdf5Kind)
        let dataset = H5Dcreate2(fileId, name, type, space, kimi_h5p_default(), properties, kimi_h5p_default())
        guard dataset >= 0 else { throw HDF5Error.callFailed(function: "H5Dcreate2", path: path, object: name) }
        defer { H5Dclose(dataset) }
        let status = values.withUnsafeBytes { raw in
            H5Dwrite(dataset, type, kimi_h5s_all(), kimi_h5s_all(), kimi_h5p_default(), raw.baseAddress)
        }
        guard status >= 0 else { throw HDF5Error.callFailed(function: "H5Dwrite", path: path, object: name) }
    }

    /// Reads a whole 1-D or 2-D dataset; the element type must match what is stored.
    public func read<T: HDF5Element>(_ name: String, as: T.Type = T.self) throws -> (values: [T], shape: [Int]) {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        guard contains(name) else { throw HDF5Error.missing(path: path, object: name) }
        let dataset = H5Dopen2(fileId, name, kimi_h5p_default())
        guard dataset >= 0 else { throw HDF5Error.callFailed(function: "H5Dopen2", path: path, object: name) }
        defer { H5Dclose(dataset) }
        let storedType = H5Dget_type(dataset)
        guard storedType >= 0 else { throw HDF5Error.callFailed(function: "H5Dget_type", path: path, object: name) }
        defer { H5Tclose(storedType) }
        let storedClass = H5Tget_class(storedType)
        let storedIsFloat = storedClass == H5T_FLOAT
        let storedSize = H5Tget_size(storedType)
        guard storedClass == H5T_FLOAT || storedClass == H5T_INTEGER,
              storedIsFloat == T.hdf5Kind.isFloat, storedSize == T.hdf5Kind.byteCount else {
            let found = storedClass == H5T_FLOAT ? "float\(storedSize * 8)"
                : storedClass == H5T_INTEGER ? "int\(storedSize * 8)" : "a non-numeric type"
            throw HDF5Error.wrongElementType(path: path, object: name, expected: T.hdf5Kind.rawValue, found: found)
        }
        let space = H5Dget_space(dataset)
        guard space >= 0 else { throw HDF5Error.callFailed(function: "H5Dget_space", path: path, object: name) }
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank == 1 || rank == 2 else { throw HDF5Error.unsupportedRank(path: path, object: name, rank: rank) }
        var dims = [hsize_t](repeating: 0, count: rank)
        guard H5Sget_simple_extent_dims(space, &dims, nil) == Int32(rank) else {
            throw HDF5Error.callFailed(function: "H5Sget_simple_extent_dims", path: path, object: name)
        }
        let shape = dims.map { Int($0) }
        var values = [T](repeating: T(), count: shape.reduce(1, *))
        if values.isEmpty { return (values, shape) }
        let status = values.withUnsafeMutableBytes { raw in
            H5Dread(dataset, Self.nativeType(T.hdf5Kind), kimi_h5s_all(), kimi_h5s_all(), kimi_h5p_default(), raw.baseAddress)
        }
        guard status >= 0 else { throw HDF5Error.callFailed(function: "H5Dread", path: path, object: name) }
        return (values, shape)
    }

    // MARK: - Attributes

    /// Sets a UTF-8 string attribute on a group or dataset ("/" is the file itself), replacing any old value.
    public func setAttribute(_ name: String, string value: String, on object: String = "/") throws {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        let bytes = Array(value.utf8)
        let type = H5Tcopy(kimi_h5t_c_s1())
        guard type >= 0 else { throw HDF5Error.callFailed(function: "H5Tcopy", path: path, object: "\(object)@\(name)") }
        defer { H5Tclose(type) }
        // HDF5 rejects zero-sized string types; an empty string is stored as one NUL byte.
        guard H5Tset_size(type, max(bytes.count, 1)) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0,
              H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0 else {
            throw HDF5Error.callFailed(function: "H5Tset_size", path: path, object: "\(object)@\(name)")
        }
        let buffer = bytes.isEmpty ? [UInt8(0)] : bytes
        try writeAttribute(name, on: object, type: type) { attribute in
            buffer.withUnsafeBytes { H5Awrite(attribute, type, $0.baseAddress) }
        }
    }

    /// Sets a 64-bit integer attribute.
    public func setAttribute(_ name: String, integer value: Int64, on object: String = "/") throws {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        var stored = value
        try writeAttribute(name, on: object, type: kimi_h5t_native_int64()) { attribute in
            H5Awrite(attribute, kimi_h5t_native_int64(), &stored)
        }
    }

    /// A string attribute, or nil when absent. A non-string attribute is a `wrongElementType` error.
    public func stringAttribute(_ name: String, on object: String = "/") throws -> String? {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        return try readAttribute(name, on: object) { attribute, type in
            guard H5Tget_class(type) == H5T_STRING else {
                throw HDF5Error.wrongElementType(path: path, object: "\(object)@\(name)", expected: "string", found: "non-string")
            }
            if H5Tis_variable_str(type) > 0 {
                var pointer: UnsafeMutablePointer<CChar>? = nil
                guard H5Aread(attribute, type, &pointer) >= 0 else {
                    throw HDF5Error.callFailed(function: "H5Aread", path: path, object: "\(object)@\(name)")
                }
                defer { if let p = pointer { H5free_memory(p) } }
                return pointer.map { String(cString: $0) } ?? ""
            }
            let size = H5Tget_size(type)
            var bytes = [UInt8](repeating: 0, count: max(size, 1))
            guard bytes.withUnsafeMutableBytes({ H5Aread(attribute, type, $0.baseAddress) }) >= 0 else {
                throw HDF5Error.callFailed(function: "H5Aread", path: path, object: "\(object)@\(name)")
            }
            if let end = bytes.firstIndex(of: 0) { bytes.removeSubrange(end...) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// An integer attribute, or nil when absent.
    public func integerAttribute(_ name: String, on object: String = "/") throws -> Int64? {
        HDF5File.libraryLock.lock(); defer { HDF5File.libraryLock.unlock() }
        return try readAttribute(name, on: object) { attribute, type in
            guard H5Tget_class(type) == H5T_INTEGER else {
                throw HDF5Error.wrongElementType(path: path, object: "\(object)@\(name)", expected: "integer", found: "non-integer")
            }
            var value: Int64 = 0
            guard H5Aread(attribute, kimi_h5t_native_int64(), &value) >= 0 else {
                throw HDF5Error.callFailed(function: "H5Aread", path: path, object: "\(object)@\(name)")
            }
            return value
        }
    }

    // MARK: - Internals

    private func writeAttribute(_ name: String, on object: String, type: hid_t, _ write: (hid_t) -> herr_t) throws {
        let label = "\(object)@\(name)"
        if object != "/" && !contains(object) { throw HDF5Error.missing(path: path, object: object) }
        let target = H5Oopen(fileId, object, kimi_h5p_default())
        guard target >= 0 else { throw HDF5Error.callFailed(function: "H5Oopen", path: path, object: object) }
        defer { H5Oclose(target) }
        if H5Aexists(target, name) > 0, H5Adelete(target, name) < 0 {
            throw HDF5Error.callFailed(function: "H5Adelete", path: path, object: label)
        }
        let space = H5Screate(H5S_SCALAR)
        guard space >= 0 else { throw HDF5Error.callFailed(function: "H5Screate", path: path, object: label) }
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(target, name, type, space, kimi_h5p_default(), kimi_h5p_default())
        guard attribute >= 0 else { throw HDF5Error.callFailed(function: "H5Acreate2", path: path, object: label) }
        defer { H5Aclose(attribute) }
        guard write(attribute) >= 0 else { throw HDF5Error.callFailed(function: "H5Awrite", path: path, object: label) }
    }

    private func readAttribute<R>(_ name: String, on object: String, _ read: (hid_t, hid_t) throws -> R) throws -> R? {
        let label = "\(object)@\(name)"
        if object != "/" && !contains(object) { throw HDF5Error.missing(path: path, object: object) }
        let target = H5Oopen(fileId, object, kimi_h5p_default())
        guard target >= 0 else { throw HDF5Error.callFailed(function: "H5Oopen", path: path, object: object) }
        defer { H5Oclose(target) }
        guard H5Aexists(target, name) > 0 else { return nil }
        let attribute = H5Aopen(target, name, kimi_h5p_default())
        guard attribute >= 0 else { throw HDF5Error.callFailed(function: "H5Aopen", path: path, object: label) }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        guard type >= 0 else { throw HDF5Error.callFailed(function: "H5Aget_type", path: path, object: label) }
        defer { H5Tclose(type) }
        return try read(attribute, type)
    }

    private static func nativeType(_ kind: HDF5ScalarKind) -> hid_t {
        switch kind {
        case .int32: return kimi_h5t_native_int32()
        case .int64: return kimi_h5t_native_int64()
        case .float32: return kimi_h5t_native_float()
        case .float64: return kimi_h5t_native_double()
        }
    }

    /// Chunk of about `chunkElements` elements: whole rows for 2-D data, capped by the extent.
    static func chunkShape(_ shape: [Int]) -> [Int] {
        if shape.count == 1 { return [max(1, min(shape[0], chunkElements))] }
        let columns = max(1, min(shape[1], chunkElements))
        let rows = max(1, min(shape[0], chunkElements / columns))
        return [rows, columns]
    }
}
