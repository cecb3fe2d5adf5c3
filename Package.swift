// swift-tools-version:6.0
import PackageDescription

// kimi-sft: LoRA fine-tuning of Kimi K2.x (DeepseekV3) MoE models on a frozen INT4 base.
// No outside Swift packages: the only dependencies are Debian's OpenBLAS, HDF5 and zstd.
let package = Package(
    name: "kimi-sft",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kimi-sft", targets: ["kimi-sft"]),
    ],
    targets: [
        // C libraries, found through pkg-config; C types stay inside one wrapper file each.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),

        .target(name: "Autograd", dependencies: ["COpenBLAS"]),
        .target(name: "Storage", dependencies: ["Autograd", "CHDF5", "CZstd"]),
        .target(name: "LoRA", dependencies: ["Storage", "Autograd"]),
        .target(name: "KimiModel", dependencies: ["LoRA", "DataPipeline", "Storage", "Autograd"]),
        .target(name: "DataPipeline", dependencies: ["Storage"]),
        .target(name: "Trainer", dependencies: ["KimiModel", "LoRA", "DataPipeline", "Storage", "Autograd"]),
        .executableTarget(name: "kimi-sft", dependencies: ["Trainer", "KimiModel", "LoRA", "DataPipeline", "Storage", "Autograd"]),

        // Shared test helpers (comparison with a report of the largest difference, temp dirs).
        .target(name: "TestSupport", path: "Sources/TestSupport"),

        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DataPipelineTests", dependencies: ["DataPipeline", "Storage", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "Storage", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KimiModelTests", dependencies: ["KimiModel", "DataPipeline", "LoRA", "Storage", "Autograd", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LoRATests", dependencies: ["LoRA", "KimiModel", "DataPipeline", "Storage", "Autograd", "TestSupport"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
