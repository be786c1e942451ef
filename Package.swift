// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "jetstream-tail",
    products: [
        .executable(name: "jetstream-tail", targets: ["jetstream-tail"]),
        .library(name: "JetstreamTailCore", targets: ["JetstreamTailCore"]),
    ],
    targets: [
        // The C fence: libcurl's variadic setopt/getinfo and libzstd, behind typed inline shims.
        // libzstd is linked; libcurl is not (no pkgConfig, whose flags say -lcurl): its headers
        // give the types, and the library is loaded with dlopen only when needed (CurlLibrary).
        .systemLibrary(
            name: "CLibs",
            providers: [.apt(["libcurl4-openssl-dev", "libzstd-dev"])]
        ),
        .target(name: "JetstreamTailCore", dependencies: ["CLibs"]),
        // The Swift runtime linked in, in every build, so what is measured is what Scripts/install
        // ships: dynamically, libswiftCore and its companions map about 3 MB more resident.
        .executableTarget(
            name: "jetstream-tail",
            dependencies: ["JetstreamTailCore"],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]
        ),
        // Test-only: the Autobahn|Testsuite echo client, on the same WebSocket code as the tool.
        .executableTarget(name: "autobahn-testee", dependencies: ["JetstreamTailCore"]),
        // CLibs too: the zstd tests make their frames with libzstd's compressor, which the tool never uses.
        .testTarget(name: "JetstreamTailCoreTests", dependencies: ["JetstreamTailCore", "CLibs"]),
    ],
    swiftLanguageModes: [.v6]
)

// _StringProcessing (the regex engine) is not imported implicitly into the tool's own code: linked
// statically it would add about 1 MB resident to every run. StringSearch.swift has what is used.
for target in package.targets where ["JetstreamTailCore", "jetstream-tail"].contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"]),
    ]
}

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    ]
}
