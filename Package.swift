// swift-tools-version:6.0
import PackageDescription

/// PointConnect: a LINE POINT Connect issuance service.
/// Layers (imports point only downwards):
/// COpenSSL / CLinuxShim → PointCollections / PointJSON → PointCrypto → PointLedger → PointCore → PointHTTP → PointAPI → pointconnect
let package = Package(
    name: "PointConnect",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pointconnect", targets: ["pointconnect"]),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "CLinuxShim"),
        .target(name: "PointCollections"),
        .target(name: "PointJSON"),
        .target(name: "PointCrypto", dependencies: ["COpenSSL", "PointJSON"]),
        .target(name: "PointLedger", dependencies: ["PointCollections", "PointCrypto", "PointJSON", "CLinuxShim"]),
        .target(name: "PointCore", dependencies: ["PointCollections", "PointCrypto", "PointJSON"]),
        .target(name: "PointHTTP", dependencies: ["CLinuxShim"]),
        .target(name: "PointAPI", dependencies: ["PointCollections", "PointHTTP", "PointCore", "PointLedger", "PointCrypto", "PointJSON"]),
        .executableTarget(
            name: "pointconnect",
            dependencies: ["PointAPI", "PointHTTP", "PointCore", "PointLedger", "PointCrypto", "PointJSON", "CLinuxShim"]
        ),
        // Fuzzing (issue 6): the targets, and their driver (libFuzzer with `sandbox/fuzz`, corpus replay otherwise).
        .target(name: "PointFuzzTargets", dependencies: ["PointHTTP", "PointAPI", "PointCore", "PointLedger", "PointCrypto", "PointJSON"]),
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "pointconnect-fuzz", dependencies: ["PointFuzzTargets", "CFuzzerDriver"]),
        .testTarget(name: "PointCollectionsTests", dependencies: ["PointCollections"]),
        .testTarget(name: "PointJSONTests", dependencies: ["PointJSON"]),
        .testTarget(name: "PointCryptoTests", dependencies: ["PointCrypto", "PointJSON"]),
        .testTarget(name: "PointLedgerTests", dependencies: ["PointLedger", "PointCrypto", "PointJSON"]),
        .testTarget(name: "PointCoreTests", dependencies: ["PointCore", "PointCollections", "PointCrypto", "PointJSON"]),
        .testTarget(name: "PointHTTPTests", dependencies: ["PointHTTP"]),
        .testTarget(name: "PointAPITests", dependencies: ["PointAPI", "PointHTTP", "PointCore", "PointLedger", "PointCrypto", "PointJSON"]),
        .testTarget(name: "PointFuzzTests", dependencies: ["PointFuzzTargets", "PointJSON", "PointLedger"]),
    ]
)
